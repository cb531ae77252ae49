// main() of the test binaries that compile BPF: each doubles as its own
// compile worker (`<binary> __compile-worker`), so bundles are compiled
// without the vigil executable.
#include <gtest/gtest.h>

#include <string_view>

#include "compiler/bpfcc/isolated_compile.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "__compile-worker")
    vigil::bpfcc::run_compile_worker();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
