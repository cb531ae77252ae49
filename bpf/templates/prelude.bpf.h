// vigil's capture prelude: the record and its maps, and the process context
// every event carries. Included by generated code after "vigil/event.h" and
// the VIGIL_RULE_WORDS / VIGIL_CAPTURE_* / VIGIL_NEED_* defines, before the
// generated matchers; hooks.bpf.h (or the lead's harness.bpf.h) follows them.
//
// What is captured when (README.md has the full story):
//   always   process.pid/tgid/ppid/uid/euid/gid/comm/exe/tty/cgroup_id/
//            start_time, parent.pid/comm: task_struct reads and one cache lookup
//   VIGIL_NEED_PROCESS_CMDLINE / VIGIL_NEED_PROCESS_ARGS: the argv area of the
//            current process (user memory), one bpf_loop
//   VIGIL_NEED_PARENT_EXE: the parent's executable (cache, walk on a miss)
//   VIGIL_NEED_PROCESS_ANCESTORS_COMM / _EXE: the real_parent chain, bpf_loop
//   VIGIL_NEED_PROCESS_STDIN_TYPE / _STDOUT_TYPE: fd 0 / 1's inode mode
// Fields that are not captured are left empty (strings "", counts 0).
//
// The big shared pieces (vigil_begin, vigil_fill_process, vigil_task_exe,
// vigil_path, vigil_submit) are __noinline BPF subprograms: Clang compiles
// them once per object instead of once per program (with every hook
// attached, 1 s instead of 6 s) and the verifier cost stays the same.
#pragma once

#ifndef VIGIL_RULE_WORDS
#error "define VIGIL_RULE_WORDS before including vigil/prelude.bpf.h"
#endif

char LICENSE[] SEC("license") = "GPL";

// ---- The record ------------------------------------------------------------------

#define VIGIL_RECORD_MAGIC 0x5649474cu /* "VIGL" */

struct vigil_verdict {
  __u64 matched[VIGIL_RULE_WORDS];
  __u64 pending[VIGIL_RULE_WORDS];
};

// What the kernel did about the matched rules (enforce.bpf.h): `acted` has
// the bits of the kill rules whose kill was sent; `withheld` says why a
// matched enforce-mode rule did not act (VIGIL_WITHHELD_*).
struct vigil_enforcement {
  __u64 acted[VIGIL_RULE_WORDS];
  __u32 withheld;
  __u32 signalled;  // SIGKILL sent for this event
};

// What goes to user space. The event starts at VIGIL_RECORD_EVENT_OFFSET:
// 16 bytes of header, the two verdict bitmaps, then the enforcement.
// `generation` tells the agent which policy generation's rule table decodes
// the bitmaps: during a hot reload records of two generations share the ring
// buffer.
struct vigil_record {
  __u32 magic;
  __u32 rule_words;
  __u64 generation;
  struct vigil_verdict verdict;
  struct vigil_enforcement enforcement;
  struct vigil_event event;
};

#define VIGIL_RECORD_EVENT_OFFSET (24 + 24 * VIGIL_RULE_WORDS)

// Bytes of the event sent to user space, per kind (vigil_submit_bytes): the
// generator leaves out what follows the kind's last field, and the tail of
// on-demand fields (cmdline, args, ancestors, ...) no rule of it reads.
// VIGIL_EVENT_SUBMIT_BYTES is the largest.
#ifndef VIGIL_EVENT_SUBMIT_BYTES
#define VIGIL_EVENT_SUBMIT_BYTES sizeof(struct vigil_event)
#endif
#ifndef VIGIL_SUBMIT_BYTES_BY_KIND
static __always_inline __u32 vigil_submit_bytes(__u32 kind) {
  return VIGIL_EVENT_SUBMIT_BYTES;
}
#endif
_Static_assert(VIGIL_EVENT_SUBMIT_BYTES <= sizeof(struct vigil_event), "submitted bytes");
_Static_assert(__builtin_offsetof(struct vigil_record, event) == VIGIL_RECORD_EVENT_OFFSET,
               "record layout");

// Set by the agent before loading (libbpf .rodata); 0 outside the agent.
const volatile __u64 vigil_generation = 0;

// ---- Maps ------------------------------------------------------------------------

#ifndef VIGIL_RINGBUF_BYTES
#define VIGIL_RINGBUF_BYTES (16u << 20)
#endif
#ifndef VIGIL_PROC_CACHE_ENTRIES
#define VIGIL_PROC_CACHE_ENTRIES 16384
#endif

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, VIGIL_RINGBUF_BYTES);
} vigil_events SEC(".maps");

