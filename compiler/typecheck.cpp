#include "compiler/typecheck.h"

#include <algorithm>
#include <string>

#include "compiler/message_text.h"
#include "compiler/operand_rules.h"
#include "compiler/regex_cache.h"
#include "compiler/suggest.h"

namespace vigil {
namespace {

// Recursion over the AST is bounded here even for trees the parser did not
// build (the parser itself limits nesting to kMaxNestingDepth).
constexpr unsigned kMaxWalkDepth = 4 * kMaxConditionDepth;
// Sizes are added with saturation: macros using each other can describe
// expansions far beyond 64 bits.
constexpr uint64_t kSizeCap = uint64_t{1} << 62;

uint64_t add_sizes(uint64_t a, uint64_t b) {
  return std::min(kSizeCap, a + std::min(b, kSizeCap));
}

std::string op_text(CompareOp op) {
  return quoted(operator_info(op).spelling);
}

std::string typed(std::string_view what, Type type) {
  return quoted(what) + " (" + std::string(type_name(type)) + ")";
}

std::vector<std::string_view> field_names() {
  std::vector<std::string_view> names;
  for (const FieldInfo& field : all_fields()) names.push_back(field.name);
  return names;
}

// The result of checking one sub-expression.
struct NodeResult {
  bool valid = true;
  std::optional<bool> constant;
  uint64_t size = 0;   // IR nodes and operands after expansion
  uint32_t depth = 0;  // IR nesting after expansion
};

NodeResult invalid() {
  return NodeResult{false, std::nullopt, 0, 0};
}

class ConditionChecker {
 public:
  ConditionChecker(SymbolTable& symbols, const Expansion& expansion, Diagnostics& diagnostics)
      : symbols_(symbols),
        expansion_(expansion),
        diagnostics_(diagnostics),
        field_names_(field_names()),
        macro_names_(symbols.names(SymbolKind::Macro)),
        list_names_(symbols.names(SymbolKind::List)),
        list_port_check_(symbols.lists.size(), PortCheck::NotYet) {}

  CheckedConditions run() {
    result_.macros.resize(symbols_.macros.size());
    macro_done_.assign(symbols_.macros.size(), false);
    for (uint32_t index : expansion_.macro_order) {
      const ast::Decl& decl = *symbols_.macros[index].decl;
      ConditionFacts facts;
      if (decl.body) {
        facts = check_condition(*decl.body, decl.name.range);
      } else {
        facts.valid = false;
      }
      if (expansion_.macro_in_cycle[index]) facts.valid = false;
      result_.macros[index] = std::move(facts);
      macro_done_[index] = true;
    }
    for (const RuleSymbol& rule : symbols_.rules) {
      check_clauses(*rule.decl, /*extension=*/false);
      for (const ast::Decl* modifier : rule.modifiers)
        if (modifier->kind == ast::DeclKind::ExtendRule) check_clauses(*modifier, true);
    }
    for (const ast::Decl* orphan : symbols_.orphans) check_orphan(*orphan);
    return std::move(result_);
  }

 private:
  enum class PortCheck : uint8_t { NotYet, Fine, Bad };

  void check_clauses(const ast::Decl& decl, bool extension) {
    for (const ast::Clause& clause : decl.clauses) {
      if (clause.kind == ast::ClauseKind::Sequence && !extension) {
        for (const ast::SequenceStep& step : clause.steps)
          if (step.when)
            result_.conditions[step.when.get()] = check_condition(*step.when, step.when->range);
        continue;
      }
      const bool is_condition = clause.kind == ast::ClauseKind::Except ||
                                (clause.kind == ast::ClauseKind::When && !extension);
      if (!is_condition || !clause.expr) continue;
      result_.conditions[clause.expr.get()] = check_condition(*clause.expr, clause.expr->range);
    }
  }

  // Not part of the policy, but still checked (see SymbolTable::orphans).
  void check_orphan(const ast::Decl& decl) {
    switch (decl.kind) {
      case ast::DeclKind::Rule: check_clauses(decl, false); break;
      case ast::DeclKind::ExtendRule: check_clauses(decl, true); break;
      case ast::DeclKind::Macro:
        if (decl.body) check_condition(*decl.body, decl.name.range);
        break;
      case ast::DeclKind::List:
      case ast::DeclKind::ExtendList:
        if (decl.body) mark_lists_used(*decl.body);
        break;
      case ast::DeclKind::DisableRule: break;
    }
  }

