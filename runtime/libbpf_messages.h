// libbpf reports through one process-wide print callback. vigil routes it to
// the thread doing the work: while a LibbpfMessages is alive, libbpf's
// warnings on this thread are collected in it (for error reports) instead of
// going to stderr, and its notices and debug messages are dropped.
#pragma once

#include <string>

namespace vigil::runtime {

class LibbpfMessages {
 public:
  LibbpfMessages();
  ~LibbpfMessages();
  LibbpfMessages(const LibbpfMessages&) = delete;
  LibbpfMessages& operator=(const LibbpfMessages&) = delete;

  // "libbpf: prog 'x': failed to load: -13\n..." as libbpf printed it.
  const std::string& text() const { return text_; }
  void clear() { text_.clear(); }

 private:
  std::string text_;
  std::string* outer_;  // the enclosing capture's text, restored on destruction
};

}  // namespace vigil::runtime
