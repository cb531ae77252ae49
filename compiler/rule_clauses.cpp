#include "compiler/rule_clauses.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_set>

#include "compiler/expand.h"
#include "compiler/literals.h"
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

constexpr uint64_t kMaxThresholdCount = 1'000'000;
constexpr uint64_t kMaxStatefulDuration = 24 * 3'600'000'000'000ULL;  // 24h
constexpr size_t kMaxKeyFields = 4;
constexpr size_t kMinSequenceSteps = 2;
constexpr size_t kMaxSequenceSteps = 8;

constexpr std::string_view kExtensionClauses =
    "an extension may add `except` and `tags`, and replace `severity`, `action`, `output`, "
    "`enabled`, `mode`, `fallback` and `dedup`";

std::vector<std::string_view> field_names() {
  std::vector<std::string_view> names;
  for (const FieldInfo& field : all_fields()) names.push_back(field.name);
  return names;
}

// A number literal the parser already reported a problem with.
bool literal_was_reported(const ast::Expr& literal) {
  return decode_numeric_literal(literal.spelling).problem.has_value();
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
      : diagnostics_(diagnostics), event_names_(event_names()), field_names_(field_names()) {}

  RuleOutline check(const RuleSymbol& symbol) {
    RuleOutline outline;
    outline.symbol = &symbol;
    const ast::Decl& decl = *symbol.decl;
    ir::Rule& rule = outline.rule;
    rule.name = decl.name.text;
    rule.range = decl.range;
    rule.name_range = decl.name.range;
    rule.action_range = decl.name.range;  // until an `action` clause says otherwise
    rule.output = {ir::OutputSegment{rule.name + " matched", std::nullopt}};
    tags_seen_.clear();
    action_range_.reset();
    on_clause_ = nullptr;
    event_words_.clear();

    const ast::Clause* when_clause = nullptr;
    const ast::Clause* threshold_clause = nullptr;
    const ast::Clause* sequence_clause = nullptr;
    DeclarationSettings own;
    for (const ast::Clause* clause : first_of_each_kind(decl)) {
      switch (clause->kind) {
        case ast::ClauseKind::On: apply_on(*clause, rule); break;
        case ast::ClauseKind::When:
          outline.when = clause->expr.get();
          when_clause = clause;
          break;
        case ast::ClauseKind::Description:
          if (clause->text)
            if (const auto* text = std::get_if<std::string>(&clause->text->value))
              rule.description = *text;
          break;
        case ast::ClauseKind::Threshold:
          threshold_clause = clause;
          apply_threshold(*clause, outline);
          break;
        case ast::ClauseKind::Sequence:
          sequence_clause = clause;
          apply_sequence(*clause, outline);
          break;
        default: apply_setting(*clause, outline, own); break;
      }
    }
    if (sequence_clause != nullptr) {
      check_sequence_shape(decl, *sequence_clause, when_clause, threshold_clause, outline);
    } else if (on_clause_ == nullptr) {
      Diagnostic& error = diagnostics_.error("missing-on", decl.name.range,
                                             "rule " + quoted(rule.name) + " has no `on` clause");
      error.hint = "say which events the rule applies to, e.g. `on exec`";
    }
    check_enforcement_settings(rule, own);
    for (const ast::Decl* modifier : symbol.modifiers) {
      if (modifier->kind == ast::DeclKind::DisableRule) {
        rule.enabled = false;
        continue;
      }
      DeclarationSettings extension;
      for (const ast::Clause* clause : first_of_each_kind(*modifier)) {
        switch (clause->kind) {
          case ast::ClauseKind::On:
          case ast::ClauseKind::When:
          case ast::ClauseKind::Description:
          case ast::ClauseKind::Threshold:
          case ast::ClauseKind::Sequence: refuse_in_extension(*clause); break;
          default: apply_setting(*clause, outline, extension); break;
        }
      }
      check_enforcement_settings(rule, extension);
    }
    check_action(rule);
    return outline;
  }

 private:
  // The clauses of a declaration, reporting a repeated clause (other than
  // `except`) and keeping only its first occurrence.
  std::vector<const ast::Clause*> first_of_each_kind(const ast::Decl& decl) {
    constexpr size_t kClauseKinds = static_cast<size_t>(ast::ClauseKind::Sequence) + 1;
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
        report_unknown_event(word);
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

  // The `mode` and `fallback` clauses one declaration (the rule or one
  // extension) wrote; they must suit the action as it stands after it.
  struct DeclarationSettings {
    const ast::Clause* mode = nullptr;
    const ast::Clause* fallback = nullptr;
  };

  void refuse_in_extension(const ast::Clause& clause) {
    const std::string keyword = quoted(ast::clause_keyword(clause.kind));
    Diagnostic& error = diagnostics_.error("clause-not-allowed", clause.keyword_range,
                                           "`extend rule` cannot change " + keyword);
    if (clause.kind == ast::ClauseKind::Threshold || clause.kind == ast::ClauseKind::Sequence) {
      error.hint = keyword +
                   " is part of what the rule detects, so only the rule itself can have one; " +
                   std::string(kExtensionClauses);
    } else {
      error.hint = std::string(kExtensionClauses) + "; to change the condition, add an `except`";
    }
  }

  // severity, tags, output, action, enabled, mode, fallback, dedup, except:
  // in a rule or an extension.
  void apply_setting(const ast::Clause& clause, RuleOutline& outline,
                     DeclarationSettings& settings) {
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
            rule.action_range = clause.range;
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
      case ast::ClauseKind::Mode:
        if (const ast::Identifier* word = first_word(clause)) {
          if (word->text == "audit" || word->text == "enforce") {
            rule.mode = word->text == "audit" ? ir::Mode::Audit : ir::Mode::Enforce;
            settings.mode = &clause;
          } else {
            unknown_word("unknown-mode", "mode", *word, {"audit", "enforce"});
          }
        }
        break;
      case ast::ClauseKind::Fallback:
        if (const ast::Identifier* word = first_word(clause)) {
          if (word->text == "kill") {
            rule.fallback_kill = true;
            settings.fallback = &clause;
          } else {
            Diagnostic& error = diagnostics_.error("unknown-fallback", word->range,
                                                   "unknown fallback " + quoted(word->text));
            error.hint =
                "the only fallback is `kill`: `fallback kill` kills the process where "
                "BPF LSM cannot deny the operation";
          }
        }
        break;
      case ast::ClauseKind::Dedup:
        if (auto window = duration_ns(clause.window.get(), "the duration of `dedup`"))
          rule.dedup_ns = *window;
        break;
      default: break;
    }
  }

  // ---- threshold, sequence ----------------------------------------------------

  // A duration literal of a clause, checked: 0 < d <= 24h. `what` names it
  // for messages ("the window of `threshold`").
  std::optional<uint64_t> duration_ns(const ast::Expr* literal, std::string_view what) {
    if (literal == nullptr || literal_was_reported(*literal)) return std::nullopt;
    const Duration* duration = std::get_if<Duration>(&literal->value);
    if (literal->literal_kind != ast::LiteralKind::Duration || duration == nullptr) {
      Diagnostic& error =
          diagnostics_.error("invalid-duration", literal->range,
                             std::string(what) + " must be a duration such as `30s` or `5m`, not " +
                                 with_article(literal_kind_name(literal->literal_kind)) + " " +
                                 quoted(literal->spelling));
      if (literal->literal_kind == ast::LiteralKind::Int)
        error.hint = "add a unit: " + quoted(literal->spelling + "s") + ", " +
                     quoted(literal->spelling + "m") + " (ms, s, m or h)";
      return std::nullopt;
    }
    const int64_t ns = duration->count();
    if (ns <= 0) {
      diagnostics_.error("invalid-duration", literal->range,
                         std::string(what) + " must be longer than 0");
      return std::nullopt;
    }
    if (static_cast<uint64_t>(ns) > kMaxStatefulDuration) {
      Diagnostic& error = diagnostics_.error(
          "invalid-duration", literal->range,
          std::string(what) + " must be at most 24h, not " + quoted(literal->spelling));
      error.hint = "state older than a day is not kept";
      return std::nullopt;
    }
    return static_cast<uint64_t>(ns);
  }

  std::optional<std::string_view> suggest_field(std::string_view name) {
    if (auto suggestion = field_names_.suggest(name)) return suggestion;
    // `pid` or `proc.pid` for `process.pid`: the same last component.
    const std::string_view last = name.substr(name.rfind('.') + 1);
    for (const FieldInfo& field : all_fields())
      if (field.name.substr(field.name.rfind('.') + 1) == last) return field.name;
    return std::nullopt;
  }

  // The fields after `by`: known, single-valued, distinct, at most four.
  std::vector<FieldId> key_fields(const ast::Clause& clause, RuleOutline& outline) {
    std::vector<FieldId> ids;
    std::vector<SourceRange> where;
    const std::string keyword = quoted(ast::clause_keyword(clause.kind));
    for (size_t i = 0; i < clause.by.size(); ++i) {
      const ast::Identifier& name = clause.by[i];
      if (i == kMaxKeyFields) {
        Diagnostic& error =
            diagnostics_.error("too-many-key-fields", name.range,
                               "a key has at most " + std::to_string(kMaxKeyFields) + " fields; " +
                                   keyword + " has " + std::to_string(clause.by.size()));
        error.hint = "keep the fields that identify what is counted, e.g. `process.pid`";
        break;
      }
      std::optional<FieldId> id = find_field(name.text);
      if (!id) {
        Diagnostic& error =
            diagnostics_.error("unknown-field", name.range, "unknown field " + quoted(name.text));
        if (auto suggestion = suggest_field(name.text)) error.hint = did_you_mean(*suggestion);
        continue;
      }
      const FieldInfo& field = field_info(*id);
      if (field.multi_valued) {
        Diagnostic& error = diagnostics_.error(
            "multi-valued-key-field", name.range,
            quoted(field.name) + " holds several values and cannot be part of a key");
        error.hint = "key fields must be single-valued, e.g. `process.pid` or `process.exe`";
        continue;
      }
      auto seen = std::find(ids.begin(), ids.end(), *id);
      if (seen != ids.end()) {
        Diagnostic& error =
            diagnostics_.error("duplicate-key-field", name.range,
                               "field " + quoted(field.name) + " is listed twice after `by`");
        error.related.push_back({where[seen - ids.begin()], "first listed here"});
        continue;
      }
      ids.push_back(*id);
      where.push_back(name.range);
      outline.key_fields.push_back({*id, name.range});
    }
    return ids;
  }

  void apply_threshold(const ast::Clause& clause, RuleOutline& outline) {
    ir::Threshold threshold;
    threshold.range = clause.range;
    if (const ast::Expr* count = clause.count.get(); count && !literal_was_reported(*count)) {
      const int64_t* value = std::get_if<int64_t>(&count->value);
      if (count->literal_kind != ast::LiteralKind::Int || value == nullptr) {
        diagnostics_.error("invalid-threshold-count", count->range,
                           "the count of `threshold` must be a whole number, not " +
                               with_article(literal_kind_name(count->literal_kind)) + " " +
                               quoted(count->spelling));
      } else if (*value < 1 || static_cast<uint64_t>(*value) > kMaxThresholdCount) {
        Diagnostic& error = diagnostics_.error("invalid-threshold-count", count->range,
                                               "the count of `threshold` must be from 1 to " +
                                                   std::to_string(kMaxThresholdCount) + ", not " +
                                                   quoted(count->spelling));
        if (*value < 1) error.hint = "`threshold 1 ...` fires on the first matching event";
      } else {
        threshold.count = static_cast<uint64_t>(*value);
      }
    }
    if (auto window = duration_ns(clause.window.get(), "the window of `threshold`"))
      threshold.window_ns = *window;
    threshold.by = key_fields(clause, outline);
    if (clause.rearm) threshold.rearm_ns = duration_ns(clause.rearm.get(), "`rearm`");
    outline.rule.threshold = std::move(threshold);
  }

  void apply_sequence(const ast::Clause& clause, RuleOutline& outline) {
    ir::Rule& rule = outline.rule;
    ir::Sequence sequence;
    sequence.range = clause.range;
    sequence.by = key_fields(clause, outline);
    if (auto window = duration_ns(clause.window.get(), "the window of `sequence`"))
      sequence.window_ns = *window;
    if (clause.steps.size() < kMinSequenceSteps) {
      const SourceRange where =
          clause.steps.empty() ? clause.keyword_range : clause.steps.front().range;
      Diagnostic& error =
          diagnostics_.error("sequence-too-short", where,
                             "a sequence needs at least " + std::to_string(kMinSequenceSteps) +
                                 " steps, this one has " + std::to_string(clause.steps.size()));
      error.hint =
          "join the steps with `then`: `[exec] then [file.open]`; a rule about single events "
          "uses `on` and `when`";
    }
    for (size_t i = 0; i < clause.steps.size(); ++i) {
      const ast::SequenceStep& step = clause.steps[i];
      if (i == kMaxSequenceSteps) {
        diagnostics_.error("sequence-too-long", step.range,
                           "a sequence has at most " + std::to_string(kMaxSequenceSteps) +
                               " steps, this one has " + std::to_string(clause.steps.size()));
        break;
      }
      ir::SequenceStep lowered;
      lowered.range = step.range;
      std::vector<std::pair<EventKind, SourceRange>> words;
      for (const ast::Identifier& word : step.events) {
        std::optional<EventKind> event = find_event(word.text);
        if (!event) {
          report_unknown_event(word);
          continue;
        }
        if (lowered.events & event_bit(*event)) {
          diagnostics_.warning("duplicate-event", word.range,
                               "event " + quoted(word.text) + " is listed twice in this step");
          continue;
        }
        lowered.events |= event_bit(*event);
        words.push_back({*event, word.range});
      }
      rule.events |= lowered.events;
      sequence.steps.push_back(std::move(lowered));
      outline.step_whens.push_back(step.when.get());
      outline.step_events.push_back(std::move(words));
    }
    // kill and deny act on the event that completes the sequence.
    if (!outline.step_events.empty()) event_words_ = outline.step_events.back();
    rule.sequence = std::move(sequence);
  }

  // A sequence rule takes its events from its steps and its conditions from
  // the steps' `when`; it cannot also count (`threshold`).
  void check_sequence_shape(const ast::Decl& decl, const ast::Clause& sequence,
                            const ast::Clause* when, const ast::Clause* threshold,
                            RuleOutline& outline) {
    const std::string rule = quoted(decl.name.text);
    if (on_clause_ != nullptr) {
      Diagnostic& error = diagnostics_.error(
          "sequence-with-on", on_clause_->keyword_range,
          "rule " + rule + " has both `on` and `sequence`; a rule has one or the other");
      error.hint = "a sequence rule takes its events from its steps: remove `on`";
      error.related.push_back({sequence.keyword_range, "the sequence is here"});
    }
    if (when != nullptr) {
      Diagnostic& error =
          diagnostics_.error("sequence-with-when", when->keyword_range,
                             "rule " + rule + " is a sequence and cannot have a `when` clause");
      error.hint =
          "put each condition inside its step: `[exec when CONDITION]`; `except` "
          "clauses apply to every step";
      error.related.push_back({sequence.keyword_range, "the sequence is here"});
      outline.when = nullptr;
    }
    if (threshold != nullptr) {
      Diagnostic& error =
          diagnostics_.error("threshold-with-sequence", threshold->keyword_range,
                             "rule " + rule + " cannot have both `threshold` and `sequence`");
      error.hint = "split it into two rules";
      error.related.push_back({sequence.keyword_range, "the sequence is here"});
    }
  }

  // `mode` needs an enforcing action; `fallback kill` needs `deny` on events
  // that BPF LSM enforces. Checked against the rule as it stands after the
  // declaration that wrote them, so that an extension that later turns the
  // rule into an alert does not make the pack's own clauses wrong.
  void check_enforcement_settings(const ir::Rule& rule, const DeclarationSettings& settings) {
    const std::string name = quoted(rule.name);
    if (settings.mode != nullptr && rule.action == Action::Alert) {
      Diagnostic& error = diagnostics_.error(
          "mode-without-enforcement", settings.mode->range,
          "`mode` applies only to rules with action `kill` or `deny`, but rule " + name +
              " has action `alert`");
      error.hint =
          "an alert never blocks anything; remove `mode`, or set `action kill` or "
          "`action deny`";
    }
    if (settings.fallback == nullptr) return;
    if (rule.action != Action::Deny) {
      Diagnostic& error =
          diagnostics_.error("fallback-not-allowed", settings.fallback->range,
                             "`fallback kill` applies only to rules with action `deny`, but rule " +
                                 name + " has action " + quoted(action_name(rule.action)));
      error.hint = "`fallback kill` says what to do where `deny` cannot be enforced";
      return;
    }
    std::vector<std::string_view> refused;
    std::vector<SourceRange> refused_where;
    for (const auto& [event, range] : event_words_) {
      const EventInfo& info = event_info(event);
      if (info.deny == DenyMechanism::Lsm && info.allows_kill) continue;
      refused.push_back(info.name);
      refused_where.push_back(range);
    }
    if (refused.empty()) return;
    Diagnostic& error = diagnostics_.error(
        "fallback-not-allowed", settings.fallback->range,
        "`fallback kill` applies only to events that `deny` enforces through BPF LSM, not to " +
            std::string(refused.size() > 1 ? "events " : "event ") + join_quoted(refused));
    error.hint =
        "these events are denied without BPF LSM, so there is nothing to fall back "
        "from; remove `fallback kill`, or split the rule";
    for (size_t i = 0; i < refused.size(); ++i)
      error.related.push_back(
          {refused_where[i], "the rule applies to " + quoted(refused[i]) + " here"});
  }

  void report_unknown_event(const ast::Identifier& word) {
    Diagnostic& error =
        diagnostics_.error("unknown-event", word.range, "unknown event " + quoted(word.text));
    if (auto suggestion = closest_name(word.text, event_names_))
      error.hint = did_you_mean(*suggestion);
    else
      error.hint = "`vigil docs fields` lists the events and their fields";
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
    if (rule.sequence) {
      error.hint = action + " acts on the event that completes the sequence, so every event of " +
                   "its last step must allow it; " + action + " is available on every event " +
                   "except " + join_quoted(excluded);
      for (size_t i = 0; i < refused.size(); ++i)
        error.related.push_back(
            {refused_where[i], "the last step includes " + quoted(refused[i]) + " here"});
      return;
    }
    for (size_t i = 0; i < refused.size(); ++i)
      error.related.push_back(
          {refused_where[i], "the rule applies to " + quoted(refused[i]) + " here"});
  }

  Diagnostics& diagnostics_;
  std::vector<std::string_view> event_names_;
  NameSuggester field_names_;
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