  // ---- One whole condition ---------------------------------------------------

  ConditionFacts check_condition(const ast::Expr& root, SourceRange report_range) {
    ConditionFacts facts;
    facts_ = &facts;
    seen_fields_.assign(all_fields().size(), false);
    reported_depth_ = false;
    NodeResult node = check(root, 0, 1);
    facts_ = nullptr;
    facts.valid = node.valid;
    facts.constant = node.valid ? node.constant : std::nullopt;
    facts.expanded_size = node.size;
    facts.expanded_depth = node.depth;
    if (!node.valid) return facts;
    if (node.size > kMaxConditionSize) {
      diagnostics_.error("expansion-too-large", report_range,
                         "condition is too large after expanding macros and lists (more "
                         "than " +
                             std::to_string(kMaxConditionSize) + " tests and values)");
      facts.valid = false;
      return facts;
    }
    total_size_ = add_sizes(total_size_, node.size);
    if (total_size_ > kMaxTotalExpandedSize) {
      if (!reported_total_) {
        diagnostics_.error("expansion-too-large", report_range,
                           "the policy set is too large after expanding macros and lists "
                           "(more than " +
                               std::to_string(kMaxTotalExpandedSize) + " tests and values in all)");
        reported_total_ = true;
      }
      facts.valid = false;
    }
    return facts;
  }

  void add_field(FieldId field, const UseSite& site) {
    if (seen_fields_[field]) return;
    seen_fields_[field] = true;
    facts_->fields.push_back({field, site});
  }

  void add_user_space(std::string what, const UseSite& site) {
    if (!facts_->user_space) facts_->user_space = UserSpaceUse{std::move(what), site};
  }

  void use_field(FieldId id, SourceRange range) {
    const FieldInfo& info = field_info(id);
    const UseSite site{range, std::nullopt, {}};
    add_field(id, site);
    if (info.source == FieldSource::UserSpace) add_user_space("field " + quoted(info.name), site);
  }

  bool too_deep(const ast::Expr& expr, unsigned walk_depth, uint32_t ir_depth) {
    if (walk_depth <= kMaxWalkDepth && ir_depth <= kMaxConditionDepth) return false;
    if (!reported_depth_) {
      diagnostics_.error("nesting-too-deep", expr.range,
                         "condition nests too deeply (after macro expansion the limit is " +
                             std::to_string(kMaxConditionDepth) + " levels)");
      reported_depth_ = true;
    }
    return true;
  }

  // ---- Conditions --------------------------------------------------------------

  NodeResult check(const ast::Expr& expr, unsigned walk_depth, uint32_t ir_depth) {
    if (too_deep(expr, walk_depth, ir_depth)) return invalid();
    switch (expr.kind) {
      case ast::ExprKind::Or:
      case ast::ExprKind::And: return check_junction(expr, walk_depth, ir_depth);
      case ast::ExprKind::Not: {
        if (expr.children.size() != 1) return invalid();
        NodeResult inner = check(*expr.children[0], walk_depth + 1, ir_depth + 1);
        if (inner.constant) inner.constant = !*inner.constant;
        inner.size = add_sizes(inner.size, 1);
        inner.depth += 1;
        return inner;
      }
      case ast::ExprKind::Paren:
        if (expr.children.size() != 1) return invalid();
        return check(*expr.children[0], walk_depth + 1, ir_depth);
      case ast::ExprKind::Compare: return check_comparison(expr);
      case ast::ExprKind::Name: return check_macro_use(expr, ir_depth);
      case ast::ExprKind::Literal: {
        if (expr.literal_kind == ast::LiteralKind::Bool) {
          if (const bool* value = std::get_if<bool>(&expr.value))
            return NodeResult{true, *value, 1, 1};
        }
        Diagnostic& error = diagnostics_.error(
            "not-a-condition", expr.range,
            quoted(literal_text(expr)) + " is " +
                with_article(literal_kind_name(expr.literal_kind)) + ", not a condition");
        error.hint =
            "a condition is a comparison such as `process.exe == \"/bin/sh\"`, a macro, "
            "`true` or `false`";
        return invalid();
      }
      case ast::ExprKind::Field: return check_bool_field(expr);
      case ast::ExprKind::List: {
        Diagnostic& error =
            diagnostics_.error("not-a-condition", expr.range, "a list is not a condition");
        error.hint = "use a list on the right of `in`, e.g. `process.exe in [\"/bin/sh\"]`";
        mark_lists_used(expr);
        return invalid();
      }
    }
    return invalid();
  }

