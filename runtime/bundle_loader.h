// Loading a compiled bundle into the kernel with libbpf: open the object
// from memory, leave out programs whose hook this kernel lacks, size and fill
// the maps, load, and report per program what the verifier said and what it
// cost. Nothing is attached here (see the runtime's attach stage).
//
//   std::string error;
//   auto loader = BundleLoader::open(bundle, {.tracefs = *tracefs}, &error);
//   if (!loader || !loader->load(&error)) ...;  // programs() says which failed
//   bpf_object* object = loader->object();      // attach from here
//
// A hostile or damaged object gives an error, never a crash: the ELF is
// checked, and libbpf first parses it in a throwaway child process (libbpf
// 1.1 can crash on malformed ELF/BTF).
#pragma once

#include <bpf/libbpf.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/codegen/bundle.h"
#include "runtime/verifier_log.h"

namespace vigil::runtime {

enum class ProgramState {
  Pending,   // not loaded (yet, or because another program failed first)
  Loaded,    // the verifier accepted it
  Skipped,   // its hook does not exist on this kernel: left out, not an error
  Rejected,  // the verifier refused it: see `excerpt` and `verifier_log`
  Failed,    // the load failed for another reason (permissions, ...): see `reason`
};

std::string_view program_state_name(ProgramState state);

struct ProgramLoad {
  std::string name;     // e.g. "vigil_file_open_openat"
  std::string section;  // e.g. "tp/syscalls/sys_enter_openat"
  ProgramState state = ProgramState::Pending;
  // Skipped: why ("tracepoint syscalls/sys_enter_x does not exist on this
  // kernel"); Rejected: the verifier's verdict in a line; Failed: the error.
  std::string reason;
  int error_number = 0;  // errno of a failed load

  // From bpf_prog_info, once loaded.
  uint32_t xlated_insns = 0;    // instructions after the verifier's rewrites
  uint32_t jited_bytes = 0;     // native code size (0 without the JIT)
  uint32_t verified_insns = 0;  // instructions the verifier processed
  // The verifier's own time for the program (its BPF_LOG_STATS report): the
  // bulk of a program's load time, and the only per-program part measurable.
  std::chrono::microseconds verifier_time{0};

  // Loaded: the statistics log. Rejected: the log of a retry of this program
  // alone at log level 1 (its tail when it overflowed), and its excerpt.
  std::string verifier_log;
  bool verifier_log_truncated = false;
  std::optional<VerifierExcerpt> excerpt;
};

struct LoadOptions {
  // The name libbpf gives the object; prefixes internal map names.
  std::string object_name = "vigil";
  // A tracefs mount (ensure_tracefs) to check that `tp/` programs'
  // tracepoints exist; empty: not checked (all load, attach may fail later).
  std::string tracefs;
  size_t stats_log_bytes = 64 << 10;
  // The level-1 log of a rejected program: the kernel keeps its tail.
  size_t diagnosis_log_bytes = 16 << 20;
  // After a rejection: reload each remaining program without the rejected
  // ones, so every program gets a verdict, and retry each rejected one alone
  // with a full log. Off: stop at the first rejection (what `run` needs).
  bool diagnose_rejections = true;
};

// Owns a bpf_object; closing it unloads its programs and maps.
class BpfObject {
 public:
  BpfObject() = default;
  explicit BpfObject(bpf_object* object) : object_(object) {}
  BpfObject(BpfObject&& other) noexcept : object_(other.release()) {}
  BpfObject& operator=(BpfObject&& other) noexcept;
  BpfObject(const BpfObject&) = delete;
  BpfObject& operator=(const BpfObject&) = delete;
  ~BpfObject();

  bpf_object* get() const { return object_; }
  bpf_object* release();
  explicit operator bool() const { return object_ != nullptr; }

 private:
  bpf_object* object_ = nullptr;
};

class BundleLoader {
 public:
  // Parses the bundle's object (nothing reaches the kernel yet). nullptr and
  // `error` if the object is not a loadable BPF ELF or lacks a program or map
  // the manifest names.
  static std::unique_ptr<BundleLoader> open(const codegen::Bundle& bundle, LoadOptions options,
                                            std::string* error);

  // Leaves out programs whose hook is missing, sizes and fills the maps,
  // loads. False and `error` (one line) if anything but a skip went wrong;
  // then programs() tells which program failed and why. Call once.
  bool load(std::string* error);

  bool loaded() const { return loaded_; }
  // Between open and load (e.g. bpf_map__reuse_fd), and for attaching after.
  bpf_object* object() const { return object_.get(); }
  const std::vector<ProgramLoad>& programs() const { return programs_; }
  const ProgramLoad* program(std::string_view name) const;
  // Wall time of the kernel load (all programs and maps) and map filling.
  std::chrono::microseconds load_time() const { return load_time_; }
  // libbpf's own warnings during open and load, for error reports.
  const std::string& libbpf_messages() const { return libbpf_messages_; }

 private:
  BundleLoader() = default;
  bool prepare(bpf_object* object, bool stats_logs, std::vector<std::string>* log_buffers,
               std::string* error);
  void record_loaded_stats(bpf_object* object, const std::vector<std::string>& logs);
  void skip_unneeded_fallbacks();
  void diagnose();
  void diagnose_alone(ProgramLoad& program);

  std::vector<uint8_t> bytes_;
  std::string c_source_;  // for the text of lines the verifier names
  std::vector<codegen::MapContents> maps_;
  LoadOptions options_;
  BpfObject object_;
  std::vector<ProgramLoad> programs_;
  std::vector<std::string> log_buffers_;
  bool loaded_ = false;
  bool load_attempted_ = false;
  std::chrono::microseconds load_time_{0};
  std::string libbpf_messages_;
};

}  // namespace vigil::runtime
