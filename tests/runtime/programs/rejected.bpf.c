// A bundle with one program the verifier refuses (an out-of-bounds read of a
// map value, on the line marked OUT_OF_BOUNDS) and two it accepts.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} rule_state SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int vigil_exec(void *ctx) {
  __u32 key = 0;
  __u64 *state = bpf_map_lookup_elem(&rule_state, &key);
  if (state) *state += 1;
  return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int vigil_file_open_openat(void *ctx) {
  __u32 key = 1;
  __u64 *state = bpf_map_lookup_elem(&rule_state, &key);
  if (!state) return 0;
  // rule reads_past_value
  __u32 *words = (__u32 *)state;
  return words[3];  // OUT_OF_BOUNDS
}

SEC("tp/syscalls/sys_enter_connect")
int vigil_net_connect(void *ctx) {
  __u32 key = 2;
  __u64 *state = bpf_map_lookup_elem(&rule_state, &key);
  return state ? (int)*state : 0;
}

char LICENSE[] SEC("license") = "GPL";
