// The headers compiled into vigil for BPF programs: libbpf's BPF-side headers
// and vigil's kernel type definitions (headers/vmlinux.h). They are the only
// files a BPF compile can include.
#pragma once

#include <span>
#include <string_view>

namespace vigil::bpfcc {

struct EmbeddedHeader {
  std::string_view name;      // include name, e.g. "vmlinux.h", "bpf/bpf_helpers.h"
  std::string_view contents;  // NUL-terminated: contents.data()[contents.size()] == '\0'
};

// Defined in the build-generated embedded_headers.cpp (see CMakeLists.txt).
std::span<const EmbeddedHeader> embedded_headers();

}  // namespace vigil::bpfcc