// The record being built; one per CPU (hooks do not nest on a CPU, except
// that a preempted syscall tracepoint program can share it: README.md).
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_record);
} vigil_scratch SEC(".maps");

// vigil_stats index layout (per-CPU __u64 counters; user space sums CPUs):
//   [0, VIGIL_EV_COUNT)     events built and offered to the matcher, by
//                           enum vigil_event_kind
//   VIGIL_STAT_SUBMITTED    records written to vigil_events (a rule bit set)
//   VIGIL_STAT_DROPPED      records lost because vigil_events was full
//   VIGIL_STAT_KILLED       processes killed by a kill rule (enforce.bpf.h)
enum {
  VIGIL_STAT_SUBMITTED = VIGIL_EV_COUNT,
  VIGIL_STAT_DROPPED = VIGIL_EV_COUNT + 1,
  VIGIL_STAT_KILLED = VIGIL_EV_COUNT + 2,
  VIGIL_STAT_COUNT = VIGIL_EV_COUNT + 3,
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, VIGIL_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} vigil_stats SEC(".maps");

// The process cache: executable path per thread group, so most events pay a
// lookup instead of a dentry walk. Filled at exec and on a miss, deleted when
// the last thread of the group exits. `start_time` (the group leader's)
// guards against a reused tgid whose exit we missed.
#define VIGIL_EXE_BYTES 256
#define VIGIL_PROC_EXE_TRUNCATED 1u

struct vigil_proc_entry {
  __u64 start_time;
  __u32 flags;  // VIGIL_PROC_EXE_TRUNCATED
  __u32 pad;
  char exe[VIGIL_EXE_BYTES];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, VIGIL_PROC_CACHE_ENTRIES);
  __type(key, __u32);  // tgid
  __type(value, struct vigil_proc_entry);
} vigil_proc_cache SEC(".maps");

// Per-CPU work area of the bpf_loop walks (path, argv, ancestors). Keeping
// their state in a map value rather than on the stack is what lets the
// verifier check each callback once, in a few hundred instructions.
#define VIGIL_PATH_END 1023   // index of the NUL ending the path being built
#define VIGIL_PATH_MASK 1023  // positions in [0, VIGIL_PATH_END]
#define VIGIL_NAME_MASK 255   // component length (NAME_MAX)
#define VIGIL_PATH_DEPTH 96   // components + mount crossings walked at most
#define VIGIL_ARG_CHUNK 512   // bytes of argv read per step
#define VIGIL_ARG_STEPS 288   // argv steps at most (a 512-byte cmdline holds <= 256 args)

#define VIGIL_PATH_DONE 1u
#define VIGIL_PATH_OVERFLOW 2u

struct vigil_work {
  // Path walk: the path is built backwards, ending at buf[VIGIL_PATH_END].
  char buf[VIGIL_PATH_END + 1 + VIGIL_NAME_MASK + 1];
  __u32 pos;     // first byte of the path built so far
  __u32 status;  // VIGIL_PATH_*
  struct dentry* dentry;
  struct mount* mnt;
  struct vigil_proc_entry entry;  // built here, then stored in the cache
  // argv walk.
  char chunk[VIGIL_ARG_CHUNK];
  __u64 arg_ptr;
  __u64 arg_end;
  __u32 arg_index;  // arguments started
  __u32 cmd_pos;    // bytes of process_cmdline written
  __u32 in_arg;     // 1: arg_ptr is inside an argument already started
  __u32 arg_done;   // 1: nothing more is wanted from argv
  // Ancestors walk.
  struct task_struct* ancestor;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_work);
} vigil_work_area SEC(".maps");

// ---- Small helpers ---------------------------------------------------------------

#define VIGIL_TRUNCATE(ev, field) ((ev)->truncated |= 1ull << (field))

static __always_inline struct vigil_work* vigil_work(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&vigil_work_area, &zero);
}

static __always_inline struct vigil_record* vigil_record(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&vigil_scratch, &zero);
}

static __always_inline void vigil_count(__u32 slot) {
  __u64* counter = bpf_map_lookup_elem(&vigil_stats, &slot);
  if (counter) *counter += 1;  // per-CPU: no other writer
}

