// Helpers shared by the vigil_bpfcc tests.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vigil::bpfcc::test_support {

inline std::string self_executable() {
  char path[4096];
  ssize_t size = readlink("/proc/self/exe", path, sizeof path - 1);
  return size > 0 ? std::string(path, static_cast<std::size_t>(size)) : std::string();
}

inline std::string read_test_program(const std::string& name) {
  std::ifstream in(std::string(VIGIL_BPFCC_TEST_DIR) + "/programs/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Section names of a little-endian ELF64 object; empty if it is not one.
inline std::vector<std::string> elf_section_names(const std::vector<std::uint8_t>& elf) {
  auto read = [&](std::size_t offset, std::size_t size) {
    std::uint64_t value = 0;
    if (offset + size > elf.size()) return value;
    for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t{elf[offset + i]} << (8 * i);
    return value;
  };
  if (elf.size() < 64 || std::memcmp(elf.data(),
                                     "\x7f"
                                     "ELF\x02\x01",
                                     6) != 0)
    return {};
  std::uint64_t table = read(0x28, 8), entry_size = read(0x3a, 2), count = read(0x3c, 2),
                names_index = read(0x3e, 2);
  std::uint64_t names = read(table + names_index * entry_size + 0x18, 8);
  std::vector<std::string> result;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t name = names + read(table + i * entry_size, 4);
    std::string text;
    while (name < elf.size() && elf[name] != 0) text.push_back(static_cast<char>(elf[name++]));
    result.push_back(text);
  }
  return result;
}

}  // namespace vigil::bpfcc::test_support
