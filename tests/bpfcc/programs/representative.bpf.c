// A representative generated program (~200 lines): what vigil's back end
// emits for a handful of rules over exec, open, connect and process events.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define MAX_PATH 256
#define COMM_LEN 16

enum event_kind { EV_EXEC = 1, EV_OPEN = 2, EV_CONNECT = 3, EV_FORK = 4, EV_EXIT = 5 };

struct process_info {
  u32 pid, tgid, ppid;
  u32 uid, euid, gid, loginuid;
  u64 cgroup_id;
  u64 start_time;
  char comm[COMM_LEN];
  char parent_comm[COMM_LEN];
  char tty[16];
  char exe[64];
};

struct event {
  u32 kind;
  u32 rule_id;
  s64 ret;
  struct process_info proc;
  u16 port;
  u16 family;
  u32 addr4;
  u8 addr6[16];
  char path[MAX_PATH];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct event);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, u16);
  __type(value, u32);
} watched_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, u32);
  __type(value, u64);
} counters SEC(".maps");

static __always_inline void count(u32 slot) {
  u64 *value = bpf_map_lookup_elem(&counters, &slot);
  if (value) __sync_fetch_and_add(value, 1);
}

static __always_inline bool has_prefix(const char *s, const char *prefix, int n) {
  for (int i = 0; i < n; i++) {
    if (prefix[i] == 0) return true;
    if (s[i] != prefix[i]) return false;
  }
  return true;
}

static __always_inline void fill_process(struct process_info *p) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  p->pid = BPF_CORE_READ(task, pid);
  p->tgid = BPF_CORE_READ(task, tgid);
  p->ppid = BPF_CORE_READ(task, real_parent, tgid);
  p->uid = BPF_CORE_READ(task, cred, uid.val);
  p->euid = BPF_CORE_READ(task, cred, euid.val);
  p->gid = BPF_CORE_READ(task, cred, gid.val);
  p->loginuid = BPF_CORE_READ(task, loginuid.val);
  p->start_time = BPF_CORE_READ(task, start_time);
  p->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
  bpf_get_current_comm(p->comm, sizeof(p->comm));
  BPF_CORE_READ_STR_INTO(&p->parent_comm, task, real_parent, comm);
  struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
  if (tty)
    BPF_CORE_READ_STR_INTO(&p->tty, tty, name);
  else
    p->tty[0] = 0;
  const unsigned char *exe = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
  if (exe) bpf_probe_read_kernel_str(p->exe, sizeof(p->exe), exe);
}

static __always_inline struct event *new_event(u32 kind) {
  u32 zero = 0;
  struct event *e = bpf_map_lookup_elem(&scratch, &zero);
  if (!e) return NULL;
  e->kind = kind;
  e->rule_id = 0;
  e->ret = 0;
  e->port = 0;
  e->family = 0;
  e->path[0] = 0;
  fill_process(&e->proc);
  return e;
}

static __always_inline void submit(struct event *e) {
  bpf_ringbuf_output(&events, e, sizeof(*e), 0);
  count(e->kind);
}

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx) {
  struct event *e = new_event(EV_EXEC);
  if (!e) return 0;
  unsigned int offset = ctx->__data_loc_filename & 0xFFFF;
  bpf_probe_read_kernel_str(e->path, sizeof(e->path), (void *)ctx + offset);
  // rule 1: shells started from a web server
  if ((has_prefix(e->path, "/bin/sh", 8) || has_prefix(e->path, "/usr/bin/bash", 14)) &&
      (has_prefix(e->proc.parent_comm, "nginx", 6) || has_prefix(e->proc.parent_comm, "httpd", 6)))
    e->rule_id = 1;
  // rule 2: anything executed from /tmp
  else if (has_prefix(e->path, "/tmp/", 6))
    e->rule_id = 2;
  if (e->rule_id) submit(e);
  return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx) {
  struct event *e = new_event(EV_OPEN);
  if (!e) return 0;
  const char *filename = (const char *)ctx->args[1];
  long flags = (long)ctx->args[2];
  bpf_probe_read_user_str(e->path, sizeof(e->path), filename);
  // rule 3: writes to /etc by non-root
  if (has_prefix(e->path, "/etc/", 6) && (flags & 3) != 0 && e->proc.euid != 0)
    e->rule_id = 3;
  // rule 4: reads of shadow by anything but a login process
  else if (has_prefix(e->path, "/etc/shadow", 12) && !has_prefix(e->proc.comm, "login", 6))
    e->rule_id = 4;
  if (e->rule_id) submit(e);
  return 0;
}

SEC("tp/syscalls/sys_enter_connect")
int on_connect(struct trace_event_raw_sys_enter *ctx) {
  struct event *e = new_event(EV_CONNECT);
  if (!e) return 0;
  const void *uaddr = (const void *)ctx->args[1];
  u16 family = 0;
  bpf_probe_read_user(&family, sizeof(family), uaddr);
  e->family = family;
  if (family == 2) {
    struct sockaddr_in sin = {};
    bpf_probe_read_user(&sin, sizeof(sin), uaddr);
    e->port = bpf_ntohs(sin.sin_port);
    e->addr4 = sin.sin_addr.s_addr;
  } else if (family == 10) {
    struct sockaddr_in6 sin6 = {};
    bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
    e->port = bpf_ntohs(sin6.sin6_port);
    __builtin_memcpy(e->addr6, sin6.sin6_addr.in6_u.u6_addr8, 16);
  } else {
    return 0;
  }
  u16 port = e->port;
  u32 *rule = bpf_map_lookup_elem(&watched_ports, &port);
  if (rule) {
    e->rule_id = *rule;
    submit(e);
  }
  return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int on_connect_exit(struct trace_event_raw_sys_exit *ctx) {
  if (ctx->ret < 0) count(7);
  return 0;
}

SEC("tp/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx) {
  struct event *e = new_event(EV_FORK);
  if (!e) return 0;
  e->ret = ctx->child_pid;
  if (e->proc.uid == 0 && has_prefix(e->proc.tty, "pts", 4)) {
    e->rule_id = 5;
    submit(e);
  }
  return 0;
}

SEC("tp/sched/sched_process_exit")
int on_exit(void *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid)) return 0;
  struct event *e = new_event(EV_EXIT);
  if (!e) return 0;
  e->ret = BPF_CORE_READ(task, exit_code) >> 8;
  if (e->ret != 0 && e->proc.uid == 0) {
    e->rule_id = 6;
    submit(e);
  }
  return 0;
}
