// The eBPF back end's entry point: an IR policy set -> the BPF C of one
// specialised program per attached event kind, plus the data its maps hold.
// Compiling the C (compiler/bpfcc) fills in Bundle::object.
#pragma once

#include <string>
#include <vector>

#include "compiler/codegen/bundle.h"
#include "compiler/ir.h"
#include "compiler/source.h"

namespace vigil::codegen {

struct GenerateOptions {
  // Build the differential-test harness instead of the capture hooks: one
  // raw_tp program per event kind (attached nowhere), runnable with BPF_PROG_TEST_RUN
  // (see bpf/templates/harness.bpf.h).
  bool harness = false;
  // The policy's files: rule locations for comments and the manifest.
  const SourceManager* sources = nullptr;
};

// The C and the headers it needs beyond the embedded ones (vigil/event.h).
struct GeneratedSource {
  Bundle bundle;                                             // everything but `object`
  std::vector<std::pair<std::string, std::string>> headers;  // name, contents
  // Problems that stop generation, naming the rule ("rule r: ..."); when not
  // empty the bundle must not be compiled.
  std::vector<std::string> errors;
};

// Events whose `action deny` the generator enforces with a BPF LSM program
// (bpf/templates/hooks.bpf.h): exec and file.open. Deny on the other events
// DenyMechanism::Lsm names needs `fallback kill` or audit mode.
bool lsm_deny_generated(EventKind kind);

GeneratedSource generate_bpf(const ir::PolicySet& policy, const GenerateOptions& options);

}  // namespace vigil::codegen
