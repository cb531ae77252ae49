#include "runtime/bundle_loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>

#include "runtime/elf_check.h"
#include "runtime/libbpf_messages.h"
#include "runtime/lsm_probe.h"
#include "runtime/map_contents.h"
#include "runtime/privileges.h"

namespace vigil::runtime {
namespace {

using Clock = std::chrono::steady_clock;

// BPF_LOG_LEVEL1 (every instruction verified, annotated with source lines
// and the registers it touched) and BPF_LOG_STATS. Level 2 adds the full
// verifier state at every instruction: several times the log for the same
// program, so its tail reaches back fewer instructions, and level 1 already
// shows the registers at the failing instruction.
constexpr uint32_t kLogLevelInstructions = 1;
constexpr uint32_t kLogLevelStats = 4;

// Exit codes of the child that test-opens an object.
constexpr int kProbeOpened = 0;
constexpr int kProbeRefused = 3;
constexpr unsigned kProbeTimeoutSeconds = 30;

std::string errno_text(int error_number) {
  return std::strerror(error_number);
}

// The first "libbpf: ..." line worth showing with an error, without the prefix.
std::string first_libbpf_line(const std::string& messages) {
  size_t start = 0;
  while (start < messages.size()) {
    size_t end = messages.find('\n', start);
    if (end == std::string::npos) end = messages.size();
    std::string line = messages.substr(start, end - start);
    if (line.rfind("libbpf: ", 0) == 0) line.erase(0, 8);
    if (!line.empty()) return line;
    start = end + 1;
  }
  return "";
}

// libbpf 1.1 can crash on malformed ELF or BTF (seen with bit-flipped
// objects). Parse it first in a forked child; only an object the child could
// open without dying is opened here. Returns false and `error` if it died.
bool probe_open_in_child(const std::vector<uint8_t>& bytes, const std::string& object_name,
                         std::string* error) {
  pid_t child = fork();
  if (child < 0) {
    *error = "cannot check the BPF object: fork: " + errno_text(errno);
    return false;
  }
  if (child == 0) {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, STDERR_FILENO);
    alarm(kProbeTimeoutSeconds);
    LibbpfMessages quiet;
    bpf_object_open_opts options{};
    options.sz = sizeof options;
    options.object_name = object_name.c_str();
    bpf_object* object = bpf_object__open_mem(bytes.data(), bytes.size(), &options);
    _exit(object != nullptr ? kProbeOpened : kProbeRefused);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      *error = "cannot check the BPF object: waitpid: " + errno_text(errno);
      return false;
    }
  }
  if (WIFEXITED(status) &&
      (WEXITSTATUS(status) == kProbeOpened || WEXITSTATUS(status) == kProbeRefused))
    return true;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    *error = "the BPF object is malformed: libbpf did not finish reading it in " +
             std::to_string(kProbeTimeoutSeconds) + " s";
  } else if (WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    *error = "the BPF object is malformed: libbpf crashed reading it (signal " +
             std::to_string(signal) + ", " + strsignal(signal) + ")";
  } else {
    *error = "the BPF object is malformed: libbpf failed reading it (exit status " +
             std::to_string(WEXITSTATUS(status)) + ")";
  }
  return false;
}

BpfObject open_object(const std::vector<uint8_t>& bytes, const std::string& object_name) {
  bpf_object_open_opts options{};
  options.sz = sizeof options;
  options.object_name = object_name.c_str();
  return BpfObject(bpf_object__open_mem(bytes.data(), bytes.size(), &options));
}

// Where the hook of a program's section is missing on this kernel, why.
class HookChecker {
 public:
  explicit HookChecker(std::string tracefs) : tracefs_(std::move(tracefs)) {}
  std::optional<LsmSupport> lsm_;
  ~HookChecker() { btf__free(vmlinux_btf_); }
  HookChecker(const HookChecker&) = delete;
  HookChecker& operator=(const HookChecker&) = delete;

