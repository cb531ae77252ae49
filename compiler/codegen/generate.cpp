#include "compiler/codegen/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "compiler/codegen/c_text.h"
#include "compiler/codegen/event_layout.h"
#include "compiler/codegen/plan.h"
#include "compiler/codegen/rule_hash.h"
#include "compiler/codegen/string_automaton.h"

namespace vigil::codegen {
namespace {

using Kind = ir::Predicate::Kind;

// Flags in `next` entries (bpf/templates/automaton.bpf.h).
constexpr uint32_t kSinkFlag = 0x80000000u;
constexpr uint32_t kHitFlag = 0x40000000u;

bool has_atoms(const StringAutomaton& automaton, uint32_t state) {
  for (uint32_t k = 0; k < automaton.output_count; ++k)
    if (automaton.accepts(state, k)) return true;
  return false;
}

uint32_t words_for(uint32_t bits) {
  return std::max<uint32_t>(1, (bits + 63) / 64);
}

// Text with a running line count, so rule code can be mapped to C lines.
class CText {
 public:
  void line(std::string_view text) {
    text_ += text;
    text_ += '\n';
    ++lines_;
  }
  uint32_t next_line() const { return lines_ + 1; }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
  uint32_t lines_ = 0;
};

// One automaton as placed in the shared tables.
struct PlacedAutomaton {
  uint32_t index = 0;  // class table block
  FieldId field = 0;
  uint32_t start = 0;       // global state id
  uint32_t state_base = 0;  // global id of its state 0
  uint32_t next_base = 0;
  uint32_t classes = 0;
  bool has_gates = false;
  bool accumulate = false;            // atoms OR'ed over every state passed
  std::vector<uint32_t> gated_rules;  // rule bits it gates
  std::vector<uint32_t> atoms;        // atom bits it sets
};

// A hash (ints, ports) or LPM-trie (addresses) map deciding the value gates
// of one field: an entry per constant or network the rules name, each holding
// the rule bits to AND; `fallback` when no entry matches.
struct PlacedValueGate {
  std::string map_name;
  FieldId field = 0;
  bool lpm = false;
  uint32_t entries = 0;
  std::vector<uint64_t> fallback;
  std::vector<uint32_t> gated_rules;
};

// LPM-trie key: struct vigil_lpm_key in bpf/templates/automaton.bpf.h.
constexpr size_t kLpmKeySize = 24;
constexpr uint32_t kLpmFamilyBits = 8;

// Evaluates a predicate whose leaves are membership tests (==, in) of one
// field, given which operands the field's value "is in".
bool evaluate_membership(const ir::Predicate& node,
                         const std::function<bool(const Value&)>& holds) {
  switch (node.kind) {
    case Kind::True: return true;
    case Kind::False: return false;
    case Kind::Not: return !evaluate_membership(node.children.front(), holds);
    case Kind::And:
      for (const ir::Predicate& child : node.children)
        if (!evaluate_membership(child, holds)) return false;
      return true;
    case Kind::Or:
      for (const ir::Predicate& child : node.children)
        if (evaluate_membership(child, holds)) return true;
      return false;
    case Kind::Test:
      for (const Value& operand : node.operands)
        if (holds(operand)) return true;
      return false;
    case Kind::FieldCompare: return false;
  }
  return false;
}

void collect_operands(const ir::Predicate& node, std::vector<Value>& out) {
  if (node.kind == Kind::Test) out.insert(out.end(), node.operands.begin(), node.operands.end());
  for (const ir::Predicate& child : node.children) collect_operands(child, out);
}

// The three automaton maps' contents, in the kernel's layout.
struct AutomatonTables {
  std::vector<uint32_t> next;
  std::vector<uint32_t> classes;  // 256 per automaton
  std::vector<uint64_t> accept;   // (rule_words + atom_words) per state
  uint32_t states = 0;
};

std::string location(const ir::Rule& rule, const SourceManager* sources) {
  if (!sources || rule.name_range.file >= sources->size()) return "";
  const SourceFile& file = sources->file(rule.name_range.file);
  LineColumn at = file.line_column(rule.name_range.begin);
  return fmt::format("{}:{}", file.path(), at.line);
}

class Generator {
 public:
  Generator(const ir::PolicySet& policy, const GenerateOptions& options)
      : policy_(policy), options_(options), plan_(plan_policy(policy)) {
    for (const EventPlan& event : plan_.events) {
      rule_words_ = std::max(rule_words_, words_for(event.rules.size()));
      atom_words_ = std::max(atom_words_, words_for(event.atom_count));
    }
  }

  GeneratedSource run() {
    GeneratedSource out;
    check_enforcement(out.errors);
    build_automata(out.errors);
    build_value_gates();
    emit(out);
    fill_manifest(out.bundle);
    out.headers.emplace_back("vigil/event.h", EventLayout::get().c_declaration());
    return out;
  }

 private:
  // ---- Automata --------------------------------------------------------------------

  void build_automata(std::vector<std::string>& errors) {
    const uint32_t stride = rule_words_ + atom_words_;
    for (const EventPlan& event : plan_.events) {
      auto& placed_for_event = placed_[event.kind];
      for (const FieldAutomatonPlan& field_plan : event.automata) {
        std::vector<const ir::Predicate*> outputs;
        for (const AutomatonOutput& output : field_plan.outputs) outputs.push_back(&output.test);
        AutomatonBuild build = build_string_automata(outputs);
        std::vector<uint32_t> failures = build.too_complex;
        failures.insert(failures.end(), build.unsupported.begin(), build.unsupported.end());
        for (uint32_t output : failures) {
          const AutomatonOutput& failed = field_plan.outputs[output];
          std::string rule_name = failed.kind == AutomatonOutput::Kind::Gate
                                      ? event.rules[failed.bit].rule->name
                                      : rule_of_atom(event, failed.bit);
          errors.push_back(fmt::format(
              "rule {}: its tests of {} are too complex for the kernel's string automaton",
              rule_name, field_info(field_plan.field).name));
        }
        for (const AutomatonGroup& group : build.groups) {
          const StringAutomaton& automaton = group.automaton;
          PlacedAutomaton placed;
          placed.index = automaton_count_++;
          placed.field = field_plan.field;
          placed.state_base = tables_.states;
          placed.start = tables_.states + automaton.start_state;
          placed.next_base = static_cast<uint32_t>(tables_.next.size());
          placed.classes = automaton.class_count;
          placed.accumulate = field_plan.accumulate;
          for (uint32_t state = 0; state < automaton.state_count; ++state) {
            for (uint32_t cls = 0; cls < automaton.class_count; ++cls) {
              uint32_t target = automaton.next[state * automaton.class_count + cls];
              uint32_t entry = tables_.states + target;
              if (automaton.is_sink[target]) entry |= kSinkFlag;
              if (field_plan.accumulate && has_atoms(automaton, target)) entry |= kHitFlag;
              tables_.next.push_back(entry);
            }
          }
          for (int byte = 0; byte < 256; ++byte)
            tables_.classes.push_back(automaton.byte_class[byte]);
          // Accept entries: gates default to 1 (rules this automaton does
          // not gate pass), atoms to 0.
          for (uint32_t state = 0; state < automaton.state_count; ++state) {
            std::vector<uint64_t> entry(stride, 0);
            std::fill(entry.begin(), entry.begin() + rule_words_, ~uint64_t{0});
            for (uint32_t k = 0; k < group.outputs.size(); ++k) {
              const AutomatonOutput& output = field_plan.outputs[group.outputs[k]];
              bool holds = automaton.accepts(state, k);
              if (output.kind == AutomatonOutput::Kind::Gate) {
                if (!holds) entry[output.bit / 64] &= ~(uint64_t{1} << (output.bit % 64));
              } else if (holds) {
                entry[rule_words_ + output.bit / 64] |= uint64_t{1} << (output.bit % 64);
              }
            }
            tables_.accept.insert(tables_.accept.end(), entry.begin(), entry.end());
          }
          for (uint32_t output_index : group.outputs) {
            const AutomatonOutput& output = field_plan.outputs[output_index];
            if (output.kind == AutomatonOutput::Kind::Gate) {
              placed.has_gates = true;
              placed.gated_rules.push_back(output.bit);
            } else {
              placed.atoms.push_back(output.bit);
            }
          }
          tables_.states += automaton.state_count;
          placed_for_event.push_back(std::move(placed));
        }
      }
    }
  }

