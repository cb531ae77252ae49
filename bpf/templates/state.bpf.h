// Stateful rules in the kernel: `threshold N within WINDOW by FIELD, ...` and
// `sequence by FIELD, ... within WINDOW: [...] then [...]`.
// The generated matcher, after deciding which rules matched an event, calls
// vigil_threshold() for each matched threshold rule; the rule stays matched
// only on the event that is the N-th of its key. Semantics (docs/semantics.md,
// identical in the reference evaluator): per rule and key, a fixed window
// starts at the first counted event; the N-th event within it fires; the key
// is then quiet until the window ends (or for `rearm` after the firing event),
// and the next counted event starts a new window.
#pragma once

struct vigil_state_key {
  __u64 rule;  // vigil rule name hash (compiler/codegen/rule_hash.h)
  __u64 key;   // hash of the `by` fields' values
};

// One value type for both kinds (the rule hash in the key tells them apart).
struct vigil_threshold_state {
  __u64 window_start;  // threshold: 0 = no window open; sequence: when step 1 matched
  __u64 count;         // threshold: events counted; sequence: the next step (0 = none)
  __u64 quiet_until;   // threshold only
};

// Shared by every policy generation (a hot reload keeps the counts), LRU so
// that a flood of keys evicts the oldest rather than failing: an evicted key
// starts counting afresh.
#ifndef VIGIL_RULE_STATE_ENTRIES
#define VIGIL_RULE_STATE_ENTRIES 65536
#endif

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, VIGIL_RULE_STATE_ENTRIES);
  __type(key, struct vigil_state_key);
  __type(value, struct vigil_threshold_state);
} vigil_rule_state SEC(".maps");

static __always_inline __u64 vigil_mix(__u64 hash, __u64 value) {
  for (int i = 0; i < 8; i++) {
    hash = (hash ^ (value & 0xff)) * VIGIL_FNV_PRIME;
    value >>= 8;
  }
  return hash;
}

// Mixes a NUL-terminated string field of `capacity` bytes into `hash`.
static __always_inline __u64 vigil_mix_string(__u64 hash, const char *text, __u32 capacity) {
  // The end of the string is mixed in too: "a","b" != "ab","".
  return (vigil_fnv_string(hash, text, capacity) ^ 0xff) * VIGIL_FNV_PRIME;
}

static __always_inline __u64 vigil_mix_ip(__u64 hash, const struct vigil_ip *ip) {
  __u64 high, low;
  __builtin_memcpy(&high, ip->addr, 8);
  __builtin_memcpy(&low, ip->addr + 8, 8);
  return vigil_mix(vigil_mix(vigil_mix(hash, ip->family), high), low);
}

// One stateful step's arguments (BPF subprograms take at most five).
struct vigil_state_call {
  __u64 rule;    // rule name hash
  __u64 key;     // `by` hash
  __u64 steps;   // sequence: bit i = the event matched step i
  __u64 count;   // threshold: N; sequence: its number of steps
  __u64 window;  // ns
  __u64 rearm;   // threshold: ns, 0 = until the window ends
  __u64 now;     // the event's time
};

// Counts a matched event of a threshold rule; 1 if it is the N-th of its
// key's window (the rule fires), 0 if not. Counting is exact per key on one
// CPU; events of one key on several CPUs at once are counted exactly too
// (atomic add), except at the instant a window is reset.
static __noinline int vigil_threshold(struct vigil_state_call *call) {
  struct vigil_state_key k = {call->rule, call->key};
  __u64 now = call->now, window = call->window;
  struct vigil_threshold_state *s = bpf_map_lookup_elem(&vigil_rule_state, &k);
  if (!s) {
    struct vigil_threshold_state fresh = {0, 0, 0};
    bpf_map_update_elem(&vigil_rule_state, &k, &fresh, BPF_NOEXIST);
    s = bpf_map_lookup_elem(&vigil_rule_state, &k);
    if (!s) return 0;
  }
  if (now < s->quiet_until) return 0;
  __u64 start = s->window_start;
  // An event stamped before the window start (CPU clocks race) counts as at it.
  if (start == 0 || (now > start && now - start >= window)) {
    if (__sync_val_compare_and_swap(&s->window_start, start, now) == start) s->count = 0;
    start = s->window_start;
  }
  __u64 count = __sync_fetch_and_add(&s->count, 1) + 1;
  if (count != call->count) return 0;
  s->quiet_until = call->rearm ? now + call->rearm : start + window;
  s->window_start = 0;
  return 1;
}

// Follows a sequence rule for one key. `steps`: bit i set if the event
// matched step i (its `when`, no `except`). Returns 1 if the event completes
// the sequence. As in the evaluator: a state older than the window is
// forgotten; matching the next step advances (and takes priority); else
// matching the first step (re)starts. Concurrent events of one key on two
// CPUs are not serialised: the later write wins.
static __noinline int vigil_sequence(struct vigil_state_call *call) {
  struct vigil_state_key k = {call->rule, call->key};
  __u64 now = call->now, steps = call->steps;
  struct vigil_threshold_state *s = bpf_map_lookup_elem(&vigil_rule_state, &k);
  if (s && s->count && now > s->window_start && now - s->window_start > call->window) s->count = 0;
  if (s && s->count && s->count < 64 && ((steps >> s->count) & 1)) {
    __u64 next = s->count + 1;
    if (next >= call->count) {
      s->count = 0;
      return 1;
    }
    s->count = next;
    return 0;
  }
  if (steps & 1) {
    struct vigil_threshold_state fresh = {now, 1, 0};
    bpf_map_update_elem(&vigil_rule_state, &k, &fresh, BPF_ANY);
  }
  return 0;
}
