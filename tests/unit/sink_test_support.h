// Helpers for the sink and status-socket tests: a scratch directory removed
// afterwards, and whole-file reads.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/unit/temp_dir.h"

namespace vigil::runtime::testing {

using ScratchDirectory = vigil::testing::TempDir;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace vigil::runtime::testing
