// Attaching the loaded programs of a bundle to their hooks, and detaching
// them all when the attachments go out of scope. Programs that need no
// attaching (matchers reached by tail call, test harness programs) and
// programs left out at load (missing hook) are skipped.
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
