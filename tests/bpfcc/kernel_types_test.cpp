// The hand-maintained vmlinux.h against the running kernel's BTF: every
// field it declares must relocate (CO-RE types: same name and kind, found
// through anonymous members as libbpf does) or sit at the same offset (UAPI
// types). A type with ___flavors passes if one of its flavors matches, which is
// how CO-RE picks between them at load time.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "compiler/bpfcc/bpf_compiler.h"
#include "compiler/bpfcc/embedded_headers.h"
#include "compiler/bpfcc/isolated_compile.h"

namespace vigil::bpfcc {
namespace {

std::string embedded_vmlinux_h() {
  for (const EmbeddedHeader& header : embedded_headers())
    if (header.name == "vmlinux.h") return std::string(header.contents);
  return {};
}

// Names of the structs and unions defined in `text`: lines "struct NAME {".
std::set<std::string> record_names(const std::string& text) {
  std::set<std::string> names;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    for (std::string keyword : {"struct ", "union "}) {
      if (line.rfind(keyword, 0) != 0 || line.size() < keyword.size() + 3) continue;
      if (line.compare(line.size() - 2, 2, " {") != 0) continue;
      std::string name = line.substr(keyword.size(), line.size() - keyword.size() - 2);
      if (name.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
          std::string::npos)
        names.insert(name);
    }
  }
  return names;
}

const btf_type* skip_typedefs(const btf* types, std::uint32_t& id) {
  const btf_type* type = btf__type_by_id(types, id);
  while (type && (btf_is_typedef(type) || btf_is_mod(type))) {
    id = type->type;
    type = btf__type_by_id(types, id);
  }
  return type;
}

struct FoundMember {
  std::uint32_t type_id = 0;
  std::uint32_t bit_offset = 0;
};

// Finds member `name` of composite `type`, descending into anonymous members.
bool find_member(const btf* types, const btf_type* type, const std::string& name,
                 std::uint32_t base_offset, FoundMember& found) {
  const btf_member* members = btf_members(type);
  for (std::uint16_t i = 0; i < btf_vlen(type); ++i) {
    std::uint32_t offset = base_offset + btf_member_bit_offset(type, i);
    const char* member_name = btf__name_by_offset(types, members[i].name_off);
    if (member_name && name == member_name) {
      found = {members[i].type, offset};
      return true;
    }
    if (!member_name || !*member_name) {
      std::uint32_t id = members[i].type;
      const btf_type* inner = skip_typedefs(types, id);
      if (inner && btf_is_composite(inner) && find_member(types, inner, name, offset, found))
        return true;
    }
  }
  return false;
}

class Comparison {
 public:
  Comparison(const btf* local, const btf* kernel, bool core)
      : local_(local), kernel_(kernel), core_(core) {}

  // Appends one line per mismatch between local composite `local_id` and the
  // kernel's `kernel_id`; `where` names the path for messages.
  void composite(std::uint32_t local_id, std::uint32_t kernel_id, const std::string& where,
                 std::uint32_t local_base = 0, std::uint32_t kernel_base = 0) {
    const btf_type* local = btf__type_by_id(local_, local_id);
    const btf_type* kernel = skip_typedefs(kernel_, kernel_id);
    const btf_member* members = btf_members(local);
    for (std::uint16_t i = 0; i < btf_vlen(local); ++i) {
      const char* name = btf__name_by_offset(local_, members[i].name_off);
      std::uint32_t local_offset = local_base + btf_member_bit_offset(local, i);
      std::uint32_t member_id = members[i].type;
      const btf_type* member = skip_typedefs(local_, member_id);
      if (!name || !*name) {  // anonymous: its members are looked up in the kernel type
        composite(member_id, kernel_id, where, local_offset, kernel_base);
        continue;
      }
      FoundMember found;
      if (!find_member(kernel_, kernel, name, kernel_base, found)) {
        mismatches.push_back(where + "." + name + ": not in the kernel");
        continue;
      }
      if (!core_ && found.bit_offset != local_offset)
        mismatches.push_back(where + "." + name + ": at bit " + std::to_string(local_offset) +
                             ", the kernel has it at bit " + std::to_string(found.bit_offset));
      kinds(member_id, member, found.type_id, where + "." + name);
    }
  }

  std::vector<std::string> mismatches;

 private:
  void kinds(std::uint32_t local_id, const btf_type* local, std::uint32_t kernel_id,
             const std::string& where) {
    const btf_type* kernel = skip_typedefs(kernel_, kernel_id);
    if (!local || !kernel) return mismatches.push_back(where + ": unresolvable type");
    bool same = btf_kind(local) == btf_kind(kernel) ||
                (btf_is_any_enum(local) && btf_is_any_enum(kernel)) ||
                (btf_is_composite(local) && btf_is_composite(kernel));
    if (!same)
      return mismatches.push_back(where + ": kind " + std::to_string(btf_kind(local)) +
                                  ", the kernel's is " + std::to_string(btf_kind(kernel)));
    if (btf_is_int(local) && local->size != kernel->size)
      mismatches.push_back(where + ": " + std::to_string(local->size) +
                           "-byte integer, the kernel's has " + std::to_string(kernel->size));
    if (btf_is_array(local)) {
      const struct btf_array* mine = btf_array(local);
      const struct btf_array* theirs = btf_array(kernel);
      if (mine->nelems > theirs->nelems && theirs->nelems != 0)
        mismatches.push_back(where + ": " + std::to_string(mine->nelems) +
                             " elements, the kernel's has " + std::to_string(theirs->nelems));
      std::uint32_t element = mine->type;
      const btf_type* element_type = skip_typedefs(local_, element);
      kinds(element, element_type, theirs->type, where + "[]");
    }
    if (btf_is_composite(local)) composite(local_id, kernel_id, where);
  }