  std::optional<std::string> missing(const std::string& section) {
    for (std::string_view prefix : {"tp/", "tracepoint/"}) {
      if (section.rfind(prefix, 0) != 0) continue;
      std::string tracepoint = section.substr(prefix.size());
      if (tracefs_.empty() || tracepoint.find('/') == std::string::npos) return std::nullopt;
      struct stat status{};
      if (::stat((tracefs_ + "/events/" + tracepoint).c_str(), &status) == 0) return std::nullopt;
      return "tracepoint " + tracepoint + " does not exist on this kernel";
    }
    if (section.rfind("lsm/", 0) == 0) {
      // BPF LSM programs load only where the kernel runs BPF LSM (lsm=...,bpf).
      if (!lsm_) lsm_ = probe_bpf_lsm();
      if (lsm_->kernel_has_bpf_lsm) return std::nullopt;
      return "BPF LSM cannot be used here: " + lsm_->why;
    }
    if (section.rfind("tp_btf/", 0) == 0) {
      // libbpf resolves these through the kernel's BTF and fails the whole
      // object load if the type is missing.
      std::string tracepoint = section.substr(7);
      if (!vmlinux_loaded_) {
        vmlinux_loaded_ = true;
        vmlinux_btf_ = btf__load_vmlinux_btf();
        if (libbpf_get_error(vmlinux_btf_)) vmlinux_btf_ = nullptr;
      }
      if (vmlinux_btf_ == nullptr) return std::nullopt;
      if (btf__find_by_name_kind(vmlinux_btf_, ("btf_trace_" + tracepoint).c_str(),
                                 BTF_KIND_TYPEDEF) >= 0)
        return std::nullopt;
      return "BTF tracepoint " + tracepoint + " does not exist on this kernel";
    }
    return std::nullopt;
  }

 private:
  std::string tracefs_;
  btf* vmlinux_btf_ = nullptr;
  bool vmlinux_loaded_ = false;
};

// Kernels before 6.4 keep the head of an overflowing log, later ones its tail.
bool kernel_keeps_log_tail() {
  utsname name{};
  if (uname(&name) != 0) return true;
  unsigned major = 0, minor = 0;
  if (std::sscanf(name.release, "%u.%u", &major, &minor) != 2) return true;
  return major > 6 || (major == 6 && minor >= 4);
}

std::string log_text(const std::string& buffer) {
  return std::string(buffer.c_str());  // up to the kernel's NUL
}

// BTF line info carries each line's text only when the compiler could read
// the source file; for a compile from memory the kernel prints "; @ f.c:12".
// The generated C is in the bundle: take the text from there. Headers
// (absolute paths under the compile's include root) are left as they are.
void fill_source_text(VerifierExcerpt& excerpt, const std::string& c_source) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= c_source.size();) {
    size_t end = c_source.find('\n', start);
    if (end == std::string::npos) end = c_source.size();
    lines.push_back(std::string_view(c_source).substr(start, end - start));
    start = end + 1;
  }
  auto fill = [&](SourceLineNote& note) {
    if (!note.code.empty() || note.file.empty() || note.file[0] == '/') return;
    if (note.line == 0 || note.line > lines.size()) return;
    std::string_view text = lines[note.line - 1];
    size_t first = text.find_first_not_of(" \t");
    note.code = first == std::string_view::npos ? "" : std::string(text.substr(first));
  };
  for (SourceLineNote& note : excerpt.source_lines) fill(note);
  if (excerpt.failing_line) fill(*excerpt.failing_line);
  for (std::string& line : excerpt.context_lines) {
    std::optional<SourceLineNote> note = parse_source_line_note(line);
    if (!note || !note->code.empty()) continue;
    fill(*note);
    if (!note->code.empty())
      line = "; " + note->code + " @ " + note->file + ":" + std::to_string(note->line);
  }
}

bool excluded(ProgramState state) {
  return state == ProgramState::Skipped || state == ProgramState::Rejected ||
         state == ProgramState::Failed;
}

// The program a failed bpf_object__load stopped at. libbpf names it
// ("prog 'x': failed to load: ..."); failing that, as libbpf loads programs
// in object order and stops at the first failure, it is the last one whose
// statistics log the kernel wrote.
std::optional<size_t> failed_program(const std::vector<ProgramLoad>& programs,
                                     const std::vector<std::string>& logs,
                                     std::string_view libbpf_messages) {
  constexpr std::string_view kFailedToLoad = "': failed to load";
  size_t end = libbpf_messages.rfind(kFailedToLoad);
  if (end != std::string_view::npos) {
    size_t start = libbpf_messages.rfind("prog '", end);
    if (start != std::string_view::npos) {
      std::string_view name = libbpf_messages.substr(start + 6, end - start - 6);
      for (size_t i = 0; i < programs.size(); ++i)
        if (programs[i].name == name && !excluded(programs[i].state)) return i;
    }
  }
  std::optional<size_t> failed;
  for (size_t i = 0; i < programs.size(); ++i)
    if (!excluded(programs[i].state) && !logs[i].empty() && logs[i][0] != '\0') failed = i;
  return failed;
}