// FNV-1a, for map keys built in the kernel only (threshold and sequence
// `by` keys, the kill limit's executables): nothing outside has to agree.
#define VIGIL_FNV_PRIME 0x100000001b3ull
#define VIGIL_FNV_OFFSET 0xcbf29ce484222325ull

struct vigil_fnv_walk {
  const char* text;
  __u32 limit;
  __u64 hash;
};

static long vigil_fnv_step(__u64 index, void* ctx) {
  struct vigil_fnv_walk* walk = ctx;
  if (index >= walk->limit) return 1;
  char c = walk->text[index];
  if (!c) return 1;
  walk->hash = (walk->hash ^ (__u8)c) * VIGIL_FNV_PRIME;
  return 0;
}

// Mixes the bytes of a NUL-terminated string of at most `capacity` bytes
// into `hash`.
static __noinline __u64 vigil_fnv_string(__u64 hash, const char* text, __u32 capacity) {
  struct vigil_fnv_walk walk = {text, capacity, hash};
  bpf_loop(capacity, vigil_fnv_step, &walk, 0);
  return walk.hash;
}

// A user-memory string into a record field of `capacity` bytes. Sets the
// field's truncated bit when the string did not fit, and also when it could
// not be read (a fault: the value is unknown, not empty). NULL gives "".
static __always_inline void vigil_read_user_string(struct vigil_event* ev, char* dst,
                                                   __u32 capacity, const char* src, __u32 field) {
  dst[0] = 0;
  if (!src) return;
  long n = bpf_probe_read_user_str(dst, capacity, src);
  if (n < 0) {
    dst[0] = 0;
    VIGIL_TRUNCATE(ev, field);
  } else if (n == capacity) {
    // Full: truncated unless the string is exactly capacity - 1 bytes.
    char next = 0;
    if (bpf_probe_read_user(&next, 1, src + capacity - 1) || next) VIGIL_TRUNCATE(ev, field);
  }
}

// ---- Paths: a bounded d_path --------------------------------------------------------

// One step of the walk: prepend a component, or cross to the parent mount,
// or stop at the root of the mount namespace (or of an internal mount).
static long vigil_path_step(__u64 index, void* unused) {
  struct vigil_work* w = vigil_work();
  if (!w) return 1;
  struct dentry* dentry = w->dentry;
  struct mount* mnt = w->mnt;
  if (!dentry || !mnt) {
    w->status |= VIGIL_PATH_DONE;
    return 1;
  }
  struct dentry* mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
  struct dentry* parent = BPF_CORE_READ(dentry, d_parent);
  if (dentry == mnt_root) {
    struct mount* up = BPF_CORE_READ(mnt, mnt_parent);
    if (!up || up == mnt) {
      w->status |= VIGIL_PATH_DONE;
      return 1;
    }
    w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
    w->mnt = up;
    return 0;
  }
  // A dentry that is its own parent but not a mount's root is a pseudo file
  // (memfd, anonymous inode) or a disconnected tree: like d_path, name it
  // with its own name as its only component ("/memfd:name"), and stop.
  int last = dentry == parent || !parent;
  __u32 len = BPF_CORE_READ(dentry, d_name.len);
  const unsigned char* name = BPF_CORE_READ(dentry, d_name.name);
  if (len > VIGIL_NAME_MASK) len = VIGIL_NAME_MASK;
  __u32 pos = w->pos;
  if (pos > VIGIL_PATH_END || pos < len + 1) {
    w->status |= VIGIL_PATH_DONE | VIGIL_PATH_OVERFLOW;
    return 1;
  }
  pos -= len + 1;
  bpf_probe_read_kernel(&w->buf[(pos + 1) & VIGIL_PATH_MASK], len & VIGIL_NAME_MASK, name);
  w->buf[pos & VIGIL_PATH_MASK] = '/';
  w->pos = pos;
  w->dentry = parent;
  if (last) {
    w->status |= VIGIL_PATH_DONE;
    return 1;
  }
  return 0;
}

