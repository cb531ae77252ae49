// vigil-guest-syscalls TAG PORT: performs, inside a QEMU guest, the same real
// syscalls as the host's agent and e2e tests (tests/e2e/real_syscalls.h),
// under /tmp/TAG. Exits 0, 2 on bad arguments, or 10+ naming the step that
// failed.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/e2e/real_syscalls.h"

int main(int argc, char** argv) {
  if (argc != 3 || std::atoi(argv[2]) <= 0) {
    std::fprintf(stderr, "usage: vigil-guest-syscalls TAG PORT\n");
    return 2;
  }
  std::string tag = argv[1];
  mkdir(("/tmp/" + tag).c_str(), 0700);
  vigil::testing::perform_real_syscalls(tag, std::atoi(argv[2]));
}