  // A bool field on its own is a condition: `when file.write`.
  NodeResult check_bool_field(const ast::Expr& expr) {
    std::optional<FieldId> id = resolve_field(expr);
    if (!id) return invalid();
    const FieldInfo& field = field_info(*id);
    if (field.type != Type::Bool) {
      Diagnostic& error =
          diagnostics_.error("not-a-condition", expr.range,
                             quoted(expr.text) + " is " + with_article(type_name(field.type)) +
                                 " field, not a condition");
      error.hint = "compare it with something, e.g. `" + expr.text + " == ...`";
      return invalid();
    }
    use_field(*id, expr.range);
    result_.comparisons[&expr] = CheckedComparison{*id, std::nullopt, {Value{true}}, {}, 1};
    return NodeResult{true, std::nullopt, 2, 1};
  }

  NodeResult check_junction(const ast::Expr& expr, unsigned walk_depth, uint32_t ir_depth) {
    const bool is_and = expr.kind == ast::ExprKind::And;
    NodeResult out{true, std::nullopt, 1, 0};
    bool all_constant = true;
    bool decided = false;  // a constant child that fixes the result (false for and, true for or)
    for (const auto& child : expr.children) {
      NodeResult result = check(*child, walk_depth + 1, ir_depth + 1);
      out.valid = out.valid && result.valid;
      out.size = add_sizes(out.size, result.size);
      out.depth = std::max(out.depth, result.depth);
      if (!result.constant)
        all_constant = false;
      else if (*result.constant != is_and)
        decided = true;
    }
    out.depth += 1;
    if (decided)
      out.constant = !is_and;
    else if (all_constant)
      out.constant = is_and;
    return out;
  }

  NodeResult check_macro_use(const ast::Expr& name, uint32_t ir_depth) {
    const SymbolRef* target = symbols_.find(name.text);
    if (target == nullptr && symbols_.unparsed.contains(name.text)) return invalid();
    if (target == nullptr) {
      Diagnostic& error =
          diagnostics_.error("unknown-macro", name.range, "unknown macro " + quoted(name.text));
      if (auto suggestion = macro_names_.suggest(name.text)) error.hint = did_you_mean(*suggestion);
      return invalid();
    }
    if (target->kind == SymbolKind::List) {
      symbols_.lists[target->index].used = true;
      Diagnostic& error = diagnostics_.error("wrong-kind", name.range,
                                             quoted(name.text) + " is a list, not a condition");
      error.hint = "use a list on the right of `in`, e.g. `process.exe in " + name.text + "`";
      error.related.push_back({symbols_.decl(*target).name.range, "the list is defined here"});
      return invalid();
    }
    if (target->kind == SymbolKind::Rule) {
      Diagnostic& error = diagnostics_.error("wrong-kind", name.range,
                                             quoted(name.text) + " is a rule, not a macro");
      error.hint = "a rule cannot be used in a condition; put the shared condition in a macro";
      error.related.push_back({symbols_.decl(*target).name.range, "the rule is defined here"});
      return invalid();
    }
    symbols_.macros[target->index].used = true;
    // Not processed yet: the reference closes a cycle, which is reported.
    if (!macro_done_[target->index]) return invalid();
    const ConditionFacts& macro = result_.macros[target->index];
    if (!macro.valid) return invalid();
    if (ir_depth - 1 + macro.expanded_depth > kMaxConditionDepth) {
      if (!reported_depth_) {
        diagnostics_.error("nesting-too-deep", name.range,
                           "condition nests too deeply after expanding macro " + quoted(name.text) +
                               " (the limit is " + std::to_string(kMaxConditionDepth) + " levels)");
        reported_depth_ = true;
      }
      return invalid();
    }
    for (const FieldUse& use : macro.fields)
      add_field(use.field, UseSite{use.site.range, name.range, name.text});
    if (macro.user_space)
      add_user_space(macro.user_space->what,
                     UseSite{macro.user_space->site.range, name.range, name.text});
    return NodeResult{true, macro.constant, macro.expanded_size, macro.expanded_depth};
  }

