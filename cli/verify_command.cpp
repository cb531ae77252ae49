// `vigil verify`: load a policy set's programs into this kernel without
// attaching them, and report what the verifier thinks of each: cost when it
// accepts, and on a rejection, the rule at fault and the verifier's words.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/policy_diagnostics.h"
#include "compiler/bpfcc/bpf_compiler.h"
#include "compiler/codegen/bundle.h"
#include "compiler/driver/compile_policies.h"
#include "runtime/bundle_loader.h"
#include "runtime/kernel_mounts.h"
#include "runtime/privileges.h"

namespace vigil::cli {
namespace {

using runtime::ProgramLoad;
using runtime::ProgramState;

struct VerifyOptions {
  std::vector<std::string> paths;
  bool json = false;
};

bool is_elf_file(const std::string& path) {
  constexpr char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char magic[sizeof kElfMagic] = {};
  bool elf = ::read(fd, magic, sizeof magic) == sizeof magic &&
             std::memcmp(magic, kElfMagic, sizeof magic) == 0;
  ::close(fd);
  return elf;
}

std::string rule_label(const codegen::Bundle& bundle, uint32_t index) {
  if (index >= bundle.rules.size()) return "rule #" + std::to_string(index);
  const codegen::RuleInfo& rule = bundle.rules[index];
  return rule.name + " (" + rule.file + ":" + std::to_string(rule.line) + ")";
}

const codegen::ProgramInfo* manifest_program(const codegen::Bundle& bundle,
                                             const std::string& name) {
  return codegen::program_info_for(bundle, name);
}

// Line info of the generated C, not of an embedded header (vmlinux.h, the
// templates), whose line numbers mean nothing to RuleLines.
bool is_generated_source(const std::string& file) {
  std::string include_root = std::string(bpfcc::kIncludeRoot) + "/";
  return !file.empty() && file.rfind(include_root, 0) != 0 && file.size() > 2 &&
         file.compare(file.size() - 2, 2, ".c") == 0;
}

// The rules a rejection is pinned on: the one whose code holds the failing
// line; failing that, every rule of the program (`pinned` false).
std::vector<uint32_t> responsible_rules(const codegen::Bundle& bundle, const ProgramLoad& load,
                                        bool* pinned) {
  *pinned = false;
  if (load.excerpt && load.excerpt->failing_line &&
      is_generated_source(load.excerpt->failing_line->file)) {
    if (std::optional<uint32_t> rule =
            codegen::rule_at_line(bundle, load.excerpt->failing_line->line)) {
      *pinned = true;
      return {*rule};
    }
  }
  const codegen::ProgramInfo* program = manifest_program(bundle, load.name);
  return program ? program->rules : std::vector<uint32_t>{};
}

std::string milliseconds(std::chrono::microseconds time) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << time.count() / 1000.0;
  return out.str();
}

void print_table(const codegen::Bundle& bundle, const runtime::BundleLoader& loader) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"program", "event", "section", "rules", "verified insns", "xlated insns",
                  "jited bytes", "load ms", "state"});
  for (const ProgramLoad& load : loader.programs()) {
    if (load.state == ProgramState::Skipped) continue;
    const codegen::ProgramInfo* program = manifest_program(bundle, load.name);
    bool loaded = load.state == ProgramState::Loaded;
    auto number = [&](uint64_t value) { return loaded ? std::to_string(value) : "-"; };
    rows.push_back({load.name, program ? std::string(event_info(program->event).name) : "-",
                    load.section, program ? std::to_string(program->rules.size()) : "-",
                    number(load.verified_insns), number(load.xlated_insns),
                    number(load.jited_bytes), loaded ? milliseconds(load.verifier_time) : "-",
                    std::string(runtime::program_state_name(load.state))});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const std::vector<std::string>& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  for (const std::vector<std::string>& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      bool numeric = i >= 3 && i <= 7;  // rules .. load ms: right-aligned
      const std::string& cell = row[i];
      std::string padding(widths[i] - cell.size(), ' ');
      line += numeric ? padding + cell : cell + padding;
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
  for (const ProgramLoad& load : loader.programs())
    if (load.state == ProgramState::Skipped)
      std::cout << "skipped " << load.name << " (" << load.section << "): " << load.reason << "\n";
}

void print_rejection(const codegen::Bundle& bundle, const ProgramLoad& load) {
  std::cerr << "error: program " << load.name << " was rejected by the kernel verifier\n";
  bool pinned = false;
  std::vector<uint32_t> rules = responsible_rules(bundle, load, &pinned);
  if (pinned) {
    std::cerr << "  rule: " << rule_label(bundle, rules.front()) << "\n";
  } else if (!rules.empty()) {
    std::cerr << "  the failing line belongs to no single rule; the program's rules:\n";
    for (uint32_t rule : rules) std::cerr << "    " << rule_label(bundle, rule) << "\n";
  }
  if (!load.excerpt) {
    std::cerr << "  verifier: " << load.reason << "\n";
    return;
  }
  const runtime::VerifierExcerpt& excerpt = *load.excerpt;
  if (excerpt.failing_line) {
    const runtime::SourceLineNote& line = *excerpt.failing_line;
    std::cerr << "  at " << (line.file.empty() ? "?" : line.file) << ":" << line.line << ": "
              << line.code << "\n";
  }
  for (size_t i = 0; i < excerpt.error_lines.size(); ++i)
    std::cerr << (i == 0 ? "  verifier: " : "            ") << excerpt.error_lines[i] << "\n";
  if (!excerpt.context_lines.empty()) {
    std::cerr << "  last instructions verified:\n";
    for (const std::string& line : excerpt.context_lines) std::cerr << "    " << line << "\n";
  }
}

nlohmann::json program_json(const codegen::Bundle& bundle, const ProgramLoad& load) {
  nlohmann::json item = {{"name", load.name},
                         {"section", load.section},
                         {"state", runtime::program_state_name(load.state)}};
  if (const codegen::ProgramInfo* program = manifest_program(bundle, load.name)) {
    item["event"] = event_info(program->event).name;
    nlohmann::json rules = nlohmann::json::array();
    for (uint32_t rule : program->rules)
      rules.push_back(rule < bundle.rules.size() ? nlohmann::json(bundle.rules[rule].name)
                                                 : nlohmann::json(rule));
    item["rules"] = std::move(rules);
  }
  if (load.state == ProgramState::Loaded) {
    item["verified_insns"] = load.verified_insns;
    item["xlated_insns"] = load.xlated_insns;
    item["jited_bytes"] = load.jited_bytes;
    item["load_ms"] = load.verifier_time.count() / 1000.0;
  }
  if (!load.reason.empty()) item["reason"] = load.reason;
  if (load.state == ProgramState::Rejected) {
    nlohmann::json rejection = nlohmann::json::object();
    bool pinned = false;
    nlohmann::json rules = nlohmann::json::array();
    for (uint32_t index : responsible_rules(bundle, load, &pinned)) {
      if (index >= bundle.rules.size()) continue;
      const codegen::RuleInfo& rule = bundle.rules[index];
      rules.push_back({{"name", rule.name}, {"file", rule.file}, {"line", rule.line}});
    }
    rejection["rules"] = std::move(rules);
    rejection["rule_pinned"] = pinned;
    if (load.excerpt) {
      const runtime::VerifierExcerpt& excerpt = *load.excerpt;
      rejection["error_lines"] = excerpt.error_lines;
      rejection["context_lines"] = excerpt.context_lines;
      auto note = [](const runtime::SourceLineNote& line) {
        return nlohmann::json{{"file", line.file}, {"line", line.line}, {"code", line.code}};
      };
      if (excerpt.failing_line) rejection["failing_line"] = note(*excerpt.failing_line);
      nlohmann::json lines = nlohmann::json::array();
      for (const runtime::SourceLineNote& line : excerpt.source_lines) lines.push_back(note(line));
      rejection["source_lines"] = std::move(lines);
    }
    rejection["log_truncated"] = load.verifier_log_truncated;
    item["rejection"] = std::move(rejection);
  }
  return item;
}

void print_json(const codegen::Bundle& bundle, const runtime::BundleLoader* loader, bool ok,
                const std::string& error) {
  nlohmann::json root = {{"ok", ok}};
  if (!error.empty()) root["error"] = error;
  nlohmann::json programs = nlohmann::json::array();
  if (loader) {
    for (const ProgramLoad& load : loader->programs())
      programs.push_back(program_json(bundle, load));
    root["load_ms"] = loader->load_time().count() / 1000.0;
  }
  root["programs"] = std::move(programs);
  // Source lines may quote policy strings, which need not be UTF-8.
  std::cout << root.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

bool is_regular_file(const std::string& path) {
  struct stat status{};
  return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

// A bundle is an ELF object, or any file with a manifest beside it (so a
// damaged object is reported as one, not parsed as a policy).
bool is_bundle(const std::string& path) {
  return is_elf_file(path) || (is_regular_file(path) && is_regular_file(path + ".json"));
}

std::optional<codegen::Bundle> obtain_bundle(const VerifyOptions& options, int* exit_code) {
  bool bundle_input = options.paths.size() == 1 && is_bundle(options.paths.front());
  if (bundle_input) {
    std::string error;
    std::optional<codegen::Bundle> bundle = codegen::read_bundle(options.paths.front(), &error);
    if (!bundle) {
      std::cerr << "vigil: error: " << error << "\n";
      *exit_code = kExitUsageOrIo;
    }
    return bundle;
  }
  for (const std::string& path : options.paths) {
    if (is_elf_file(path)) {
      std::cerr << "vigil: error: " << path
                << " is a BPF object: verify takes one bundle, or policy files and directories\n";
      *exit_code = kExitUsageOrIo;
      return std::nullopt;
    }
  }
  driver::CompileResult compiled = driver::compile_policies(options.paths);
  if (int code = report_front_end(compiled.front_end); code != kExitOk) {
    *exit_code = code;
    return std::nullopt;
  }
  if (!compiled.bundle) {
    std::cerr << "vigil: error: " << compiled.error << "\n";
    if (!compiled.bpf.diagnostics_text.empty()) std::cerr << compiled.bpf.diagnostics_text;
    *exit_code = kExitPolicyProblem;
  }
  return std::move(compiled.bundle);
}

int run_verify(const VerifyOptions& options) {
  if (!runtime::can_load_bpf_programs()) {
    std::cerr << "vigil: error: " << runtime::bpf_privileges_message("vigil verify") << "\n";
    return kExitUsageOrIo;
  }
  int exit_code = kExitOk;
  std::optional<codegen::Bundle> bundle = obtain_bundle(options, &exit_code);
  if (!bundle) return exit_code;

  std::string error;
  runtime::LoadOptions load_options;
  if (std::optional<std::string> tracefs = runtime::ensure_tracefs(&error)) {
    load_options.tracefs = *tracefs;
  } else {
    std::cerr << "vigil: warning: " << error
              << "; tracepoints are not checked, and programs on missing ones will not attach\n";
  }
  std::unique_ptr<runtime::BundleLoader> loader =
      runtime::BundleLoader::open(*bundle, load_options, &error);
  if (!loader) {
    if (options.json) print_json(*bundle, nullptr, false, error);
    std::cerr << "vigil: error: " << error << "\n";
    return kExitUsageOrIo;
  }
  bool ok = loader->load(&error);

  if (options.json) {
    print_json(*bundle, loader.get(), ok, ok ? "" : error);
  } else {
    print_table(*bundle, *loader);
    if (ok) {
      size_t loaded = 0;
      for (const ProgramLoad& load : loader->programs())
        loaded += load.state == ProgramState::Loaded;
      std::cout << "verified " << loaded << " program" << (loaded == 1 ? "" : "s") << " in "
                << milliseconds(loader->load_time()) << " ms\n";
    }
    bool any_reported = false;
    for (const ProgramLoad& load : loader->programs()) {
      if (load.state != ProgramState::Rejected && load.state != ProgramState::Failed) continue;
      if (any_reported) std::cerr << "\n";
      if (load.state == ProgramState::Rejected)
        print_rejection(*bundle, load);
      else
        std::cerr << "error: cannot load program " << load.name << ": " << load.reason << "\n";
      any_reported = true;
    }
    if (!ok && !any_reported) std::cerr << "vigil: error: " << error << "\n";
  }
  return ok ? kExitOk : kExitPolicyProblem;
}

}  // namespace

Command register_verify(CLI::App& app) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* command = app.add_subcommand(
      "verify",
      "Load policies (or a compiled bundle) into the kernel verifier without attaching; needs "
      "root");
  command
      ->add_option("paths", options->paths,
                   "Policy files or directories, or one compiled bundle (FILE.bpf.o)")
      ->required();
  command->add_flag("--json", options->json, "Print the report as JSON on stdout");
  return {command, [options] { return run_verify(*options); }};
}

}  // namespace vigil::cli
