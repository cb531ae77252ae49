// Differential test of the generated eBPF matchers against the reference
// evaluator. Each policy is compiled in harness mode (one raw_tp
// program per event kind running the very matcher the capture hooks run),
// loaded into the real kernel, and driven with generated events through
// BPF_PROG_TEST_RUN. For every rule of the event's kind:
// - a rule the kernel decides alone must match exactly when the evaluator
//   says so;
// - a rule completed in user space must be passed up (pending) whenever the
//   evaluator matches it: the kernel's prefilter may let extra events
//   through, never drop one.
// The evaluator sees the event as the kernel does: decode(encode(event)).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "compiler/codegen/event_layout.h"
#include "compiler/driver/compile_policies.h"
#include "compiler/stateful_evaluator.h"
#include "runtime/bundle_loader.h"
#include "tests/differential/event_generator.h"

namespace vigil::testing {
namespace {

using codegen::EventLayout;

std::string describe(const Event& event) {
  std::ostringstream out;
  out << event_info(event.kind()).name << " {";
  for (const FieldInfo& field : all_fields()) {
    auto values = event.get(field.id);
    if (values.empty() || field.source != FieldSource::Kernel) continue;
    out << " " << field.name << "=";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out << "|";
      std::string text = value_to_string(values[i]);
      if (std::holds_alternative<std::string>(values[i])) {
        std::string escaped;
        for (unsigned char c : std::get<std::string>(values[i])) {
          if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            char buffer[8];
            snprintf(buffer, sizeof buffer, "\\x%02x", c);
            escaped += buffer;
          } else {
            escaped += static_cast<char>(c);
          }
        }
        text = "\"" + escaped + "\"";
      }
      out << text;
    }
  }
  return out.str() + " }";
}

struct DifferentialStats {
  size_t events = 0;
  size_t rule_checks = 0;
  size_t kernel_matches = 0;
  size_t pending = 0;
  size_t disagreements = 0;
  std::vector<std::string> first_disagreements;
};

class Harness {
 public:
  // Compiles, loads; on failure records a test failure and leaves ok() false.
  explicit Harness(const std::vector<std::string>& paths) {
    codegen::GenerateOptions options;
    options.harness = true;
    compiled_ = driver::compile_policies(paths, options);
    if (!compiled_.bundle) {
      ADD_FAILURE() << "compile failed: " << compiled_.error << "\n"
                    << compiled_.bpf.diagnostics_text;
      return;
    }
    std::string error;
    loader_ = runtime::BundleLoader::open(*compiled_.bundle, {}, &error);
    if (!loader_ || !loader_->load(&error)) {
      ADD_FAILURE() << "load failed: " << error;
      if (loader_)
        for (const runtime::ProgramLoad& program : loader_->programs())
          if (program.excerpt) {
            std::string text = program.name + ": " + program.reason;
            for (const std::string& line : program.excerpt->context_lines) text += "\n  " + line;
            for (const std::string& line : program.excerpt->error_lines) text += "\n  " + line;
            ADD_FAILURE() << text;
          }
      loader_.reset();
      return;
    }
    bpf_object* object = loader_->object();
    event_map_ = bpf_map__fd(bpf_object__find_map_by_name(object, "vigil_test_event"));
    verdict_map_ = bpf_map__fd(bpf_object__find_map_by_name(object, "vigil_test_verdict"));
    for (const codegen::ProgramInfo& info : compiled_.bundle->programs) {
      std::string name = "vigil_test_" + codegen::c_identifier(event_info(info.event).name);
      bpf_program* program = bpf_object__find_program_by_name(object, name.c_str());
      if (!program) {
        ADD_FAILURE() << "no harness program " << name;
        continue;
      }
      programs_[info.event] = {bpf_program__fd(program), &info};
    }
    for (const runtime::ProgramLoad& program : loader_->programs())
      verified_insns_[program.name] = program.verified_insns;
  }

  bool ok() const { return loader_ != nullptr && event_map_ >= 0 && verdict_map_ >= 0; }

