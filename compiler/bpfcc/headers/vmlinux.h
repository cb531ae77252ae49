/* vigil's kernel type definitions for BPF programs: a hand-maintained subset
 * of what `bpftool btf dump file /sys/kernel/btf/vmlinux format c` prints.
 *
 * Only the fields vigil's templates read are declared. Kernel-internal structs
 * carry preserve_access_index, so every field access becomes a CO-RE
 * relocation that libbpf resolves BY NAME against the running kernel's BTF:
 * field order, offsets and omitted fields here do not matter, but each field's
 * name and kind (integer, pointer, array, struct) must match the kernel's.
 * UAPI structs (sockaddr_*, bpf_sock_addr, ...) have a fixed ABI and no
 * relocation.
 *
 * Fields renamed across the kernels vigil supports (6.1 .. 6.18) have
 * "___flavor" structs below: libbpf ignores the suffix when matching, and
 * bpf_core_field_exists() picks the flavor the running kernel has.
 *
 * Same guard as a bpftool-generated vmlinux.h, so the two are interchangeable.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#define VIGIL_VMLINUX_TRIMMED 1

/* ---- Integer types (same spellings as vmlinux.h) ---- */
typedef signed char __s8;
typedef unsigned char __u8;
typedef short int __s16;
typedef short unsigned int __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __s8 int8_t;
typedef __u8 uint8_t;
typedef __s16 int16_t;
typedef __u16 uint16_t;
typedef __s32 int32_t;
typedef __u32 uint32_t;
typedef __s64 int64_t;
typedef __u64 uint64_t;
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef __u16 __sum16;
typedef __u32 __wsum;

typedef long int __kernel_long_t;
typedef long unsigned int __kernel_ulong_t;
typedef int __kernel_pid_t;
typedef unsigned int __kernel_uid32_t;
typedef unsigned int __kernel_gid32_t;
typedef __kernel_ulong_t __kernel_size_t;
typedef __kernel_long_t __kernel_ssize_t;
typedef long long int __kernel_loff_t;
typedef u32 __kernel_dev_t;
typedef short unsigned int __kernel_sa_family_t;

typedef __kernel_pid_t pid_t;
typedef __kernel_uid32_t uid_t;
typedef __kernel_gid32_t gid_t;
typedef __kernel_size_t size_t;
typedef __kernel_ssize_t ssize_t;
typedef __kernel_loff_t loff_t;
typedef __kernel_dev_t dev_t;
typedef short unsigned int umode_t;
typedef unsigned int fmode_t;
typedef __kernel_sa_family_t sa_family_t;

typedef _Bool bool;
enum {
	false = 0,
	true = 1,
};

/* ---- UAPI constants (include/uapi/linux/bpf.h; values are ABI) ---- */
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_STACK_TRACE = 7,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_LPM_TRIE = 11,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS = 13,
	BPF_MAP_TYPE_QUEUE = 22,
	BPF_MAP_TYPE_STACK = 23,
	BPF_MAP_TYPE_SK_STORAGE = 24,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_INODE_STORAGE = 28,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
	BPF_MAP_TYPE_BLOOM_FILTER = 30,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_LOCK = 4,
};

enum {
	BPF_F_NO_PREALLOC = 1,
	BPF_F_NO_COMMON_LRU = 2,
	BPF_F_NUMA_NODE = 4,
	BPF_F_RDONLY = 8,
	BPF_F_WRONLY = 16,
	BPF_F_ZERO_SEED = 64,
	BPF_F_RDONLY_PROG = 128,
	BPF_F_WRONLY_PROG = 256,
	BPF_F_MMAPABLE = 1024,
	BPF_F_INNER_MAP = 4096,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
	BPF_RB_CONS_POS = 2,
	BPF_RB_PROD_POS = 3,
};

enum {
	BPF_F_INDEX_MASK = 4294967295ULL,
	BPF_F_CURRENT_CPU = 4294967295ULL,
};