  void build_value_gates() {
    const uint32_t stride = rule_words_ + atom_words_;
    for (const EventPlan& event : plan_.events) {
      for (const FieldAutomatonPlan& gates : event.value_gates) {
        PlacedValueGate placed;
        placed.map_name = fmt::format("vigil_gate_{}", value_gate_count_++);
        placed.field = gates.field;
        placed.lpm = field_info(gates.field).type == Type::Ip;
        for (const AutomatonOutput& output : gates.outputs)
          placed.gated_rules.push_back(output.bit);
        // Rule bits for a value that "is in" exactly the operands `holds`
        // accepts; rules this map does not gate pass.
        auto entry_for = [&](const std::function<bool(const Value&)>& holds) {
          std::vector<uint64_t> words(stride, 0);
          std::fill(words.begin(), words.begin() + rule_words_, ~uint64_t{0});
          for (const AutomatonOutput& output : gates.outputs)
            if (!evaluate_membership(output.test, holds))
              words[output.bit / 64] &= ~(uint64_t{1} << (output.bit % 64));
          return words;
        };
        placed.fallback = entry_for([](const Value&) { return false; });
        placed.fallback.resize(rule_words_);
        std::vector<Value> operands;
        for (const AutomatonOutput& output : gates.outputs) collect_operands(output.test, operands);
        MapContents contents;
        contents.map_name = placed.map_name;
        if (!placed.lpm) {
          std::set<int64_t> constants;
          for (const Value& operand : operands)
            if (auto* number = std::get_if<int64_t>(&operand)) constants.insert(*number);
          for (int64_t constant : constants) {
            std::vector<uint64_t> words = entry_for([&](const Value& operand) {
              auto* number = std::get_if<int64_t>(&operand);
              return number && *number == constant;
            });
            std::vector<uint8_t> key(8), value(words.size() * 8);
            std::memcpy(key.data(), &constant, 8);
            std::memcpy(value.data(), words.data(), value.size());
            contents.entries.emplace_back(std::move(key), std::move(value));
          }
        } else {
          std::vector<IpNetwork> networks;
          for (const Value& operand : operands) {
            if (!std::holds_alternative<IpNetwork>(operand) &&
                !std::holds_alternative<IpAddress>(operand))
              continue;
            IpNetwork network = as_network(operand);
            if (std::find(networks.begin(), networks.end(), network) == networks.end())
              networks.push_back(network);
          }
          // An address whose longest match is `network` is in exactly the
          // networks that contain `network` (prefixes nest or are disjoint).
          for (const IpNetwork& network : networks) {
            std::vector<uint64_t> words = entry_for([&](const Value& operand) {
              if (!std::holds_alternative<IpNetwork>(operand) &&
                  !std::holds_alternative<IpAddress>(operand))
                return false;
              IpNetwork outer = as_network(operand);
              return outer.address.is_v4 == network.address.is_v4 &&
                     outer.prefix_length <= network.prefix_length &&
                     outer.contains(network.address);
            });
            std::vector<uint8_t> key(kLpmKeySize, 0), value(words.size() * 8);
            uint32_t prefix = kLpmFamilyBits + network.prefix_length;
            std::memcpy(key.data(), &prefix, 4);
            key[4] = network.address.is_v4 ? 4 : 6;
            std::memcpy(key.data() + 5, network.address.bytes.data(), 16);
            std::memcpy(value.data(), words.data(), value.size());
            contents.entries.emplace_back(std::move(key), std::move(value));
          }
        }
        placed.entries = static_cast<uint32_t>(contents.entries.size());
        value_maps_.push_back(std::move(contents));
        value_gates_[event.kind].push_back(std::move(placed));
      }
    }
  }

  void emit_value_gate_maps(CText& c) {
    for (const auto& [kind, gates] : value_gates_) {
      for (const PlacedValueGate& gate : gates) {
        c.line(fmt::format("// {} on {}: {} entr{}", field_info(gate.field).name,
                           event_info(kind).name, gate.entries, gate.entries == 1 ? "y" : "ies"));
        c.line("struct {");
        if (gate.lpm) {
          c.line("  __uint(type, BPF_MAP_TYPE_LPM_TRIE);");
          c.line("  __uint(map_flags, BPF_F_NO_PREALLOC);");
          c.line("  __type(key, struct vigil_lpm_key);");
        } else {
          c.line("  __uint(type, BPF_MAP_TYPE_HASH);");
          c.line("  __type(key, __s64);");
        }
        c.line(fmt::format("  __uint(max_entries, {});", std::max<uint32_t>(1, gate.entries)));
        c.line("  __type(value, struct vigil_accept);");
        c.line(fmt::format("}} {} SEC(\".maps\");", gate.map_name));
      }
    }
  }