  // ---- Comparisons ---------------------------------------------------------------

  NodeResult check_comparison(const ast::Expr& compare) {
    if (compare.children.size() != 2) return invalid();
    const ast::Expr& lhs = *compare.children[0];
    const ast::Expr& rhs = *compare.children[1];
    const CompareOp op = compare.op;
    if (lhs.kind != ast::ExprKind::Field) {
      report_missing_field(compare, lhs, rhs);
      mark_lists_used(rhs);
      return invalid();
    }
    std::optional<FieldId> field_id = resolve_field(lhs);
    if (!field_id) {
      mark_lists_used(rhs);
      return invalid();
    }
    const FieldInfo& field = field_info(*field_id);
    use_field(*field_id, lhs.range);

    if (!operator_applies(compare, field)) {
      mark_lists_used(rhs);
      return invalid();
    }
    CheckedComparison checked;
    checked.field = *field_id;
    bool valid = true;
    if (is_equality(op) || is_ordering(op)) {
      valid = check_single_operand(compare, field, rhs, checked);
    } else if (is_pattern_test(op)) {
      valid = check_pattern(compare, field, rhs, checked);
    } else {
      valid = check_value_set(compare, field, rhs, checked);
    }
    if (!valid) return invalid();

    NodeResult out{true, std::nullopt, 1, 1};
    out.size = add_sizes(out.size, checked.operand_count);
    if (op == CompareOp::Ne || op == CompareOp::NotIn) {
      out.size = add_sizes(out.size, 1);
      out.depth += 1;
    }
    // Nothing to be in, start with, end with or contain.
    if ((is_membership(op) || is_substring_test(op)) && checked.operand_count == 0)
      out.constant = op == CompareOp::NotIn;
    if (op == CompareOp::Matches) add_user_space("`matches`", UseSite{compare.op_range, {}, {}});
    result_.comparisons[&compare] = std::move(checked);
    return out;
  }

  static void add_value(CheckedComparison& checked, const Value& value) {
    checked.values.push_back(value);
    ++checked.operand_count;
  }

  std::optional<FieldId> resolve_field(const ast::Expr& field) {
    if (auto id = find_field(field.text)) return id;
    Diagnostic& error =
        diagnostics_.error("unknown-field", field.range, "unknown field " + quoted(field.text));
    if (auto suggestion = suggest_field(field.text)) error.hint = did_you_mean(*suggestion);
    return std::nullopt;
  }

  std::optional<std::string_view> suggest_field(std::string_view name) {
    if (auto suggestion = field_names_.suggest(name)) return suggestion;
    // `exe` or `proc.exe` for `process.exe`: the same last component.
    const std::string_view last = name.substr(name.rfind('.') + 1);
    for (const FieldInfo& field : all_fields()) {
      const std::string_view field_last = field.name.substr(field.name.rfind('.') + 1);
      if (field_last == last) return field.name;
    }
    return std::nullopt;
  }

  void report_missing_field(const ast::Expr& compare, const ast::Expr& lhs, const ast::Expr& rhs) {
    const std::string op = op_text(compare.op);
    std::string found;
    if (lhs.kind == ast::ExprKind::Literal) found = literal_text(lhs);
    if (lhs.kind == ast::ExprKind::Name) found = lhs.text;
    Diagnostic& error =
        diagnostics_.error("expected-field", lhs.range,
                           "the left side of " + op + " must be a field" +
                               (found.empty() ? std::string() : ", not " + quoted(found)));
    const bool swappable = is_equality(compare.op) || is_ordering(compare.op);
    if (lhs.kind == ast::ExprKind::Literal && rhs.kind == ast::ExprKind::Field && swappable) {
      error.hint = "put the field first: `" + rhs.text + " " +
                   std::string(operator_info(mirrored(compare.op)).spelling) + " " + found + "`";
    } else if (lhs.kind == ast::ExprKind::Name) {
      if (auto suggestion = suggest_field(lhs.text))
        error.hint = did_you_mean(*suggestion);
      else
        error.hint = "fields are dotted names such as `process.exe`";
    }
  }

