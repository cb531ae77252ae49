// Whether this process may load BPF programs: CAP_BPF with CAP_PERFMON
// (tracing programs, since 5.8), or CAP_SYS_ADMIN (which implies both).
#pragma once

#include <string>

namespace vigil::runtime {

bool can_load_bpf_programs();

// What to tell a user who cannot: one sentence naming the capabilities.
std::string bpf_privileges_message(const std::string& command);

}  // namespace vigil::runtime