  void emit_value_gate(CText& c, const PlacedValueGate& gate) {
    const FieldInfo& field = field_info(gate.field);
    c.line(fmt::format("  // {}: {} lookup ({} gate{})", field.name, gate.lpm ? "LPM-trie" : "hash",
                       gate.gated_rules.size(), gate.gated_rules.size() == 1 ? "" : "s"));
    c.line(fmt::format("  if ({}) {{", any_rule_of(gate.gated_rules)));
    if (gate.lpm) {
      c.line(fmt::format(
          "    struct vigil_lpm_key key = {{.prefixlen = {}, .family = {}.family == 6 ? 6 : 4}};",
          kLpmFamilyBits + 128, member(gate.field)));
      c.line(fmt::format("    __builtin_memcpy(key.addr, {}.addr, 16);", member(gate.field)));
    } else {
      c.line(fmt::format("    __s64 key = {};", member(gate.field)));
    }
    c.line(fmt::format("    struct vigil_accept *entry = bpf_map_lookup_elem(&{}, &key);",
                       gate.map_name));
    for (uint32_t i = 0; i < event_rule_words_; ++i)
      c.line(fmt::format("    rules[{0}] &= entry ? entry->gate[{0}] : {1};", i,
                         c_uint64(gate.fallback[i])));
    c.line("  }");
  }

  std::string rule_of_atom(const EventPlan& event, uint32_t atom) const {
    for (const PlannedRule& rule : event.rules)
      for (const PlannedConjunct& conjunct : rule.conjuncts)
        if (std::find(conjunct.atoms.begin(), conjunct.atoms.end(), atom) != conjunct.atoms.end())
          return rule.rule->name;
    return "?";
  }

  // ---- C -----------------------------------------------------------------------------

  void emit(GeneratedSource& out) {
    CText c;
    c.line(fmt::format("// Generated by vigil from {} rule{}. Do not edit: change the policy.",
                       plan_.rule_count, plan_.rule_count == 1 ? "" : "s"));
    c.line("#include \"vmlinux.h\"");
    c.line("#include <bpf/bpf_helpers.h>");
    c.line("#include <bpf/bpf_core_read.h>");
    c.line("#include <bpf/bpf_tracing.h>");
    c.line("#include <bpf/bpf_endian.h>");
    c.line("#include \"vigil/event.h\"");
    c.line("");
    c.line(fmt::format("#define VIGIL_RULE_WORDS {}", rule_words_));
    c.line(fmt::format("#define VIGIL_ATOM_WORDS {}", atom_words_));
    c.line(
        fmt::format("#define VIGIL_DFA_NEXT_ENTRIES {}", std::max<size_t>(1, tables_.next.size())));
    c.line(fmt::format("#define VIGIL_DFA_CLASS_ENTRIES {}",
                       std::max<size_t>(256, tables_.classes.size())));
    c.line(fmt::format("#define VIGIL_DFA_STATES {}", std::max<uint32_t>(1, tables_.states)));
    if (options_.harness) c.line("#define VIGIL_HARNESS 1");
    std::vector<bool> needed(all_fields().size(), false);
    for (const EventPlan& event : plan_.events) {
      c.line(fmt::format("#define VIGIL_CAPTURE_{} 1",
                         c_identifier_upper(event_info(event.kind).name)));
      for (FieldId field : event.fields_read) needed[field] = true;
    }
    for (const FieldInfo& field : all_fields())
      if (needed[field.id])
        c.line(fmt::format("#define VIGIL_NEED_{} 1", c_identifier_upper(field.name)));
    // Each record is sent up to the last field its kind carries.
    const EventLayout& layout = EventLayout::get();
    size_t largest = 0;
    for (const EventPlan& event : plan_.events)
      largest = std::max(largest, layout.captured_size(needed, event.kind));
    c.line(fmt::format("#define VIGIL_EVENT_SUBMIT_BYTES {}", largest));
    c.line("#define VIGIL_SUBMIT_BYTES_BY_KIND 1");
    c.line("static __always_inline __u32 vigil_submit_bytes(__u32 kind) {");
    c.line("  switch (kind) {");
    for (const EventPlan& event : plan_.events)
      c.line(fmt::format("    case VIGIL_EV_{}: return {};",
                         c_identifier_upper(event_info(event.kind).name),
                         layout.captured_size(needed, event.kind)));
    c.line("  }");
    c.line("  return VIGIL_EVENT_SUBMIT_BYTES;");
    c.line("}");
    for (const EventPlan& event : plan_.events) {
      if (deny_bits(event).empty()) continue;
      const bool lsm = event_info(event.kind).deny == DenyMechanism::Lsm;
      c.line(fmt::format("#define VIGIL_{}DENY_{} 1", lsm ? "LSM_" : "",
                         c_identifier_upper(event_info(event.kind).name)));
    }
    c.line("#include \"vigil/prelude.bpf.h\"");
    c.line("#include \"vigil/automaton.bpf.h\"");
    c.line("#include \"vigil/enforce.bpf.h\"");
    c.line("#include \"vigil/state.bpf.h\"");
    emit_value_gate_maps(c);
    for (const EventPlan& event : plan_.events) {
      emit_matcher(c, event);
      emit_state(c, event);
      emit_enforcement(c, event);
    }
    c.line("");
    if (options_.harness) {
      c.line("#include \"vigil/harness.bpf.h\"");
      for (const EventPlan& event : plan_.events)
        c.line(fmt::format("VIGIL_HARNESS_PROGRAM({})", c_identifier(event_info(event.kind).name)));
    } else {
      c.line("#include \"vigil/hooks.bpf.h\"");
    }
    out.bundle.c_source = c.take();
  }

  std::string any_rule_of(const std::vector<uint32_t>& bits) const {
    std::vector<uint64_t> mask(rule_words_, 0);
    for (uint32_t bit : bits) mask[bit / 64] |= uint64_t{1} << (bit % 64);
    std::string text;
    for (uint32_t i = 0; i < rule_words_; ++i) {
      if (!mask[i]) continue;
      if (!text.empty()) text += " || ";
      text += fmt::format("(rules[{}] & {})", i, c_uint64(mask[i]));
    }
    return text.empty() ? "0" : text;
  }

