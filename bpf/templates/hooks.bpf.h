// vigil's capture hooks: for each event kind with rules (VIGIL_CAPTURE_<KIND>),
// the programs that build its record, run its generated matcher
// (vigil_match_<kind>) and submit it. Included after the matchers.
//
// Program names: vigil_<event>_<syscall or tracepoint>, so the loader can
// turn off (autoload = false) a program whose tracepoint this kernel lacks.
// User-memory arguments are read at sys_enter: see README.md for what that
// means (TOCTOU) for each hook.
#pragma once

// UAPI constants (asm-generic values; x86-64 and arm64 agree).
#define VIGIL_O_WRONLY 01
#define VIGIL_O_RDWR 02
#define VIGIL_O_CREAT 0100
#define VIGIL_O_TRUNC 01000
#define VIGIL_O_TMPFILE_BIT 020000000
#define VIGIL_MODE_BITS 07777 /* S_IALLUGO: permission, setuid/setgid, sticky */
#define VIGIL_S_IFMT 0170000
#define VIGIL_S_IFSOCK 0140000
#define VIGIL_AF_UNIX 1
#define VIGIL_AF_INET 2
#define VIGIL_AF_INET6 10
#define VIGIL_IPPROTO_TCP 6
#define VIGIL_IPPROTO_UDP 17
#define VIGIL_PTRACE_TRACEME 0
#define VIGIL_SIGNAL_GROUP_EXIT 0x4

#if defined(__TARGET_ARCH_x86)
#define VIGIL_NR_INIT_MODULE 175
#define VIGIL_NR_FINIT_MODULE 313
#elif defined(__TARGET_ARCH_arm64)
#define VIGIL_NR_INIT_MODULE 105
#define VIGIL_NR_FINIT_MODULE 273
#endif

// Match, count stateful rules (state.bpf.h), act (enforce.bpf.h: kill
// rules in enforce mode), then report.
// A record that matched is acted on and sent with its process context, which
// the matcher may not have needed (vigil_fill_context).
#define VIGIL_MATCH_AND_SUBMIT(kind, r)                                           \
  do {                                                                            \
    vigil_match_##kind(&(r)->event, &(r)->verdict);                               \
    if (vigil_verdict_any(&(r)->verdict)) vigil_fill_context(&(r)->event);        \
    vigil_state_##kind(&(r)->event, &(r)->verdict);                               \
    vigil_enforce_##kind(r);                                                      \
    vigil_submit(r);                                                              \
  } while (0)

static __always_inline struct task_struct *vigil_current(void) {
  return (struct task_struct *)bpf_get_current_task();
}

// ---- Descriptors -------------------------------------------------------------------


// The absolute path of the file behind `fd` into dst (capacity bytes); sets
// `field`'s truncated bit if it did not fit. "" if fd is not open.
static __always_inline void vigil_fd_path(struct vigil_event *ev, long fd, char *dst,
                                          __u32 capacity, __u32 field) {
  dst[0] = 0;
  struct file *file = vigil_fd_file(vigil_current(), fd);
  struct vigil_work *w = vigil_work();
  if (!file || !w) return;
  if (vigil_file_path(w, file, dst, capacity)) VIGIL_TRUNCATE(ev, field);
}

// ---- Exec, exit, fork and the process cache -----------------------------------------

// The executable changed: refresh the cache entry before anything reads it.
static __always_inline void vigil_cache_refresh_current(void) {
  struct vigil_work *w = vigil_work();
  if (w) vigil_exe_refresh(w, vigil_current());
}

// At sched_process_exit: the last thread of the group is exiting (live is
// decremented before the tracepoint).
static __always_inline int vigil_group_dead(struct task_struct *task) {
  return BPF_CORE_READ(task, signal, live.counter) == 0;
}

static __always_inline void vigil_cache_forget(struct task_struct *task) {
  __u32 tgid = BPF_CORE_READ(task, tgid);
  bpf_map_delete_elem(&vigil_proc_cache, &tgid);
}

