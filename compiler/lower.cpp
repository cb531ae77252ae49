#include "compiler/lower.h"

#include <algorithm>

namespace vigil {

namespace {

// IPv4 before IPv6, then by bytes.
bool address_less(const IpAddress& a, const IpAddress& b) {
  if (a.is_v4 != b.is_v4) return a.is_v4;
  return a.bytes < b.bytes;
}

}  // namespace

bool value_less(const Value& a, const Value& b) {
  if (a.index() != b.index()) return a.index() < b.index();
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, IpNetwork>) {
          if (x.address != y.address) return address_less(x.address, y.address);
          return x.prefix_length < y.prefix_length;
        } else if constexpr (std::is_same_v<T, IpAddress>) {
          return address_less(x, y);
        } else {
          return x < y;
        }
      },
      a);
}

namespace {

using ir::Predicate;
using ir::TestOp;

void sort_unique(std::vector<Value>& values) {
  std::sort(values.begin(), values.end(), value_less);
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

Predicate negated(Predicate inner, SourceRange origin) {
  Predicate out;
  out.kind = Predicate::Kind::Not;
  out.origin = origin;
  out.children.push_back(std::move(inner));
  return out;
}

Predicate test(FieldId field, TestOp op, std::vector<Value> operands, SourceRange origin) {
  Predicate out;
  out.kind = Predicate::Kind::Test;
  out.field = field;
  out.op = op;
  out.operands = std::move(operands);
  out.origin = origin;
  return out;
}

TestOp test_op(CompareOp op) {
  switch (op) {
    case CompareOp::Eq:
    case CompareOp::Ne: return TestOp::Eq;
    case CompareOp::Lt: return TestOp::Lt;
    case CompareOp::Le: return TestOp::Le;
    case CompareOp::Gt: return TestOp::Gt;
    case CompareOp::Ge: return TestOp::Ge;
    case CompareOp::In:
    case CompareOp::NotIn: return TestOp::InSet;
    case CompareOp::StartsWith: return TestOp::StartsWith;
    case CompareOp::EndsWith: return TestOp::EndsWith;
    case CompareOp::Contains: return TestOp::Contains;
    case CompareOp::Glob: return TestOp::Glob;
    case CompareOp::Matches: return TestOp::Matches;
  }
  return TestOp::Eq;
}

class Lowerer {
 public:
  Lowerer(const SymbolTable& symbols, const Expansion& expansion,
          const CheckedConditions& conditions)
      : symbols_(symbols), expansion_(expansion), conditions_(conditions) {}

  void lower_macros(const std::vector<uint32_t>& order) {
    macros_.resize(symbols_.macros.size());
    for (uint32_t index : order)
      if (const ast::Expr* body = symbols_.macros[index].decl->body.get())
        macros_[index] = lower(*body);
  }

  Predicate lower(const ast::Expr& expr) {
    switch (expr.kind) {
      case ast::ExprKind::Or:
      case ast::ExprKind::And: {
        Predicate out;
        out.kind = expr.kind == ast::ExprKind::And ? Predicate::Kind::And : Predicate::Kind::Or;
        out.origin = expr.range;
        out.children.reserve(expr.children.size());
        for (const auto& child : expr.children) out.children.push_back(lower(*child));
        return out;
      }
      case ast::ExprKind::Not: return negated(lower(*expr.children.at(0)), expr.range);
      case ast::ExprKind::Paren: return lower(*expr.children.at(0));
      case ast::ExprKind::Literal: {
        Predicate out;
        const bool* value = std::get_if<bool>(&expr.value);
        out.kind = value != nullptr && *value ? Predicate::Kind::True : Predicate::Kind::False;
        out.origin = expr.range;
        return out;
      }
      case ast::ExprKind::Name: {
        const SymbolRef* target = symbols_.find(expr.text);
        return macros_.at(target->index);  // the type checker guarantees a macro
      }
      case ast::ExprKind::Compare: return lower_comparison(expr);
      case ast::ExprKind::Field: {  // a bool field on its own: field == true
        const CheckedComparison& checked = conditions_.comparisons.at(&expr);
        return test(checked.field, TestOp::Eq, checked.values, expr.range);
      }
      default: break;
    }
    return Predicate{};  // unreachable after type checking
  }

 private:
  Predicate lower_comparison(const ast::Expr& compare) {
    const CheckedComparison& checked = conditions_.comparisons.at(&compare);
    const SourceRange origin = compare.range;
    const CompareOp op = compare.op;
    Predicate out;
    if (checked.other_field) {
      out.kind = Predicate::Kind::FieldCompare;
      out.field = checked.field;
      out.other_field = *checked.other_field;
      out.op = test_op(op);
      out.origin = origin;
    } else {
      std::vector<Value> operands = operands_of(checked);
      TestOp kind = test_op(op);
      if (kind == TestOp::InSet && field_info(checked.field).type == Type::Ip) {
        kind = TestOp::InNetworks;
        for (Value& value : operands) value = as_network(value);
      }
      if (kind == TestOp::InSet || kind == TestOp::InNetworks || kind == TestOp::StartsWith ||
          kind == TestOp::EndsWith || kind == TestOp::Contains)
        sort_unique(operands);
      out = test(checked.field, kind, std::move(operands), origin);
    }
    if (op == CompareOp::Ne || op == CompareOp::NotIn) return negated(std::move(out), origin);
    return out;
  }

  // The literals of the comparison, then the items of its named lists.
  std::vector<Value> operands_of(const CheckedComparison& checked) const {
    std::vector<Value> operands;
    operands.reserve(checked.operand_count);
    operands.insert(operands.end(), checked.values.begin(), checked.values.end());
    for (uint32_t list : checked.lists)
      for (const ast::Expr* item : expansion_.lists[list].items) operands.push_back(item->value);
    return operands;
  }

  const SymbolTable& symbols_;
  const Expansion& expansion_;
  const CheckedConditions& conditions_;
  std::vector<Predicate> macros_;
};

}  // namespace

ir::PolicySet lower(const SymbolTable& symbols, const Expansion& expansion,
                    const CheckedConditions& conditions, std::vector<RuleOutline> rules) {
  Lowerer lowerer(symbols, expansion, conditions);
  lowerer.lower_macros(expansion.macro_order);
  // Sort by name first: moving whole rules around while sorting is costly.
  std::vector<RuleOutline*> by_name;
  by_name.reserve(rules.size());
  for (RuleOutline& outline : rules) by_name.push_back(&outline);
  std::sort(by_name.begin(), by_name.end(),
            [](const RuleOutline* a, const RuleOutline* b) { return a->rule.name < b->rule.name; });
  ir::PolicySet policy;
  policy.rules.reserve(rules.size());
  for (RuleOutline* sorted : by_name) {
    RuleOutline& outline = *sorted;
    ir::Rule& rule = outline.rule;
    if (outline.when) {
      rule.when = lowerer.lower(*outline.when);
    } else {
      rule.when.kind = ir::Predicate::Kind::True;
      rule.when.origin = rule.name_range;
    }
    for (const ast::Expr* except : outline.excepts) rule.excepts.push_back(lowerer.lower(*except));
    if (rule.sequence) {
      for (size_t i = 0; i < rule.sequence->steps.size() && i < outline.step_whens.size(); ++i) {
        ir::SequenceStep& step = rule.sequence->steps[i];
        if (const ast::Expr* when = outline.step_whens[i]) {
          step.when = lowerer.lower(*when);
        } else {
          step.when.kind = ir::Predicate::Kind::True;
          step.when.origin = step.range;
        }
      }
    }
    policy.rules.push_back(std::move(rule));
  }
  return policy;
}

}  // namespace vigil
