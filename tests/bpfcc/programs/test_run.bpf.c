// Programs the kernel can run on demand (BPF_PROG_TEST_RUN).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct args {
  s32 a;
  s32 b;
  s32 sum;
};

// The kernel copies the context back to the caller's buffer.
SEC("syscall")
int compute(struct args *ctx) {
  ctx->sum = ctx->a + ctx->b;
  return ctx->a * ctx->b;
}

struct probe_result {
  u32 tgid;
  u32 ppid;
  u64 arg0;
  u64 calls;
};

struct probe_result result = {};

// Runs in the context of the task that asked for the test run.
SEC("raw_tp")
int probe_task(struct bpf_raw_tracepoint_args *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  result.tgid = BPF_CORE_READ(task, tgid);
  result.ppid = BPF_CORE_READ(task, real_parent, tgid);
  result.arg0 = ctx->args[0];
  result.calls++;
  return 0;
}