#ifdef VIGIL_CAPTURE_EXEC
SEC("tp/sched/sched_process_exec")
int vigil_exec_sched_process_exec(struct trace_event_raw_sched_process_exec *ctx) {
  vigil_cache_refresh_current();
  struct vigil_record *r = vigil_begin(VIGIL_EV_EXEC);
  if (!r) return 0;
  // No exe_file to walk (never seen): the name execve was given instead.
  if (!r->event.process_exe[0]) {
    unsigned int offset = ctx->__data_loc_filename & 0xFFFF;
    bpf_probe_read_kernel_str(r->event.process_exe, sizeof(r->event.process_exe),
                              (void *)ctx + offset);
  }
  VIGIL_MATCH_AND_SUBMIT(exec, r);
  return 0;
}
#else
SEC("tp/sched/sched_process_exec")
int vigil_cache_exec(void *ctx) {
  vigil_cache_refresh_current();
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_EXIT
// One event per process, when its last thread exits; exit.code is what
// wait(2) reports: the group exit status if exit_group or a fatal signal
// ended it, else the group leader's own exit code.
SEC("tp/sched/sched_process_exit")
int vigil_exit_sched_process_exit(void *ctx) {
  struct task_struct *task = vigil_current();
  if (!vigil_group_dead(task)) return 0;
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_EXIT);
  if (r) {
    if (BPF_CORE_READ(task, signal, flags) & VIGIL_SIGNAL_GROUP_EXIT)
      r->event.exit_code = BPF_CORE_READ(task, signal, group_exit_code);
    else
      r->event.exit_code = BPF_CORE_READ(task, group_leader, exit_code);
    VIGIL_MATCH_AND_SUBMIT(exit, r);
  }
  vigil_cache_forget(task);
  return 0;
}
#else
SEC("tp/sched/sched_process_exit")
int vigil_cache_exit(void *ctx) {
  struct task_struct *task = vigil_current();
  if (vigil_group_dead(task)) vigil_cache_forget(task);
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_FORK
// raw_tp: the tracepoint's task pointers tell a new process (child is its own
// group leader) from a new thread, which is not an event. Runs in the parent.
SEC("raw_tp/sched_process_fork")
int vigil_fork_sched_process_fork(struct bpf_raw_tracepoint_args *ctx) {
  struct task_struct *child = (struct task_struct *)ctx->args[1];
  pid_t pid = BPF_CORE_READ(child, pid);
  pid_t tgid = BPF_CORE_READ(child, tgid);
  if (pid != tgid) return 0;
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FORK);
  if (!r) return 0;
  r->event.fork_child_pid = tgid;
  VIGIL_MATCH_AND_SUBMIT(fork, r);
  return 0;
}
#endif

// ---- Files ------------------------------------------------------------------------

#if defined(VIGIL_CAPTURE_FILE_OPEN) || defined(VIGIL_CAPTURE_FILE_RENAME) ||  \
    defined(VIGIL_CAPTURE_FILE_UNLINK) || defined(VIGIL_CAPTURE_FILE_CHMOD) || \
    defined(VIGIL_CAPTURE_FILE_CHOWN) || defined(VIGIL_CAPTURE_FILE_LINK) ||   \
    defined(VIGIL_CAPTURE_FILE_SYMLINK) || defined(VIGIL_CAPTURE_FILE_MKDIR)
// Every file.* field, so no event carries another's values.
static __always_inline struct vigil_event *vigil_file_event(struct vigil_record *r,
                                                            const char *path, const char *newpath) {
  struct vigil_event *ev = &r->event;
  vigil_read_user_string(ev, ev->file_path, sizeof(ev->file_path), path, VIGIL_FIELD_FILE_PATH);
  vigil_read_user_string(ev, ev->file_newpath, sizeof(ev->file_newpath), newpath,
                         VIGIL_FIELD_FILE_NEWPATH);
  ev->file_flags = 0;
  ev->file_write = 0;
  ev->file_mode = 0;
  ev->file_uid = 0;
  ev->file_gid = 0;
  return ev;
}
#endif

// Id arguments: (uid_t)-1 means "unchanged" and is reported as -1.
static __always_inline __s64 vigil_id_arg(unsigned long value) {
  return (__u32)value == 0xffffffffu ? -1 : (__s64)(__u32)value;
}

