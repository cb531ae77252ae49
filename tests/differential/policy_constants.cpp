#include "tests/differential/policy_constants.h"

#include <algorithm>

namespace vigil::testing {
namespace {

constexpr size_t kTypeCount = static_cast<size_t>(Type::Cidr) + 1;

template <typename T>
void add_unique(std::vector<T>& list, const T& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

void add_operand(FieldConstants& out, ir::TestOp op, const Value& operand) {
  if (const auto* text = std::get_if<std::string>(&operand)) {
    if (op == ir::TestOp::Glob)
      add_unique(out.globs, *text);
    else if (op == ir::TestOp::Matches)
      add_unique(out.regexes, *text);
    else
      add_unique(out.strings, *text);
  } else if (const auto* number = std::get_if<int64_t>(&operand)) {
    add_unique(out.numbers, *number);
  } else if (const auto* duration = std::get_if<Duration>(&operand)) {
    add_unique(out.durations, *duration);
  } else if (const auto* address = std::get_if<IpAddress>(&operand)) {
    add_unique(out.addresses, *address);
  } else if (const auto* network = std::get_if<IpNetwork>(&operand)) {
    add_unique(out.networks, *network);
  }
}

void merge_into(FieldConstants& into, const FieldConstants& from) {
  for (const auto& v : from.strings) add_unique(into.strings, v);
  for (const auto& v : from.globs) add_unique(into.globs, v);
  for (const auto& v : from.regexes) add_unique(into.regexes, v);
  for (const auto& v : from.numbers) add_unique(into.numbers, v);
  for (const auto& v : from.durations) add_unique(into.durations, v);
  for (const auto& v : from.addresses) add_unique(into.addresses, v);
  for (const auto& v : from.networks) add_unique(into.networks, v);
}

class Collector {
 public:
  explicit Collector(PolicyConstants& out) : out_(out) {}

  // Iterative, so a deeply nested hand-built IR cannot exhaust the stack.
  void walk(const ir::Predicate& root) {
    std::vector<const ir::Predicate*> pending{&root};
    while (!pending.empty()) {
      const ir::Predicate* node = pending.back();
      pending.pop_back();
      for (const ir::Predicate& child : node->children) pending.push_back(&child);
      if (node->kind == ir::Predicate::Kind::Test && node->field < out_.by_field.size()) {
        for (const Value& operand : node->operands)
          add_operand(out_.by_field[node->field], node->op, operand);
      } else if (node->kind == ir::Predicate::Kind::FieldCompare &&
                 node->field < out_.by_field.size() && node->other_field < out_.by_field.size()) {
        add_unique(out_.compared_fields, std::pair{node->field, node->other_field});
      }
    }
  }

 private:
  PolicyConstants& out_;
};

}  // namespace

bool FieldConstants::empty() const {
  return strings.empty() && globs.empty() && regexes.empty() && numbers.empty() &&
         durations.empty() && addresses.empty() && networks.empty();
}

PolicyConstants collect_policy_constants(const ir::PolicySet& policy) {
  PolicyConstants out;
  out.by_field.resize(all_fields().size());
  out.by_type.resize(kTypeCount);
  Collector collector(out);
  for (const ir::Rule& rule : policy.rules) {
    collector.walk(rule.when);
    for (const ir::Predicate& except : rule.excepts) collector.walk(except);
  }
  for (const FieldInfo& field : all_fields())
    merge_into(out.by_type[static_cast<size_t>(field.type)], out.by_field[field.id]);
  return out;
}

}  // namespace vigil::testing
