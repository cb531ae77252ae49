// Reads the opening task's identity through CO-RE and reports it on a ring
// buffer; only for the test process (target_tgid, set before load).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

const volatile u32 target_tgid = 0;

struct task_event {
  u32 pid;
  u32 tgid;
  u32 ppid;
  u32 uid;
  u32 euid;
  u32 loginuid;
  u64 cgroup_id;
  u64 helper_cgroup_id;
  char comm[16];
  char core_comm[16];
  char exe[32];
  char path[64];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx) {
  if ((u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid) return 0;
  struct task_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  e->pid = BPF_CORE_READ(task, pid);
  e->tgid = BPF_CORE_READ(task, tgid);
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  e->uid = BPF_CORE_READ(task, cred, uid.val);
  e->euid = BPF_CORE_READ(task, cred, euid.val);
  e->loginuid = BPF_CORE_READ(task, loginuid.val);
  e->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
  e->helper_cgroup_id = bpf_get_current_cgroup_id();
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  BPF_CORE_READ_STR_INTO(&e->core_comm, task, comm);
  const unsigned char *exe = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
  bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), exe);
  bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)ctx->args[1]);
  bpf_ringbuf_submit(e, 0);
  return 0;
}
