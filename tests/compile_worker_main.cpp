// main() of the test binaries that compile BPF: each doubles as its own
// compile worker (`<binary> __compile-worker`, see compiler/bpfcc/compile_worker.h),
// so bundles are compiled without vigil-compile-worker. They link vigil_bpfcc.
#include <gtest/gtest.h>

#include "compiler/bpfcc/compile_worker.h"

int main(int argc, char** argv) {
  vigil::bpfcc::act_as_own_compile_worker(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