  void emit_walk(CText& c, const PlacedAutomaton& automaton, bool gates) {
    const FieldInfo& field = field_info(automaton.field);
    const EventMember& member = *EventLayout::get().member(automaton.field);
    const uint32_t capacity = field.capacity.string_bytes;
    // Arguments: offset, limit, start, class_base, next_base, state_base, classes.
    auto walk_args = [&](std::string_view offset) {
      return fmt::format("{}, {}, {}, {}, {}, {}, {}", offset, capacity - 1, automaton.start,
                         automaton.index * 256, automaton.next_base, automaton.state_base,
                         automaton.classes);
    };
    const std::string offset =
        fmt::format("__builtin_offsetof(struct vigil_event, {})", member.c_name);
    // Walk only while a rule it gates, or one reading its atoms, is alive.
    std::vector<uint32_t> interested = automaton.gated_rules;
    for (uint32_t rule : rules_reading_atoms(automaton.atoms)) interested.push_back(rule);
    std::string guard = any_rule_of(interested);
    (void)gates;
    c.line(fmt::format("  // {}: automaton {} ({} gate{}, {} atom{})", field.name, automaton.index,
                       automaton.gated_rules.size(), automaton.gated_rules.size() == 1 ? "" : "s",
                       automaton.atoms.size(), automaton.atoms.size() == 1 ? "" : "s"));
    c.line(fmt::format("  if ({}) {{", guard));
    if (automaton.accumulate) {
      // Atoms of every state passed: `contains` (see FieldAutomatonPlan).
      if (field.multi_valued) {
        c.line(fmt::format("    __u32 count = ev->{}_count;", member.c_name));
        c.line(fmt::format("    for (__u32 i = 0; i < {}; i++) {{", field.capacity.max_values));
        c.line("      if (i >= count) break;");
        c.line(fmt::format("      struct vigil_walk_state *walk = vigil_walk_hits({});",
                           walk_args(fmt::format("{} + i * {}", offset, capacity))));
        c.line("      if (!walk) return;");
        for (uint32_t i = 0; i < event_atom_words_; ++i)
          c.line(fmt::format("      atoms[{0}] |= walk->hits[{0}];", i));
        c.line("    }");
      } else {
        c.line(fmt::format("    struct vigil_walk_state *walk = vigil_walk_hits({});",
                           walk_args(offset)));
        c.line("    if (!walk) return;");
        for (uint32_t i = 0; i < event_atom_words_; ++i)
          c.line(fmt::format("    atoms[{0}] |= walk->hits[{0}];", i));
      }
    } else if (!field.multi_valued) {
      c.line(fmt::format("    struct vigil_accept *accept = vigil_walk_string({});",
                         walk_args(offset)));
      c.line("    if (!accept) return;");
      if (automaton.has_gates)
        for (uint32_t i = 0; i < event_rule_words_; ++i)
          c.line(fmt::format("    rules[{0}] &= accept->gate[{0}];", i));
      if (!automaton.atoms.empty())
        for (uint32_t i = 0; i < event_atom_words_; ++i)
          c.line(fmt::format("    atoms[{0}] |= accept->atom[{0}];", i));
    } else {
      // Any value: OR the atoms of each value present.
      c.line(fmt::format("    __u32 count = ev->{}_count;", member.c_name));
      c.line(fmt::format("    for (__u32 i = 0; i < {}; i++) {{", field.capacity.max_values));
      c.line("      if (i >= count) break;");
      c.line(fmt::format("      struct vigil_accept *accept = vigil_walk_string({});",
                         walk_args(fmt::format("{} + i * {}", offset, capacity))));
      c.line("      if (!accept) return;");
      for (uint32_t i = 0; i < event_atom_words_; ++i)
        c.line(fmt::format("      atoms[{0}] |= accept->atom[{0}];", i));
      c.line("    }");
    }
    c.line("  }");
  }

  std::vector<uint32_t> rules_reading_atoms(const std::vector<uint32_t>& atoms) const {
    std::vector<uint32_t> rules;
    for (const PlannedRule* rule : current_rules_)
      for (const PlannedConjunct& conjunct : rule->conjuncts)
        for (uint32_t atom : conjunct.atoms)
          if (std::find(atoms.begin(), atoms.end(), atom) != atoms.end())
            rules.push_back(rule->bit);
    return rules;
  }

  void emit_matcher(CText& c, const EventPlan& event) {
    const std::string kind = c_identifier(event_info(event.kind).name);
    current_rules_.clear();
    event_rule_words_ = words_for(event.rules.size());
    event_atom_words_ = words_for(event.atom_count);
    std::vector<uint32_t> live, complete;
    for (const PlannedRule& rule : event.rules) {
      current_rules_.push_back(&rule);
      if (rule.never_matches) continue;
      live.push_back(rule.bit);
      if (rule.kernel_complete) complete.push_back(rule.bit);
    }
    c.line("");
    c.line(fmt::format("// ---- {}: {} rule{} ----", event_info(event.kind).name,
                       event.rules.size(), event.rules.size() == 1 ? "" : "s"));
    for (const PlannedRule& rule : event.rules)
      c.line(fmt::format("//   bit {}: {} ({}){}", rule.bit, c_comment_text(rule.rule->name),
                         c_comment_text(location(*rule.rule, options_.sources)),
                         rule.never_matches     ? " never matches on this event"
                         : rule.kernel_complete ? ""
                                                : " prefilter, completed in user space"));
    c.line(fmt::format(
        "static __noinline void vigil_match_{}(struct vigil_event *ev, struct vigil_verdict "
        "*verdict) {{",
        kind));
    // The working rule bitmap lives in the verdict (map memory), read and
    // written through a volatile pointer: the verifier does not track map
    // memory, so the bitmap is an unknown value to it and the paths through
    // each rule's code merge again. Held in a register, every rule would
    // double the paths the verifier explores (measured: 1,000 rules on one
    // event hit the 1M-instruction limit).
    c.line("  volatile __u64 *rules = verdict->matched;");
    std::vector<uint64_t> live_mask(event_rule_words_, 0);
    for (uint32_t bit : live) live_mask[bit / 64] |= uint64_t{1} << (bit % 64);
    for (uint32_t i = 0; i < event_rule_words_; ++i)
      c.line(fmt::format("  rules[{}] = {};", i, c_uint64(live_mask[i])));
    c.line(fmt::format("  __u64 atoms[{}] = {{0}};", event_atom_words_));
    c.line("  (void)atoms;");
    // Cheapest first: plain code (ints, bools, addresses) can kill a rule
    // before any string is walked; then the gate walks, each deciding a
    // field's tests for every rule at once; then walks that only feed atoms,
    // and the code reading them. All of that runs first for the event's own
    // fields, then for the process context, which is filled (most of an
    // event's cost) only if a rule is still alive when it is first needed.
    bool context_filled = false;
    auto fill_context_once = [&] {
      if (context_filled) return;
      context_filled = true;
      c.line(fmt::format("  if ({}) VIGIL_ENSURE_CONTEXT(ev);", any_rule_of(live)));
    };
    const auto& automata = placed_[event.kind];
    for (bool context : {false, true}) {
      auto before = [&] {
        if (context) fill_context_once();
      };
      auto residuals = [&](bool strings) {
        for (const PlannedRule& rule : event.rules) {
          if (rule.never_matches) continue;
          emit_residual(
              c, rule,
              [&](const PlannedConjunct& conjunct) {
                return reads_strings(conjunct) == strings && reads_context(conjunct) == context;
              },
              before);
        }
      };
      residuals(false);
      for (const PlacedValueGate& gate : value_gates_[event.kind]) {
        if (is_context_field(gate.field) != context) continue;
        before();
        emit_value_gate(c, gate);
      }
      for (bool gates : {true, false}) {
        for (const PlacedAutomaton& automaton : automata) {
          if (automaton.has_gates != gates || is_context_field(automaton.field) != context)
            continue;
          before();
          emit_walk(c, automaton, gates);
        }
      }
      residuals(true);
    }
    std::vector<uint64_t> complete_mask(event_rule_words_, 0);
    for (uint32_t bit : complete) complete_mask[bit / 64] |= uint64_t{1} << (bit % 64);
    for (uint32_t i = 0; i < rule_words_; ++i) {
      if (i >= event_rule_words_) {
        c.line(fmt::format("  verdict->matched[{0}] = 0;", i));
        c.line(fmt::format("  verdict->pending[{0}] = 0;", i));
        continue;
      }
      c.line(fmt::format("  verdict->pending[{0}] = rules[{0}] & ~{1};", i,
                         c_uint64(complete_mask[i])));
      c.line(fmt::format("  verdict->matched[{0}] = rules[{0}] & {1};", i,
                         c_uint64(complete_mask[i])));
    }
    c.line("}");
  }

