// What a BPF compile takes and gives back: plain data, shared by the
// compiler (bpf_compiler.h, LLVM), the worker protocol and the isolated
// client (isolated_compile.h, no LLVM).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::bpfcc {

// An in-memory header. `name` is relative to the include root ("rules.h",
// "vigil/maps.h"); it shadows an embedded header of the same name.
struct BpfHeader {
  std::string name;
  std::string contents;
};

struct BpfCompileRequest {
  std::string source;                         // the translation unit (BPF C)
  std::string source_name = "program.bpf.c";  // its file name in diagnostics and BTF line info
  std::vector<BpfHeader> headers;
  std::vector<std::pair<std::string, std::string>> defines;  // -D name=value
  int optimization_level = 2;  // 1..3; -O0 code is rejected by the verifier anyway
  // BPF ISA: "v3" (default; 32-bit subregisters and jumps, every kernel since
  // 5.1) or "v1", "v2", "v4" (v4 needs kernel 6.6+).
  std::string cpu = "v3";
};

enum class BpfSeverity { Note, Warning, Error };

struct BpfDiagnostic {
  BpfSeverity severity = BpfSeverity::Error;
  std::string file;  // "program.bpf.c", "/vigil/include/vmlinux.h"; empty: no location
  unsigned line = 0;
  unsigned column = 0;
  std::string message;
};

struct BpfCompileResult {
  bool ok = false;  // `object` holds the BPF ELF
  std::vector<std::uint8_t> object;
  std::vector<BpfDiagnostic> diagnostics;  // capped at kMaxDiagnostics
  std::string diagnostics_text;  // as clang prints them: "program.bpf.c:3:5: error: ..." + caret
  std::string
      error;  // when !ok: one line ("3 errors in program.bpf.c", "BPF compiler crashed: ...")
  std::chrono::microseconds compile_time{0};  // Clang, front end to object
  std::chrono::microseconds total_time{0};    // isolated: spawn + transfer + compile
};

inline constexpr std::size_t kMaxDiagnostics = 200;
inline constexpr std::size_t kMaxSourceBytes = 16 << 20;

// Root of the embedded headers (and, before it, the request's headers) in the
// compile's file system; appears in diagnostics about header lines.
inline constexpr std::string_view kIncludeRoot = "/vigil/include";

}  // namespace vigil::bpfcc
