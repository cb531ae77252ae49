// Attaching the loaded programs of a bundle directly to their hooks, and
// detaching them all when the attachments go out of scope: for tests and
// one-shot tools. (The agent attaches dispatchers instead and puts the
// programs in their slots: hook_dispatcher.h.) Programs with no attach point
// (test harness programs) and programs left out at load are skipped.
#pragma once

#include <bpf/libbpf.h>

#include <string>
#include <vector>

namespace vigil::runtime {

class Attachments {
 public:
  Attachments() = default;
  Attachments(Attachments&&) noexcept;
  Attachments& operator=(Attachments&&) noexcept;
  Attachments(const Attachments&) = delete;
  Attachments& operator=(const Attachments&) = delete;
  ~Attachments();

  // Attaches every loaded program with an attach point in its section
  // (`tp/<category>/<name>`, `raw_tp/<name>`). False and `error` (naming the
  // program) on the first failure; what was attached stays until destruction.
  bool attach_all(bpf_object* object, std::string* error);

  size_t size() const { return links_.size(); }
  const std::vector<std::string>& attached() const { return names_; }

 private:
  std::vector<bpf_link*> links_;
  std::vector<std::string> names_;
};

}  // namespace vigil::runtime
