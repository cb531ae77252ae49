// The differential-test harness: instead of capture hooks, one raw_tp
// program per event kind (attached nowhere) runs that kind's generated
// matcher on an event written by user space, so BPF_PROG_TEST_RUN can drive
// the very matcher code the hooks run with synthetic events. Tracepoint
// programs cannot be test-run; SEC("syscall") programs can, but are
// sleepable, and sleepable programs may not use LPM tries. Included instead
// of hooks.bpf.h when VIGIL_HARNESS is defined.
#pragma once

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_event);
} vigil_test_event SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_verdict);
} vigil_test_verdict SEC(".maps");

// The matcher reads the record in vigil_scratch (the automaton walker does),
// so the event is copied there first, as a hook would have filled it.
#define VIGIL_HARNESS_PROGRAM(kind)                                              \
  SEC("raw_tp") int vigil_test_##kind(void *ctx) {                              \
    __u32 zero = 0;                                                              \
    struct vigil_event *input = bpf_map_lookup_elem(&vigil_test_event, &zero);   \
    struct vigil_record *record = bpf_map_lookup_elem(&vigil_scratch, &zero);    \
    struct vigil_verdict *output = bpf_map_lookup_elem(&vigil_test_verdict, &zero); \
    if (!input || !record || !output) return 1;                                  \
    if (bpf_probe_read_kernel(&record->event, sizeof(record->event), input)) return 2; \
    __builtin_memset(&record->verdict, 0, sizeof(record->verdict));              \
    record->event.flags |= VIGIL_EVENT_CONTEXT; /* the input holds the context */ \
    vigil_match_##kind(&record->event, &record->verdict);                        \
    vigil_state_##kind(&record->event, &record->verdict);                        \
    __builtin_memcpy(output, &record->verdict, sizeof(*output));                 \
    return 0;                                                                    \
  }