// The absolute path of (dentry, vfsmount) into dst (capacity bytes, <= 256):
// the path as seen from the root of the mount namespace it is in. Returns 1
// if it did not fit (dst then holds its first capacity - 1 bytes, or, past
// VIGIL_PATH_END bytes, only the tail that was built).
static __noinline int vigil_path(struct vigil_work* w, struct dentry* dentry,
                                 struct vfsmount* vfsmnt, char* dst, __u32 capacity) {
  w->buf[VIGIL_PATH_END] = 0;
  w->pos = VIGIL_PATH_END;
  w->status = 0;
  w->dentry = dentry;
  w->mnt =
      vfsmnt ? (struct mount*)((char*)vfsmnt - bpf_core_field_offset(struct mount, mnt)) : NULL;
  bpf_loop(VIGIL_PATH_DEPTH, vigil_path_step, NULL, 0);
  __u32 pos = w->pos;
  int truncated = !(w->status & VIGIL_PATH_DONE) || (w->status & VIGIL_PATH_OVERFLOW);
  if (pos == VIGIL_PATH_END) {  // the root itself
    pos = VIGIL_PATH_END - 1;
    w->buf[pos] = '/';
  }
  if (VIGIL_PATH_END - pos >= capacity) truncated = 1;
  bpf_probe_read_kernel_str(dst, capacity, &w->buf[pos & VIGIL_PATH_MASK]);
  return truncated;
}

static __always_inline int vigil_file_path(struct vigil_work* w, struct file* file, char* dst,
                                           __u32 capacity) {
  dst[0] = 0;
  if (!file) return 0;
  struct dentry* dentry = BPF_CORE_READ(file, f_path.dentry);
  struct vfsmount* vfsmnt = BPF_CORE_READ(file, f_path.mnt);
  if (!dentry) return 0;
  return vigil_path(w, dentry, vfsmnt, dst, capacity);
}

// ---- Executables and the process cache -------------------------------------------

// Walks the executable of `task` into the work area's entry and caches it.
static __always_inline struct vigil_proc_entry* vigil_exe_refresh(struct vigil_work* w,
                                                                  struct task_struct* task) {
  __u32 tgid = BPF_CORE_READ(task, tgid);
  struct file* exe = BPF_CORE_READ(task, mm, exe_file);
  w->entry.start_time = BPF_CORE_READ(task, group_leader, start_time);
  w->entry.flags = 0;
  w->entry.exe[0] = 0;
  if (exe && vigil_file_path(w, exe, w->entry.exe, VIGIL_EXE_BYTES))
    w->entry.flags = VIGIL_PROC_EXE_TRUNCATED;
  // Kernel threads (no mm) are not cached: they have no executable.
  if (exe) bpf_map_update_elem(&vigil_proc_cache, &tgid, &w->entry, BPF_ANY);
  return &w->entry;
}

// The executable path of `task` into dst (VIGIL_EXE_BYTES); 1 if truncated.
static __noinline int vigil_task_exe(struct task_struct* task, char* dst) {
  dst[0] = 0;
  if (!task) return 0;
  __u32 tgid = BPF_CORE_READ(task, tgid);
  struct vigil_proc_entry* entry = bpf_map_lookup_elem(&vigil_proc_cache, &tgid);
  if (!entry || entry->start_time != BPF_CORE_READ(task, group_leader, start_time)) {
    struct vigil_work* w = vigil_work();
    if (!w) return 0;
    entry = vigil_exe_refresh(w, task);
  }
  bpf_probe_read_kernel(dst, VIGIL_EXE_BYTES, entry->exe);
  dst[VIGIL_EXE_BYTES - 1] = 0;
  return (entry->flags & VIGIL_PROC_EXE_TRUNCATED) != 0;
}

// ---- argv: process.args and process.cmdline -------------------------------------

#if defined(VIGIL_NEED_PROCESS_ARGS) || defined(VIGIL_NEED_PROCESS_CMDLINE)
#define VIGIL_ARGS_BYTES 128
#define VIGIL_ARGS_MAX 16
#define VIGIL_CMDLINE_BYTES 512

// One step: read up to VIGIL_ARG_CHUNK bytes of the current argument (a whole
// short one, or the next piece of a long one) and hand them to args/cmdline.
static long vigil_args_step(__u64 index, void* unused) {
  struct vigil_work* w = vigil_work();
  struct vigil_record* r = vigil_record();
  if (!w || !r) return 1;
  struct vigil_event* ev = &r->event;
  __u64 p = w->arg_ptr, end = w->arg_end;
  if (p >= end) {
    w->arg_done = 1;
    return 1;
  }
  long n = bpf_probe_read_user_str(w->chunk, VIGIL_ARG_CHUNK, (const void*)p);
  if (n <= 0) {  // a fault: what is missing is unknown
#ifdef VIGIL_NEED_PROCESS_ARGS
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ARGS);
#endif
#ifdef VIGIL_NEED_PROCESS_CMDLINE
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_CMDLINE);
#endif
    w->arg_done = 1;
    return 1;
  }
  // len bytes of the argument are in chunk; complete: its NUL was seen
  // (n == VIGIL_ARG_CHUNK may still end exactly there: the next step reads "").
  __u64 len = n - 1;
  int complete = n < VIGIL_ARG_CHUNK;
  if (len >= end - p) {  // the last argument lacks its NUL (rewritten argv)
    len = end - p;
    complete = 1;
  }
  len &= VIGIL_ARG_CHUNK - 1;
  int starting = !w->in_arg;
  __u32 index_of_arg = w->arg_index;