  // The operator is defined for the field's type.
  bool operator_applies(const ast::Expr& compare, const FieldInfo& field) {
    const CompareOp op = compare.op;
    std::string needs;
    if (is_ordering(op) && !is_orderable(field.type)) needs = "an int, port or duration field";
    if ((is_substring_test(op) || is_pattern_test(op)) && field.type != Type::String)
      needs = "a string field";
    if (needs.empty()) return true;
    diagnostics_.error("invalid-operator", compare.op_range,
                       op_text(op) + " needs " + needs + ", but " + quoted(field.name) + " is " +
                           with_article(type_name(field.type)));
    return false;
  }

  // ==, !=, <, <=, >, >=: one literal or another field.
  bool check_single_operand(const ast::Expr& compare, const FieldInfo& field, const ast::Expr& rhs,
                            CheckedComparison& checked) {
    const std::string op = op_text(compare.op);
    switch (rhs.kind) {
      case ast::ExprKind::Literal:
        if (!check_literal(field, rhs, compare.op, /*list_item=*/false)) return false;
        add_value(checked, rhs.value);
        return true;
      case ast::ExprKind::Field: {
        std::optional<FieldId> other_id = resolve_field(rhs);
        if (!other_id) return false;
        const FieldInfo& other = field_info(*other_id);
        use_field(*other_id, rhs.range);
        if (other.type != field.type) {
          diagnostics_.error("type-mismatch", rhs.range,
                             "cannot compare " + typed(field.name, field.type) + " with " +
                                 typed(other.name, other.type));
          return false;
        }
        for (const auto* side : {&compare.children[0], &compare.children[1]}) {
          const FieldInfo& info = field_info(*find_field((*side)->text));
          if (!info.multi_valued) continue;
          Diagnostic& error = diagnostics_.error(
              "multi-valued-field", (*side)->range,
              quoted(info.name) +
                  " holds several values and cannot be compared with another field");
          error.hint = "compare it with a literal or a list instead";
          return false;
        }
        checked.other_field = *other_id;
        return true;
      }
      case ast::ExprKind::List:
      case ast::ExprKind::Name: {
        const bool names_list = rhs.kind == ast::ExprKind::List || names_a_list(rhs);
        mark_lists_used(rhs);
        if (names_list) {
          Diagnostic& error = diagnostics_.error("invalid-operand", rhs.range,
                                                 op + " compares with one value, not a list");
          if (is_equality(compare.op))
            error.hint = "to test membership, use `" +
                         std::string(compare.op == CompareOp::Eq ? "in" : "not in") + "`: `" +
                         std::string(field.name) + " " +
                         (compare.op == CompareOp::Eq ? "in " : "not in ") +
                         (rhs.kind == ast::ExprKind::Name ? rhs.text : std::string("[...]")) + "`";
          return false;
        }
        Diagnostic& error = diagnostics_.error(
            "invalid-operand", rhs.range,
            "the right side of " + op + " must be a value or a field, not " + quoted(rhs.text));
        error.hint = "names stand for macros (conditions) or lists; quote text as a string";
        return false;
      }
      default:
        diagnostics_.error("invalid-operand", rhs.range,
                           "the right side of " + op + " must be a value or a field");
        return false;
    }
  }

