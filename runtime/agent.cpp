#include "runtime/agent.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <set>

#include "runtime/agent_status_json.h"
#include "runtime/clock_mapping.h"
#include "runtime/kernel_mounts.h"
#include "runtime/policy_watcher.h"
#include "runtime/privileges.h"
#include "runtime/process_table.h"
#include "runtime/prometheus.h"
#include "runtime/record_pipeline.h"
#include "runtime/status_server.h"

namespace vigil::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kReloadNice = 10;

int64_t unix_now_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

std::string hostname() {
  char name[256] = "";
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

void arm_timer(int fd, std::chrono::milliseconds after, std::chrono::milliseconds every = {}) {
  itimerspec spec{};
  auto to_timespec = [](std::chrono::milliseconds ms) {
    timespec t{};
    t.tv_sec = ms.count() / 1000;
    t.tv_nsec = (ms.count() % 1000) * 1'000'000;
    return t;
  };
  spec.it_value = to_timespec(after);
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  spec.it_interval = to_timespec(every);
  timerfd_settime(fd, 0, &spec, nullptr);
}

void drain(int fd) {
  uint64_t value;
  while (::read(fd, &value, sizeof value) > 0) {
  }
}

// Records handled per turn of the main loop: a producer faster than the
// pipeline must not keep ring_buffer__consume() from returning (signals,
// reloads and the status socket would starve).
constexpr int kRecordsPerTurn = 4096;
constexpr int kTurnOver = -EAGAIN;

}  // namespace

int Agent::on_record(void* context, void* data, size_t size) {
  auto* agent = static_cast<Agent*>(context);
  agent->pipeline_->handle(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  // libbpf has already moved past this record: stopping here loses nothing.
  return ++agent->records_this_turn_ >= kRecordsPerTurn ? kTurnOver : 0;
}

void Agent::drain_ring() {
  records_this_turn_ = 0;
  ring_buffer__consume(ring_);
}

void Agent::drain_ring_completely() {
  while (true) {
    records_this_turn_ = 0;
    if (ring_buffer__consume(ring_) != kTurnOver) return;
  }
}

struct Agent::PendingReload {
  std::shared_ptr<PolicyGeneration> generation;  // null: failed
  std::string error;
};

Agent::Agent(AgentOptions options) : options_(std::move(options)) {
  if (!options_.log)
    options_.log = [](const std::string& line) {
      std::fprintf(stderr, "vigil: %s\n", line.c_str());
    };
}

Agent::~Agent() {
  shutdown();
}

void Agent::log(const std::string& line) const {
  options_.log(line);
}

bool Agent::start(std::string* error) {
  started_unix_ns_ = unix_now_ns();
  host_ = hostname();
  if (!can_load_bpf_programs()) {
    *error = bpf_privileges_message("vigil run");
    return false;
  }
  std::optional<std::string> tracefs = ensure_tracefs(error);
  if (!tracefs) return false;
  tracefs_ = *tracefs;
  if (!ensure_bpffs(error)) return false;
  // Container ids read cgroup v2 paths; without it they come from /proc only.
  std::string cgroup_error;
  std::optional<std::string> cgroup2 = ensure_cgroup2(&cgroup_error);
  if (!cgroup2) log("no cgroup v2: " + cgroup_error);
  if (options_.deny_cgroup.empty() && cgroup2) options_.deny_cgroup = *cgroup2;
  lsm_ = probe_bpf_lsm();

  clock_ = std::make_unique<ClockMapping>();
  processes_ = std::make_unique<ProcessTable>(ProcessTableOptions{}, *clock_);
  processes_->seed_from_proc();
  pipeline_ = std::make_unique<RecordPipeline>(
      RecordPipeline::Options{
          .host = host_, .audit = options_.audit, .kill_limit = options_.kill_limit},
      *processes_, *clock_, [this](const Alert& alert) { emit(alert); });

  shared_.set_ring_buffer_bytes(options_.ring_buffer_bytes);
  SteadyClock::time_point begin = SteadyClock::now();
  std::optional<codegen::Bundle> bundle = options_.build_bundle(error);
  if (!bundle) return false;
  uint64_t id = next_generation_++;
  std::unique_ptr<PolicyGeneration> generation =
      PolicyGeneration::load(id, std::move(*bundle), shared_, tracefs_, enforcement(), error);
  if (!generation) return false;
  if (!shared_.adopt_from(generation->loader().object(), error)) return false;
  if (!set_deny_cgroup(error)) return false;
  if (!install(std::move(generation), error)) {
    shutdown();
    return false;
  }
  ReloadResult result;
  result.generation = id;
  result.ok = true;
  result.trigger = "start";
  result.finished_unix_ns = unix_now_ns();
  result.duration_us =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - begin).count();
  last_reload_ = result;

  ring_ = ring_buffer__new(shared_.ring_buffer_fd(), on_record, this, nullptr);
  if (!ring_) {
    *error = std::string("cannot read the ring buffer: ") + std::strerror(errno);
    shutdown();
    return false;
  }
  if (!options_.watch_paths.empty()) {
    watcher_ = std::make_unique<PolicyWatcher>();
    if (!watcher_->watch(options_.watch_paths, error)) {
      shutdown();
      return false;
    }
  }
  if (!options_.status_socket.empty()) {
    status_server_ =
        StatusServer::start(options_.status_socket, [this] { return status(); }, error);
    if (!status_server_) {
      shutdown();
      return false;
    }
  }
  reload_event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  last_stats_ = shared_.read_stats();
  for (const std::string& skipped : current_->skipped()) log("left out: " + skipped);
  log("generation " + std::to_string(id) + " live: " + std::to_string(current_->enabled_rules()) +
      " rules on " + std::to_string(current_->hook_programs().size()) + " hooks from " +
      options_.source + " (" + std::to_string(result.duration_us / 1000) + " ms)");
  return true;
}

