// One policy generation: a bundle loaded into the kernel (so verified), its
// capture programs ready to be put into the agent's hook slots, and the rule
// tables that turn its records back into rules. A generation that failed to
// load never touches the running one: nothing is attached or swapped here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/codegen/bundle.h"
#include "compiler/frontend.h"
#include "compiler/ir.h"
#include "runtime/bundle_loader.h"
#include "runtime/hook_dispatcher.h"
#include "runtime/shared_maps.h"

namespace vigil::runtime {

struct HookProgram {
  HookPoint point;
  std::string name;  // "vigil_file_open_sys_enter_openat"
  int fd = -1;       // owned by the generation's object
};

// A rule of the generation, as its records name it.
struct GenerationRule {
  const codegen::RuleInfo* info = nullptr;
  const ir::Rule* rule = nullptr;  // the analysed rule (evaluator, output)
};

// How the kernel may act (bpf/templates/enforce.bpf.h), baked into each
// generation's `.rodata` at load.
struct EnforcementSettings {
  bool enforce = false;     // false: every kill/deny rule only reports (--audit)
  uint32_t agent_tgid = 0;  // never killed
  uint32_t kill_limit = 0;  // distinct executables per kill rule per minute; 0: unlimited
  bool lsm_active = false;  // the kernel runs BPF LSM: deny on exec/file.open uses it
  std::string lsm_why;      // LsmSupport::why, for refusals
};

class PolicyGeneration {
 public:
  // Re-analyses the bundle's policy sources (the rule tables must describe
  // exactly what was compiled), loads the object with the shared maps and
  // the generation number baked in, and lists its hook programs. nullptr and
  // `error` (naming the file:line:col, or the rule the verifier rejected) on
  // any failure; then nothing of it remains in the kernel.
  static std::unique_ptr<PolicyGeneration> load(uint64_t id, codegen::Bundle bundle,
                                                const SharedMaps& shared,
                                                const std::string& tracefs,
                                                const EnforcementSettings& enforcement,
                                                std::string* error);

  uint64_t id() const { return id_; }
  const codegen::Bundle& bundle() const { return bundle_; }
  const ir::PolicySet& policy() const { return *front_end_.policy; }
  BundleLoader& loader() { return *loader_; }
  const std::vector<HookProgram>& hook_programs() const { return hooks_; }
  // Programs left out because this kernel lacks their hook, with why.
  const std::vector<std::string>& skipped() const { return skipped_; }

  // The rule behind bit `bit` of `kind`'s verdict bitmaps; nullptr if none.
  const GenerationRule* rule_for_bit(EventKind kind, uint32_t bit) const;
  const std::vector<GenerationRule>& rules_of(EventKind kind) const;
  size_t enabled_rules() const { return bundle_.rules.size(); }

 private:
  PolicyGeneration() = default;

  uint64_t id_ = 0;
  codegen::Bundle bundle_;
  FrontEndResult front_end_;
  std::unique_ptr<BundleLoader> loader_;
  std::vector<HookProgram> hooks_;
  std::vector<std::string> skipped_;
  std::vector<std::vector<GenerationRule>> rules_by_event_;  // [EventKind][bit]
};

}  // namespace vigil::runtime
