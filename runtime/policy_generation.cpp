#include "runtime/policy_generation.h"

#include <vector>

#include "compiler/diagnostic_render.h"
#include "runtime/lsm_probe.h"
#include "runtime/rodata_constants.h"

namespace vigil::runtime {
namespace {

// One line naming what the verifier refused: the rule and its file:line when
// the failing instruction lies in a rule's code.
std::string describe_rejection(const codegen::Bundle& bundle, const BundleLoader& loader,
                               const std::string& fallback) {
  for (const ProgramLoad& load : loader.programs()) {
    if (load.state != ProgramState::Rejected && load.state != ProgramState::Failed) continue;
    std::string text =
        "program " + load.name + " " +
        (load.state == ProgramState::Rejected ? "was rejected by the verifier" : "failed to load");
    if (!load.reason.empty()) text += ": " + load.reason;
    if (load.excerpt && load.excerpt->failing_line) {
      if (std::optional<uint32_t> rule =
              codegen::rule_at_line(bundle, load.excerpt->failing_line->line)) {
        const codegen::RuleInfo& info = bundle.rules[*rule];
        text += " (in rule " + info.name + " at " + info.file + ":" + std::to_string(info.line) +
                ":" + std::to_string(info.column) + ")";
      }
    }
    return text;
  }
  return fallback;
}

}  // namespace

std::unique_ptr<PolicyGeneration> PolicyGeneration::load(uint64_t id, codegen::Bundle bundle,
                                                         const SharedMaps& shared,
                                                         const std::string& tracefs,
                                                         const EnforcementSettings& enforcement,
                                                         std::string* error) {
  std::unique_ptr<PolicyGeneration> generation(new PolicyGeneration());
  generation->id_ = id;
  generation->bundle_ = std::move(bundle);
  const codegen::Bundle& b = generation->bundle_;

  std::vector<PolicyText> texts;
  for (const codegen::PolicySource& source : b.sources) texts.push_back({source.path, source.text});
  generation->front_end_ = run_front_end_on_texts(texts);
  FrontEndResult& front_end = generation->front_end_;
  if (!front_end.policy) {
    *error = "the bundle's policy sources do not analyse:\n" +
             render_text(front_end.diagnostics.sorted(front_end.sources), front_end.sources);
    return nullptr;
  }

  // Deny rules the kernel cannot enforce are refused, never silently reported.
  if (enforcement.enforce) {
    std::optional<LsmSupport> lsm;
    for (const codegen::RuleInfo& info : b.rules) {
      const ir::Rule* rule = generation->policy().find(info.name);
      if (!rule || rule->action != Action::Deny) continue;
      if (!lsm) lsm = LsmSupport{enforcement.lsm_active, "", enforcement.lsm_why};
      std::string problem =
          lsm_deny_error(*rule, info.file + ":" + std::to_string(info.line), *lsm);
      if (!problem.empty()) {
        *error = problem;
        return nullptr;
      }
    }
  }

  // Rule tables: bit b of event kind k's bitmaps -> the rule.
  generation->rules_by_event_.resize(kEventKindCount);
  for (const codegen::ProgramInfo& program : b.programs) {
    auto& rules = generation->rules_by_event_[static_cast<size_t>(program.event)];
    for (uint32_t index : program.rules) {
      if (index >= b.rules.size()) {
        *error = "the bundle manifest names rule #" + std::to_string(index) + ", which it lacks";
        return nullptr;
      }
      const codegen::RuleInfo& info = b.rules[index];
      const ir::Rule* rule = generation->policy().find(info.name);
      if (!rule) {
        *error = "the bundle's rule " + info.name + " is not in its policy sources";
        return nullptr;
      }
      rules.push_back({&info, rule});
    }
  }

  LoadOptions options;
  options.tracefs = tracefs;
  options.object_name = "vigil";
  generation->loader_ = BundleLoader::open(b, options, error);
  if (!generation->loader_) return nullptr;
  bpf_object* object = generation->loader_->object();
  const RodataValue constants[] = {
      {"vigil_generation", id},
      {"vigil_enforce", enforcement.enforce ? 1u : 0u},
      {"vigil_agent_tgid", enforcement.agent_tgid},
      {"vigil_blast_limit", enforcement.kill_limit},
      {"vigil_lsm_active", enforcement.enforce && enforcement.lsm_active ? 1u : 0u},
  };
  if (!set_rodata_constants(object, constants, error) || !shared.reuse_in(object, error))
    return nullptr;
  std::string load_error;
  if (!generation->loader_->load(&load_error)) {
    *error = describe_rejection(b, *generation->loader_, load_error);
    return nullptr;
  }

  for (const ProgramLoad& load : generation->loader_->programs()) {
    if (load.state == ProgramState::Skipped) {
      generation->skipped_.push_back(load.name + ": " + load.reason);
      continue;
    }
    std::optional<HookPoint> point = HookPoint::from_section(load.section);
    if (!point) continue;  // not a capture program
    // Deny programs act only when enforcing; in audit mode the tracepoints
    // report would_deny on their own.
    if ((point->kind == HookKind::CgroupSockAddr || point->kind == HookKind::Lsm) &&
        !enforcement.enforce)
      continue;
    bpf_program* program = bpf_object__find_program_by_name(object, load.name.c_str());
    int fd = program ? bpf_program__fd(program) : -1;
    if (fd < 0) continue;
    for (const HookProgram& other : generation->hooks_) {
      if (other.point.section() == point->section()) {
        *error = "programs " + other.name + " and " + load.name + " both capture " +
                 point->section() + "; a hook has one slot";
        return nullptr;
      }
    }
    generation->hooks_.push_back({*point, load.name, fd});
  }
  return generation;
}

const GenerationRule* PolicyGeneration::rule_for_bit(EventKind kind, uint32_t bit) const {
  const auto& rules = rules_of(kind);
  return bit < rules.size() ? &rules[bit] : nullptr;
}

const std::vector<GenerationRule>& PolicyGeneration::rules_of(EventKind kind) const {
  return rules_by_event_[static_cast<size_t>(kind)];
}

}  // namespace vigil::runtime