// Puts a loaded generation in the hook slots: atomic per hook, and all or
// nothing for the set (a failure restores the previous programs).
EnforcementSettings Agent::enforcement() const {
  return {.enforce = !options_.audit,
          .agent_tgid = static_cast<uint32_t>(getpid()),
          .kill_limit = options_.kill_limit,
          .lsm_active = lsm_.kernel_has_bpf_lsm,
          .lsm_why = lsm_.why};
}

// The deny programs' cgroup, for the tracepoints' vigil_deny_hooked().
bool Agent::set_deny_cgroup(std::string* error) {
  if (options_.audit || options_.deny_cgroup.empty()) return true;
  int cgroup = open(options_.deny_cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup < 0) {
    *error = "cannot open the deny cgroup " + options_.deny_cgroup + ": " + std::strerror(errno);
    return false;
  }
  uint32_t key = 0;
  uint32_t value = static_cast<uint32_t>(cgroup);
  int result = bpf_map_update_elem(shared_.deny_cgroup_fd(), &key, &value, BPF_ANY);
  int code = errno;
  close(cgroup);
  if (result != 0) {
    *error = "cannot set the deny cgroup " + options_.deny_cgroup + ": " + std::strerror(code);
    return false;
  }
  return true;
}

bool Agent::install(std::shared_ptr<PolicyGeneration> generation, std::string* error) {
  // 1. Every hook the generation needs exists (new ones not attached yet).
  std::vector<std::string> created;
  for (const HookProgram& program : generation->hook_programs()) {
    std::string section = program.point.section();
    if (hooks_.count(section)) continue;
    std::unique_ptr<HookDispatcher> hook =
        HookDispatcher::create(program.point, tracefs_, error, options_.deny_cgroup);
    if (!hook) {
      for (const std::string& name : created) hooks_.erase(name);
      return false;
    }
    hooks_[section] = std::move(hook);
    created.push_back(section);
  }
  // Its records must be decodable before its programs run.
  pipeline_->add_generation(generation);

  // 2. Swap the slots; 3. attach the new hooks.
  std::map<std::string, int> previous;  // section -> the old program's fd (-1: empty)
  if (current_)
    for (const HookProgram& program : current_->hook_programs())
      previous[program.point.section()] = program.fd;
  std::vector<std::string> switched;
  auto roll_back = [&] {
    std::string ignored;
    for (const std::string& section : switched) {
      auto old = previous.find(section);
      if (old != previous.end())
        hooks_[section]->set_target(old->second, &ignored);
      else
        hooks_[section]->clear_target(&ignored);
    }
    for (const std::string& name : created) hooks_.erase(name);
  };
  for (const HookProgram& program : generation->hook_programs()) {
    std::string section = program.point.section();
    if (!hooks_[section]->set_target(program.fd, error)) {
      roll_back();
      return false;
    }
    switched.push_back(section);
  }
  for (const HookProgram& program : generation->hook_programs()) {
    if (!hooks_[program.point.section()]->attach(error)) {
      *error += " (policy not applied: the previous generation stays)";
      roll_back();
      return false;
    }
  }
  // 4. Hooks the new generation does not use go quiet, then away.
  std::set<std::string> used;
  for (const HookProgram& program : generation->hook_programs())
    used.insert(program.point.section());
  for (auto it = hooks_.begin(); it != hooks_.end();) {
    if (used.count(it->first)) {
      ++it;
      continue;
    }
    std::string ignored;
    it->second->clear_target(&ignored);
    it = hooks_.erase(it);
  }
  current_ = std::move(generation);
  return true;
}