enum {
	BPF_F_SKIP_FIELD_MASK = 255,
	BPF_F_USER_STACK = 256,
	BPF_F_FAST_STACK_CMP = 512,
	BPF_F_REUSE_STACKID = 1024,
	BPF_F_USER_BUILD_ID = 2048,
};

/* ---- UAPI structs: fixed layout, no CO-RE ---- */
struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

struct bpf_pidns_info {
	__u32 pid;
	__u32 tgid;
};

struct bpf_sock {
	__u32 bound_dev_if;
	__u32 family;
	__u32 type;
	__u32 protocol;
	__u32 mark;
	__u32 priority;
	__u32 src_ip4;
	__u32 src_ip6[4];
	__u32 src_port;
	__be16 dst_port;
	__u32 dst_ip4;
	__u32 dst_ip6[4];
	__u32 state;
	__s32 rx_queue_mapping;
};

/* Context of cgroup/connect4, connect6, sendmsg4, ... programs. */
struct bpf_sock_addr {
	__u32 user_family;
	__u32 user_ip4;
	__u32 user_ip6[4];
	__u32 user_port;
	__u32 family;
	__u32 type;
	__u32 protocol;
	__u32 msg_src_ip4;
	__u32 msg_src_ip6[4];
	union {
		struct bpf_sock *sk;
	} __attribute__((aligned(8)));
};

struct in_addr {
	__be32 s_addr;
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};

struct sockaddr_in {
	__kernel_sa_family_t sin_family;
	__be16 sin_port;
	struct in_addr sin_addr;
	unsigned char __pad[8];
};

struct sockaddr_in6 {
	short unsigned int sin6_family;
	__be16 sin6_port;
	__be32 sin6_flowinfo;
	struct in6_addr sin6_addr;
	__u32 sin6_scope_id;
};

/* ---- Kernel-internal types: every access is a CO-RE relocation ---- */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

/* Since 6.3 a single u64; before, struct kernel_cap_struct { __u32 cap[2]; }.
 * Both are 8 bytes at the field's (relocated) offset: read the capability
 * sets with bpf_core_read(&u64_value, 8, &cred->cap_effective). */
typedef struct {
	u64 val;
} kernel_cap_t;

struct list_head {
	struct list_head *next;
	struct list_head *prev;
};

struct ns_common {
	unsigned int inum;
};

struct pid_namespace {
	unsigned int level;
	struct pid_namespace *parent;
	struct ns_common ns;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct uts_namespace {
	struct ns_common ns;
};

struct net {
	struct ns_common ns;
};

struct cgroup_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct uts_namespace *uts_ns;
	struct mnt_namespace *mnt_ns;
	struct pid_namespace *pid_ns_for_children;
	struct net *net_ns;
	struct cgroup_namespace *cgroup_ns;
};

struct user_namespace {
	struct user_namespace *parent;
	int level;
	kuid_t owner;
	struct ns_common ns;
};

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	unsigned int securebits;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
	kernel_cap_t cap_bset;
	kernel_cap_t cap_ambient;
	struct user_namespace *user_ns;
};

struct super_block {
	dev_t s_dev;
	long unsigned int s_magic;
	char s_id[32];
};

struct inode {
	umode_t i_mode;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned int i_flags;
	struct super_block *i_sb;
	long unsigned int i_ino;
	dev_t i_rdev;
	loff_t i_size;
};

/* The hash/len pair sits in an anonymous struct inside a union; CO-RE walks
 * anonymous members by name, so the flat layout below relocates correctly. */
struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
	int mnt_flags;
};

/* fs/mount.h: the struct around each vfsmount; walk it with
 * container_of(vfsmount, struct mount, mnt) + bpf_core_field_offset. */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	int mnt_id;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	fmode_t f_mode;
	struct inode *f_inode;
	unsigned int f_flags;
	struct path f_path;
	void *private_data;
};

/* The open files of a task: fd -> struct file through fdt->fd[fd]. */
struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