  // vigil_state_<kind>: thresholds and sequences, after the matcher, once per
  // event: the capture hooks and the test harness call it, the deny programs
  // do not (they see the same call as a capture hook; counting there too
  // would count it twice, and deny rules cannot be stateful).
  void emit_state(CText& c, const EventPlan& event) {
    const std::string kind = c_identifier(event_info(event.kind).name);
    bool stateful = false;
    for (const PlannedRule& rule : event.rules)
      stateful |= rule.rule->threshold.has_value() || rule.rule->sequence.has_value();
    c.line(fmt::format(
        "static {} void vigil_state_{}(struct vigil_event *ev, struct vigil_verdict *verdict) {{",
        stateful ? "__noinline" : "__always_inline", kind));
    c.line("  (void)ev;");
    c.line("  (void)verdict;");
    emit_sequences(c, event);
    for (const PlannedRule& rule : event.rules)
      if (rule.rule->threshold && !rule.never_matches) emit_threshold(c, rule);
    c.line("}");
  }

  // ---- Stateful rules ------------------------------------------------------------------

  // The hash of a threshold's or sequence's `by` fields, into `key`.
  static void emit_key(CText& c, const std::vector<FieldId>& by) {
    c.line("    __u64 key = VIGIL_FNV_OFFSET;");
    for (FieldId field : by) {
      const FieldInfo& info = field_info(field);
      const std::string member = "ev->" + EventLayout::get().member(field)->c_name;
      switch (info.type) {
        case Type::String:
          c.line(fmt::format("    key = vigil_mix_string(key, {}, {});", member,
                             info.capacity.string_bytes));
          break;
        case Type::Ip: c.line(fmt::format("    key = vigil_mix_ip(key, &{});", member)); break;
        default: c.line(fmt::format("    key = vigil_mix(key, (__u64){});", member)); break;
      }
    }
  }

  // A matched threshold rule stays matched only on the N-th event of its key
  // (bpf/templates/state.bpf.h).
  void emit_threshold(CText& c, const PlannedRule& rule) {
    const ir::Threshold& threshold = *rule.rule->threshold;
    const std::string bit = c_uint64(uint64_t{1} << (rule.bit % 64));
    c.line(fmt::format("  if (verdict->matched[{}] & {}) {{  // threshold of {}", rule.bit / 64,
                       bit, c_comment_text(rule.rule->name)));
    emit_key(c, threshold.by);
    c.line(
        fmt::format("    struct vigil_state_call call = {{{}, key, 0, {}, {}, {}, ev->time_ns}};",
                    c_uint64(rule_name_hash(rule.rule->name)), threshold.count,
                    c_uint64(threshold.window_ns), c_uint64(threshold.rearm_ns.value_or(0))));
    c.line("    if (!vigil_threshold(&call))");
    c.line(fmt::format("      verdict->matched[{}] &= ~{};", rule.bit / 64, bit));
    c.line("  }");
  }

  // A sequence rule has a bit per step that applies to this event. The
  // steps the event matched go to vigil_sequence() (state.bpf.h), every step
  // bit is cleared, and the bit of the last step is set again only if the
  // event completed the sequence: the record reports the rule once, there.
  void emit_sequences(CText& c, const EventPlan& event) {
    std::map<const ir::Rule*, std::vector<const PlannedRule*>> steps_of;
    for (const PlannedRule& rule : event.rules)
      if (rule.step >= 0) steps_of[rule.rule].push_back(&rule);
    for (const auto& [source, steps] : steps_of) {
      const ir::Sequence& sequence = *source->sequence;
      c.line(fmt::format("  {{  // sequence of {}", c_comment_text(source->name)));
      c.line("    __u64 steps = 0;");
      const PlannedRule* last = nullptr;
      for (const PlannedRule* step : steps) {
        const std::string bit = c_uint64(uint64_t{1} << (step->bit % 64));
        c.line(fmt::format("    if (verdict->matched[{}] & {}) steps |= {};", step->bit / 64, bit,
                           c_uint64(uint64_t{1} << step->step)));
        c.line(fmt::format("    verdict->matched[{}] &= ~{};", step->bit / 64, bit));
        if (static_cast<size_t>(step->step) + 1 == sequence.steps.size()) last = step;
      }
      c.line("    if (steps) {");
      emit_key(c, sequence.by);
      c.line(fmt::format(
          "    struct vigil_state_call call = {{{}, key, steps, {}, {}, 0, ev->time_ns}};",
          c_uint64(rule_name_hash(source->name)), sequence.steps.size(),
          c_uint64(sequence.window_ns)));
      c.line("    if (vigil_sequence(&call))");
      if (last)
        c.line(fmt::format("      verdict->matched[{}] |= {};", last->bit / 64,
                           c_uint64(uint64_t{1} << (last->bit % 64))));
      else
        c.line("      ;  // the last step is not on this event: it never completes here");
      c.line("    }");
      c.line("  }");
    }
  }

  // ---- Enforcement -------------------------------------------------------------------