void Agent::start_reload(const std::string& trigger) {
  if (reload_running_) {
    reload_again_ = trigger;
    return;
  }
  if (reload_thread_.joinable()) reload_thread_.join();
  reload_running_ = true;
  reload_trigger_ = trigger;
  reload_started_ = SteadyClock::now();
  uint64_t id = next_generation_++;
  log("reloading (" + trigger + "): building generation " + std::to_string(id));
  reload_thread_ = std::thread([this, id] {
    // Building a generation (the compile worker inherits this) must not
    // starve the main loop: a ring buffer left undrained drops events.
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kReloadNice);
    auto result = std::make_unique<PendingReload>();
    std::string error;
    std::optional<codegen::Bundle> bundle = options_.build_bundle(&error);
    if (bundle) {
      std::unique_ptr<PolicyGeneration> generation =
          PolicyGeneration::load(id, std::move(*bundle), shared_, tracefs_, enforcement(), &error);
      result->generation = std::move(generation);
    }
    result->error = error;
    {
      std::lock_guard lock(reload_mutex_);
      reload_result_ = std::move(result);
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t written = ::write(reload_event_fd_, &one, sizeof one);
  });
}

void Agent::finish_reload() {
  std::unique_ptr<PendingReload> result;
  {
    std::lock_guard lock(reload_mutex_);
    result = std::move(reload_result_);
  }
  if (!result) return;
  if (reload_thread_.joinable()) reload_thread_.join();
  reload_running_ = false;

  ReloadResult outcome;
  outcome.trigger = reload_trigger_;
  outcome.generation = next_generation_ - 1;
  std::string error = result->error;
  bool ok = result->generation != nullptr;
  if (ok) {
    outcome.generation = result->generation->id();
    ok = install(std::move(result->generation), &error);
  }
  outcome.ok = ok;
  outcome.error = ok ? "" : error;
  outcome.finished_unix_ns = unix_now_ns();
  outcome.duration_us =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - reload_started_)
          .count();
  last_reload_ = outcome;
  if (ok) {
    log("generation " + std::to_string(outcome.generation) +
        " live: " + std::to_string(current_->enabled_rules()) + " rules on " +
        std::to_string(current_->hook_programs().size()) + " hooks (" + outcome.trigger + ", " +
        std::to_string(outcome.duration_us / 1000) + " ms)");
  } else {
    last_failure_ = outcome;
    log("reload failed (" + outcome.trigger + "), generation " +
        std::to_string(current_ ? current_->id() : 0) + " keeps running:\n" + error);
  }
  if (!reload_again_.empty()) {
    std::string trigger = std::exchange(reload_again_, "");
    start_reload(trigger);
  }
}

void Agent::emit(const Alert& alert) {
  for (AgentOutput& output : options_.outputs) {
    std::string line;
    switch (output.format) {
      case AlertFormat::Json: line = format_alert_json(alert); break;
      case AlertFormat::Text: line = format_alert_text(alert, output.color); break;
      case AlertFormat::Ocsf: line = format_alert_ocsf(alert); break;
    }
    std::string error;
    if (!output.sink->write(alert, line, &error)) log("cannot write an alert: " + error);
  }
}

void Agent::flush_outputs() {
  for (AgentOutput& output : options_.outputs) {
    std::string error;
    if (!output.sink->flush(&error)) log(error);
  }
}

void Agent::poll_statistics() {
  if (pipeline_) pipeline_->flush_dedup(unix_now_ns());
  std::vector<uint64_t> stats = shared_.read_stats();
  if (stats.size() >= kEventKindCount + 2) {
    uint64_t dropped = stats[kEventKindCount + 1];
    if (dropped > dropped_reported_) {
      Alert alert;
      alert.origin = AlertOrigin::Agent;
      alert.time_unix_ns = unix_now_ns();
      alert.host = host_;
      alert.generation = current_ ? current_->id() : 0;
      alert.rule = "vigil.events_dropped";
      alert.severity = Severity::High;
      alert.output = std::to_string(dropped - dropped_reported_) +
                     " records lost because the ring buffer was full (" + std::to_string(dropped) +
                     " since start): alerts were missed";
      dropped_reported_ = dropped;
      emit(alert);
    }
    last_stats_ = std::move(stats);
  }
  if (!options_.metrics_file.empty()) {
    std::string error;
    if (!write_metrics_file(options_.metrics_file, prometheus_metrics(status()), &error))
      log("cannot write the metrics file: " + error);
  }
}

