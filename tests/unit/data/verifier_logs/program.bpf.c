#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} values SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int out_of_bounds(void *ctx) {
  __u32 key = 2;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  if (!v) return 0;
  __u32 *words = (__u32 *)v;
  return words[3];
}

SEC("tp/syscalls/sys_enter_openat")
int null_deref(void *ctx) {
  __u32 key = 2;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  return *v == 7;
}

SEC("tp/syscalls/sys_enter_openat")
int scalar_deref(void *ctx) {
  __u32 key = 2;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  if (!v) return 0;
  __u64 *p = (__u64 *)*v;
  return *p == 3;
}

static __noinline int check_value(__u64 *v, __u32 i) {
  if (!v) return 0;
  return ((__u8 *)v)[i];
}

SEC("tp/syscalls/sys_enter_openat")
int unbounded_index(void *ctx) {
  __u32 key = 1;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  if (!v) return 0;
  return check_value(v, (__u32)bpf_get_prandom_u32());
}

SEC("tp/syscalls/sys_enter_openat")
int too_large(void *ctx) {
  __u32 key = 1;
  __u64 *v = bpf_map_lookup_elem(&values, &key);
  if (!v) return 0;
  __u64 sum = 0;
  for (__u32 i = 0; i < 400000; i++) {
    if (*v & (1ull << (i & 63))) sum += i;
    *v = sum;
  }
  return sum;
}

char LICENSE[] SEC("license") = "GPL";