#ifdef VIGIL_NEED_PROCESS_ARGS
  if (starting) {
    if (index_of_arg < VIGIL_ARGS_MAX) {
      __u32 slot = index_of_arg & (VIGIL_ARGS_MAX - 1);
      __u32 keep = len < VIGIL_ARGS_BYTES - 1 ? len : VIGIL_ARGS_BYTES - 1;
      bpf_probe_read_kernel(ev->process_args[slot], keep & (VIGIL_ARGS_BYTES - 1), w->chunk);
      ev->process_args[slot][keep & (VIGIL_ARGS_BYTES - 1)] = 0;
      ev->process_args_count = slot + 1;
      if (len >= VIGIL_ARGS_BYTES - 1 && (len > VIGIL_ARGS_BYTES - 1 || !complete))
        VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ARGS);
    } else {
      VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ARGS);  // more than VIGIL_ARGS_MAX
    }
  }
#endif
#ifdef VIGIL_NEED_PROCESS_CMDLINE
  {
    __u32 pos = w->cmd_pos;
    int wants = 1;
    if (starting && index_of_arg > 0) {  // the separator
      if (pos < VIGIL_CMDLINE_BYTES - 1) {
        ev->process_cmdline[pos & (VIGIL_CMDLINE_BYTES - 1)] = ' ';
        pos++;
      } else {
        VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_CMDLINE);
        wants = 0;
      }
    }
    if (wants && len > 0) {
      // pos <= VIGIL_CMDLINE_BYTES - 1 always holds, but older verifiers
      // (6.1) cannot see it through the min below, and Clang drops the mask
      // on `take` as redundant: bound pos itself.
      if (pos > VIGIL_CMDLINE_BYTES - 1) pos = VIGIL_CMDLINE_BYTES - 1;
      __u32 room = VIGIL_CMDLINE_BYTES - 1 - pos;
      __u32 take = len < room ? len : room;
      bpf_probe_read_kernel(&ev->process_cmdline[pos & (VIGIL_CMDLINE_BYTES - 1)],
                            take & (VIGIL_CMDLINE_BYTES - 1), w->chunk);
      pos += take;
      if (take < len) VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_CMDLINE);
    }
    w->cmd_pos = pos;
  }
#endif
  if (starting) w->arg_index = index_of_arg + 1;
  w->in_arg = !complete;
  w->arg_ptr = p + len + (complete ? 1 : 0);
  // Stop as soon as nothing more can be recorded.
  int args_full = 1, cmdline_full = 1;
#ifdef VIGIL_NEED_PROCESS_ARGS
  args_full = w->arg_index > VIGIL_ARGS_MAX;  // the 17th argument was seen
#endif
#ifdef VIGIL_NEED_PROCESS_CMDLINE
  cmdline_full = (ev->truncated >> VIGIL_FIELD_PROCESS_CMDLINE) & 1;
#endif
  if (args_full && cmdline_full) {
    w->arg_done = 1;
    return 1;
  }
  return 0;
}

static __always_inline void vigil_fill_args(struct vigil_event* ev, struct task_struct* task) {
  struct vigil_work* w = vigil_work();
  if (!w) return;
  w->arg_ptr = BPF_CORE_READ(task, mm, arg_start);
  w->arg_end = BPF_CORE_READ(task, mm, arg_end);
  w->arg_index = 0;
  w->cmd_pos = 0;
  w->in_arg = 0;
  w->arg_done = 0;
  bpf_loop(VIGIL_ARG_STEPS, vigil_args_step, NULL, 0);
  if (!w->arg_done) {  // out of steps with argv left
#ifdef VIGIL_NEED_PROCESS_ARGS
    if (w->arg_index <= VIGIL_ARGS_MAX) VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ARGS);
#endif
#ifdef VIGIL_NEED_PROCESS_CMDLINE
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_CMDLINE);
#endif
  }