/* Sockets: a socket file's private_data is its struct socket. */
struct sock_common {
	union {
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	short unsigned int skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_protocol;
};

struct socket {
	struct sock *sk;
};

struct mm_struct {
	long unsigned int arg_start;
	long unsigned int arg_end;
	long unsigned int env_start;
	long unsigned int env_end;
	struct file *exe_file;
};

struct tty_struct {
	int index;
	char name[64];
};

struct signal_struct {
	atomic_t live;
	int group_exit_code;
	unsigned int flags;
	struct tty_struct *tty;
};

/* 6.15 renamed kernfs_node::parent to __parent (now RCU-protected). */
struct kernfs_node {
	struct kernfs_node *__parent;
	const char *name;
	u64 id;
};

struct kernfs_node___pre_6_15 {
	struct kernfs_node___pre_6_15 *parent;
	const char *name;
	u64 id;
};

struct cgroup {
	int level;
	struct kernfs_node *kn;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys_state *parent;
};

struct css_set {
	struct cgroup_subsys_state *subsys[12];
	struct cgroup *dfl_cgrp;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	struct mm_struct *mm;
	int exit_code;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *parent;
	struct task_struct *group_leader;
	u64 start_time;
	u64 start_boottime;
	const struct cred *real_cred;
	const struct cred *cred;
	char comm[16];
	struct fs_struct *fs;
	struct files_struct *files;
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	kuid_t loginuid;
	unsigned int sessionid;
	struct css_set *cgroups;
};

struct linux_binprm {
	struct mm_struct *mm;
	long unsigned int p;
	struct file *file;
	struct cred *cred;
	int argc;
	int envc;
	const char *filename;
	const char *interp;
};

/* x86-64 register frame, for bpf_tracing.h's PT_REGS_* accessors. */
struct pt_regs {
	long unsigned int r15;
	long unsigned int r14;
	long unsigned int r13;
	long unsigned int r12;
	long unsigned int bp;
	long unsigned int bx;
	long unsigned int r11;
	long unsigned int r10;
	long unsigned int r9;
	long unsigned int r8;
	long unsigned int ax;
	long unsigned int cx;
	long unsigned int dx;
	long unsigned int si;
	long unsigned int di;
	long unsigned int orig_ax;
	long unsigned int ip;
	long unsigned int flags;
	long unsigned int sp;
};

/* ---- Tracepoint contexts (tp/<category>/<name>) ---- */
struct trace_entry {
	short unsigned int type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* tp/syscalls/sys_enter_*: args[] are the raw syscall arguments. */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long int id;
	long unsigned int args[6];
	char __data[0];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long int id;
	long int ret;
	char __data[0];
};

/* tp/sched/sched_process_exec: the filename is a __data_loc string — its low
 * 16 bits are the offset from the start of the record. */
struct trace_event_raw_sched_process_exec {
	struct trace_entry ent;
	u32 __data_loc_filename;
	pid_t pid;
	pid_t old_pid;
	char __data[0];
};

/* tp/sched/sched_process_fork. Recent kernels (6.18) store the comms as
 * __data_loc strings; older ones (6.1) as char arrays: the ___fixed_comm
 * flavor. The pids are in both. */
struct trace_event_raw_sched_process_fork {
	struct trace_entry ent;
	u32 __data_loc_parent_comm;
	pid_t parent_pid;
	u32 __data_loc_child_comm;
	pid_t child_pid;
	char __data[0];
};

struct trace_event_raw_sched_process_fork___fixed_comm {
	struct trace_entry ent;
	char parent_comm[16];
	pid_t parent_pid;
	char child_comm[16];
	pid_t child_pid;
	char __data[0];
};

/* tp/sched/sched_process_exit has no struct here on purpose: its record is
 * sched_process_template on 6.1 (char comm[16], pid) but a class of its own on
 * 6.18, at different offsets, so no single CO-RE type describes it. Programs
 * on it take `void *ctx` and read the exiting task (the current one). */

#pragma clang attribute pop

#endif /* __VMLINUX_H__ */
