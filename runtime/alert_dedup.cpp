#include "runtime/alert_dedup.h"

namespace vigil::runtime {

bool AlertDeduplicator::admit(const Alert& alert, uint64_t window_ns) {
  std::string key = alert.rule;
  key += '\0';
  key += alert.output;
  auto it = windows_.find(key);
  if (it != windows_.end()) {
    Window& window = it->second;
    if (alert.time_unix_ns - window.start_unix_ns < static_cast<int64_t>(window.window_ns)) {
      ++window.repeats;
      window.last = alert;
      return false;
    }
    return true;  // the window ended; flush() reports it and a new one starts there
  }
  windows_[key] = Window{alert.time_unix_ns, window_ns, 0, {}};
  return true;
}

void AlertDeduplicator::flush(int64_t now_unix_ns, const Emit& emit, bool final_flush) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    Window& window = it->second;
    bool ended = now_unix_ns - window.start_unix_ns >= static_cast<int64_t>(window.window_ns);
    if (!ended && !final_flush) {
      ++it;
      continue;
    }
    if (window.repeats > 0) {
      Alert summary = window.last;
      summary.count = window.repeats;
      emit(summary);
    }
    it = windows_.erase(it);
  }
}

}  // namespace vigil::runtime
