#include "compiler/rule_clauses.h"

#include <array>
#include <string>
#include <unordered_set>

#include "compiler/message_text.h"
#include "compiler/output_template.h"
#include "compiler/suggest.h"

namespace vigil {
namespace {

std::vector<std::string_view> event_names() {
  std::vector<std::string_view> names;
  for (const EventInfo& event : all_events()) names.push_back(event.name);
  return names;
}

// The spellings come from the schema's tables.
std::vector<std::string_view> severity_words() {
  std::vector<std::string_view> words;
  for (Severity severity :
       {Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical})
    words.push_back(severity_name(severity));
  return words;
}

std::vector<std::string_view> action_words() {
  std::vector<std::string_view> words;
  for (Action action : {Action::Alert, Action::Kill, Action::Deny})
    words.push_back(action_name(action));
  return words;
}

bool action_allowed(Action action, const EventInfo& event) {
  switch (action) {
    case Action::Alert: return true;
    case Action::Kill: return event.allows_kill;
    case Action::Deny: return event.deny != DenyMechanism::None;
  }
  return true;
}

// A tag is a word or a string; a string tag must still be printable text.
bool tag_is_valid(std::string_view tag) {
  if (tag.empty()) return false;
  for (unsigned char c : tag)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

class RuleClauseChecker {
 public:
  explicit RuleClauseChecker(Diagnostics& diagnostics)
      : diagnostics_(diagnostics), event_names_(event_names()) {}

  RuleOutline check(const RuleSymbol& symbol) {
    RuleOutline outline;
    outline.symbol = &symbol;
    const ast::Decl& decl = *symbol.decl;
    ir::Rule& rule = outline.rule;
    rule.name = decl.name.text;
    rule.range = decl.range;
    rule.name_range = decl.name.range;
    rule.output = {ir::OutputSegment{rule.name + " matched", std::nullopt}};
    tags_seen_.clear();
    action_range_.reset();
    on_clause_ = nullptr;
    event_words_.clear();

    for (const ast::Clause* clause : first_of_each_kind(decl)) {
      switch (clause->kind) {
        case ast::ClauseKind::On: apply_on(*clause, rule); break;
        case ast::ClauseKind::When: outline.when = clause->expr.get(); break;
        case ast::ClauseKind::Description:
          if (clause->text)
            if (const auto* text = std::get_if<std::string>(&clause->text->value))
              rule.description = *text;
          break;
        default: apply_setting(*clause, outline); break;
      }
    }
    if (on_clause_ == nullptr) {
      Diagnostic& error = diagnostics_.error("missing-on", decl.name.range,
                                             "rule " + quoted(rule.name) + " has no `on` clause");
      error.hint = "say which events the rule applies to, e.g. `on exec`";
    }
    for (const ast::Decl* modifier : symbol.modifiers) {
      if (modifier->kind == ast::DeclKind::DisableRule) {
        rule.enabled = false;
        continue;
      }
      for (const ast::Clause* clause : first_of_each_kind(*modifier)) {
        switch (clause->kind) {
          case ast::ClauseKind::On:
          case ast::ClauseKind::When:
          case ast::ClauseKind::Description: {
            Diagnostic& error = diagnostics_.error(
                "clause-not-allowed", clause->keyword_range,
                "`extend rule` cannot change " + quoted(ast::clause_keyword(clause->kind)));
            error.hint =
                "an extension may add `except` and `tags`, and replace `severity`, `action`, "
                "`output` and `enabled`; to change the condition, add an `except`";
            break;
          }
          default: apply_setting(*clause, outline); break;
        }
      }
    }
    check_action(rule);
    return outline;
  }

 private:
  // The clauses of a declaration, reporting a repeated clause (other than
  // `except`) and keeping only its first occurrence.
  std::vector<const ast::Clause*> first_of_each_kind(const ast::Decl& decl) {
    constexpr size_t kClauseKinds = static_cast<size_t>(ast::ClauseKind::Description) + 1;
    std::array<const ast::Clause*, kClauseKinds> first{};
    std::vector<const ast::Clause*> out;
    for (const ast::Clause& clause : decl.clauses) {
      const size_t kind = static_cast<size_t>(clause.kind);
      if (clause.kind != ast::ClauseKind::Except && kind < first.size()) {
        if (first[kind] != nullptr) {
          Diagnostic& error = diagnostics_.error(
              "duplicate-clause", clause.keyword_range,
              "duplicate " + quoted(ast::clause_keyword(clause.kind)) + " clause in " +
                  (decl.kind == ast::DeclKind::Rule ? "rule " : "extension of rule ") +
                  quoted(decl.name.text));
          error.hint = "each clause may appear once; only `except` may be repeated";
          error.related.push_back(
              {first[kind]->keyword_range,
               "first " + quoted(ast::clause_keyword(clause.kind)) + " clause here"});
          continue;
        }
        first[kind] = &clause;
      }
      out.push_back(&clause);
    }
    return out;
  }

  void apply_on(const ast::Clause& clause, ir::Rule& rule) {
    on_clause_ = &clause;
    for (const ast::Identifier& word : clause.words) {
      std::optional<EventKind> event = find_event(word.text);
      if (!event) {
        Diagnostic& error =
            diagnostics_.error("unknown-event", word.range, "unknown event " + quoted(word.text));
        if (auto suggestion = closest_name(word.text, event_names_))
          error.hint = did_you_mean(*suggestion);
        else
          error.hint = "`vigil docs fields` lists the events and their fields";
        continue;
      }
      if (rule.events & event_bit(*event)) {
        diagnostics_.warning("duplicate-event", word.range,
                             "event " + quoted(word.text) + " is listed twice");
        continue;
      }
      rule.events |= event_bit(*event);
      event_words_.push_back({*event, word.range});
    }
  }

  // severity, tags, output, action, enabled, except: in a rule or an extension.
  void apply_setting(const ast::Clause& clause, RuleOutline& outline) {
    ir::Rule& rule = outline.rule;
    switch (clause.kind) {
      case ast::ClauseKind::Except:
        if (clause.expr) outline.excepts.push_back(clause.expr.get());
        break;
      case ast::ClauseKind::Severity:
        if (const ast::Identifier* word = first_word(clause)) {
          if (auto severity = find_severity(word->text))
            rule.severity = *severity;
          else
            unknown_word("unknown-severity", "severity", *word, severity_words());
        }
        break;
      case ast::ClauseKind::Action:
        if (const ast::Identifier* word = first_word(clause)) {
          if (auto action = find_action(word->text)) {
            rule.action = *action;
            action_range_ = word->range;
          } else {
            unknown_word("unknown-action", "action", *word, action_words());
          }
        }
        break;
      case ast::ClauseKind::Enabled:
        if (const ast::Identifier* word = first_word(clause)) {
          if (word->text == "true" || word->text == "false") {
            rule.enabled = word->text == "true";
          } else {
            diagnostics_.error("invalid-enabled", word->range,
                               "`enabled` must be `true` or `false`, not " + quoted(word->text));
          }
        }
        break;
      case ast::ClauseKind::Tags:
        for (const ast::Identifier& tag : clause.words) {
          if (!tag_is_valid(tag.text)) {
            diagnostics_.error("invalid-tag", tag.range,
                               tag.text.empty() ? std::string("a tag cannot be empty")
                                                : "a tag cannot contain control characters");
            continue;
          }
          if (tags_seen_.insert(tag.text).second) rule.tags.push_back(tag.text);
        }
        break;
      case ast::ClauseKind::Output:
        if (clause.text) {
          OutputTemplate parsed = parse_output_template(*clause.text, diagnostics_);
          if (parsed.valid) {
            rule.output = std::move(parsed.segments);
            outline.output_fields = std::move(parsed.fields);
          }
        }
        break;
      default: break;
    }
  }

  const ast::Identifier* first_word(const ast::Clause& clause) {
    return clause.words.empty() ? nullptr : &clause.words.front();
  }

  void unknown_word(const char* code, std::string_view what, const ast::Identifier& word,
                    const std::vector<std::string_view>& choices) {
    Diagnostic& error = diagnostics_.error(
        code, word.range, "unknown " + std::string(what) + " " + quoted(word.text));
    if (auto suggestion = closest_name(word.text, choices))
      error.hint = did_you_mean(*suggestion);
    else
      error.hint = std::string(what) + " is one of " + join_quoted(choices);
  }

  void check_action(const ir::Rule& rule) {
    if (rule.action == Action::Alert || !action_range_) return;
    std::vector<std::string_view> refused;
    std::vector<SourceRange> refused_where;
    for (const auto& [event, range] : event_words_) {
      if (action_allowed(rule.action, event_info(event))) continue;
      refused.push_back(event_info(event).name);
      refused_where.push_back(range);
    }
    if (refused.empty()) return;
    const std::string action = quoted(action_name(rule.action));
    Diagnostic& error =
        diagnostics_.error("action-not-allowed", *action_range_,
                           "action " + action + " is not allowed on event" +
                               (refused.size() > 1 ? "s " : " ") + join_quoted(refused));
    std::vector<std::string_view> excluded;
    for (const EventInfo& event : all_events())
      if (!action_allowed(rule.action, event)) excluded.push_back(event.name);
    error.hint = action + " is available on every event except " + join_quoted(excluded) +
                 "; use `alert` for these events, or split the rule";
    for (size_t i = 0; i < refused.size(); ++i)
      error.related.push_back(
          {refused_where[i], "the rule applies to " + quoted(refused[i]) + " here"});
  }

  Diagnostics& diagnostics_;
  std::vector<std::string_view> event_names_;
  std::unordered_set<std::string> tags_seen_;
  std::optional<SourceRange> action_range_;
  const ast::Clause* on_clause_ = nullptr;
  std::vector<std::pair<EventKind, SourceRange>> event_words_;
};

}  // namespace

std::vector<RuleOutline> check_rule_clauses(const SymbolTable& symbols, Diagnostics& diagnostics) {
  RuleClauseChecker checker(diagnostics);
  std::vector<RuleOutline> outlines;
  outlines.reserve(symbols.rules.size());
  for (const RuleSymbol& rule : symbols.rules) outlines.push_back(checker.check(rule));
  return outlines;
}

}  // namespace vigil