  // Stateful rules: `count` events whose keys repeat (process.tgid from a few
  // values) and whose times advance by 0-400 ms, through the kernel and one
  // StatefulEvaluator, in order. A rule fires in the kernel if any of its
  // bits is set (a sequence rule has one per step); it must fire exactly on
  // the events where the evaluator fires it.
  DifferentialStats run_stateful(size_t count, uint64_t seed) {
    DifferentialStats stats;
    EventGenerator generator(policy(), {.seed = seed});
    StatefulEvaluator evaluator(policy());
    std::mt19937_64 random(seed);
    const EventLayout& layout = EventLayout::get();
    const uint32_t words = compiled_.bundle->rule_words;
    std::vector<uint64_t> verdict(2 * words);
    const FieldId tgid = *find_field("process.tgid");
    const FieldId uid = *find_field("process.uid");
    uint64_t now = 1'000'000'000;
    while (stats.events < count) {
      Event generated = generator.next();
      auto found = programs_.find(generated.kind());
      if (found == programs_.end()) continue;
      now += random() % 400'000'000;
      generated.time_ns = now;
      generated.set(tgid, Value{static_cast<int64_t>(100 + random() % 3)});
      generated.set(uid, Value{static_cast<int64_t>(random() % 4 == 0 ? 0 : 1000)});
      std::vector<uint8_t> record = layout.encode(generated);
      std::optional<Event> seen = layout.decode(record);
      const uint32_t zero = 0;
      LIBBPF_OPTS(bpf_test_run_opts, run_options);
      if (!seen || bpf_map_update_elem(event_map_, &zero, record.data(), BPF_ANY) != 0 ||
          bpf_prog_test_run_opts(found->second.fd, &run_options) != 0 || run_options.retval != 0 ||
          bpf_map_lookup_elem(verdict_map_, &zero, verdict.data()) != 0) {
        ADD_FAILURE() << "running the harness failed";
        return stats;
      }
      ++stats.events;
      std::vector<const ir::Rule*> fired = evaluator.process(*seen);
      const codegen::ProgramInfo& info = *found->second.info;
      std::map<std::string, bool> kernel_fired;
      for (uint32_t bit = 0; bit < info.rules.size(); ++bit) {
        const std::string& name = compiled_.bundle->rules[info.rules[bit]].name;
        kernel_fired[name] = kernel_fired[name] || ((verdict[bit / 64] >> (bit % 64)) & 1);
      }
      for (const auto& [name, in_kernel] : kernel_fired) {
        bool expected = std::any_of(fired.begin(), fired.end(),
                                    [&](const ir::Rule* rule) { return rule->name == name; });
        ++stats.rule_checks;
        stats.kernel_matches += in_kernel;
        if (in_kernel == expected) continue;
        ++stats.disagreements;
        if (stats.first_disagreements.size() < 5)
          stats.first_disagreements.push_back(
              "event " + std::to_string(stats.events) + " rule " + name + ": evaluator " +
              (expected ? "fires" : "does not fire") + ", kernel " +
              (in_kernel ? "fires" : "does not") + "\n  event: " + describe(*seen));
      }
    }
    return stats;
  }
  const ir::PolicySet& policy() const { return *compiled_.front_end.policy; }
  const std::map<std::string, uint32_t>& verified_insns() const { return verified_insns_; }

  // Runs `count` generated events through kernel and evaluator.
  DifferentialStats run(size_t count, uint64_t seed) {
    DifferentialStats stats;
    EventGenerator generator(policy(), {.seed = seed});
    const EventLayout& layout = EventLayout::get();
    const uint32_t words = compiled_.bundle->rule_words;
    std::vector<uint64_t> verdict(2 * words);
    while (stats.events < count) {
      Event generated = generator.next();
      auto found = programs_.find(generated.kind());
      if (found == programs_.end()) continue;
      std::vector<uint8_t> record = layout.encode(generated);
      std::optional<Event> seen = layout.decode(record);
      if (!seen) {
        ADD_FAILURE() << "record does not decode";
        return stats;
      }
      const uint32_t zero = 0;
      if (bpf_map_update_elem(event_map_, &zero, record.data(), BPF_ANY) != 0) {
        ADD_FAILURE() << "writing the test event failed: " << strerror(errno);
        return stats;
      }
      LIBBPF_OPTS(bpf_test_run_opts, run_options);
      int error = bpf_prog_test_run_opts(found->second.fd, &run_options);
      if (error != 0 || run_options.retval != 0) {
        ADD_FAILURE() << "BPF_PROG_TEST_RUN failed: " << error << " retval " << run_options.retval;
        return stats;
      }
      if (bpf_map_lookup_elem(verdict_map_, &zero, verdict.data()) != 0) {
        ADD_FAILURE() << "reading the verdict failed";
        return stats;
      }
      ++stats.events;
      const codegen::ProgramInfo& info = *found->second.info;
      for (uint32_t bit = 0; bit < info.rules.size(); ++bit) {
        const codegen::RuleInfo& rule_info = compiled_.bundle->rules[info.rules[bit]];
        const ir::Rule* rule = policy().find(rule_info.name);
        // Thresholds and sequences depend on earlier events: run_stateful().
        if (rule && (rule->threshold || rule->sequence)) continue;
        bool expected = rule && rule_matches(*rule, *seen);
        bool matched = (verdict[bit / 64] >> (bit % 64)) & 1;
        bool pending = (verdict[words + bit / 64] >> (bit % 64)) & 1;
        ++stats.rule_checks;
        stats.kernel_matches += matched;
        stats.pending += pending;
        bool agrees = rule_info.kernel_complete ? (matched == expected && !pending)
                                                : (!matched && (pending || !expected));
        if (agrees) continue;
        ++stats.disagreements;
        if (stats.first_disagreements.size() < 5)
          stats.first_disagreements.push_back(
              "rule " + rule_info.name + ": evaluator " +
              (expected ? "matches" : "does not match") + ", kernel matched=" +
              std::to_string(matched) + " pending=" + std::to_string(pending) +
              (rule_info.kernel_complete ? "" : " (user-space completion)") +
              "\n  event: " + describe(*seen));
      }
    }
    return stats;
  }

