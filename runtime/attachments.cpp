#include "runtime/attachments.h"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace vigil::runtime {
namespace {

// Sections with a hook named in them; bare "tp", "syscall" and the like have
// none (tail-call targets, BPF_PROG_TEST_RUN harness).
bool has_attach_point(std::string_view section) {
  for (std::string_view prefix : {"tp/", "tracepoint/", "raw_tp/", "raw_tracepoint/", "tp_btf/"})
    if (section.starts_with(prefix) && section.size() > prefix.size()) return true;
  return false;
}

}  // namespace

Attachments::Attachments(Attachments&& other) noexcept
    : links_(std::exchange(other.links_, {})), names_(std::exchange(other.names_, {})) {}

Attachments& Attachments::operator=(Attachments&& other) noexcept {
  if (this != &other) {
    for (bpf_link* link : links_) bpf_link__destroy(link);
    links_ = std::exchange(other.links_, {});
    names_ = std::exchange(other.names_, {});
  }
  return *this;
}

Attachments::~Attachments() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
}

bool Attachments::attach_all(bpf_object* object, std::string* error) {
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    if (!bpf_program__autoload(program) || bpf_program__fd(program) < 0) continue;
    if (!has_attach_point(bpf_program__section_name(program))) continue;
    bpf_link* link = bpf_program__attach(program);
    if (!link) {
      int code = errno;
      *error = std::string("cannot attach program ") + bpf_program__name(program) + " (" +
               bpf_program__section_name(program) + "): " + std::strerror(code);
      return false;
    }
    links_.push_back(link);
    names_.emplace_back(bpf_program__name(program));
  }
  return true;
}

}  // namespace vigil::runtime
