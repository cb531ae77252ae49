// String tests as data: the automata that vigil builds from every string test
// of a policy (compiler/codegen/string_automaton.h) live in three array maps,
// and one generic walker runs them over a string of the event record. Policy
// strings never appear in generated C; the walker is verified once, whatever
// the number of rules.
//
// Needs, defined before inclusion: VIGIL_RULE_WORDS, VIGIL_ATOM_WORDS,
// VIGIL_DFA_NEXT_ENTRIES, VIGIL_DFA_CLASS_ENTRIES, VIGIL_DFA_STATES, and the
// prelude's vigil_scratch map (the walker reads the record being matched).
#pragma once

// Set in a `next` entry: the target state is a sink (no later byte changes
// the outcome), so the walk stops there.
#define VIGIL_DFA_SINK 0x80000000u
// Set in a `next` entry of an accumulating automaton: the target state has
// atoms to OR into the walk's hits (`contains`: a substring ends here).
#define VIGIL_DFA_HIT 0x40000000u
#define VIGIL_DFA_STATE_MASK 0x3fffffffu

// What a final state says: rule bits to AND (1 for rules the automaton does
// not gate) and atom bits to OR.
struct vigil_accept {
  __u64 gate[VIGIL_RULE_WORDS];
  __u64 atom[VIGIL_ATOM_WORDS];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, VIGIL_DFA_NEXT_ENTRIES);
  __type(key, __u32);
  __type(value, __u32);  // global state id | VIGIL_DFA_SINK
} vigil_dfa_next SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, VIGIL_DFA_CLASS_ENTRIES);
  __type(key, __u32);
  __type(value, __u32);  // byte class; automaton n uses entries [256 n, 256 n + 256)
} vigil_dfa_class SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, VIGIL_DFA_STATES);
  __type(key, __u32);
  __type(value, struct vigil_accept);
} vigil_dfa_accept SEC(".maps");

// The walk's state lives in a per-CPU map value, not on the stack: the
// verifier then checks the bpf_loop callback once, in a few hundred
// instructions (measured; see docs/backend.md).
struct vigil_walk_state {
  __u32 state;       // global state id
  __u32 offset;      // of the string in struct vigil_event
  __u32 limit;       // bytes to look at: capacity - 1
  __u32 class_base;  // 256 * automaton index
  __u32 next_base;   // first `next` entry of the automaton
  __u32 state_base;  // first global state id of the automaton
  __u32 classes;     // byte classes of the automaton
  __u32 accumulate;  // OR the atoms of every state passed into `hits`
  __u64 hits[VIGIL_ATOM_WORDS];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_walk_state);
} vigil_walk_states SEC(".maps");

static long vigil_walk_step(__u32 index, void *unused) {
  __u32 zero = 0;
  struct vigil_walk_state *walk = bpf_map_lookup_elem(&vigil_walk_states, &zero);
  struct vigil_record *record = bpf_map_lookup_elem(&vigil_scratch, &zero);
  if (!walk || !record) return 1;
  if (index >= walk->limit) return 1;
  __u32 position = walk->offset + index;
  if (position >= sizeof(struct vigil_event)) return 1;
  __u8 byte = ((const __u8 *)&record->event)[position];
  if (byte == 0) return 1;
  __u32 class_key = walk->class_base + byte;
  __u32 *byte_class = bpf_map_lookup_elem(&vigil_dfa_class, &class_key);
  if (!byte_class) return 1;
  __u32 next_key = walk->next_base + (walk->state - walk->state_base) * walk->classes + *byte_class;
  __u32 *next = bpf_map_lookup_elem(&vigil_dfa_next, &next_key);
  if (!next) return 1;
  __u32 entry = *next;
  walk->state = entry & VIGIL_DFA_STATE_MASK;
  if (walk->accumulate && (entry & VIGIL_DFA_HIT)) {
    __u32 state = walk->state;
    struct vigil_accept *accept = bpf_map_lookup_elem(&vigil_dfa_accept, &state);
    if (accept)
      for (int i = 0; i < VIGIL_ATOM_WORDS; i++) walk->hits[i] |= accept->atom[i];
  }
  return (entry & VIGIL_DFA_SINK) ? 1 : 0;
}

// Starts a walk of one automaton over the string at `offset` of the record
// being matched; NULL if the per-CPU state is missing (the caller then
// reports no match).
static __always_inline struct vigil_walk_state *vigil_walk(__u32 offset, __u32 limit,
                                                          __u32 start, __u32 class_base,
                                                          __u32 next_base, __u32 state_base,
                                                          __u32 classes, __u32 accumulate) {
  __u32 zero = 0;
  struct vigil_walk_state *walk = bpf_map_lookup_elem(&vigil_walk_states, &zero);
  if (!walk) return NULL;
  walk->state = start;
  walk->offset = offset;
  walk->limit = limit;
  walk->class_base = class_base;
  walk->next_base = next_base;
  walk->state_base = state_base;
  walk->classes = classes;
  walk->accumulate = accumulate;
  if (accumulate) {  // hits start with the empty prefix's: `contains ""`
    struct vigil_accept *first = bpf_map_lookup_elem(&vigil_dfa_accept, &start);
    for (int i = 0; i < VIGIL_ATOM_WORDS; i++) walk->hits[i] = first ? first->atom[i] : 0;
  }
  bpf_loop(limit, vigil_walk_step, NULL, 0);
  return walk;
}