  // The kernel acts only on what it decides alone: a kill rule in enforce
  // mode that needs user space (`matches`, user.name, ...) cannot act before
  // the syscall returns, so it is an error, not a silent alert.
  void check_enforcement(std::vector<std::string>& errors) const {
    std::set<const ir::Rule*> reported;  // one error per rule, not per event
    for (const EventPlan& event : plan_.events)
      for (const PlannedRule& rule : event.rules) {
        const ir::Rule& source = *rule.rule;
        if (reported.count(&source)) continue;
        if (source.sequence && !rule.kernel_complete && !rule.never_matches) {
          reported.insert(&source);
          errors.push_back(fmt::format(
              "rule {} ({}): a sequence is followed in the kernel, but its step {} on {} needs "
              "user space (`matches`, user.name or process.container_id)",
              source.name, location(source, options_.sources), rule.step + 1,
              event_info(event.kind).name));
          continue;
        }
        if (source.action == Action::Deny && source.mode == ir::Mode::Enforce &&
            event.kind == EventKind::Exec && reads_new_image_arguments(source)) {
          reported.insert(&source);
          errors.push_back(fmt::format(
              "rule {} ({}): `action deny` on exec is decided before the new program exists, "
              "where its arguments cannot be read: test process.exe, process.comm or the "
              "credentials instead of process.args/process.cmdline, or use `action kill`",
              source.name, location(source, options_.sources)));
          continue;
        }
        if ((source.threshold || source.sequence) && source.action == Action::Deny) {
          reported.insert(&source);
          errors.push_back(fmt::format(
              "rule {} ({}): `action deny` cannot be combined with a threshold or a sequence "
              "(the deny hooks see each call once more); use `action kill`",
              source.name, location(source, options_.sources)));
          continue;
        }
        if (source.threshold && !rule.kernel_complete && !rule.never_matches) {
          reported.insert(&source);
          errors.push_back(fmt::format(
              "rule {} ({}): a threshold is counted in the kernel, but on {} the rule needs user "
              "space (`matches`, user.name or process.container_id)",
              source.name, location(source, options_.sources), event_info(event.kind).name));
          continue;
        }
        if (source.action == Action::Alert || source.mode == ir::Mode::Audit) continue;
        if (rule.kernel_complete || rule.never_matches) continue;
        errors.push_back(fmt::format(
            "rule {} ({}): action {} must be decided in the kernel, but on {} it needs user "
            "space (`matches`, user.name or process.container_id); use `mode audit`, or "
            "test kernel fields only",
            source.name, location(source, options_.sources), action_name(source.action),
            event_info(event.kind).name));
      }
  }

  static bool reads_new_image_arguments(const ir::Rule& rule) {
    const FieldId args = *find_field("process.args");
    const FieldId cmdline = *find_field("process.cmdline");
    auto argument = [&](FieldId field) { return field == args || field == cmdline; };
    if (reads_field(rule.when, argument)) return true;
    for (const ir::Predicate& except : rule.excepts)
      if (reads_field(except, argument)) return true;
    return false;
  }

  static bool enforced(const PlannedRule& rule) {
    return !rule.never_matches && rule.kernel_complete && rule.rule->mode == ir::Mode::Enforce;
  }

  // Rules the kernel kills for: `action kill`, and `action deny` with
  // `fallback kill` on an event whose deny needs BPF LSM (not generated yet).
  static bool kills(const PlannedRule& rule, EventKind kind) {
    if (!enforced(rule)) return false;
    const ir::Rule& source = *rule.rule;
    if (source.action == Action::Kill) return true;
    return source.action == Action::Deny && source.fallback_kill &&
           event_info(kind).deny == DenyMechanism::Lsm;
  }

  // Bits of the enforced deny rules a deny hook refuses for: a cgroup
  // socket-address program, or a BPF LSM program where vigil has one.
  std::vector<uint32_t> deny_bits(const EventPlan& event) const {
    std::vector<uint32_t> bits;
    if (options_.harness) return bits;
    if (event_info(event.kind).deny != DenyMechanism::CgroupSockAddr &&
        !lsm_deny_generated(event.kind))
      return bits;
    for (const PlannedRule& rule : event.rules)
      if (enforced(rule) && rule.rule->action == Action::Deny) bits.push_back(rule.bit);
    return bits;
  }

  // vigil_enforce_<kind>(r): after the matcher, in the tracepoint hooks: the
  // kill of each matched kill rule in enforce mode (bpf/templates/enforce.bpf.h),
  // and, where a deny hook will see the call, the enforced deny rules left to
  // it. Empty when the event has none; the hooks call it either way.
  // vigil_deny_<kind>(r): in the deny hooks, see hooks.bpf.h.
  void emit_enforcement(CText& c, const EventPlan& event) {
    const std::string kind = c_identifier(event_info(event.kind).name);
    const std::vector<uint32_t> denies = deny_bits(event);
    std::vector<uint64_t> deny_mask(rule_words_, 0);
    for (uint32_t bit : denies) deny_mask[bit / 64] |= uint64_t{1} << (bit % 64);
    if (!denies.empty()) {
      c.line(
          fmt::format("static __always_inline int vigil_deny_{}(struct vigil_record *r) {{", kind));
      c.line("  __u64 any = 0;");
      for (uint32_t i = 0; i < rule_words_; ++i) {
        c.line(fmt::format("  r->verdict.matched[{0}] &= {1};", i, c_uint64(deny_mask[i])));
        c.line(fmt::format("  r->verdict.pending[{}] = 0;", i));
        c.line(fmt::format("  any |= r->verdict.matched[{}];", i));
      }
      c.line("  if (!any || !vigil_enforce) return 0;");
      for (uint32_t i = 0; i < rule_words_; ++i)
        c.line(fmt::format("  r->enforcement.acted[{0}] = r->verdict.matched[{0}];", i));
      c.line("  vigil_send(r);  // counted by the tracepoint that saw the same call");
      c.line("  return 1;");
      c.line("}");
    }
    c.line(fmt::format("static __always_inline void vigil_enforce_{}(struct vigil_record *r) {{",
                       kind));
    c.line("  (void)r;");
    const bool lsm = event_info(event.kind).deny == DenyMechanism::Lsm;
    if (!denies.empty() && lsm) {
      // The LSM program reports the enforced deny rules when it runs; else
      // they fall back to a kill (`fallback kill`) or are reported unenforced.
      c.line("  if (vigil_lsm_active) {");
      for (uint32_t i = 0; i < rule_words_; ++i)
        if (deny_mask[i])
          c.line(fmt::format("    r->verdict.matched[{0}] &= ~{1};", i, c_uint64(deny_mask[i])));
      c.line("  } else if (vigil_enforce) {");
      for (const PlannedRule& rule : event.rules) {
        if (!enforced(rule) || rule.rule->action != Action::Deny) continue;
        const std::string test = fmt::format("r->verdict.matched[{}] & {}", rule.bit / 64,
                                             c_uint64(uint64_t{1} << (rule.bit % 64)));
        if (rule.rule->fallback_kill)
          c.line(fmt::format("    if ({}) vigil_kill(r, {}, {});  // {}: fallback kill", test,
                             rule.bit, c_uint64(rule_name_hash(rule.rule->name)),
                             c_comment_text(rule.rule->name)));
        else
          c.line(
              fmt::format("    if ({}) r->enforcement.withheld |= VIGIL_WITHHELD_UNHOOKED;", test));
      }
      c.line("  }");
    } else if (!denies.empty()) {
      c.line("  if (vigil_deny_hooked(&r->event)) {");
      for (uint32_t i = 0; i < rule_words_; ++i)
        if (deny_mask[i])
          c.line(fmt::format("    r->verdict.matched[{0}] &= ~{1};", i, c_uint64(deny_mask[i])));
      c.line("  } else if (vigil_enforce) {");
      std::string any;
      for (uint32_t i = 0; i < rule_words_; ++i)
        if (deny_mask[i])
          any += fmt::format("{}(r->verdict.matched[{}] & {})", any.empty() ? "" : " || ", i,
                             c_uint64(deny_mask[i]));
      c.line(fmt::format("    if ({}) r->enforcement.withheld |= VIGIL_WITHHELD_UNHOOKED;", any));
      c.line("  }");
    }
    for (const PlannedRule& rule : event.rules) {
      const ir::Rule& source = *rule.rule;
      if (!kills(rule, event.kind)) continue;
      if (source.action == Action::Deny && lsm_deny_generated(event.kind) && !options_.harness)
        continue;  // above: killed only when the LSM program is not running
      c.line(fmt::format("  if (r->verdict.matched[{}] & {})  // {}", rule.bit / 64,
                         c_uint64(uint64_t{1} << (rule.bit % 64)), c_comment_text(source.name)));
      c.line(fmt::format("    vigil_kill(r, {}, {});", rule.bit,
                         c_uint64(rule_name_hash(source.name))));
    }
    c.line("}");
  }