  const btf* local_;
  const btf* kernel_;
  bool core_;
};

// One paragraph per type none of whose flavors matches; empty if all match.
// Failures to compile or load BTF are reported the same way.
std::string kernel_type_mismatches(const std::string& header) {
  std::size_t core_start = header.find("#pragma clang attribute push");
  if (core_start == std::string::npos) return "no CO-RE section in the header\n";
  std::set<std::string> uapi = record_names(header.substr(0, core_start));
  std::set<std::string> core = record_names(header.substr(core_start));

  // Every declared type, kept alive by a global, ends up in the object's BTF.
  BpfCompileRequest request;
  request.headers = {{"vmlinux.h", header}};
  request.source = "#include \"vmlinux.h\"\n";
  for (const std::set<std::string>* names : {&uapi, &core})
    for (const std::string& name : *names)
      request.source += "struct " + name + " *use_" + name + ";\n";
  BpfCompileResult compiled = compile_bpf_isolated(request);
  if (!compiled.ok) return compiled.error + "\n" + compiled.diagnostics_text;
  std::unique_ptr<bpf_object, void (*)(bpf_object*)> object(
      bpf_object__open_mem(compiled.object.data(), compiled.object.size(), nullptr),
      &bpf_object__close);
  const btf* local = object ? bpf_object__btf(object.get()) : nullptr;
  if (!local) return "cannot read the object's BTF\n";
  std::unique_ptr<btf, void (*)(btf*)> kernel(btf__load_vmlinux_btf(), &btf__free);
  if (!kernel) return "no kernel BTF at /sys/kernel/btf/vmlinux\n";

  // Base name -> (flavor name -> mismatches).
  std::map<std::string, std::map<std::string, std::vector<std::string>>> outcomes;
  for (const std::set<std::string>* names : {&uapi, &core}) {
    for (const std::string& name : *names) {
      std::string base = name.substr(0, name.find("___"));
      std::vector<std::string>& mismatches = outcomes[base][name];
      std::int32_t local_id = btf__find_by_name_kind(local, name.c_str(), BTF_KIND_STRUCT);
      if (local_id < 0) local_id = btf__find_by_name_kind(local, name.c_str(), BTF_KIND_UNION);
      std::int32_t kernel_id = btf__find_by_name_kind(kernel.get(), base.c_str(), BTF_KIND_STRUCT);
      if (kernel_id < 0)
        kernel_id = btf__find_by_name_kind(kernel.get(), base.c_str(), BTF_KIND_UNION);
      if (local_id < 0) {
        mismatches.push_back(name + ": missing from the object's BTF");
        continue;
      }
      if (kernel_id < 0) {
        mismatches.push_back(name + ": the kernel has no struct " + base);
        continue;
      }
      Comparison comparison(local, kernel.get(), names == &core);
      comparison.composite(static_cast<std::uint32_t>(local_id),
                           static_cast<std::uint32_t>(kernel_id), name);
      mismatches = std::move(comparison.mismatches);
    }
  }
  std::string report;
  for (const auto& [base, flavors] : outcomes) {
    bool any_matches = false;
    std::string lines;
    for (const auto& [name, mismatches] : flavors) {
      any_matches = any_matches || mismatches.empty();
      for (const std::string& line : mismatches) lines += "  " + line + "\n";
    }
    if (!any_matches) report += "no flavor of " + base + " matches this kernel:\n" + lines;
  }
  return report;
}

TEST(KernelTypes, TrimmedVmlinuxHeaderMatchesTheRunningKernel) {
  std::string header = embedded_vmlinux_h();
  ASSERT_GT(record_names(header).size(), 30u);
  EXPECT_EQ(kernel_type_mismatches(header), "");
}

TEST(KernelTypes, CheckFindsRenamedAndResizedFields) {
  std::string header = embedded_vmlinux_h();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::size_t at = header.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    header.replace(at, from.size(), to);
  };
  replace("\tpid_t tgid;\n", "\tpid_t tgid_renamed;\n");
  replace("\tint exit_code;\n", "\tlong exit_code;\n");
  replace("\t__be16 sin_port;\n", "\t__be32 sin_port;\n");  // UAPI: offsets checked
  // A flavor that does not match is fine while another flavor of the type does.
  replace("struct kernfs_node___pre_6_15 *parent;", "struct kernfs_node___pre_6_15 *up;");
  EXPECT_EQ(kernel_type_mismatches(header),
            "no flavor of sockaddr_in matches this kernel:\n"
            "  sockaddr_in.sin_port: at bit 32, the kernel has it at bit 16\n"
            "  sockaddr_in.sin_port: 4-byte integer, the kernel's has 2\n"
            "  sockaddr_in.sin_addr: at bit 64, the kernel has it at bit 32\n"
            "  sockaddr_in.__pad: at bit 96, the kernel has it at bit 64\n"
            "no flavor of task_struct matches this kernel:\n"
            "  task_struct.exit_code: 8-byte integer, the kernel's has 4\n"
            "  task_struct.tgid_renamed: not in the kernel\n");
}

}  // namespace
}  // namespace vigil::bpfcc