 private:
  struct Program {
    int fd = -1;
    const codegen::ProgramInfo* info = nullptr;
  };
  driver::CompileResult compiled_;
  std::unique_ptr<runtime::BundleLoader> loader_;
  int event_map_ = -1;
  int verdict_map_ = -1;
  std::map<EventKind, Program> programs_;
  std::map<std::string, uint32_t> verified_insns_;
};

void expect_agreement(Harness& harness, size_t events, uint64_t seed) {
  ASSERT_TRUE(harness.ok());
  DifferentialStats stats = harness.run(events, seed);
  std::cout << "differential: " << stats.events << " events, " << stats.rule_checks
            << " rule decisions, " << stats.kernel_matches << " kernel matches, " << stats.pending
            << " passed to user space, " << stats.disagreements << " disagreements\n";
  EXPECT_EQ(stats.events, events);
  EXPECT_EQ(stats.disagreements, 0u);
  for (const std::string& text : stats.first_disagreements) ADD_FAILURE() << text;
  // Both outcomes must be common, or the test proves little.
  EXPECT_GT(stats.kernel_matches + stats.pending, stats.events / 20);
  EXPECT_LT(stats.kernel_matches, stats.rule_checks);
}

class Differential : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the differential tests load BPF programs: run them as root";
  }
};

TEST_F(Differential, DefaultPolicyPack) {
  Harness harness({VIGIL_SOURCE_DIR "/policies"});
  expect_agreement(harness, 4000, 1);
}

TEST_F(Differential, EveryOperatorAndFieldType) {
  Harness harness({VIGIL_SOURCE_DIR "/tests/differential/policies"});
  expect_agreement(harness, 8000, 2);
}

// Thresholds and sequences: the kernel's state machines against the
// evaluator's, event by event (tests/differential/stateful/).
TEST_F(Differential, StatefulRulesFireOnTheSameEvents) {
  Harness harness({VIGIL_SOURCE_DIR "/tests/differential/stateful"});
  ASSERT_TRUE(harness.ok());
  DifferentialStats stats = harness.run_stateful(6000, 4);
  std::cout << "stateful differential: " << stats.events << " events, " << stats.rule_checks
            << " rule decisions, " << stats.kernel_matches << " fired, " << stats.disagreements
            << " disagreements\n";
  EXPECT_EQ(stats.events, 6000u);
  EXPECT_EQ(stats.disagreements, 0u);
  for (const std::string& text : stats.first_disagreements) ADD_FAILURE() << text;
  EXPECT_GT(stats.kernel_matches, 50u) << "too few firings to prove anything";
}

// 1,000 generated rules over every event kind (bench/gen_policy.cpp): the
// whole set passes the verifier and still agrees with the evaluator.
TEST_F(Differential, ThousandRuleStressSet) {
  char directory[] = "/tmp/vigil-stress-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  std::string command = std::string(VIGIL_GEN_POLICY) + " --rules 1000 --out " + directory;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  {
    Harness harness({directory});
    expect_agreement(harness, 4000, 3);
    for (const auto& [program, insns] : harness.verified_insns())
      EXPECT_LT(insns, 1000000u) << program;
  }
  std::system(("rm -rf " + std::string(directory)).c_str());
}

}  // namespace
}  // namespace vigil::testing
