#include "runtime/libbpf_messages.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace vigil::runtime {
namespace {

// The capture of this thread, if any (libbpf prints on the calling thread).
thread_local std::string* current_sink = nullptr;

int print_to_capture(enum libbpf_print_level level, const char* format, va_list arguments) {
  if (level == LIBBPF_DEBUG) return 0;
  if (current_sink == nullptr) return std::vfprintf(stderr, format, arguments);
  // Notices ("elf: skipping unrecognized data section") would bury the error.
  if (level != LIBBPF_WARN) return 0;
  char buffer[1024];
  va_list copy;
  va_copy(copy, arguments);
  int length = std::vsnprintf(buffer, sizeof buffer, format, copy);
  va_end(copy);
  if (length < 0) return length;
  if (static_cast<size_t>(length) < sizeof buffer) {
    current_sink->append(buffer, static_cast<size_t>(length));
  } else {
    std::string large(static_cast<size_t>(length) + 1, '\0');
    std::vsnprintf(large.data(), large.size(), format, arguments);
    large.pop_back();
    current_sink->append(large);
  }
  return length;
}

}  // namespace

LibbpfMessages::LibbpfMessages() : outer_(current_sink) {
  // Installed once: swapping callbacks per capture would race between threads.
  static std::once_flag installed;
  std::call_once(installed, [] { libbpf_set_print(print_to_capture); });
  current_sink = &text_;
}

LibbpfMessages::~LibbpfMessages() {
  current_sink = outer_;
}

}  // namespace vigil::runtime
