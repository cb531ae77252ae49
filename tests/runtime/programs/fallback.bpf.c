// A raw_syscalls fallback next to the syscall tracepoint it stands in for:
// where the tracepoint exists, the loader must leave the fallback out.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_openat")
int vigil_file_open_openat(void *ctx) {
  return 0;
}

SEC("tp/raw_syscalls/sys_enter")
int vigil_file_open_raw_syscalls(void *ctx) {
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