#ifdef VIGIL_NEED_PROCESS_CMDLINE
  ev->process_cmdline[w->cmd_pos & (VIGIL_CMDLINE_BYTES - 1)] = 0;
#endif
}
#endif

// ---- Ancestors --------------------------------------------------------------------

#if defined(VIGIL_NEED_PROCESS_ANCESTORS_COMM) || defined(VIGIL_NEED_PROCESS_ANCESTORS_EXE)
#define VIGIL_ANCESTORS_MAX 8

// Step i records ancestor i (0: the parent) and moves up; step
// VIGIL_ANCESTORS_MAX only checks whether the chain goes on.
static long vigil_ancestor_step(__u64 index, void* unused) {
  struct vigil_work* w = vigil_work();
  struct vigil_record* r = vigil_record();
  if (!w || !r) return 1;
  struct vigil_event* ev = &r->event;
  struct task_struct* task = w->ancestor;
  // real_parent is the thread that forked; the ancestor is its process.
  struct task_struct* parent = BPF_CORE_READ(task, real_parent, group_leader);
  if (!parent || parent == task || BPF_CORE_READ(parent, pid) == 0) return 1;
  if (index >= VIGIL_ANCESTORS_MAX) {
#ifdef VIGIL_NEED_PROCESS_ANCESTORS_COMM
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ANCESTORS_COMM);
#endif
#ifdef VIGIL_NEED_PROCESS_ANCESTORS_EXE
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ANCESTORS_EXE);
#endif
    return 1;
  }
  __u32 slot = index & (VIGIL_ANCESTORS_MAX - 1);
#ifdef VIGIL_NEED_PROCESS_ANCESTORS_COMM
  bpf_core_read_str(ev->process_ancestors_comm[slot], 16, &parent->comm);
  ev->process_ancestors_comm_count = slot + 1;
#endif
#ifdef VIGIL_NEED_PROCESS_ANCESTORS_EXE
  if (vigil_task_exe(parent, ev->process_ancestors_exe[slot]))
    VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_ANCESTORS_EXE);
  ev->process_ancestors_exe_count = slot + 1;
#endif
  // vigil_task_exe may have reused the work area, but not this field.
  w->ancestor = parent;
  return 0;
}
#endif

// ---- Descriptors -------------------------------------------------------------------

// The file open on `fd` in the table `fdt`; NULL if there is none.
static __always_inline struct file* vigil_fdt_file(struct fdtable* fdt, long fd) {
  if (fd < 0 || !fdt) return NULL;
  unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
  if ((unsigned long)fd >= max_fds) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* file = NULL;
  bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
  return file;
}

// The file open on `fd` of `task`; NULL if there is none.
static __always_inline struct file* vigil_fd_file(struct task_struct* task, long fd) {
  return vigil_fdt_file(BPF_CORE_READ(task, files, fdt), fd);
}

// ---- stdin / stdout: process.stdin_type, process.stdout_type ----------------------

#if defined(VIGIL_NEED_PROCESS_STDIN_TYPE) || defined(VIGIL_NEED_PROCESS_STDOUT_TYPE)
#define VIGIL_S_IFMT 0170000
#define VIGIL_S_IFSOCK 0140000
#define VIGIL_S_IFREG 0100000
#define VIGIL_S_IFBLK 0060000
#define VIGIL_S_IFDIR 0040000
#define VIGIL_S_IFCHR 0020000
#define VIGIL_S_IFIFO 0010000

// The type of `file` (the one open on fd 0 or 1) into dst (8 bytes):
// "socket", "pipe", "tty", "char", "file", "dir", "block", "none" (not
// open) or "other". A reverse shell is a shell whose stdin/stdout is a
// socket. Terminals are the char devices of majors 4, 5 (tty, console, ptmx)
// and 136-143 (pts); the kernel's dev_t keeps the major above bit 20.
static __noinline void vigil_fd_type(struct file* file, char* dst) {
  if (!file) {
    __builtin_memcpy(dst, "none", 5);
    return;
  }
  struct inode* inode = BPF_CORE_READ(file, f_inode);
  __u32 mode = BPF_CORE_READ(inode, i_mode) & VIGIL_S_IFMT;
  if (mode == VIGIL_S_IFSOCK) {
    __builtin_memcpy(dst, "socket", 7);
  } else if (mode == VIGIL_S_IFIFO) {
    __builtin_memcpy(dst, "pipe", 5);
  } else if (mode == VIGIL_S_IFCHR) {
    __u32 major = (__u32)BPF_CORE_READ(inode, i_rdev) >> 20;
    if (major == 4 || major == 5 || (major >= 136 && major <= 143))
      __builtin_memcpy(dst, "tty", 4);
    else
      __builtin_memcpy(dst, "char", 5);
  } else if (mode == VIGIL_S_IFREG) {
    __builtin_memcpy(dst, "file", 5);
  } else if (mode == VIGIL_S_IFDIR) {
    __builtin_memcpy(dst, "dir", 4);
  } else if (mode == VIGIL_S_IFBLK) {
    __builtin_memcpy(dst, "block", 6);
  } else {
    __builtin_memcpy(dst, "other", 6);
  }
}
#endif

