// A bundle the loader must accept: every kind of map vigil fills, and one
// program whose tracepoint no kernel has.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

// Declared with one entry: the loader sizes it from the bundle's values.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} rule_actions SEC(".maps");

struct path_key {
  char path[16];
};

// Declared with two entries: the bundle has more.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 2);
  __type(key, struct path_key);
  __type(value, __u64);
} path_set SEC(".maps");

struct prefix_key {
  __u32 prefixlen;
  __u8 data[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 16);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct prefix_key);
  __type(value, __u64);
} prefixes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} per_cpu_limits SEC(".maps");

// Its own section, so the bundle can give its exact bytes.
const volatile __u32 config_rule_count SEC(".rodata.config") = 0;
__u64 opens_seen = 0;

SEC("tp/syscalls/sys_enter_openat")
int vigil_file_open_openat(void *ctx) {
  __u32 index = config_rule_count;
  __u32 *action = bpf_map_lookup_elem(&rule_actions, &index);
  if (action && *action == 7) __sync_fetch_and_add(&opens_seen, 1);
  struct path_key key = {};
  __u64 *bits = bpf_map_lookup_elem(&path_set, &key);
  if (bits) __sync_fetch_and_add(&opens_seen, *bits);
  struct prefix_key prefix = {.prefixlen = 128};
  __u64 *prefix_bits = bpf_map_lookup_elem(&prefixes, &prefix);
  if (prefix_bits) __sync_fetch_and_add(&opens_seen, *prefix_bits);
  __u32 zero = 0;
  __u64 *limit = bpf_map_lookup_elem(&per_cpu_limits, &zero);
  if (limit) __sync_fetch_and_add(&opens_seen, *limit);
  return 0;
}

SEC("tp/syscalls/sys_enter_vigil_no_such_syscall")
int vigil_kernel_module_load(void *ctx) {
  __sync_fetch_and_add(&opens_seen, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
