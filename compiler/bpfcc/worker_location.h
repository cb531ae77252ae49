// Finding the BPF compile worker: the separate executable that links
// Clang/LLVM and compiles for compile_bpf_isolated, so that vigil itself never
// loads them (the agent starts fast and stays small, and running a prebuilt
// bundle needs no compiler at all).
//
// Looked for, in order:
//   1. $VIGIL_COMPILE_WORKER, if set: the only candidate then (an override
//      that silently fell through would hide a typo);
//   2. vigil-compile-worker next to the running executable (the build tree);
//   3. <dir of the executable>/../<libexecdir>/vigil/vigil-compile-worker (an
//      install moved to another prefix);
//   4. the install path fixed at build time,
//      <CMAKE_INSTALL_FULL_LIBEXECDIR>/vigil/vigil-compile-worker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::bpfcc {

inline constexpr std::string_view kCompileWorkerName = "vigil-compile-worker";
inline constexpr std::string_view kCompileWorkerVariable = "VIGIL_COMPILE_WORKER";

// The inputs of the search, gathered from the process by
// worker_search_for_this_process(); tests build their own.
struct WorkerSearch {
  std::string override_path;          // $VIGIL_COMPILE_WORKER; empty: unset
  std::string own_executable;         // readlink /proc/self/exe; empty: unknown
  std::string relative_libexec_dir;   // "libexec": tried as <exe dir>/../<this>/vigil
  std::string installed_worker_path;  // absolute, fixed at build time; empty: none
};

struct WorkerLookup {
  std::string executable;  // the worker found; empty when none
  std::string error;       // when none: why, naming every place looked in
};

WorkerSearch worker_search_for_this_process();

// Never throws. A candidate counts when it is an executable regular file.
WorkerLookup find_compile_worker(const WorkerSearch& search);

// The worker compile_bpf_isolated starts when its options name none: the one
// given to set_default_compile_worker, else
// find_compile_worker(worker_search_for_this_process()), looked up anew on
// every call (a worker installed while vigil runs is found).
WorkerLookup default_compile_worker();

// For binaries that are their own worker (tests, benchmarks: see
// compile_worker.h). Call from main(), before any compile.
void set_default_compile_worker(std::string executable);

}  // namespace vigil::bpfcc
