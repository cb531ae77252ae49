// Bundles for the runtime tests, built from tests/runtime/programs/ with the
// real compile path (an isolated Clang worker: this test binary).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "compiler/bpfcc/isolated_compile.h"
#include "compiler/codegen/bundle.h"

namespace vigil::runtime::test {

// The name the generated C has in vigil (compiler/driver): line info and
// verifier annotations carry it.
inline constexpr const char* kSourceName = "policy.bpf.c";

inline std::string read_program(const std::string& name) {
  std::ifstream in(std::string(VIGIL_RUNTIME_TEST_DIR) + "/programs/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read test program " << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// 1-based number of the first line of `source` containing `marker`.
inline uint32_t line_of(const std::string& source, std::string_view marker) {
  size_t at = source.find(marker);
  EXPECT_NE(at, std::string::npos) << marker;
  if (at == std::string::npos) return 0;
  return static_cast<uint32_t>(std::count(source.begin(), source.begin() + at, '\n') + 1);
}

// Compiles once per test run (each compile is a worker process).
inline const std::vector<uint8_t>& compiled_program(const std::string& name) {
  static std::map<std::string, std::vector<uint8_t>> cache;
  auto found = cache.find(name);
  if (found != cache.end()) return found->second;
  bpfcc::BpfCompileRequest request;
  request.source = read_program(name);
  request.source_name = kSourceName;
  bpfcc::BpfCompileResult result = bpfcc::compile_bpf_isolated(request);
  EXPECT_TRUE(result.ok) << result.error << "\n" << result.diagnostics_text;
  return cache.emplace(name, std::move(result.object)).first->second;
}

inline std::vector<uint8_t> little_endian(uint64_t value, size_t bytes) {
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
  return out;
}

inline std::vector<uint8_t> padded(std::string_view text, size_t bytes) {
  std::vector<uint8_t> out(bytes, 0);
  std::copy(text.begin(), text.begin() + std::min(text.size(), bytes), out.begin());
  return out;
}

// struct prefix_key { __u32 prefixlen; __u8 data[16]; } of loader.bpf.c.
inline std::vector<uint8_t> prefix_key(uint32_t prefix_bits, std::string_view data) {
  std::vector<uint8_t> key = little_endian(prefix_bits, 4);
  std::vector<uint8_t> bytes = padded(data, 16);
  key.insert(key.end(), bytes.begin(), bytes.end());
  return key;
}

inline codegen::RuleInfo rule(uint32_t index, std::string name, std::string file, uint32_t line,
                              EventKind event) {
  codegen::RuleInfo info;
  info.index = index;
  info.name = std::move(name);
  info.file = std::move(file);
  info.line = line;
  info.column = 1;
  info.events = event_bit(event);
  return info;
}

inline codegen::ProgramInfo program(std::string name, std::string section, EventKind event,
                                    std::vector<uint32_t> rules) {
  codegen::ProgramInfo info;
  info.name = std::move(name);
  info.section = std::move(section);
  info.event = event;
  info.rules = std::move(rules);
  return info;
}

inline codegen::MapContents map_values(std::string name, std::vector<uint8_t> values) {
  codegen::MapContents map;
  map.map_name = std::move(name);
  map.array_values = std::move(values);
  return map;
}

// rule_actions[i] as __u32 values.
inline std::vector<uint8_t> u32_values(std::initializer_list<uint32_t> values) {
  std::vector<uint8_t> out;
  for (uint32_t value : values) {
    std::vector<uint8_t> bytes = little_endian(value, 4);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

inline std::vector<uint8_t> u64_values(std::initializer_list<uint64_t> values) {
  std::vector<uint8_t> out;
  for (uint64_t value : values) {
    std::vector<uint8_t> bytes = little_endian(value, 8);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

// loader.bpf.c: accepted; one program on a tracepoint no kernel has; every
// map kind filled from the bundle.
inline codegen::Bundle loader_bundle() {
  codegen::Bundle bundle;
  bundle.object = compiled_program("loader.bpf.c");
  bundle.c_source = read_program("loader.bpf.c");
  bundle.rules = {rule(0, "shadow_read", "policies/files.vigil", 3, EventKind::FileOpen),
                  rule(1, "module_load", "policies/kernel.vigil", 9, EventKind::KernelModuleLoad)};
  bundle.programs = {
      program("vigil_file_open_openat", "tp/syscalls/sys_enter_openat", EventKind::FileOpen, {0}),
      program("vigil_kernel_module_load", "tp/syscalls/sys_enter_vigil_no_such_syscall",
              EventKind::KernelModuleLoad, {1})};
  bundle.maps.push_back(map_values("rule_actions", u32_values({0, 7, 0, 9, 11})));
  codegen::MapContents paths;
  paths.map_name = "path_set";
  paths.entries = {{padded("/etc/shadow", 16), little_endian(1, 8)},
                   {padded("/etc/passwd", 16), little_endian(2, 8)},
                   {padded("/root/.ssh", 16), little_endian(4, 8)}};
  bundle.maps.push_back(paths);
  codegen::MapContents prefixes;
  prefixes.map_name = "prefixes";
  prefixes.entries = {{prefix_key(32, "/etc"), little_endian(8, 8)},
                      {prefix_key(16, "/e"), little_endian(16, 8)},
                      {prefix_key(40, "/root"), little_endian(32, 8)}};
  bundle.maps.push_back(prefixes);
  bundle.maps.push_back(map_values("per_cpu_limits", u64_values({5, 0, 6, 0})));
  bundle.maps.push_back(map_values(".rodata.config", u32_values({3})));
  return bundle;
}

// rejected.bpf.c: vigil_file_open_openat reads past a map value on the line
// marked OUT_OF_BOUNDS, inside the lines of rule 1.
inline codegen::Bundle rejected_bundle() {
  codegen::Bundle bundle;
  bundle.object = compiled_program("rejected.bpf.c");
  bundle.c_source = read_program("rejected.bpf.c");
  const std::string& c = bundle.c_source;
  bundle.rules = {rule(0, "exec_anything", "policies/exec.vigil", 2, EventKind::Exec),
                  rule(1, "reads_past_value", "policies/files.vigil", 7, EventKind::FileOpen),
                  rule(2, "opens_state", "policies/files.vigil", 20, EventKind::FileOpen),
                  rule(3, "connects", "policies/net.vigil", 4, EventKind::NetConnect)};
  bundle.programs = {
      program("vigil_exec", "tp/syscalls/sys_enter_execve", EventKind::Exec, {0}),
      program("vigil_file_open_openat", "tp/syscalls/sys_enter_openat", EventKind::FileOpen,
              {1, 2}),
      program("vigil_net_connect", "tp/syscalls/sys_enter_connect", EventKind::NetConnect, {3})};
  uint32_t open_function = line_of(c, "int vigil_file_open_openat(");
  uint32_t rule_start = line_of(c, "// rule reads_past_value");
  uint32_t out_of_bounds = line_of(c, "// OUT_OF_BOUNDS");
  bundle.rule_lines = {
      {.first_line = open_function + 1, .last_line = rule_start - 1, .rule_index = 2},
      {.first_line = rule_start, .last_line = out_of_bounds, .rule_index = 1}};
  return bundle;
}

// fentry.bpf.c: an fentry program (refused by some kernels even to root)
// and a tracepoint one.
inline codegen::Bundle fentry_bundle() {
  codegen::Bundle bundle;
  bundle.object = compiled_program("fentry.bpf.c");
  bundle.c_source = read_program("fentry.bpf.c");
  bundle.rules = {rule(0, "opens", "policies/files.vigil", 1, EventKind::FileOpen)};
  bundle.programs = {
      program("vigil_file_open_openat", "tp/syscalls/sys_enter_openat", EventKind::FileOpen, {0})};
  return bundle;
}

}  // namespace vigil::runtime::test