#ifdef VIGIL_CAPTURE_FILE_OPEN
// file.mode as the kernel takes it: only with O_CREAT or O_TMPFILE.
static __always_inline int vigil_file_open(const char *path, __u64 flags, __u64 mode) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_OPEN);
  if (!r) return 0;
  struct vigil_event *ev = vigil_file_event(r, path, NULL);
  ev->file_flags = (__s64)flags;
  ev->file_write = (flags & (VIGIL_O_WRONLY | VIGIL_O_RDWR | VIGIL_O_CREAT | VIGIL_O_TRUNC)) != 0;
  ev->file_mode =
      (flags & (VIGIL_O_CREAT | VIGIL_O_TMPFILE_BIT)) ? (__s64)(mode & VIGIL_MODE_BITS) : 0;
  VIGIL_MATCH_AND_SUBMIT(file_open, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_open")
int vigil_file_open_open(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_open((const char *)ctx->args[0], (__u32)ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_openat")
int vigil_file_open_openat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_open((const char *)ctx->args[1], (__u32)ctx->args[2], ctx->args[3]);
}

// struct open_how { __u64 flags, mode, resolve; } in user memory.
SEC("tp/syscalls/sys_enter_openat2")
int vigil_file_open_openat2(struct trace_event_raw_sys_enter *ctx) {
  __u64 how[2] = {};
  bpf_probe_read_user(how, sizeof(how), (const void *)ctx->args[2]);
  return vigil_file_open((const char *)ctx->args[1], how[0], how[1]);
}

SEC("tp/syscalls/sys_enter_creat")
int vigil_file_open_creat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_open((const char *)ctx->args[0], VIGIL_O_CREAT | VIGIL_O_WRONLY | VIGIL_O_TRUNC,
                         ctx->args[1]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_RENAME
static __always_inline int vigil_file_rename(const char *path, const char *newpath) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_RENAME);
  if (!r) return 0;
  vigil_file_event(r, path, newpath);
  VIGIL_MATCH_AND_SUBMIT(file_rename, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_rename")
int vigil_file_rename_rename(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_rename((const char *)ctx->args[0], (const char *)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_renameat")
int vigil_file_rename_renameat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_rename((const char *)ctx->args[1], (const char *)ctx->args[3]);
}

SEC("tp/syscalls/sys_enter_renameat2")
int vigil_file_rename_renameat2(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_rename((const char *)ctx->args[1], (const char *)ctx->args[3]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_UNLINK
static __always_inline int vigil_file_unlink(const char *path) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_UNLINK);
  if (!r) return 0;
  vigil_file_event(r, path, NULL);
  VIGIL_MATCH_AND_SUBMIT(file_unlink, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_unlink")
int vigil_file_unlink_unlink(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_unlink((const char *)ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_unlinkat")
int vigil_file_unlink_unlinkat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_unlink((const char *)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_rmdir")
int vigil_file_unlink_rmdir(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_unlink((const char *)ctx->args[0]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_CHMOD
// path NULL and fd >= 0: the path of the open file (fchmod).
static __always_inline int vigil_file_chmod(const char *path, long fd, __u64 mode) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_CHMOD);
  if (!r) return 0;
  struct vigil_event *ev = vigil_file_event(r, path, NULL);
  if (!path) vigil_fd_path(ev, fd, ev->file_path, sizeof(ev->file_path), VIGIL_FIELD_FILE_PATH);
  ev->file_mode = (__s64)(mode & VIGIL_MODE_BITS);
  VIGIL_MATCH_AND_SUBMIT(file_chmod, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_chmod")
int vigil_file_chmod_chmod(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chmod((const char *)ctx->args[0], -1, ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_fchmod")
int vigil_file_chmod_fchmod(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chmod(NULL, (int)ctx->args[0], ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_fchmodat")
int vigil_file_chmod_fchmodat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chmod((const char *)ctx->args[1], -1, ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_fchmodat2")
int vigil_file_chmod_fchmodat2(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chmod((const char *)ctx->args[1], -1, ctx->args[2]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_CHOWN
static __always_inline int vigil_file_chown(const char *path, long fd, unsigned long uid,
                                            unsigned long gid) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_CHOWN);
  if (!r) return 0;
  struct vigil_event *ev = vigil_file_event(r, path, NULL);
  if (!path) vigil_fd_path(ev, fd, ev->file_path, sizeof(ev->file_path), VIGIL_FIELD_FILE_PATH);
  ev->file_uid = vigil_id_arg(uid);
  ev->file_gid = vigil_id_arg(gid);
  VIGIL_MATCH_AND_SUBMIT(file_chown, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_chown")
int vigil_file_chown_chown(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chown((const char *)ctx->args[0], -1, ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_lchown")
int vigil_file_chown_lchown(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chown((const char *)ctx->args[0], -1, ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_fchown")
int vigil_file_chown_fchown(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chown(NULL, (int)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_fchownat")
int vigil_file_chown_fchownat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_chown((const char *)ctx->args[1], -1, ctx->args[2], ctx->args[3]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_LINK
static __always_inline int vigil_file_link(const char *path, const char *newpath) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_LINK);
  if (!r) return 0;
  vigil_file_event(r, path, newpath);
  VIGIL_MATCH_AND_SUBMIT(file_link, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_link")
int vigil_file_link_link(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_link((const char *)ctx->args[0], (const char *)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_linkat")
int vigil_file_link_linkat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_link((const char *)ctx->args[1], (const char *)ctx->args[3]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_SYMLINK
// file.path: the link's target text; file.newpath: the link created.
static __always_inline int vigil_file_symlink(const char *target, const char *linkpath) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_SYMLINK);
  if (!r) return 0;
  vigil_file_event(r, target, linkpath);
  VIGIL_MATCH_AND_SUBMIT(file_symlink, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_symlink")
int vigil_file_symlink_symlink(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_symlink((const char *)ctx->args[0], (const char *)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_symlinkat")
int vigil_file_symlink_symlinkat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_symlink((const char *)ctx->args[0], (const char *)ctx->args[2]);
}
#endif

#ifdef VIGIL_CAPTURE_FILE_MKDIR
static __always_inline int vigil_file_mkdir(const char *path, __u64 mode) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_FILE_MKDIR);
  if (!r) return 0;
  struct vigil_event *ev = vigil_file_event(r, path, NULL);
  ev->file_mode = (__s64)(mode & VIGIL_MODE_BITS);
  VIGIL_MATCH_AND_SUBMIT(file_mkdir, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_mkdir")
int vigil_file_mkdir_mkdir(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_mkdir((const char *)ctx->args[0], ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_mkdirat")
int vigil_file_mkdir_mkdirat(struct trace_event_raw_sys_enter *ctx) {
  return vigil_file_mkdir((const char *)ctx->args[1], ctx->args[2]);
}
#endif

// ---- Network ----------------------------------------------------------------------

#if defined(VIGIL_CAPTURE_NET_CONNECT) || defined(VIGIL_CAPTURE_NET_BIND) || \
    defined(VIGIL_CAPTURE_NET_LISTEN) || defined(VIGIL_CAPTURE_NET_ACCEPT)
static __always_inline void vigil_ip_clear(struct vigil_ip *ip) {
  ip->family = 0;
  __builtin_memset(ip->addr, 0, sizeof(ip->addr));
}

static __always_inline void vigil_ip_v4(struct vigil_ip *ip, __be32 addr) {
  ip->family = 4;
  __builtin_memset(ip->addr, 0, sizeof(ip->addr));
  __builtin_memcpy(ip->addr, &addr, 4);
}

// IPv4-mapped addresses (::ffff:a.b.c.d) are stored as the IPv4 address.
static __always_inline void vigil_ip_v6(struct vigil_ip *ip, const struct in6_addr *addr) {
  const __u32 *words = addr->in6_u.u6_addr32;
  if (words[0] == 0 && words[1] == 0 && words[2] == bpf_htonl(0xffff)) {
    vigil_ip_v4(ip, words[3]);
    return;
  }
  ip->family = 6;
  __builtin_memcpy(ip->addr, addr, 16);
}

// The socket behind fd, or NULL if fd is not an open socket.
static __always_inline struct sock *vigil_fd_sock(long fd) {
  struct file *file = vigil_fd_file(vigil_current(), fd);
  if (!file) return NULL;
  umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
  if ((mode & VIGIL_S_IFMT) != VIGIL_S_IFSOCK) return NULL;
  struct socket *socket = BPF_CORE_READ(file, private_data);
  return BPF_CORE_READ(socket, sk);
}

// Every net.* field, empty; then what the socket says: family, protocol and
// (`local`) its bound address, (`peer`) its connected peer.
static __always_inline struct vigil_event *vigil_net_event(struct vigil_record *r, struct sock *sk,
                                                           int local, int peer) {
  struct vigil_event *ev = &r->event;
  ev->net_family[0] = 0;
  ev->net_protocol[0] = 0;
  vigil_ip_clear(&ev->net_saddr);
  vigil_ip_clear(&ev->net_daddr);
  ev->net_sport = 0;
  ev->net_dport = 0;
  if (!sk) return ev;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  __u16 protocol = BPF_CORE_READ(sk, sk_protocol);
  if (family == VIGIL_AF_INET)
    __builtin_memcpy(ev->net_family, "inet", 5);
  else if (family == VIGIL_AF_INET6)
    __builtin_memcpy(ev->net_family, "inet6", 6);
  else if (family == VIGIL_AF_UNIX)
    __builtin_memcpy(ev->net_family, "unix", 5);
  if (protocol == VIGIL_IPPROTO_TCP && family != VIGIL_AF_UNIX)
    __builtin_memcpy(ev->net_protocol, "tcp", 4);
  else if (protocol == VIGIL_IPPROTO_UDP && family != VIGIL_AF_UNIX)
    __builtin_memcpy(ev->net_protocol, "udp", 4);
  else
    __builtin_memcpy(ev->net_protocol, "other", 6);
  if (family == VIGIL_AF_INET) {
    if (local) {
      vigil_ip_v4(&ev->net_saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
      ev->net_sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    }
    if (peer) {
      vigil_ip_v4(&ev->net_daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
      ev->net_dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    }
  } else if (family == VIGIL_AF_INET6) {
    struct in6_addr addr;
    if (local) {
      BPF_CORE_READ_INTO(&addr, sk, __sk_common.skc_v6_rcv_saddr);
      vigil_ip_v6(&ev->net_saddr, &addr);
      ev->net_sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    }
    if (peer) {
      BPF_CORE_READ_INTO(&addr, sk, __sk_common.skc_v6_daddr);
      vigil_ip_v6(&ev->net_daddr, &addr);
      ev->net_dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    }
  }
  return ev;
}

// An address from a user sockaddr (connect, bind); others leave ip/port alone.
static __always_inline void vigil_sockaddr(const void *uaddr, struct vigil_ip *ip, __s64 *port) {
  if (!uaddr) return;
  __u16 family = 0;
  if (bpf_probe_read_user(&family, sizeof(family), uaddr)) return;
  if (family == VIGIL_AF_INET) {
    struct sockaddr_in sin = {};
    bpf_probe_read_user(&sin, sizeof(sin), uaddr);
    vigil_ip_v4(ip, sin.sin_addr.s_addr);
    *port = bpf_ntohs(sin.sin_port);
  } else if (family == VIGIL_AF_INET6) {
    struct sockaddr_in6 sin6 = {};
    bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
    vigil_ip_v6(ip, &sin6.sin6_addr);
    *port = bpf_ntohs(sin6.sin6_port);
  }
}
#endif

#ifdef VIGIL_CAPTURE_NET_CONNECT
// saddr/sport: the socket's local address before the connect (0 unless bound).
SEC("tp/syscalls/sys_enter_connect")
int vigil_net_connect_connect(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_NET_CONNECT);
  if (!r) return 0;
  struct vigil_event *ev = vigil_net_event(r, vigil_fd_sock((int)ctx->args[0]), 1, 0);
  vigil_sockaddr((const void *)ctx->args[1], &ev->net_daddr, &ev->net_dport);
  VIGIL_MATCH_AND_SUBMIT(net_connect, r);
  return 0;
}
#endif

// ---- Deny: cgroup socket-address programs ----------------------------------------
// `action deny` on net.connect / net.bind: the same matcher, run where the
// kernel can still refuse the call. Returning 0 makes connect(2)/bind(2) fail
// with EPERM before any packet is sent or the port is taken. The generator
// defines VIGIL_DENY_<KIND> and vigil_deny_<kind>(r), which keeps only the
// enforced deny rules, marks them acted and sends the record (1: refuse).

#if defined(VIGIL_DENY_NET_CONNECT) || defined(VIGIL_DENY_NET_BIND)
// `v6`: the program is a connect6/bind6 one (only those may read user_ip6).
static __always_inline void vigil_sock_addr_event(struct vigil_event *ev, struct bpf_sock_addr *ctx,
                                                  int bind, int v6) {
  __u32 family = ctx->family;
  __u32 protocol = ctx->protocol;
  ev->net_family[0] = 0;
  if (family == VIGIL_AF_INET)
    __builtin_memcpy(ev->net_family, "inet", 5);
  else if (family == VIGIL_AF_INET6)
    __builtin_memcpy(ev->net_family, "inet6", 6);
  if (protocol == VIGIL_IPPROTO_TCP)
    __builtin_memcpy(ev->net_protocol, "tcp", 4);
  else if (protocol == VIGIL_IPPROTO_UDP)
    __builtin_memcpy(ev->net_protocol, "udp", 4);
  else
    __builtin_memcpy(ev->net_protocol, "other", 6);
  vigil_ip_clear(&ev->net_saddr);
  vigil_ip_clear(&ev->net_daddr);
  ev->net_sport = 0;
  ev->net_dport = 0;
  // The address the caller asked for: the destination of a connect, the
  // local address of a bind.
  struct vigil_ip *ip = bind ? &ev->net_saddr : &ev->net_daddr;
  __s64 *port = bind ? &ev->net_sport : &ev->net_dport;
  if (!v6) {
    vigil_ip_v4(ip, ctx->user_ip4);
  } else {
    struct in6_addr addr;
    addr.in6_u.u6_addr32[0] = ctx->user_ip6[0];
    addr.in6_u.u6_addr32[1] = ctx->user_ip6[1];
    addr.in6_u.u6_addr32[2] = ctx->user_ip6[2];
    addr.in6_u.u6_addr32[3] = ctx->user_ip6[3];
    vigil_ip_v6(ip, &addr);
  }
  *port = bpf_ntohs((__u16)ctx->user_port);
  // A connect also reports the socket's local address if it is bound.
  if (!bind && ctx->sk) {
    struct bpf_sock *sk = ctx->sk;
    if (family == VIGIL_AF_INET && sk->src_ip4) {
      vigil_ip_v4(&ev->net_saddr, sk->src_ip4);
      ev->net_sport = sk->src_port;
    } else if (family == VIGIL_AF_INET6) {
      struct in6_addr addr;
      addr.in6_u.u6_addr32[0] = sk->src_ip6[0];
      addr.in6_u.u6_addr32[1] = sk->src_ip6[1];
      addr.in6_u.u6_addr32[2] = sk->src_ip6[2];
      addr.in6_u.u6_addr32[3] = sk->src_ip6[3];
      if (addr.in6_u.u6_addr32[0] | addr.in6_u.u6_addr32[1] | addr.in6_u.u6_addr32[2] |
          addr.in6_u.u6_addr32[3]) {
        vigil_ip_v6(&ev->net_saddr, &addr);
        ev->net_sport = sk->src_port;
      }
    }
  }
}

#define VIGIL_DENY_PROGRAM(kind, event_kind, hook, bind, v6) \
  SEC("cgroup/" #hook)                                      \
  int vigil_deny_##hook(struct bpf_sock_addr *ctx) {        \
    struct vigil_record *r = vigil_begin(event_kind);       \
    if (!r) return 1;                                       \
    vigil_sock_addr_event(&r->event, ctx, bind, v6);        \
    vigil_match_##kind(&r->event, &r->verdict);             \
    return vigil_deny_##kind(r) ? 0 : 1;                    \
  }
#endif

#ifdef VIGIL_DENY_NET_CONNECT
VIGIL_DENY_PROGRAM(net_connect, VIGIL_EV_NET_CONNECT, connect4, 0, 0)
VIGIL_DENY_PROGRAM(net_connect, VIGIL_EV_NET_CONNECT, connect6, 0, 1)
#endif
#ifdef VIGIL_DENY_NET_BIND
VIGIL_DENY_PROGRAM(net_bind, VIGIL_EV_NET_BIND, bind4, 1, 0)
VIGIL_DENY_PROGRAM(net_bind, VIGIL_EV_NET_BIND, bind6, 1, 1)
#endif

#ifdef VIGIL_CAPTURE_NET_BIND
SEC("tp/syscalls/sys_enter_bind")
int vigil_net_bind_bind(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_NET_BIND);
  if (!r) return 0;
  struct vigil_event *ev = vigil_net_event(r, vigil_fd_sock((int)ctx->args[0]), 0, 0);
  vigil_sockaddr((const void *)ctx->args[1], &ev->net_saddr, &ev->net_sport);
  VIGIL_MATCH_AND_SUBMIT(net_bind, r);
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_NET_LISTEN
SEC("tp/syscalls/sys_enter_listen")
int vigil_net_listen_listen(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_NET_LISTEN);
  if (!r) return 0;
  vigil_net_event(r, vigil_fd_sock((int)ctx->args[0]), 1, 0);
  VIGIL_MATCH_AND_SUBMIT(net_listen, r);
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_NET_ACCEPT
// At sys_exit: the new connection's socket, when the accept succeeded.
static __always_inline int vigil_net_accept(long ret) {
  if (ret < 0) return 0;
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_NET_ACCEPT);
  if (!r) return 0;
  vigil_net_event(r, vigil_fd_sock(ret), 1, 1);
  VIGIL_MATCH_AND_SUBMIT(net_accept, r);
  return 0;
}

SEC("tp/syscalls/sys_exit_accept")
int vigil_net_accept_accept(struct trace_event_raw_sys_exit *ctx) {
  return vigil_net_accept(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept4")
int vigil_net_accept_accept4(struct trace_event_raw_sys_exit *ctx) {
  return vigil_net_accept(ctx->ret);
}
#endif

// ---- Credentials ------------------------------------------------------------------

// The id asked for: the first argument that is not -1 (-1 if all are).
static __always_inline __s64 vigil_first_id(unsigned long a, unsigned long b, unsigned long c,
                                            int count) {
  __s64 id = vigil_id_arg(a);
  if (id == -1 && count > 1) id = vigil_id_arg(b);
  if (id == -1 && count > 2) id = vigil_id_arg(c);
  return id;
}

#ifdef VIGIL_CAPTURE_PROCESS_SETUID
static __always_inline int vigil_setuid(__s64 uid) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_PROCESS_SETUID);
  if (!r) return 0;
  r->event.setuid_uid = uid;
  VIGIL_MATCH_AND_SUBMIT(process_setuid, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_setuid")
int vigil_process_setuid_setuid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setuid(vigil_first_id(ctx->args[0], 0, 0, 1));
}

SEC("tp/syscalls/sys_enter_setreuid")
int vigil_process_setuid_setreuid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setuid(vigil_first_id(ctx->args[0], ctx->args[1], 0, 2));
}

SEC("tp/syscalls/sys_enter_setresuid")
int vigil_process_setuid_setresuid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setuid(vigil_first_id(ctx->args[0], ctx->args[1], ctx->args[2], 3));
}

SEC("tp/syscalls/sys_enter_setfsuid")
int vigil_process_setuid_setfsuid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setuid(vigil_first_id(ctx->args[0], 0, 0, 1));
}
#endif

#ifdef VIGIL_CAPTURE_PROCESS_SETGID
static __always_inline int vigil_setgid(__s64 gid) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_PROCESS_SETGID);
  if (!r) return 0;
  r->event.setgid_gid = gid;
  VIGIL_MATCH_AND_SUBMIT(process_setgid, r);
  return 0;
}

SEC("tp/syscalls/sys_enter_setgid")
int vigil_process_setgid_setgid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setgid(vigil_first_id(ctx->args[0], 0, 0, 1));
}

SEC("tp/syscalls/sys_enter_setregid")
int vigil_process_setgid_setregid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setgid(vigil_first_id(ctx->args[0], ctx->args[1], 0, 2));
}

SEC("tp/syscalls/sys_enter_setresgid")
int vigil_process_setgid_setresgid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setgid(vigil_first_id(ctx->args[0], ctx->args[1], ctx->args[2], 3));
}

SEC("tp/syscalls/sys_enter_setfsgid")
int vigil_process_setgid_setfsgid(struct trace_event_raw_sys_enter *ctx) {
  return vigil_setgid(vigil_first_id(ctx->args[0], 0, 0, 1));
}
#endif

// ---- ptrace, modules, bpf, mount, memfd ---------------------------------------------

#ifdef VIGIL_CAPTURE_PROCESS_PTRACE
// PTRACE_TRACEME ignores its pid argument: the traced process is the caller.
SEC("tp/syscalls/sys_enter_ptrace")
int vigil_process_ptrace_ptrace(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin(VIGIL_EV_PROCESS_PTRACE);
  if (!r) return 0;
  long request = (long)ctx->args[0];
  r->event.ptrace_request = request;
  r->event.ptrace_target_pid =
      request == VIGIL_PTRACE_TRACEME ? r->event.process_tgid : (__s64)(int)ctx->args[1];
  VIGIL_MATCH_AND_SUBMIT(process_ptrace, r);
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_KERNEL_MODULE_LOAD
// module.name stays empty: it is inside the module image. module.path: the
// file behind finit_module's fd; init_module has none.
static __always_inline int vigil_module_load(int with_fd, long fd) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_KERNEL_MODULE_LOAD);
  if (!r) return 0;
  struct vigil_event *ev = &r->event;
  ev->module_name[0] = 0;
  ev->module_path[0] = 0;
  if (with_fd)
    vigil_fd_path(ev, fd, ev->module_path, sizeof(ev->module_path), VIGIL_FIELD_MODULE_PATH);
  VIGIL_MATCH_AND_SUBMIT(kernel_module_load, r);
  return 0;
}

// Where the kernel has module syscall tracepoints (CONFIG_MODULES).
SEC("tp/syscalls/sys_enter_init_module")
int vigil_kernel_module_load_init_module(struct trace_event_raw_sys_enter *ctx) {
  return vigil_module_load(0, -1);
}

SEC("tp/syscalls/sys_enter_finit_module")
int vigil_kernel_module_load_finit_module(struct trace_event_raw_sys_enter *ctx) {
  return vigil_module_load(1, (int)ctx->args[0]);
}

#ifdef VIGIL_NR_INIT_MODULE
// Where it has not: every syscall, filtered by number. Load either this or
// the two above, never both (README.md).
SEC("tp/raw_syscalls/sys_enter")
int vigil_kernel_module_load_raw_syscalls(struct trace_event_raw_sys_enter *ctx) {
  long nr = ctx->id;
  if (nr == VIGIL_NR_INIT_MODULE) return vigil_module_load(0, -1);
  if (nr == VIGIL_NR_FINIT_MODULE) return vigil_module_load(1, (int)ctx->args[0]);
  return 0;
}
#endif
#endif

#ifdef VIGIL_CAPTURE_BPF
SEC("tp/syscalls/sys_enter_bpf")
int vigil_bpf_bpf(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_BPF);
  if (!r) return 0;
  r->event.bpf_cmd = (int)ctx->args[0];
  VIGIL_MATCH_AND_SUBMIT(bpf, r);
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_MOUNT
SEC("tp/syscalls/sys_enter_mount")
int vigil_mount_mount(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_MOUNT);
  if (!r) return 0;
  struct vigil_event *ev = &r->event;
  vigil_read_user_string(ev, ev->mount_source, sizeof(ev->mount_source), (const char *)ctx->args[0],
                         VIGIL_FIELD_MOUNT_SOURCE);
  vigil_read_user_string(ev, ev->mount_target, sizeof(ev->mount_target), (const char *)ctx->args[1],
                         VIGIL_FIELD_MOUNT_TARGET);
  vigil_read_user_string(ev, ev->mount_fstype, sizeof(ev->mount_fstype), (const char *)ctx->args[2],
                         VIGIL_FIELD_MOUNT_FSTYPE);
  ev->mount_flags = (__s64)ctx->args[3];
  VIGIL_MATCH_AND_SUBMIT(mount, r);
  return 0;
}
#endif

#ifdef VIGIL_CAPTURE_PROCESS_MEMFD_CREATE
SEC("tp/syscalls/sys_enter_memfd_create")
int vigil_process_memfd_create_memfd_create(struct trace_event_raw_sys_enter *ctx) {
  struct vigil_record *r = vigil_begin_lazy(VIGIL_EV_PROCESS_MEMFD_CREATE);
  if (!r) return 0;
  struct vigil_event *ev = &r->event;
  vigil_read_user_string(ev, ev->memfd_name, sizeof(ev->memfd_name), (const char *)ctx->args[0],
                         VIGIL_FIELD_MEMFD_NAME);
  ev->memfd_flags = (__u32)ctx->args[1];
  VIGIL_MATCH_AND_SUBMIT(process_memfd_create, r);
  return 0;
}
#endif

// ---- Deny: BPF LSM programs -------------------------------------------------------
// `action deny` on exec and file.open where the kernel runs BPF LSM (booted
// with lsm=...,bpf): the same matcher, run in the security hook, which
// refuses the call with EPERM before it has any effect. The event is built
// from the hook's arguments, so two fields differ from the tracepoint's:
// file.path is the resolved absolute path, not the string passed; an exec
// has the new executable's path (process.exe), the name it will run under
// (process.comm) and the credentials it will run with, but not its
// arguments (process.args/cmdline belong to the new image; the generator
// refuses deny rules that read them). docs/enforcement.md.
#define VIGIL_EPERM 1

#ifdef VIGIL_LSM_DENY_FILE_OPEN
SEC("lsm/file_open")
int BPF_PROG(vigil_lsm_file_open, struct file *file) {
  struct vigil_record *r = vigil_begin(VIGIL_EV_FILE_OPEN);
  if (!r) return 0;
  struct vigil_event *ev = &r->event;
  struct vigil_work *w = vigil_work();
  ev->file_path[0] = 0;
  if (w && vigil_file_path(w, file, ev->file_path, sizeof(ev->file_path)))
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_FILE_PATH);
  __u32 flags = BPF_CORE_READ(file, f_flags);
  ev->file_newpath[0] = 0;
  ev->file_flags = (__s64)flags;
  ev->file_write = (flags & (VIGIL_O_WRONLY | VIGIL_O_RDWR | VIGIL_O_CREAT | VIGIL_O_TRUNC)) != 0;
  ev->file_mode = 0;
  ev->file_uid = 0;
  ev->file_gid = 0;
  vigil_match_file_open(ev, &r->verdict);
  return vigil_deny_file_open(r) ? -VIGIL_EPERM : 0;
}
#endif

#ifdef VIGIL_LSM_DENY_EXEC
// Finds where the last path component of `text` starts (bpf_loop callback:
// a loop the verifier checks once, not once per byte).
struct vigil_basename_walk {
  const char *text;
  __u32 length;
  __u32 start;
};

static long vigil_basename_step(__u64 index, void *ctx) {
  struct vigil_basename_walk *walk = ctx;
  if (index >= walk->length || index >= VIGIL_ARG_CHUNK) return 1;
  if (walk->text[index & (VIGIL_ARG_CHUNK - 1)] == '/') walk->start = index + 1;
  return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(vigil_lsm_exec, struct linux_binprm *bprm) {
  struct vigil_record *r = vigil_begin(VIGIL_EV_EXEC);
  if (!r) return 0;
  struct vigil_event *ev = &r->event;
  struct vigil_work *w = vigil_work();
  ev->process_exe[0] = 0;
  if (w && vigil_file_path(w, BPF_CORE_READ(bprm, file), ev->process_exe, sizeof(ev->process_exe)))
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_EXE);
  // The name the new image will run under: the last component of the name
  // it was executed by, as begin_new_exec() sets it.
  if (w) {
    const char *filename = BPF_CORE_READ(bprm, filename);
    long n = bpf_probe_read_kernel_str(w->chunk, sizeof(w->chunk), filename);
    struct vigil_basename_walk walk = {w->chunk, n > 0 ? (__u32)n : 0, 0};
    bpf_loop(VIGIL_ARG_CHUNK, vigil_basename_step, &walk, 0);
    bpf_probe_read_kernel_str(ev->process_comm, sizeof(ev->process_comm),
                              &w->chunk[walk.start & (VIGIL_ARG_CHUNK - 1)]);
  }
  const struct cred *cred = BPF_CORE_READ(bprm, cred);
  if (cred) {
    ev->process_uid = BPF_CORE_READ(cred, uid.val);
    ev->process_euid = BPF_CORE_READ(cred, euid.val);
    ev->process_gid = BPF_CORE_READ(cred, gid.val);
  }
  vigil_match_exec(ev, &r->verdict);
  return vigil_deny_exec(r) ? -VIGIL_EPERM : 0;
}
#endif