// Marks the program a failed load stopped at; returns its index.
std::optional<size_t> mark_failure(std::vector<ProgramLoad>& programs,
                                   const std::vector<std::string>& logs, int error_number,
                                   std::string_view libbpf_messages) {
  std::optional<size_t> failed = failed_program(programs, logs, libbpf_messages);
  if (!failed) return std::nullopt;
  ProgramLoad& load = programs[*failed];
  load.error_number = error_number;
  load.verifier_log = log_text(logs[*failed]);
  VerifierExcerpt excerpt = extract_verifier_excerpt(load.verifier_log);
  if (error_number == EPERM) {
    load.state = ProgramState::Failed;
    load.reason = can_load_bpf_programs()
                      ? "the kernel does not permit this program (Operation not permitted) "
                        "although vigil has CAP_BPF and CAP_PERFMON: lockdown or a security "
                        "module may forbid its type"
                      : "not permitted: loading BPF programs needs root, or CAP_BPF and "
                        "CAP_PERFMON";
  } else if (!excerpt.error_lines.empty()) {
    load.state = ProgramState::Rejected;
    load.reason = excerpt.error_lines.front();
    load.excerpt = std::move(excerpt);
  } else {
    load.state = ProgramState::Failed;
    std::string detail = first_libbpf_line(std::string(libbpf_messages));
    load.reason = errno_text(error_number) + (detail.empty() ? "" : " (" + detail + ")");
  }
  return failed;
}

}  // namespace

std::string_view program_state_name(ProgramState state) {
  switch (state) {
    case ProgramState::Pending: return "pending";
    case ProgramState::Loaded: return "loaded";
    case ProgramState::Skipped: return "skipped";
    case ProgramState::Rejected: return "rejected";
    case ProgramState::Failed: return "failed";
  }
  return "unknown";
}

BpfObject& BpfObject::operator=(BpfObject&& other) noexcept {
  if (this != &other) {
    bpf_object__close(object_);
    object_ = other.release();
  }
  return *this;
}

BpfObject::~BpfObject() {
  bpf_object__close(object_);
}

bpf_object* BpfObject::release() {
  return std::exchange(object_, nullptr);
}

std::unique_ptr<BundleLoader> BundleLoader::open(const codegen::Bundle& bundle, LoadOptions options,
                                                 std::string* error) {
  std::unique_ptr<BundleLoader> loader(new BundleLoader());
  loader->bytes_ = bundle.object;
  loader->c_source_ = bundle.c_source;
  loader->maps_ = bundle.maps;
  loader->options_ = std::move(options);
  std::string why;
  if (!check_bpf_elf(loader->bytes_, &why)) {
    *error = "invalid BPF object: " + why;
    return nullptr;
  }
  if (!probe_open_in_child(loader->bytes_, loader->options_.object_name, error)) return nullptr;

  LibbpfMessages messages;
  loader->object_ = open_object(loader->bytes_, loader->options_.object_name);
  if (!loader->object_) {
    int error_number = errno;
    std::string detail = first_libbpf_line(messages.text());
    *error = "libbpf cannot open the BPF object: " +
             (detail.empty() ? errno_text(error_number) : detail);
    return nullptr;
  }
  bpf_program* program;
  bpf_object__for_each_program(program, loader->object_.get()) {
    ProgramLoad load;
    load.name = bpf_program__name(program);
    load.section = bpf_program__section_name(program);
    loader->programs_.push_back(std::move(load));
  }
  for (const codegen::ProgramInfo& expected : bundle.programs) {
    // An entry without a section describes code that is no ELF program of
    // its own (a matcher the hooks call).
    if (!expected.section.empty() && loader->program(expected.name) == nullptr) {
      *error = "the bundle's manifest names program " + expected.name +
               ", which its BPF object does not contain";
      return nullptr;
    }
  }
  loader->libbpf_messages_ = messages.text();
  return loader;
}