// ---- Process context --------------------------------------------------------------

static __noinline void vigil_fill_process(struct vigil_event* ev, struct task_struct* task) {
  // The parent process: real_parent is the thread that forked us, whose comm
  // may be a thread name; its group leader names the process.
  struct task_struct* parent = BPF_CORE_READ(task, real_parent, group_leader);
  ev->process_pid = BPF_CORE_READ(task, pid);
  ev->process_tgid = BPF_CORE_READ(task, tgid);
  ev->process_ppid = BPF_CORE_READ(parent, tgid);
  const struct cred* cred = BPF_CORE_READ(task, cred);
  ev->process_uid = BPF_CORE_READ(cred, uid.val);
  ev->process_euid = BPF_CORE_READ(cred, euid.val);
  ev->process_gid = BPF_CORE_READ(cred, gid.val);
  ev->process_cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
  ev->process_start_time = BPF_CORE_READ(task, group_leader, start_time);
  bpf_core_read_str(ev->process_comm, sizeof(ev->process_comm), &task->comm);
  if (vigil_task_exe(task, ev->process_exe)) VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_EXE);

  ev->process_tty[0] = 0;
  struct tty_struct* tty = BPF_CORE_READ(task, signal, tty);
  if (tty) {
    char* name = ev->process_tty;
    long n = bpf_core_read_str(name, sizeof(ev->process_tty), &tty->name);
    // devpts calls its ttys "pts<N>"; they are known as "pts/<N>" (ps, who,
    // /dev/pts/<N>), which is how process.tty spells them.
    __u32 skipped = 0;
    if (n > 4 && name[0] == 'p' && name[1] == 't' && name[2] == 's' && name[3] >= '0' &&
        name[3] <= '9') {
      skipped = 3;
      n = bpf_core_read_str(&name[4], sizeof(ev->process_tty) - 4, &tty->name[3]);
      name[3] = '/';
      if (n > 0) n += 4;
    }
    if (n == sizeof(ev->process_tty)) {  // full: truncated unless it ended there
      __u32 copied = sizeof(ev->process_tty) - 1 - (skipped ? 4 : 0);
      char next = 0;
      bpf_probe_read_kernel(&next, 1, (const char*)&tty->name + skipped + copied);
      if (next) VIGIL_TRUNCATE(ev, VIGIL_FIELD_PROCESS_TTY);
    }
  }

#if defined(VIGIL_NEED_PROCESS_STDIN_TYPE) || defined(VIGIL_NEED_PROCESS_STDOUT_TYPE)
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
#endif
#ifdef VIGIL_NEED_PROCESS_STDIN_TYPE
  vigil_fd_type(vigil_fdt_file(fdt, 0), ev->process_stdin_type);
#else
  ev->process_stdin_type[0] = 0;
#endif
#ifdef VIGIL_NEED_PROCESS_STDOUT_TYPE
  vigil_fd_type(vigil_fdt_file(fdt, 1), ev->process_stdout_type);
#else
  ev->process_stdout_type[0] = 0;
#endif

  ev->parent_pid = ev->process_ppid;
  bpf_core_read_str(ev->parent_comm, sizeof(ev->parent_comm), &parent->comm);
#ifdef VIGIL_NEED_PARENT_EXE
  if (vigil_task_exe(parent, ev->parent_exe)) VIGIL_TRUNCATE(ev, VIGIL_FIELD_PARENT_EXE);
#else
  ev->parent_exe[0] = 0;
#endif

  ev->process_cmdline[0] = 0;
  ev->process_args_count = 0;