  // glob, matches: one string literal.
  bool check_pattern(const ast::Expr& compare, const FieldInfo& field, const ast::Expr& rhs,
                     CheckedComparison& checked) {
    (void)field;
    const std::string* pattern =
        rhs.kind == ast::ExprKind::Literal && rhs.literal_kind == ast::LiteralKind::String
            ? std::get_if<std::string>(&rhs.value)
            : nullptr;
    if (pattern == nullptr) {
      mark_lists_used(rhs);
      Diagnostic& error =
          diagnostics_.error("invalid-operand", rhs.range,
                             op_text(compare.op) + " needs a string literal on the right");
      if (rhs.kind == ast::ExprKind::List || rhs.kind == ast::ExprKind::Name)
        error.hint = "a pattern cannot come from a list; write one comparison per pattern";
      return false;
    }
    if (compare.op == CompareOp::Matches) {
      if (auto problem = regex_pattern_error(*pattern)) {
        diagnostics_.error("invalid-regex", rhs.range, "invalid regular expression: " + *problem);
        return false;
      }
    }
    add_value(checked, rhs.value);
    return true;
  }

  // in, not in, startswith, endswith, contains: a list (or, for some, one value).
  bool check_value_set(const ast::Expr& compare, const FieldInfo& field, const ast::Expr& rhs,
                       CheckedComparison& checked) {
    const CompareOp op = compare.op;
    switch (rhs.kind) {
      case ast::ExprKind::List: {
        bool valid = true;
        for (const auto& item : rhs.children) {
          if (item->kind == ast::ExprKind::Literal) {
            if (check_literal(field, *item, op, /*list_item=*/true))
              add_value(checked, item->value);
            else
              valid = false;
          } else if (item->kind == ast::ExprKind::Name) {
            valid = add_named_list(field, *item, op, checked) && valid;
          } else {
            diagnostics_.error("invalid-list-item", item->range,
                               "a list item must be a literal or the name of a list");
            valid = false;
          }
        }
        return valid;
      }
      case ast::ExprKind::Name: return add_named_list(field, rhs, op, checked);
      case ast::ExprKind::Literal: {
        // One value: a string for the substring tests, an address or network for ip `in`.
        const bool single_allowed =
            is_substring_test(op) ||
            (field.type == Type::Ip && (rhs.literal_kind == ast::LiteralKind::Ip ||
                                        rhs.literal_kind == ast::LiteralKind::Network));
        if (!single_allowed) {
          Diagnostic& error =
              diagnostics_.error("invalid-operand", rhs.range,
                                 op_text(op) + " needs a list on the right, e.g. `[" +
                                     literal_text(rhs) + "]` or the name of a list");
          error.hint = "to compare with one value, use `" +
                       std::string(op == CompareOp::In ? "==" : "!=") + "`";
          return false;
        }
        if (!check_literal(field, rhs, op, false)) return false;
        add_value(checked, rhs.value);
        return true;
      }
      case ast::ExprKind::Field:
        diagnostics_.error("invalid-operand", rhs.range,
                           op_text(op) + " needs " +
                               (is_membership(op) ? std::string("a list")
                                                  : std::string("a string or a list of strings")) +
                               " on the right, not a field");
        return false;
      default:
        diagnostics_.error("invalid-operand", rhs.range,
                           op_text(op) + " needs a list on the right");
        return false;
    }
  }

  bool check_literal(const FieldInfo& field, const ast::Expr& literal, CompareOp op,
                     bool list_item) {
    if (!literal_fits(field.type, literal.literal_kind, op)) {
      Diagnostic& error =
          diagnostics_.error("type-mismatch", literal.range,
                             "cannot compare " + typed(field.name, field.type) + " with " +
                                 (list_item ? "list item " : "") + quoted(literal_text(literal)) +
                                 " (" + std::string(literal_kind_name(literal.literal_kind)) + ")");
      error.hint = literal_mismatch_hint(field, literal, op);
      return false;
    }
    if (field.type == Type::Port && !port_in_range(literal)) {
      diagnostics_.error(
          "port-out-of-range", literal.range,
          "port " + quoted(literal_text(literal)) + " is out of range: ports are 0 to 65535");
      return false;
    }
    return true;
  }

  bool names_a_list(const ast::Expr& name) {
    const SymbolRef* target = symbols_.find(name.text);
    return target != nullptr && target->kind == SymbolKind::List;
  }

