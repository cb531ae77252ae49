// `dedup DURATION`: identical alerts of a rule (same rule, same rendered
// output) within DURATION of the first collapse into one. The first is
// emitted at once; the repeats are counted, and when the window ends one
// more alert reports how many there were (`count`, the last one's event).
// Windows are measured in event time, so replayed or delayed records
// collapse the same way as live ones.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "runtime/alert.h"

namespace vigil::runtime {

class AlertDeduplicator {
 public:
  using Emit = std::function<void(const Alert&)>;

  // True if `alert` is to be emitted now; false if it is a repeat, counted.
  bool admit(const Alert& alert, uint64_t window_ns);
  // Emits the summary of every window that ended by `now_unix_ns`, and
  // forgets it. `final_flush`: every window, ended or not (shutdown).
  void flush(int64_t now_unix_ns, const Emit& emit, bool final_flush = false);
  size_t open_windows() const { return windows_.size(); }

 private:
  struct Window {
    int64_t start_unix_ns = 0;
    uint64_t window_ns = 0;
    uint64_t repeats = 0;
    Alert last;  // the latest repeat
  };
  std::map<std::string, Window> windows_;  // rule + '\0' + output
};

}  // namespace vigil::runtime
