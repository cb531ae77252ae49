#include "runtime/privileges.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace vigil::runtime {
namespace {

// Numbers from linux/capability.h; older headers lack the last two.
constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

}  // namespace

bool can_load_bpf_programs() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return geteuid() == 0;
  auto has = [&](int capability) {
    return (data[capability / 32].effective >> (capability % 32) & 1u) != 0;
  };
  return has(kCapSysAdmin) || (has(kCapBpf) && has(kCapPerfmon));
}

std::string bpf_privileges_message(const std::string& command) {
  return command +
         " loads BPF programs into the kernel: it needs root, or the capabilities CAP_BPF and "
         "CAP_PERFMON (e.g. sudo " +
         command + " ...)";
}

}  // namespace vigil::runtime