const ProgramLoad* BundleLoader::program(std::string_view name) const {
  for (const ProgramLoad& load : programs_)
    if (load.name == name) return &load;
  return nullptr;
}

// Autoload from the programs' states, map sizes and initial data, and (for
// `stats_logs`) a statistics log buffer per program to be loaded.
bool BundleLoader::prepare(bpf_object* object, bool stats_logs,
                           std::vector<std::string>* log_buffers, std::string* error) {
  log_buffers->assign(programs_.size(), std::string());
  for (size_t i = 0; i < programs_.size(); ++i) {
    bpf_program* program = bpf_object__find_program_by_name(object, programs_[i].name.c_str());
    if (program == nullptr) continue;
    bool wanted = !excluded(programs_[i].state);
    bpf_program__set_autoload(program, wanted);
    if (!wanted || !stats_logs) continue;
    (*log_buffers)[i].assign(options_.stats_log_bytes, '\0');
    bpf_program__set_log_buf(program, (*log_buffers)[i].data(), (*log_buffers)[i].size());
    bpf_program__set_log_level(program, kLogLevelStats);
  }
  return prepare_map_contents(object, maps_, error);
}

void BundleLoader::record_loaded_stats(bpf_object* object, const std::vector<std::string>& logs) {
  for (size_t i = 0; i < programs_.size(); ++i) {
    ProgramLoad& load = programs_[i];
    if (excluded(load.state)) continue;
    bpf_program* program = bpf_object__find_program_by_name(object, load.name.c_str());
    int fd = program ? bpf_program__fd(program) : -1;
    if (fd < 0) continue;
    load.state = ProgramState::Loaded;
    bpf_prog_info info{};
    uint32_t info_size = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &info_size) == 0) {
      load.xlated_insns = info.xlated_prog_len / 8;
      load.jited_bytes = info.jited_prog_len;
      load.verified_insns = info.verified_insns;
    }
    load.verifier_log = log_text(logs[i]);
    VerifierStats stats = parse_verifier_stats(load.verifier_log);
    if (stats.verification_time) load.verifier_time = *stats.verification_time;
    if (load.verified_insns == 0 && stats.processed_insns)
      load.verified_insns = static_cast<uint32_t>(*stats.processed_insns);
  }
}

// A hook on `raw_syscalls/sys_enter` (named vigil_<kind>_raw_syscalls) stands
// in for its event's syscall tracepoints on kernels that lack them (e.g. no
// module support: no sys_enter_finit_module). Where any of them exists, the
// fallback stays out, or every event would be reported twice.
void BundleLoader::skip_unneeded_fallbacks() {
  constexpr std::string_view kFallbackSuffix = "_raw_syscalls";
  for (ProgramLoad& fallback : programs_) {
    if (fallback.state != ProgramState::Pending || !fallback.name.ends_with(kFallbackSuffix))
      continue;
    std::optional<EventKind> event = codegen::event_of_program(fallback.name);
    if (!event) continue;
    for (const ProgramLoad& sibling : programs_) {
      if (&sibling == &fallback || sibling.state != ProgramState::Pending ||
          codegen::event_of_program(sibling.name) != event)
        continue;
      fallback.state = ProgramState::Skipped;
      fallback.reason = "not needed: " + sibling.section + " exists on this kernel";
      break;
    }
  }
}

