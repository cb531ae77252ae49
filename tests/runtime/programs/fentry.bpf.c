// An fentry program next to a tracepoint one. Some kernels refuse fentry
// programs even to root (lockdown, security modules): the loader must say
// so and still judge the other program.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("fentry/do_sys_openat2")
int vigil_fentry_open(void *ctx) {
  return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int vigil_file_open_openat(void *ctx) {
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
