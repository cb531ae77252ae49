// In-process compilation of BPF C to a BPF ELF object with the Clang/LLVM 19
// libraries: no clang binary, no temporary files.
//
// The compile sees an in-memory file system and nothing else: the source, the
// request's extra headers and the embedded headers (embedded_headers.h), all
// reachable through `#include "vmlinux.h"`, `#include <bpf/bpf_helpers.h>`,
// etc. System and Clang builtin include paths are off, and absolute paths
// (`#include "/etc/passwd"`) find nothing. The object carries .BTF and
// .BTF.ext, so libbpf applies CO-RE relocations at load time.
//
// This is the LLVM side (library vigil_bpfcc): only the compile worker
// (vigil-compile-worker, and test binaries that are their own worker) links
// it. vigil calls compile_bpf_isolated (isolated_compile.h): LLVM may abort the
// process on internal errors, and LLVM 19's BPF backend keeps CO-RE state in a
// process-wide cache, so after one compile with CO-RE relocations a process
// cannot safely compile again. compile_bpf refuses to (see its comment); the
// isolated variant runs each compile in a fresh worker process.
#pragma once

#include "compiler/bpfcc/compile_request.h"

namespace vigil::bpfcc {

// Never throws. Calls are serialized process-wide. Once a compile in this
// process has used CO-RE relocations (even if it then failed), every later
// call fails with an error naming compile_bpf_isolated.
BpfCompileResult compile_bpf(const BpfCompileRequest& request);

}  // namespace vigil::bpfcc
