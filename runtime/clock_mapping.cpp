#include "runtime/clock_mapping.h"

#include <time.h>

#include <limits>

namespace vigil::runtime {
namespace {

int64_t now_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// other - monotonic, from the pair of reads with the least time between its
// two monotonic reads (a read delayed by preemption would skew the offset).
int64_t sample_offset(clockid_t other) {
  constexpr int kRounds = 7;
  int64_t best_latency = std::numeric_limits<int64_t>::max();
  int64_t best_offset = 0;
  for (int round = 0; round < kRounds; ++round) {
    int64_t before = now_ns(CLOCK_MONOTONIC);
    int64_t value = now_ns(other);
    int64_t after = now_ns(CLOCK_MONOTONIC);
    int64_t latency = after - before;
    if (latency < best_latency) {
      best_latency = latency;
      best_offset = value - (before + latency / 2);
    }
  }
  return best_offset;
}

}  // namespace

ClockMapping::ClockMapping() {
  refresh();
}

ClockMapping ClockMapping::with_offsets(int64_t unix_offset_ns, int64_t boottime_offset_ns) {
  return ClockMapping(unix_offset_ns, boottime_offset_ns);
}

void ClockMapping::refresh() {
  unix_offset_ns_ = sample_offset(CLOCK_REALTIME);
  boottime_offset_ns_ = sample_offset(CLOCK_BOOTTIME);
}

int64_t ClockMapping::to_unix_ns(uint64_t monotonic_ns) const {
  return static_cast<int64_t>(monotonic_ns) + unix_offset_ns_;
}

uint64_t ClockMapping::monotonic_from_boottime(uint64_t boottime_ns) const {
  int64_t monotonic = static_cast<int64_t>(boottime_ns) - boottime_offset_ns_;
  return monotonic < 0 ? 0 : static_cast<uint64_t>(monotonic);
}

}  // namespace vigil::runtime
