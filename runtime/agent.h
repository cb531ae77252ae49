// The agent (`vigil run`): loads a policy generation, routes every hook it
// needs through a dispatcher (hook_dispatcher.h), reads the ring buffer,
// turns records into alerts (record_pipeline.h) and writes them to the
// sinks, and swaps in a new generation when the policies change.
//
// Hot reload: the new bundle is built and loaded (so verified) on a worker
// thread while the main loop keeps draining the ring buffer; only then does
// the main loop swap the hook slots, atomically per hook. Any failure before
// the swap leaves the running generation untouched and is reported (status,
// log). Shared maps (ring buffer, counters, process cache) carry over.
//
// Threads: the main loop (run()) owns everything; the reload thread only
// builds and loads a PolicyGeneration and hands it over. Signals: SIGINT and
// SIGTERM stop, SIGHUP reloads, SIGUSR1 reopens file sinks; run() blocks
// them and reads them from a signalfd.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compiler/codegen/bundle.h"
#include "runtime/agent_status.h"
#include "runtime/alert.h"
#include "runtime/alert_format.h"
#include "runtime/alert_sink.h"
#include "runtime/hook_dispatcher.h"
#include "runtime/lsm_probe.h"
#include "runtime/policy_generation.h"
#include "runtime/shared_maps.h"

struct ring_buffer;

namespace vigil::runtime {

class ClockMapping;
class ProcessTable;
class RecordPipeline;
class StatusServer;
class PolicyWatcher;

struct AgentOutput {
  std::unique_ptr<AlertSink> sink;
  AlertFormat format = AlertFormat::Json;
  bool color = false;  // text format: ANSI colours (a terminal)
};

struct AgentOptions {
  std::string version;  // reported by `vigil status`
  std::string source;   // what the policy comes from, for logs and status
  // Produces the bundle of a new generation: compiles the policy directory,
  // or reads a bundle file. Called on the reload thread. nullopt and `error`
  // (file:line:col diagnostics included) on failure.
  std::function<std::optional<codegen::Bundle>(std::string* error)> build_bundle;
  std::vector<std::string> watch_paths;  // reload when these change (inotify)
  std::vector<AgentOutput> outputs;
  // Kill/deny rules in enforce mode act unless this is set (docs/enforcement.md).
  bool audit = false;
  // Distinct executables one kill rule may kill per minute before the kernel
  // switches it to audit (at most 64; 0: no limit).
  uint32_t kill_limit = 10;
  // The cgroup v2 directory `action deny` on net.connect/net.bind covers (its
  // processes and every cgroup below); empty: the cgroup v2 root, so all.
  std::string deny_cgroup;
  // The ring buffer between the kernel and the agent (a power of two, in
  // bytes): how long a stall it absorbs before records are lost (at ~0.9 KiB
  // a file.open record, 32 MiB is ~0.35 s of 100,000 alerts/s). 0: the
  // bundle's 16 MiB.
  uint32_t ring_buffer_bytes = 32u << 20;
  std::string status_socket;  // empty: no status socket
  std::string metrics_file;   // empty: none (Prometheus textfile)
  std::chrono::milliseconds debounce{250};
  std::chrono::milliseconds stats_interval{1000};
  // Agent log lines ("vigil: generation 2 live ..."), default stderr.
  std::function<void(const std::string&)> log;
};

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Mounts what is missing, builds and loads generation 1, attaches, and
  // opens the ring buffer and status socket. False and `error` on failure
  // (then nothing stays attached).
  bool start(std::string* error);
  // The main loop, until SIGINT/SIGTERM (or stop()). Returns the exit code.
  int run();
  // Detaches every hook and closes everything (also done by the destructor).
  void shutdown();

  AgentStatus status() const;

 private:
  struct PendingReload;

  bool install(std::shared_ptr<PolicyGeneration> generation, std::string* error);
  EnforcementSettings enforcement() const;
  LsmSupport lsm_;  // probed at start
  bool set_deny_cgroup(std::string* error);
  void start_reload(const std::string& trigger);
  void finish_reload();
  static int on_record(void* context, void* data, size_t size);
  void drain_ring();             // one turn's worth of records
  void drain_ring_completely();  // at shutdown
  void poll_statistics();
  void emit(const Alert& alert);
  void flush_outputs();  // end of a turn: what the sinks buffered goes out
  void log(const std::string& line) const;

  AgentOptions options_;
  std::string tracefs_;
  std::string host_;
  int64_t started_unix_ns_ = 0;
  SharedMaps shared_;
  std::map<std::string, std::unique_ptr<HookDispatcher>> hooks_;  // by section
  std::shared_ptr<PolicyGeneration> current_;
  uint64_t next_generation_ = 1;

  std::unique_ptr<ClockMapping> clock_;
  std::unique_ptr<ProcessTable> processes_;
  std::unique_ptr<RecordPipeline> pipeline_;
  std::unique_ptr<StatusServer> status_server_;
  std::unique_ptr<PolicyWatcher> watcher_;
  ring_buffer* ring_ = nullptr;
  int records_this_turn_ = 0;

  // Reload thread hand-over.
  std::thread reload_thread_;
  std::mutex reload_mutex_;
  std::unique_ptr<PendingReload> reload_result_;  // guarded by reload_mutex_
  bool reload_running_ = false;
  std::string reload_again_;  // a trigger that arrived during a reload
  int reload_event_fd_ = -1;  // eventfd: the reload thread is done
  std::chrono::steady_clock::time_point reload_started_;
  std::string reload_trigger_;

  std::optional<ReloadResult> last_reload_;
  std::optional<ReloadResult> last_failure_;
  std::vector<uint64_t> last_stats_;
  uint64_t dropped_reported_ = 0;
  bool shut_down_ = false;
};

}  // namespace vigil::runtime