  // Names in an operand that is not checked further still count as used.
  void mark_lists_used(const ast::Expr& expr) {
    auto mark = [&](const ast::Expr& item) {
      if (item.kind != ast::ExprKind::Name) return;
      const SymbolRef* target = symbols_.find(item.text);
      if (target == nullptr) return;
      if (target->kind == SymbolKind::List) symbols_.lists[target->index].used = true;
      if (target->kind == SymbolKind::Macro) symbols_.macros[target->index].used = true;
    };
    mark(expr);
    if (expr.kind == ast::ExprKind::List)
      for (const auto& item : expr.children) mark(*item);
  }

  // A list name on the right of `in` and friends.
  bool add_named_list(const FieldInfo& field, const ast::Expr& name, CompareOp op,
                      CheckedComparison& checked) {
    const SymbolRef* target = symbols_.find(name.text);
    if (target == nullptr && symbols_.unparsed.contains(name.text)) return false;
    if (target == nullptr) {
      Diagnostic& error =
          diagnostics_.error("unknown-list", name.range, "unknown list " + quoted(name.text));
      if (auto suggestion = list_names_.suggest(name.text)) error.hint = did_you_mean(*suggestion);
      return false;
    }
    if (target->kind != SymbolKind::List) {
      if (target->kind == SymbolKind::Macro) symbols_.macros[target->index].used = true;
      Diagnostic& error =
          diagnostics_.error("wrong-kind", name.range,
                             quoted(name.text) + " is a " +
                                 std::string(symbol_kind_name(target->kind)) + ", not a list");
      error.hint = "only a list or a literal can follow " + op_text(op);
      error.related.push_back(
          {symbols_.decl(*target).name.range, quoted(name.text) + " is defined here"});
      return false;
    }
    ListSymbol& symbol = symbols_.lists[target->index];
    symbol.used = true;
    const FlatList& list = expansion_.lists[target->index];
    if (list.broken) return false;
    if (list.kind && !literal_fits(field.type, *list.kind, op)) {
      Diagnostic& error = diagnostics_.error(
          "type-mismatch", name.range,
          "list " + quoted(name.text) + " holds " +
              std::string(literal_kind_name(list.items.front()->literal_kind)) + " items, but " +
              quoted(field.name) + " is " + with_article(type_name(field.type)));
      error.related.push_back({symbol.decl->name.range, "the list is defined here"});
      return false;
    }
    if (field.type == Type::Port && !ports_valid(target->index, field, name)) return false;
    checked.lists.push_back(target->index);
    checked.operand_count += list.items.size();
    return true;
  }

  // Each out-of-range port of a list is reported once, at its first use as ports.
  bool ports_valid(uint32_t list_index, const FieldInfo& field, const ast::Expr& use) {
    PortCheck& state = list_port_check_[list_index];
    if (state != PortCheck::NotYet) return state == PortCheck::Fine;
    state = PortCheck::Fine;
    const std::string& list_name = symbols_.lists[list_index].decl->name.text;
    for (const ast::Expr* item : expansion_.lists[list_index].items) {
      if (port_in_range(*item)) continue;
      state = PortCheck::Bad;
      Diagnostic& error =
          diagnostics_.error("port-out-of-range", item->range,
                             "port " + quoted(literal_text(*item)) + " in list " +
                                 quoted(list_name) + " is out of range: ports are 0 to 65535");
      error.related.push_back(
          {use.range, "the list is compared with port field " + quoted(field.name) + " here"});
    }
    return state == PortCheck::Fine;
  }

  SymbolTable& symbols_;
  const Expansion& expansion_;
  Diagnostics& diagnostics_;
  NameSuggester field_names_;
  NameSuggester macro_names_;
  NameSuggester list_names_;
  std::vector<PortCheck> list_port_check_;
  std::vector<bool> macro_done_;
  CheckedConditions result_;
  uint64_t total_size_ = 0;
  bool reported_total_ = false;

  // The condition being checked.
  ConditionFacts* facts_ = nullptr;
  std::vector<bool> seen_fields_;
  bool reported_depth_ = false;
};

}  // namespace

CheckedConditions typecheck(SymbolTable& symbols, const Expansion& expansion,
                            Diagnostics& diagnostics) {
  return ConditionChecker(symbols, expansion, diagnostics).run();
}

}  // namespace vigil