// The final state's accept entry: rule gates to AND, atoms to OR.
static __always_inline struct vigil_accept *vigil_walk_string(__u32 offset, __u32 limit,
                                                             __u32 start, __u32 class_base,
                                                             __u32 next_base, __u32 state_base,
                                                             __u32 classes) {
  struct vigil_walk_state *walk =
      vigil_walk(offset, limit, start, class_base, next_base, state_base, classes, 0);
  if (!walk) return NULL;
  __u32 final_state = walk->state;
  return bpf_map_lookup_elem(&vigil_dfa_accept, &final_state);
}

// An accumulating walk: `hits` holds the atoms of every state passed.
static __always_inline struct vigil_walk_state *vigil_walk_hits(__u32 offset, __u32 limit,
                                                               __u32 start, __u32 class_base,
                                                               __u32 next_base,
                                                               __u32 state_base, __u32 classes) {
  return vigil_walk(offset, limit, start, class_base, next_base, state_base, classes, 1);
}

// ---- Value gates -------------------------------------------------------------------

// The key of the LPM tries deciding address gates (compiler/codegen/generate.cpp):
// prefixlen counts the family byte's 8 bits, then the address bits; an IPv4
// address is in addr[0..3].
struct vigil_lpm_key {
  __u32 prefixlen;
  __u8 family;  // 4 or 6
  __u8 addr[16];
};

// ---- Residual-code helpers ---------------------------------------------------------

// Two strings of the record are equal (both NUL-terminated within `limit`).
struct vigil_compare_state {
  __u32 left;
  __u32 right;
  __u32 limit;
  __u32 equal;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_compare_state);
} vigil_compare SEC(".maps");

static long vigil_compare_step(__u32 index, void *unused) {
  __u32 zero = 0;
  struct vigil_compare_state *cmp = bpf_map_lookup_elem(&vigil_compare, &zero);
  struct vigil_record *record = bpf_map_lookup_elem(&vigil_scratch, &zero);
  if (!cmp || !record) return 1;
  if (index >= cmp->limit) return 1;
  __u32 left = cmp->left + index, right = cmp->right + index;
  if (left >= sizeof(struct vigil_event) || right >= sizeof(struct vigil_event)) return 1;
  __u8 a = ((const __u8 *)&record->event)[left];
  __u8 b = ((const __u8 *)&record->event)[right];
  if (a != b) {
    cmp->equal = 0;
    return 1;
  }
  return a == 0 ? 1 : 0;
}

static __always_inline int vigil_strings_equal(__u32 left, __u32 right, __u32 limit) {
  __u32 zero = 0;
  struct vigil_compare_state *cmp = bpf_map_lookup_elem(&vigil_compare, &zero);
  if (!cmp) return 0;
  cmp->left = left;
  cmp->right = right;
  cmp->limit = limit;
  cmp->equal = 1;
  bpf_loop(limit, vigil_compare_step, NULL, 0);
  return cmp->equal;
}

// The first 8 bytes of an address, big-endian, and the last 8.
static __always_inline __u64 vigil_ip_high(const struct vigil_ip *ip) {
  __u64 value = 0;
  for (int i = 0; i < 8; i++) value = (value << 8) | ip->addr[i];
  return value;
}

static __always_inline __u64 vigil_ip_low(const struct vigil_ip *ip) {
  __u64 value = 0;
  for (int i = 8; i < 16; i++) value = (value << 8) | ip->addr[i];
  return value;
}

// The address is in network/mask (IPv4 in the high 32 bits of `high`).
static __always_inline int vigil_ip_in(const struct vigil_ip *ip, __u32 family, __u64 high,
                                       __u64 high_mask, __u64 low, __u64 low_mask) {
  if ((ip->family == 6 ? 6 : 4) != family) return 0;
  if (family == 4) return ((vigil_ip_high(ip) >> 32) & (high_mask >> 32)) == (high >> 32);
  return (vigil_ip_high(ip) & high_mask) == high && (vigil_ip_low(ip) & low_mask) == low;
}

static __always_inline int vigil_ips_equal(const struct vigil_ip *a, const struct vigil_ip *b) {
  __u32 family = a->family == 6 ? 6 : 4;
  if ((b->family == 6 ? 6 : 4) != family) return 0;
  if (family == 4) return (vigil_ip_high(a) >> 32) == (vigil_ip_high(b) >> 32);
  return vigil_ip_high(a) == vigil_ip_high(b) && vigil_ip_low(a) == vigil_ip_low(b);
}
