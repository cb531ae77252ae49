// Kernel timestamps to wall-clock time. The kernel's records carry
// CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns for the event time,
// task->start_time for the process start); alerts report Unix time. The
// offset between the two clocks is sampled once (and again on refresh(),
// e.g. after the wall clock was stepped) rather than per event, so events
// keep their relative order even while NTP slews the wall clock.
//
// /proc/<pid>/stat gives process start times on CLOCK_BOOTTIME, which runs
// ahead of CLOCK_MONOTONIC by the time the machine spent suspended; the
// second offset converts those.
#pragma once

#include <cstdint>

namespace vigil::runtime {

class ClockMapping {
 public:
  // Samples both offsets now.
  ClockMapping();

  // Fixed offsets, for tests: unix = monotonic + unix_offset_ns,
  // boottime = monotonic + boottime_offset_ns.
  static ClockMapping with_offsets(int64_t unix_offset_ns, int64_t boottime_offset_ns);

  // Samples the offsets again.
  void refresh();

  int64_t to_unix_ns(uint64_t monotonic_ns) const;
  // A CLOCK_BOOTTIME time as CLOCK_MONOTONIC (0 if it would be negative).
  // Exact for times after the last suspend; earlier ones come out late by
  // the suspensions since.
  uint64_t monotonic_from_boottime(uint64_t boottime_ns) const;

  int64_t unix_offset_ns() const { return unix_offset_ns_; }
  int64_t boottime_offset_ns() const { return boottime_offset_ns_; }

 private:
  ClockMapping(int64_t unix_offset_ns, int64_t boottime_offset_ns)
      : unix_offset_ns_(unix_offset_ns), boottime_offset_ns_(boottime_offset_ns) {}

  int64_t unix_offset_ns_ = 0;
  int64_t boottime_offset_ns_ = 0;
};

}  // namespace vigil::runtime