bool BundleLoader::load(std::string* error) {
  if (load_attempted_) {
    *error = "the bundle was already loaded";
    return false;
  }
  load_attempted_ = true;
  LibbpfMessages messages;
  HookChecker hooks(options_.tracefs);
  for (ProgramLoad& load : programs_) {
    bpf_program* program = bpf_object__find_program_by_name(object_.get(), load.name.c_str());
    if (program != nullptr && !bpf_program__autoload(program)) {
      load.state = ProgramState::Skipped;
      load.reason = "the object marks it not to be loaded";
    } else if (std::optional<std::string> missing = hooks.missing(load.section)) {
      load.state = ProgramState::Skipped;
      load.reason = *missing;
    }
  }
  skip_unneeded_fallbacks();
  if (!prepare(object_.get(), true, &log_buffers_, error)) {
    libbpf_messages_ += messages.text();
    return false;
  }

  Clock::time_point start = Clock::now();
  int result = bpf_object__load(object_.get());
  int error_number = -result;
  if (result == 0) {
    record_loaded_stats(object_.get(), log_buffers_);
    if (!write_map_contents(object_.get(), maps_, error)) {
      libbpf_messages_ += messages.text();
      return false;
    }
    load_time_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    libbpf_messages_ += messages.text();
    loaded_ = true;
    return true;
  }
  load_time_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);

  std::optional<size_t> failed =
      mark_failure(programs_, log_buffers_, error_number, messages.text());
  libbpf_messages_ += messages.text();
  if (!failed) {
    std::string detail = first_libbpf_line(messages.text());
    *error = "cannot load the BPF object: " + (detail.empty() ? errno_text(error_number) : detail);
    if (error_number == EPERM) *error += " (loading BPF needs root, or CAP_BPF and CAP_PERFMON)";
    return false;
  }
  if (options_.diagnose_rejections) diagnose();

  std::vector<std::string> rejected, failures;
  for (const ProgramLoad& load : programs_) {
    if (load.state == ProgramState::Rejected) rejected.push_back(load.name);
    if (load.state == ProgramState::Failed) failures.push_back(load.name + ": " + load.reason);
  }
  if (!failures.empty()) {
    *error = "cannot load program " + failures.front();
  } else if (rejected.size() == 1) {
    *error = "program " + rejected.front() + " was rejected by the kernel verifier";
  } else {
    *error = std::to_string(rejected.size()) + " programs were rejected by the kernel verifier:";
    for (size_t i = 0; i < rejected.size(); ++i) *error += (i ? ", " : " ") + rejected[i];
  }
  return false;
}

// Loads the programs not yet judged in fresh objects, leaving out each
// failing one in turn, until the rest load together; then retries every
// rejected program alone with a full log.
void BundleLoader::diagnose() {
  LibbpfMessages messages;
  for (size_t round = 0; round < programs_.size(); ++round) {
    bool any = false;
    for (const ProgramLoad& load : programs_) any = any || !excluded(load.state);
    if (!any) break;
    BpfObject object = open_object(bytes_, options_.object_name);
    std::vector<std::string> logs;
    std::string error;
    if (!object || !prepare(object.get(), true, &logs, &error)) break;
    messages.clear();
    int result = bpf_object__load(object.get());
    if (result == 0) {
      record_loaded_stats(object.get(), logs);
      break;
    }
    if (!mark_failure(programs_, logs, -result, messages.text())) break;
  }
  for (ProgramLoad& load : programs_)
    if (load.state == ProgramState::Rejected) diagnose_alone(load);
}

void BundleLoader::diagnose_alone(ProgramLoad& load) {
  BpfObject object = open_object(bytes_, options_.object_name);
  if (!object) return;
  bpf_program* target = nullptr;
  bpf_program* program;
  bpf_object__for_each_program(program, object.get()) {
    bool wanted = load.name == bpf_program__name(program);
    bpf_program__set_autoload(program, wanted);
    if (wanted) target = program;
  }
  std::string error;
  if (target == nullptr || !prepare_map_contents(object.get(), maps_, &error)) return;
  std::string buffer(options_.diagnosis_log_bytes, '\0');
  bpf_program__set_log_buf(target, buffer.data(), buffer.size());
  bpf_program__set_log_level(target, kLogLevelInstructions | kLogLevelStats);
  int result = bpf_object__load(object.get());
  if (result == 0) return;  // accepted alone: keep the first verdict
  int error_number = -result;
  std::string log = log_text(buffer);
  bool truncated = error_number == ENOSPC || log.size() + 1 >= buffer.size();
  bool tail_kept = !truncated || kernel_keeps_log_tail();
  VerifierExcerpt excerpt =
      extract_verifier_excerpt(log, ExcerptOptions{.head_truncated = truncated && tail_kept});
  // A log that lost its end has no verdict: the statistics-level log has it.
  if (!tail_kept || excerpt.error_lines.empty()) {
    excerpt.error_lines = load.excerpt ? load.excerpt->error_lines : std::vector<std::string>{};
    if (!tail_kept) excerpt.context_lines.clear();
  }
  fill_source_text(excerpt, c_source_);
  load.verifier_log = std::move(log);
  load.verifier_log_truncated = truncated;
  if (!excerpt.error_lines.empty()) load.reason = excerpt.error_lines.front();
  load.excerpt = std::move(excerpt);
}

}  // namespace vigil::runtime
