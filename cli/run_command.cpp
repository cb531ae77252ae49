// `vigil run`: the agent. Compiles the policy directory (or reads a bundle
// compiled elsewhere), loads and attaches it, prints alerts, and reloads when
// the policies change. runtime/agent.h has the machinery.
#include <unistd.h>

#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "compiler/codegen/bundle.h"
#include "compiler/diagnostic_render.h"
#include "compiler/driver/compile_policies.h"
#include "compiler/version.h"
#include "runtime/agent.h"
#include "runtime/sink_spec.h"

namespace vigil::cli {
namespace {

struct RunOptions {
  std::vector<std::string> policies;
  std::string bundle;
  std::vector<std::string> outputs;
  std::string format;
  bool audit = false;
  uint32_t kill_limit = 10;
  uint32_t ring_buffer_mib = 32;
  std::string deny_cgroup;
  std::string status_socket = "/run/vigil/vigil.sock";
  std::string metrics_file;
  bool watch = true;
};

// Compiles the policies; a failure becomes one error text with the
// diagnostics (file:line:col) in `vigil check` form.
std::optional<codegen::Bundle> compile_bundle(const std::vector<std::string>& paths,
                                              std::string* error) {
  driver::CompileResult result = driver::compile_policies(paths);
  if (result.bundle) return std::move(result.bundle);
  std::string text;
  for (const std::string& io : result.front_end.io_errors) text += io + "\n";
  std::vector<Diagnostic> diagnostics =
      result.front_end.diagnostics.sorted(result.front_end.sources);
  if (!diagnostics.empty()) text += render_text(diagnostics, result.front_end.sources);
  if (!result.error.empty()) text += result.error + "\n";
  if (!result.bpf.diagnostics_text.empty()) text += result.bpf.diagnostics_text;
  if (text.empty()) text = "the policies did not compile\n";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  *error = text;
  return std::nullopt;
}

int run_agent(const RunOptions& options) {
  if (options.policies.empty() == options.bundle.empty()) {
    std::cerr << "vigil run: give either --policies DIR or --bundle FILE\n";
    return kExitUsageOrIo;
  }
  runtime::AgentOptions agent;
  agent.version = std::string(kVersion);
  agent.audit = options.audit;
  agent.kill_limit = options.kill_limit;
  agent.ring_buffer_bytes = options.ring_buffer_mib << 20;
  agent.deny_cgroup = options.deny_cgroup;
  agent.status_socket = options.status_socket;
  agent.metrics_file = options.metrics_file;
  if (!options.bundle.empty()) {
    agent.source = options.bundle;
    std::string path = options.bundle;
    agent.build_bundle = [path](std::string* error) { return codegen::read_bundle(path, error); };
    if (options.watch) agent.watch_paths = {path};
  } else {
    std::string joined;
    for (const std::string& path : options.policies) joined += (joined.empty() ? "" : ", ") + path;
    agent.source = joined;
    std::vector<std::string> paths = options.policies;
    agent.build_bundle = [paths](std::string* error) { return compile_bundle(paths, error); };
    if (options.watch) agent.watch_paths = paths;
  }

  std::vector<std::string> specs = options.outputs;
  if (specs.empty()) specs.push_back("stdout");
  for (const std::string& text : specs) {
    std::string error;
    std::optional<runtime::SinkSpec> spec = runtime::parse_sink_spec(text, &error);
    if (!spec) {
      std::cerr << "vigil run: --output " << text << ": " << error << "\n";
      return kExitUsageOrIo;
    }
    if (!options.format.empty() && !spec->format) {
      spec->format = runtime::find_alert_format(options.format);
      if (!spec->format) {
        std::cerr << "vigil run: --format " << options.format
                  << ": unknown format (text, json or ocsf)\n";
        return kExitUsageOrIo;
      }
    }
    bool terminal = spec->kind == runtime::SinkKind::Stdout && isatty(STDOUT_FILENO);
    runtime::AgentOutput output;
    output.format = runtime::resolved_format(*spec, terminal);
    output.color = terminal;
    output.sink = runtime::make_sink(*spec, &error);
    if (!output.sink) {
      std::cerr << "vigil run: --output " << text << ": " << error << "\n";
      return kExitUsageOrIo;
    }
    agent.outputs.push_back(std::move(output));
  }

  runtime::Agent running(std::move(agent));
  std::string error;
  if (!running.start(&error)) {
    std::cerr << "vigil run: error: " << error << "\n";
    return kExitPolicyProblem;
  }
  return running.run();
}

}  // namespace

Command register_run(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "Run the agent: load the policies, print alerts, reload on change (root)");
  command->add_option("--policies", options->policies, "Policy files or directories")
      ->type_name("PATH");
  command
      ->add_option("--bundle", options->bundle,
                   "A bundle from `vigil compile` (no compiler needed)")
      ->type_name("FILE");
  command
      ->add_option("--output", options->outputs,
                   "Alert sink, repeatable: stdout, file:PATH, syslog[:SOCKET] "
                   "(each may end in ,format=text|json|ocsf)")
      ->type_name("SPEC");
  command->add_option("--format", options->format,
                      "Alert format: text, json or ocsf (default: text on a terminal, else json)");
  command->add_flag("--audit", options->audit,
                    "Act on nothing: kill/deny rules report would_kill/would_deny");
  command
      ->add_option("--kill-limit", options->kill_limit,
                   "Distinct executables one kill rule may kill per minute before it is "
                   "switched to audit (0: no limit)")
      ->check(CLI::Range(0, 64))
      ->type_name("N");
  command
      ->add_option("--ring-buffer-mib", options->ring_buffer_mib,
                   "Size of the kernel-to-agent ring buffer in MiB, a power of two: the longer "
                   "the agent may fall behind before events are lost")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            unsigned mib = 0;
            bool digits = !text.empty() && text.size() <= 4 &&
                          text.find_first_not_of("0123456789") == std::string::npos;
            if (digits) mib = static_cast<unsigned>(std::stoul(text));
            if (mib == 0 || mib > 1024 || (mib & (mib - 1)) != 0)
              return "must be a power of two from 1 to 1024, not " + text;
            return "";
          },
          "POWER OF 2 (1-1024)"))
      ->type_name("MIB");
  command
      ->add_option("--deny-cgroup", options->deny_cgroup,
                   "The cgroup v2 directory whose processes `action deny` on net.connect/net.bind "
                   "covers (default: the cgroup v2 root, every process)")
      ->type_name("DIR");
  command->add_option("--status-socket", options->status_socket,
                      "Unix socket for `vigil status` (empty: none)");
  command->add_option("--metrics-file", options->metrics_file,
                      "Write Prometheus metrics to this file (textfile collector)");
  command->add_flag("!--no-watch", options->watch, "Do not reload when the policies change");
  return {command, [options] { return run_agent(*options); }};
}

}  // namespace vigil::cli