  // Whether a Test or a field comparison in `node` reads a field `wanted`
  // picks.
  template <typename Wanted>
  static bool reads_field(const ir::Predicate& node, Wanted wanted) {
    if (node.kind == Kind::Test && wanted(node.field)) return true;
    if (node.kind == Kind::FieldCompare && (wanted(node.field) || wanted(node.other_field)))
      return true;
    for (const ir::Predicate& child : node.children)
      if (reads_field(child, wanted)) return true;
    return false;
  }

  // A field of the process context (on every event), which the matcher
  // must ask for (VIGIL_ENSURE_CONTEXT) before reading.
  static bool is_context_field(FieldId field) {
    const FieldInfo& info = field_info(field);
    return info.events == kAllEvents && info.source == FieldSource::Kernel;
  }

  // Whether a residual conjunct reads a context field (directly, or through
  // the atoms of a walk over one).
  static bool reads_context(const PlannedConjunct& conjunct) {
    return reads_field(conjunct.kernel, is_context_field);
  }

  // Whether a residual conjunct reads strings: atoms of walks, or a
  // comparison of two string fields.
  static bool reads_strings(const PlannedConjunct& conjunct) {
    if (!conjunct.atoms.empty()) return true;
    auto compares_strings = [](auto&& self, const ir::Predicate& node) -> bool {
      if (node.kind == Kind::FieldCompare && field_info(node.field).type == Type::String)
        return true;
      for (const ir::Predicate& child : node.children)
        if (self(self, child)) return true;
      return false;
    };
    return compares_strings(compares_strings, conjunct.kernel);
  }

  // The rule's residual conjuncts that `select` picks, as code that clears
  // its bit unless they all hold (conjuncts are ANDed, so a rule's conjuncts
  // may be emitted in several places). `before` runs first if any is.
  template <typename Select, typename Before>
  void emit_residual(CText& c, const PlannedRule& rule, Select select, Before before) {
    std::vector<std::string> terms;
    for (const PlannedConjunct& conjunct : rule.conjuncts) {
      if (conjunct.placement != Placement::Residual && conjunct.placement != Placement::UserSpace)
        continue;
      if (conjunct.kernel.kind == Kind::True || !select(conjunct)) continue;
      size_t cursor = 0;
      terms.push_back(expression(conjunct.kernel, conjunct.atoms, cursor));
    }
    if (terms.empty()) return;
    before();
    const std::string bit = c_uint64(uint64_t{1} << (rule.bit % 64));
    uint32_t first = c.next_line();
    c.line(fmt::format("  // {} ({})", c_comment_text(rule.rule->name),
                       c_comment_text(location(*rule.rule, options_.sources))));
    c.line(fmt::format("  if (rules[{}] & {}) {{", rule.bit / 64, bit));
    std::string condition;
    for (const std::string& term : terms) condition += (condition.empty() ? "" : " && ") + term;
    c.line(fmt::format("    if (!({}))", condition));
    c.line(fmt::format("      rules[{}] &= ~{};", rule.bit / 64, bit));
    c.line("  }");
    rule_lines_.push_back({first, c.next_line() - 1, rule.index});
  }

  // A kernel predicate as a C expression over `ev`, `atoms`.
  std::string expression(const ir::Predicate& node, const std::vector<uint32_t>& atoms,
                         size_t& cursor) {
    switch (node.kind) {
      case Kind::True: return "1";
      case Kind::False: return "0";
      case Kind::Not: return "!" + expression(node.children.front(), atoms, cursor);
      case Kind::And:
      case Kind::Or: {
        std::string text = "(";
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (i) text += node.kind == Kind::And ? " && " : " || ";
          text += expression(node.children[i], atoms, cursor);
        }
        return text + ")";
      }
      case Kind::Test: return test_expression(node, atoms, cursor);
      case Kind::FieldCompare: return compare_expression(node);
    }
    return "0";
  }

  std::string member(FieldId field) const {
    return "ev->" + EventLayout::get().member(field)->c_name;
  }

  std::string test_expression(const ir::Predicate& test, const std::vector<uint32_t>& atoms,
                              size_t& cursor) {
    const FieldInfo& field = field_info(test.field);
    if (field.type == Type::String) {
      uint32_t atom = atoms.at(cursor++);
      return fmt::format("((atoms[{}] >> {}) & 1)", atom / 64, atom % 64);
    }
    std::vector<std::string> alternatives;
    for (const Value& operand : test.operands) alternatives.push_back(operand_test(test, operand));
    if (alternatives.empty()) return "0";
    if (alternatives.size() == 1) return alternatives.front();
    std::string text = "(";
    for (size_t i = 0; i < alternatives.size(); ++i) text += (i ? " || " : "") + alternatives[i];
    return text + ")";
  }