#if defined(VIGIL_NEED_PROCESS_ARGS) || defined(VIGIL_NEED_PROCESS_CMDLINE)
  vigil_fill_args(ev, task);
#endif

  ev->process_ancestors_comm_count = 0;
  ev->process_ancestors_exe_count = 0;
#if defined(VIGIL_NEED_PROCESS_ANCESTORS_COMM) || defined(VIGIL_NEED_PROCESS_ANCESTORS_EXE)
  {
    struct vigil_work* w = vigil_work();
    if (w) {
      w->ancestor = task;
      bpf_loop(VIGIL_ANCESTORS_MAX + 1, vigil_ancestor_step, NULL, 0);
    }
  }
#endif
}

// ---- Begin and submit ---------------------------------------------------------------

// ev->flags: the process context (every field on all events) is filled.
#define VIGIL_EVENT_CONTEXT 1u

// Fills the process context once. Most events match no rule, and most rules
// first test the event's own fields (file.path, net.dport): the matcher asks
// for the context only before it first reads a process field (about 1 us of
// the ~1.4 us an event costs), and the hook before acting on or sending a
// matched record.
//
// A global function: the verifier checks it once per program, not once per
// call site (the matcher, the hook, vigil_begin each have one).
// (Global functions must return a scalar.)
__noinline int vigil_fill_context(struct vigil_event* ev) {
  if (!ev || (ev->flags & VIGIL_EVENT_CONTEXT)) return 0;
  ev->flags |= VIGIL_EVENT_CONTEXT;
  vigil_fill_process(ev, (struct task_struct*)bpf_get_current_task());
  return 0;
}

// Used by the generated matchers: a flag test in line, the fill out of line.
#define VIGIL_ENSURE_CONTEXT(ev) \
  do {                         \
    if (!((ev)->flags & VIGIL_EVENT_CONTEXT)) vigil_fill_context(ev); \
  } while (0)

// The scratch record for an event of `kind` of the current task, header and
// verdict reset, the process context left to vigil_fill_context; NULL if the
// map is unavailable. The hook then fills the event's own fields. Hooks that
// read or overwrite process fields before matching use vigil_begin.
static __noinline struct vigil_record* vigil_begin_lazy(__u32 kind) {
  struct vigil_record* r = vigil_record();
  if (!r) return NULL;
  r->magic = VIGIL_RECORD_MAGIC;
  r->rule_words = VIGIL_RULE_WORDS;
  r->generation = vigil_generation;
  for (int i = 0; i < VIGIL_RULE_WORDS; i++) {
    r->verdict.matched[i] = 0;
    r->verdict.pending[i] = 0;
    r->enforcement.acted[i] = 0;
  }
  r->enforcement.withheld = 0;
  r->enforcement.signalled = 0;
  struct vigil_event* ev = &r->event;
  ev->kind = kind;
  ev->flags = 0;
  ev->time_ns = bpf_ktime_get_ns();
  ev->truncated = 0;
  return r;
}

// A record with the process context filled.
static __always_inline struct vigil_record* vigil_begin(__u32 kind) {
  struct vigil_record* r = vigil_begin_lazy(kind);
  if (r) vigil_fill_context(&r->event);
  return r;
}

// Whether a rule matched, or needs user space to decide.
static __always_inline int vigil_verdict_any(const struct vigil_verdict* verdict) {
  __u64 any = 0;
  for (int i = 0; i < VIGIL_RULE_WORDS; i++) any |= verdict->matched[i] | verdict->pending[i];
  return any != 0;
}

// Writes the record to the ring buffer, counting it as sent or dropped.
static __noinline void vigil_send(struct vigil_record* r) {
  __u32 bytes = vigil_submit_bytes(r->event.kind);
  if (bytes > VIGIL_EVENT_SUBMIT_BYTES) bytes = VIGIL_EVENT_SUBMIT_BYTES;  // for the verifier
  if (bpf_ringbuf_output(&vigil_events, r, VIGIL_RECORD_EVENT_OFFSET + bytes, 0))
    vigil_count(VIGIL_STAT_DROPPED);
  else
    vigil_count(VIGIL_STAT_SUBMITTED);
}

// Counts the event, and sends the record if a rule matched or needs user space.
static __noinline void vigil_submit(struct vigil_record* r) {
  __u32 kind = r->event.kind;
  if (kind < VIGIL_EV_COUNT) vigil_count(kind);
  if (vigil_verdict_any(&r->verdict)) vigil_send(r);
}