AgentStatus Agent::status() const {
  AgentStatus status;
  status.version = options_.version;
  status.started_unix_ns = started_unix_ns_;
  status.pid = getpid();
  status.source = options_.source;
  if (current_) {
    status.generation = current_->id();
    status.rules = current_->enabled_rules();
  }
  for (const auto& [section, hook] : hooks_)
    if (hook->attached()) status.hooks.push_back(section);
  std::vector<uint64_t> stats = shared_.read_stats();
  if (stats.size() >= kEventKindCount + 2) {
    for (const EventInfo& event : all_events())
      status.events.push_back({std::string(event.name), stats[static_cast<size_t>(event.kind)]});
    status.kernel_submitted = stats[kEventKindCount];
    status.kernel_dropped = stats[kEventKindCount + 1];
  }
  if (stats.size() >= kEventKindCount + 3) status.kernel_killed = stats[kEventKindCount + 2];
  status.ring_buffer_bytes = shared_.ring_buffer_capacity();
  if (pipeline_) {
    status.records = pipeline_->records();
    status.records_malformed = pipeline_->malformed();
    status.alerts = pipeline_->alerts();
    status.rule_counters = pipeline_->rule_counters();
  }
  status.last_reload = last_reload_;
  status.last_failure = last_failure_;
  return status;
}

int Agent::run() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  int debounce_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  int stats_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](int fd) {
    if (fd < 0) return;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
  };
  int ring_fd = ring_buffer__epoll_fd(ring_);
  watch(ring_fd);
  watch(signal_fd);
  watch(debounce_fd);
  watch(stats_fd);
  watch(reload_event_fd_);
  if (watcher_) watch(watcher_->fd());
  if (status_server_) watch(status_server_->fd());
  arm_timer(stats_fd, options_.stats_interval, options_.stats_interval);

  int exit_code = 0;
  bool running = true;
  while (running) {
    epoll_event events[8];
    int ready = epoll_wait(epoll, events, 8, 1000);
    if (ready < 0 && errno != EINTR) {
      log(std::string("epoll: ") + std::strerror(errno));
      exit_code = 1;
      break;
    }
    for (int i = 0; i < ready; ++i) {
      int fd = events[i].data.fd;
      if (fd == ring_fd) {
        drain_ring();
      } else if (fd == signal_fd) {
        signalfd_siginfo info{};
        while (::read(signal_fd, &info, sizeof info) == sizeof info) {
          if (info.ssi_signo == SIGINT || info.ssi_signo == SIGTERM) {
            log(std::string("stopping (") + (info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM") +
                ")");
            running = false;
          } else if (info.ssi_signo == SIGHUP) {
            start_reload("SIGHUP");
          } else if (info.ssi_signo == SIGUSR1) {
            for (AgentOutput& output : options_.outputs) {
              std::string error;
              if (!output.sink->reopen(&error))
                log("cannot reopen " + output.sink->describe() + ": " + error);
            }
          }
        }
      } else if (watcher_ && fd == watcher_->fd()) {
        if (watcher_->handle_ready()) arm_timer(debounce_fd, options_.debounce);
      } else if (fd == debounce_fd) {
        drain(debounce_fd);
        start_reload("policy change");
      } else if (fd == reload_event_fd_) {
        drain(reload_event_fd_);
        drain_ring();  // records of the running generation first
        finish_reload();
      } else if (fd == stats_fd) {
        drain(stats_fd);
        poll_statistics();
      } else if (status_server_ && fd == status_server_->fd()) {
        status_server_->handle_ready();
      }
    }
    flush_outputs();
  }
  for (int fd : {signal_fd, debounce_fd, stats_fd, epoll})
    if (fd >= 0) ::close(fd);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  shutdown();
  return exit_code;
}

void Agent::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (reload_thread_.joinable()) reload_thread_.join();
  // Detach first: from here no program runs; then drain what they wrote.
  // Empty the slots ourselves rather than leave it to the kernel's deferred
  // clearing of a closed program array (seen to linger for minutes).
  for (auto& [section, hook] : hooks_) {
    hook->detach();
    std::string ignored;
    hook->clear_target(&ignored);
  }
  if (ring_) {
    drain_ring_completely();
    if (pipeline_) pipeline_->flush_dedup(unix_now_ns(), /*final_flush=*/true);
    flush_outputs();
    ring_buffer__free(ring_);
    ring_ = nullptr;
  }
  hooks_.clear();
  status_server_.reset();
  watcher_.reset();
  current_.reset();
  pipeline_.reset();
  if (reload_event_fd_ >= 0) ::close(reload_event_fd_);
  reload_event_fd_ = -1;
}

}  // namespace vigil::runtime