  std::string operand_test(const ir::Predicate& test, const Value& operand) const {
    const std::string subject = member(test.field);
    if (auto* number = std::get_if<int64_t>(&operand)) {
      const char* op = "==";
      switch (test.op) {
        case ir::TestOp::Lt: op = "<"; break;
        case ir::TestOp::Le: op = "<="; break;
        case ir::TestOp::Gt: op = ">"; break;
        case ir::TestOp::Ge: op = ">="; break;
        default: break;
      }
      return fmt::format("({} {} {})", subject, op, c_int64(*number));
    }
    if (auto* flag = std::get_if<bool>(&operand)) {
      if (test.op != ir::TestOp::Eq && test.op != ir::TestOp::InSet) return "0";
      return fmt::format("({} {} 0)", subject, *flag ? "!=" : "==");
    }
    if (auto* address = std::get_if<IpAddress>(&operand)) {
      if (test.op != ir::TestOp::Eq && test.op != ir::TestOp::InSet &&
          test.op != ir::TestOp::InNetworks)
        return "0";
      return ip_test(subject, as_network(*address));
    }
    if (auto* network = std::get_if<IpNetwork>(&operand)) return ip_test(subject, *network);
    return "0";  // durations: no kernel field has that type
  }

  static std::string ip_test(const std::string& subject, const IpNetwork& network) {
    const IpAddress& address = network.address;
    auto half = [&](int from) {
      uint64_t value = 0;
      for (int i = from; i < from + 8; ++i) value = (value << 8) | address.bytes[i];
      return value;
    };
    auto mask_half = [&](unsigned from_bit) {
      unsigned bits = network.prefix_length > from_bit ? network.prefix_length - from_bit : 0;
      bits = std::min(bits, 64u);
      return bits == 0 ? uint64_t{0} : ~uint64_t{0} << (64 - bits);
    };
    uint64_t high = half(0), low = half(8);
    uint64_t high_mask = mask_half(0), low_mask = mask_half(64);
    if (address.is_v4) low = low_mask = 0;
    return fmt::format("vigil_ip_in(&{}, {}, {}, {}, {}, {})", subject, address.is_v4 ? 4 : 6,
                       c_uint64(high & high_mask), c_uint64(high_mask), c_uint64(low & low_mask),
                       c_uint64(low_mask));
  }

  std::string compare_expression(const ir::Predicate& node) const {
    const FieldInfo& left = field_info(node.field);
    const FieldInfo& right = field_info(node.other_field);
    if (left.type != right.type) return "0";
    switch (left.type) {
      case Type::Int:
      case Type::Port: {
        const char* op = "==";
        switch (node.op) {
          case ir::TestOp::Lt: op = "<"; break;
          case ir::TestOp::Le: op = "<="; break;
          case ir::TestOp::Gt: op = ">"; break;
          case ir::TestOp::Ge: op = ">="; break;
          default: break;
        }
        return fmt::format("({} {} {})", member(node.field), op, member(node.other_field));
      }
      case Type::Bool:
        if (node.op != ir::TestOp::Eq) return "0";
        return fmt::format("(!{} == !{})", member(node.field), member(node.other_field));
      case Type::Ip:
        if (node.op != ir::TestOp::Eq) return "0";
        return fmt::format("vigil_ips_equal(&{}, &{})", member(node.field),
                           member(node.other_field));
      case Type::String: {
        if (node.op != ir::TestOp::Eq) return "0";
        uint32_t limit = std::min(left.capacity.string_bytes, right.capacity.string_bytes);
        return fmt::format("vigil_strings_equal({}, {}, {})",
                           EventLayout::get().member(node.field)->offset,
                           EventLayout::get().member(node.other_field)->offset, limit);
      }
      default: return "0";
    }
  }

  // ---- Manifest ------------------------------------------------------------------------

  void fill_manifest(Bundle& bundle) {
    bundle.rule_words = rule_words_;
    bundle.rule_lines = rule_lines_;
    for (uint32_t bit = 0; bit < plan_.rule_count; ++bit) {
      const ir::Rule& rule = *plan_.rules[bit];
      RuleInfo info;
      info.index = bit;
      info.name = rule.name;
      info.events = rule.events;
      info.action = rule.action;
      if (options_.sources && rule.name_range.file < options_.sources->size()) {
        const SourceFile& file = options_.sources->file(rule.name_range.file);
        LineColumn at = file.line_column(rule.name_range.begin);
        info.file = file.path();
        info.line = at.line;
        info.column = at.column;
      }
      for (const EventPlan& event : plan_.events)
        for (const PlannedRule& planned : event.rules)
          if (planned.index == bit && !planned.kernel_complete) info.kernel_complete = false;
      bundle.rules.push_back(std::move(info));
    }
    for (const EventPlan& event : plan_.events) {
      ProgramInfo program;
      program.name = "vigil_match_" + c_identifier(event_info(event.kind).name);
      program.event = event.kind;
      for (const PlannedRule& rule : event.rules) program.rules.push_back(rule.index);
      bundle.programs.push_back(std::move(program));
    }
    auto bytes_of = [](const auto& values) {
      std::vector<uint8_t> bytes(values.size() * sizeof(values[0]));
      if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
      return bytes;
    };
    std::vector<uint32_t> next = tables_.next;
    if (next.empty()) next.push_back(0);
    std::vector<uint32_t> classes = tables_.classes;
    classes.resize(std::max<size_t>(256, classes.size()), 0);
    std::vector<uint64_t> accept = tables_.accept;
    accept.resize(std::max<size_t>(rule_words_ + atom_words_, accept.size()), 0);
    bundle.maps.push_back({"vigil_dfa_next", bytes_of(next), {}});
    bundle.maps.push_back({"vigil_dfa_class", bytes_of(classes), {}});
    bundle.maps.push_back({"vigil_dfa_accept", bytes_of(accept), {}});
    for (MapContents& contents : value_maps_) bundle.maps.push_back(std::move(contents));
  }

  const ir::PolicySet& policy_;
  const GenerateOptions& options_;
  PolicyPlan plan_;
  uint32_t rule_words_ = 1;  // the largest event's: the verdict's size
  uint32_t atom_words_ = 1;
  uint32_t event_rule_words_ = 1;  // of the matcher being emitted
  uint32_t event_atom_words_ = 1;
  uint32_t automaton_count_ = 0;
  AutomatonTables tables_;
  std::map<EventKind, std::vector<PlacedAutomaton>> placed_;
  std::map<EventKind, std::vector<PlacedValueGate>> value_gates_;
  std::vector<MapContents> value_maps_;
  uint32_t value_gate_count_ = 0;
  std::vector<const PlannedRule*> current_rules_;
  std::vector<RuleLines> rule_lines_;
};

}  // namespace

bool lsm_deny_generated(EventKind kind) {
  return kind == EventKind::Exec || kind == EventKind::FileOpen;
}

GeneratedSource generate_bpf(const ir::PolicySet& policy, const GenerateOptions& options) {
  return Generator(policy, options).run();
}

}  // namespace vigil::codegen
