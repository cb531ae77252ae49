// vigil's in-kernel enforcement: `action kill` from the program that matched,
// with the guards that keep a policy mistake from taking the machine down.
// Included by generated code after the matchers, before hooks.bpf.h; the
// generator emits vigil_enforce_<kind>() calling vigil_kill() for each kill
// rule of the event that is in enforce mode. docs/enforcement.md explains the
// guarantees per hook.
#pragma once

// Set by the agent before loading (.rodata). The defaults act on nothing, so
// an object loaded by anything but the agent (tests, `vigil verify`) is inert.
const volatile __u32 vigil_enforce = 0;      // 1: kill rules in enforce mode act
const volatile __u32 vigil_agent_tgid = 0;   // never killed
const volatile __u32 vigil_blast_limit = 0;  // distinct executables per rule per window; 0: none
const volatile __u32 vigil_lsm_active = 0;   // 1: the BPF LSM deny programs are attached

#define VIGIL_BLAST_WINDOW_NS (60ull * 1000000000ull)
#define VIGIL_BLAST_SLOTS 64  // vigil_blast_limit is at most this (the agent checks)
#define VIGIL_PF_KTHREAD 0x00200000
#define VIGIL_SIGKILL 9

// Why a matched enforce-mode rule did not act (struct vigil_enforcement's
// `withheld`, one bit per reason; user space names them).
#define VIGIL_WITHHELD_AUDIT 1u           // the agent runs with --audit
#define VIGIL_WITHHELD_INIT 2u            // pid 1
#define VIGIL_WITHHELD_AGENT 4u           // the agent itself
#define VIGIL_WITHHELD_KTHREAD 8u         // a kernel thread
#define VIGIL_WITHHELD_BLAST_RADIUS 16u   // the rule's kill limit is spent: now audit
#define VIGIL_WITHHELD_BLAST_TRIPPED 32u  // ... and this event is the one that spent it
#define VIGIL_WITHHELD_SIGNAL_FAILED 64u  // bpf_send_signal refused
#define VIGIL_WITHHELD_UNHOOKED 128u      // deny: the call does not pass a deny hook

// Per kill rule: the distinct executables it killed in the current window. A
// rule that would kill more than vigil_blast_limit of them in one window is
// switched to audit for good (until the agent restarts): a runaway rule must
// not take every process of a machine with it. Keyed by a hash of the rule's
// name, so a hot reload keeps the state; shared by every generation.
struct vigil_blast_state {
  __u64 window_start;
  __u32 count;
  __u32 tripped;
  __u64 exes[VIGIL_BLAST_SLOTS];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);  // rule name hash
  __type(value, struct vigil_blast_state);
} vigil_blast SEC(".maps");

// `action deny` on net.connect / net.bind runs in cgroup socket-address
// programs attached to one cgroup (the root by default): slot 0 holds it, so
// the syscall tracepoints can tell whether a call will meet a deny hook.
struct {
  __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} vigil_deny_cgroup SEC(".maps");

// Whether the deny programs will see this call: an IPv4/IPv6 socket of a
// task under the deny cgroup, with enforcement on. The tracepoint then leaves
// the enforced deny rules to them (one alert per call, from where it was
// refused); otherwise it reports them as would_deny.
static __always_inline int vigil_deny_hooked(struct vigil_event *ev) {
  if (!vigil_enforce) return 0;
  if (ev->net_family[0] != 'i') return 0;  // "inet" / "inet6"
  return bpf_current_task_under_cgroup(&vigil_deny_cgroup, 0) == 1;
}

// Whether the rule may kill one more process running `exe_hash` now. Races
// between CPUs can let a few kills past the limit at the same instant; the
// limit bounds a runaway rule, it is not an exact quota.
static __always_inline __u32 vigil_blast_check(__u64 rule_hash, __u64 exe_hash, __u64 now) {
  if (!vigil_blast_limit) return 0;
  struct vigil_blast_state* state = bpf_map_lookup_elem(&vigil_blast, &rule_hash);
  if (!state) {
    struct vigil_work* w = vigil_work();
    if (!w) return VIGIL_WITHHELD_BLAST_RADIUS;
    // A zeroed value built in the work area (the state is too big for the stack).
    struct vigil_blast_state* fresh = (struct vigil_blast_state*)w->buf;
    __builtin_memset(fresh, 0, sizeof(*fresh));
    fresh->window_start = now;
    bpf_map_update_elem(&vigil_blast, &rule_hash, fresh, BPF_NOEXIST);
    state = bpf_map_lookup_elem(&vigil_blast, &rule_hash);
    if (!state) return VIGIL_WITHHELD_BLAST_RADIUS;
  }
  if (state->tripped) return VIGIL_WITHHELD_BLAST_RADIUS;
  if (now - state->window_start >= VIGIL_BLAST_WINDOW_NS) {
    state->window_start = now;
    state->count = 0;
  }
  __u32 count = state->count;
  for (__u32 i = 0; i < VIGIL_BLAST_SLOTS; i++) {
    if (i >= count) break;
    if (state->exes[i] == exe_hash) return 0;  // already counted
  }
  if (count >= vigil_blast_limit || count >= VIGIL_BLAST_SLOTS) {
    state->tripped = 1;
    return VIGIL_WITHHELD_BLAST_RADIUS | VIGIL_WITHHELD_BLAST_TRIPPED;
  }
  state->exes[count & (VIGIL_BLAST_SLOTS - 1)] = exe_hash;
  state->count = count + 1;
  return 0;
}

// Kills the current process for rule bit `bit` (hash `rule_hash`) if enforcing
// and no guard holds; records in the record's enforcement what happened.
static __noinline void vigil_kill(struct vigil_record* r, __u32 bit, __u64 rule_hash) {
  struct vigil_enforcement* e = &r->enforcement;
  __u32 word = bit / 64;
  if (word >= VIGIL_RULE_WORDS) return;
  __u64 mask = 1ull << (bit % 64);
  if (!vigil_enforce) {
    e->withheld |= VIGIL_WITHHELD_AUDIT;
    return;
  }
  __u32 tgid = r->event.process_tgid;
  if (tgid == 1) {
    e->withheld |= VIGIL_WITHHELD_INIT;
    return;
  }
  if (vigil_agent_tgid && tgid == vigil_agent_tgid) {
    e->withheld |= VIGIL_WITHHELD_AGENT;
    return;
  }
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  if (BPF_CORE_READ(task, flags) & VIGIL_PF_KTHREAD) {
    e->withheld |= VIGIL_WITHHELD_KTHREAD;
    return;
  }
  if (e->signalled) {  // an earlier rule of this event killed it already
    e->acted[word] |= mask;
    return;
  }
  __u64 exe_hash = vigil_fnv_string(VIGIL_FNV_OFFSET, r->event.process_exe, VIGIL_EXE_BYTES);
  __u32 blast = vigil_blast_check(rule_hash, exe_hash, r->event.time_ns);
  if (blast) {
    e->withheld |= blast;
    return;
  }
  if (bpf_send_signal(VIGIL_SIGKILL)) {
    e->withheld |= VIGIL_WITHHELD_SIGNAL_FAILED;
    return;
  }
  e->signalled = 1;
  e->acted[word] |= mask;
  vigil_count(VIGIL_STAT_KILLED);
}
