#include "compiler/codegen/string_automaton.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "compiler/glob.h"

namespace vigil::codegen {

bool StringAutomaton::accepts(uint32_t state, uint32_t output) const {
  if (state >= state_count || output >= output_count) return false;
  return (accept[size_t{state} * words + output / 64] >> (output % 64)) & 1;
}

uint32_t StringAutomaton::final_state(std::string_view value, size_t max_bytes) const {
  uint32_t state = start_state;
  size_t consumed = 0;
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == 0 || consumed == max_bytes || is_sink[state]) break;
    state = next[size_t{state} * class_count + byte_class[byte]];
    ++consumed;
  }
  return state;
}

std::vector<uint64_t> StringAutomaton::run(std::string_view value, size_t max_bytes) const {
  auto first =
      accept.begin() + static_cast<ptrdiff_t>(size_t{final_state(value, max_bytes)} * words);
  return {first, first + words};
}

namespace {

using Step = GlobPattern::Step;
using StepKind = GlobPattern::StepKind;

// Construction budgets beyond the state limit: the position sets stored and
// the positions visited while computing transitions (at most
// kWorkPerTransition on average over the construction cap's transitions, and
// kMaxConstructionWork in all). They only bind for hostile patterns, e.g.
// thousands of `*` separating many distinct bytes.
constexpr size_t kMaxStoredPositions = size_t{1} << 22;
constexpr size_t kMaxConstructionWork = size_t{1} << 25;
constexpr size_t kWorkPerTransition = 64;
// Universal parts of a successor at least this large are memoised.
constexpr size_t kMemoisedSharedPart = 16;

// ---- Outputs as boolean programs over patterns ---------------------------------------

// Every leaf test becomes a set of patterns: step sequences (glob steps)
// matched against the whole value. The test holds if one of them does.
std::vector<Step> literal_steps(std::string_view text, bool anything_before, bool anything_after) {
  std::vector<Step> steps;
  steps.reserve(text.size() + 2);
  if (anything_before) steps.push_back({StepKind::DoubleStar});
  for (char c : text) steps.push_back({StepKind::Byte, c});
  if (anything_after) steps.push_back({StepKind::DoubleStar});
  return steps;
}

// A NUL byte never occurs in a kernel string, so such a pattern never matches.
bool needs_nul_byte(const std::vector<Step>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const Step& step) {
    return step.kind == StepKind::Byte && step.byte == '\0';
  });
}

struct Instruction {
  enum class Op : uint8_t { Const, Leaf, And, Or, Not };
  Op op;
  uint32_t arg;  // Const: 0 or 1; Leaf: leaf id; And, Or: operand count
};

struct CompiledOutputs {
  std::vector<std::vector<Step>> patterns;            // interned
  std::vector<std::vector<uint32_t>> pattern_leaves;  // pattern -> leaves it belongs to
  uint32_t leaf_count = 0;
  std::vector<uint32_t> leaf_output;                   // leaf -> the output it is in
  std::vector<std::vector<Instruction>> programs;      // per output, postfix
  std::vector<std::vector<uint32_t>> output_patterns;  // per output: sorted, distinct
};

class OutputCompiler {
 public:
  explicit OutputCompiler(CompiledOutputs& compiled) : compiled_(compiled) {}

  std::optional<FieldId> field;

  // Compiles output `index`; false if the automaton cannot decide it. Walks
  // the tree with an explicit stack: deep predicates cost no native stack.
  bool compile(const ir::Predicate& root, size_t index) {
    using Kind = ir::Predicate::Kind;
    using Op = Instruction::Op;
    std::vector<Instruction> program;
    std::vector<uint32_t> used;
    struct Frame {
      const ir::Predicate* node;
      bool children_done;
    };
    std::vector<Frame> stack{{&root, false}};
    while (!stack.empty()) {
      Frame frame = stack.back();
      stack.pop_back();
      const ir::Predicate& node = *frame.node;
      switch (node.kind) {
        case Kind::True: program.push_back({Op::Const, 1}); break;
        case Kind::False: program.push_back({Op::Const, 0}); break;
        case Kind::And:
        case Kind::Or:
          if (frame.children_done) {
            program.push_back({node.kind == Kind::And ? Op::And : Op::Or,
                               static_cast<uint32_t>(node.children.size())});
          } else {
            stack.push_back({&node, true});
            for (auto child = node.children.rbegin(); child != node.children.rend(); ++child)
              stack.push_back({&*child, false});
          }
          break;
        case Kind::Not:
          if (node.children.empty()) {
            program.push_back({Op::Const, 0});  // as the evaluator: a Not of nothing is false
          } else if (frame.children_done) {
            program.push_back({Op::Not, 0});
          } else {
            stack.push_back({&node, true});
            stack.push_back({&node.children.front(), false});
          }
          break;
        case Kind::Test: {
          auto patterns = test_patterns(node);
          if (!patterns) return false;
          if (patterns->empty()) {
            program.push_back({Op::Const, 0});
            break;
          }
          uint32_t leaf = compiled_.leaf_count++;
          compiled_.leaf_output.push_back(static_cast<uint32_t>(index));
          for (uint32_t pattern : *patterns) compiled_.pattern_leaves[pattern].push_back(leaf);
          used.insert(used.end(), patterns->begin(), patterns->end());
          program.push_back({Op::Leaf, leaf});
          break;
        }
        case Kind::FieldCompare: return false;
      }
    }
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    compiled_.programs[index] = std::move(program);
    compiled_.output_patterns[index] = std::move(used);
    return true;
  }

 private:
  // The patterns of one test (sorted, distinct; never-matching ones left
  // out), or nullopt if the test is not a string test of the field.
  std::optional<std::vector<uint32_t>> test_patterns(const ir::Predicate& test) {
    if (!field) {
      if (test.field >= all_fields().size() || field_info(test.field).type != Type::String)
        return std::nullopt;
      field = test.field;
    } else if (test.field != *field) {
      return std::nullopt;
    }
    std::vector<uint32_t> ids;
    auto add = [&](std::vector<Step> steps) {
      if (!needs_nul_byte(steps)) ids.push_back(intern(std::move(steps)));
    };
    // Operands that are not strings never equal / prefix / match a string value.
    using enum ir::TestOp;
    switch (test.op) {
      case Eq:
      case InSet:
      case StartsWith:
      case EndsWith:
      case Contains:
        for (const Value& operand : test.operands) {
          auto* text = std::get_if<std::string>(&operand);
          if (!text) continue;
          bool before = test.op == EndsWith || test.op == Contains;
          bool after = test.op == StartsWith || test.op == Contains;
          add(literal_steps(*text, before, after));
        }
        break;
      case Glob:
        // The evaluator reads the first operand only.
        if (!test.operands.empty()) {
          if (auto* pattern = std::get_if<std::string>(&test.operands.front()))
            add(GlobPattern(*pattern).steps());
        }
        break;
      default: return std::nullopt;
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  uint32_t intern(std::vector<Step> steps) {
    std::string key;
    key.reserve(steps.size() * 2);
    for (const Step& step : steps) {
      key.push_back(static_cast<char>(step.kind));
      key.push_back(step.byte);
    }
    auto [it, inserted] = index_.try_emplace(std::move(key), compiled_.patterns.size());
    if (inserted) {
      compiled_.patterns.push_back(std::move(steps));
      compiled_.pattern_leaves.emplace_back();
    }
    return it->second;
  }

  CompiledOutputs& compiled_;
  std::unordered_map<std::string, uint32_t> index_;
};

bool run_program(const std::vector<Instruction>& program, const std::vector<uint32_t>& leaf_stamp,
                 uint32_t stamp_now, std::vector<uint8_t>& stack) {
  using Op = Instruction::Op;
  stack.clear();
  for (const Instruction& instruction : program) {
    switch (instruction.op) {
      case Op::Const: stack.push_back(static_cast<uint8_t>(instruction.arg)); break;
      case Op::Leaf: stack.push_back(leaf_stamp[instruction.arg] == stamp_now); break;
      case Op::Not: stack.back() ^= 1; break;
      case Op::And:
      case Op::Or: {
        auto first = stack.end() - instruction.arg;
        bool value = instruction.op == Op::And
                         ? std::all_of(first, stack.end(), [](uint8_t v) { return v != 0; })
                         : std::any_of(first, stack.end(), [](uint8_t v) { return v != 0; });
        stack.erase(first, stack.end());
        stack.push_back(value);
        break;
      }
    }
  }
  return !stack.empty() && stack.back() != 0;
}

// ---- Minimisation ---------------------------------------------------------------------

// Hopcroft's partition refinement over a complete DFA: the coarsest partition
// of the states that refines `initial` and is stable under every class.
// O(classes * states * log states). Returns the block of every state.
std::vector<uint32_t> coarsest_stable_partition(uint32_t state_count, uint32_t class_count,
                                                const std::vector<uint32_t>& next,
                                                const std::vector<uint32_t>& initial,
                                                uint32_t initial_blocks, uint32_t& block_count) {
  const size_t k = class_count;
  // Sources of the transitions into each (state, class), as one flat array.
  std::vector<uint32_t> inverse_first(state_count * k + 1, 0);
  std::vector<uint32_t> inverse(state_count * k);
  for (size_t s = 0; s < state_count; ++s)
    for (size_t c = 0; c < k; ++c) ++inverse_first[next[s * k + c] * k + c + 1];
  for (size_t i = 1; i < inverse_first.size(); ++i) inverse_first[i] += inverse_first[i - 1];
  {
    std::vector<uint32_t> fill(inverse_first.begin(), inverse_first.end() - 1);
    for (uint32_t s = 0; s < state_count; ++s)
      for (size_t c = 0; c < k; ++c) inverse[fill[next[s * k + c] * k + c]++] = s;
  }

  // Blocks are contiguous ranges of `elements`; a block's marked states sit
  // at its front, in [first, marked_end).
  std::vector<uint32_t> elements(state_count), location(state_count), block_of(initial);
  std::vector<uint32_t> first(initial_blocks + 1, 0);
  for (uint32_t s = 0; s < state_count; ++s) ++first[initial[s] + 1];
  for (size_t b = 1; b < first.size(); ++b) first[b] += first[b - 1];
  std::vector<uint32_t> end(first.begin() + 1, first.end());
  first.pop_back();
  {
    std::vector<uint32_t> fill = first;
    for (uint32_t s = 0; s < state_count; ++s) {
      location[s] = fill[initial[s]]++;
      elements[location[s]] = s;
    }
  }
  std::vector<uint32_t> marked_end = first;
  block_count = initial_blocks;

  std::vector<uint32_t> worklist(initial_blocks);
  for (uint32_t b = 0; b < initial_blocks; ++b) worklist[b] = b;
  std::vector<uint32_t> touched, splitter;

  auto mark = [&](uint32_t s) {
    uint32_t b = block_of[s];
    uint32_t at = location[s];
    if (at < marked_end[b]) return;
    if (marked_end[b] == first[b]) touched.push_back(b);
    uint32_t to = marked_end[b]++;
    uint32_t other = elements[to];
    elements[to] = s;
    location[s] = to;
    elements[at] = other;
    location[other] = at;
  };
  auto split = [&](uint32_t b) {
    if (marked_end[b] == end[b]) {  // every state moved: no split
      marked_end[b] = first[b];
      return;
    }
    // The smaller part becomes the new block. Queueing only it is enough:
    // if b is still queued both parts are; if not, stability under b and
    // under the smaller part implies stability under the larger one.
    uint32_t fresh = block_count++;
    const uint32_t low = first[b], cut = marked_end[b], high = end[b];
    if (cut - low <= high - cut) {
      first.push_back(low);
      end.push_back(cut);
      first[b] = cut;
    } else {
      first.push_back(cut);
      end.push_back(high);
      end[b] = cut;
    }
    marked_end[b] = first[b];
    marked_end.push_back(first[fresh]);
    for (uint32_t i = first[fresh]; i < end[fresh]; ++i) block_of[elements[i]] = fresh;
    worklist.push_back(fresh);
  };

  while (!worklist.empty()) {
    uint32_t a = worklist.back();
    worklist.pop_back();
    // The block may split while it is the splitter: use its states as popped.
    splitter.assign(elements.begin() + first[a], elements.begin() + end[a]);
    for (size_t c = 0; c < k; ++c) {
      for (uint32_t target : splitter) {
        size_t slot = target * k + c;
        for (uint32_t i = inverse_first[slot]; i < inverse_first[slot + 1]; ++i) mark(inverse[i]);
      }
      for (uint32_t b : touched) split(b);
      touched.clear();
    }
  }
  return block_of;
}

// ---- One automaton for a set of outputs -----------------------------------------------

constexpr uint8_t kAcceptPosition = 0xff;  // the position after a pattern's last step
constexpr uint32_t kTooBig = UINT32_MAX;

struct Position {
  uint8_t kind;        // StepKind, or kAcceptPosition
  uint8_t byte_class;  // Byte steps: the class of the byte
  uint32_t pattern;    // index into the build's patterns
};

// Subset construction over the union of the outputs' patterns. A DFA state
// is a set of pattern positions. Positions that are in every state (an
// unanchored `**` before anything has been read, and what it reaches without
// consuming a byte) are factored out: each state stores only the rest, which
// keeps the sets small when many suffix/contains patterns are unioned.
class AutomatonBuilder {
 public:
  AutomatonBuilder(const CompiledOutputs& compiled, std::span<const uint32_t> outputs,
                   const AutomatonLimits& limits)
      : compiled_(compiled), outputs_(outputs), limits_(limits) {}

  std::optional<StringAutomaton> build() {
    collect_patterns();
    compute_byte_classes();
    lay_out_positions();
    factor_universal_positions();
    if (!construct_subsets()) return std::nullopt;
    compute_output_bitmaps();
    return minimal_automaton();
  }

 private:
  void collect_patterns() {
    for (uint32_t output : outputs_) {
      const auto& used = compiled_.output_patterns[output];
      patterns_.insert(patterns_.end(), used.begin(), used.end());
    }
    std::sort(patterns_.begin(), patterns_.end());
    patterns_.erase(std::unique(patterns_.begin(), patterns_.end()), patterns_.end());
  }

  // One class per byte some pattern names, plus one for every other byte
  // (class 0, which holds NUL). '/' is named by `*`, `?` and `**/`.
  void compute_byte_classes() {
    std::array<bool, 256> named{};
    for (uint32_t pattern : patterns_) {
      for (const Step& step : compiled_.patterns[pattern]) {
        if (step.kind == StepKind::Byte) {
          named[static_cast<unsigned char>(step.byte)] = true;
        } else if (step.kind != StepKind::DoubleStar && step.kind != StepKind::SlashRunEntry) {
          named['/'] = true;
        }
      }
    }
    named[0] = false;
    class_count_ = 1;
    for (size_t b = 0; b < 256; ++b)
      byte_class_[b] = named[b] ? static_cast<uint8_t>(class_count_++) : 0;
    slash_class_ = byte_class_['/'];
  }

  void lay_out_positions() {
    pattern_start_.reserve(patterns_.size());
    for (uint32_t local = 0; local < patterns_.size(); ++local) {
      pattern_start_.push_back(static_cast<uint32_t>(positions_.size()));
      for (const Step& step : compiled_.patterns[patterns_[local]]) {
        positions_.push_back({static_cast<uint8_t>(step.kind),
                              byte_class_[static_cast<unsigned char>(step.byte)], local});
      }
      positions_.push_back({kAcceptPosition, 0, local});
    }
    stamp_.assign(positions_.size(), 0);
    universal_.assign(positions_.size(), 0);
  }

  StepKind kind(uint32_t position) const { return StepKind(positions_[position].kind); }
  bool is_accept(uint32_t position) const { return positions_[position].kind == kAcceptPosition; }

  void begin_set() {
    if (++stamp_now_ == 0) {
      std::fill(stamp_.begin(), stamp_.end(), 0);
      stamp_now_ = 1;
    }
    set_hash_ = 0;
  }
  // Sets are stored unordered: their hash is order-independent (a sum), and
  // equality is checked against the stamps of the set being built.
  static uint64_t position_hash(uint32_t position) {
    uint64_t x = position + 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  // Adds a position to the set being built (since begin_set), unless it is
  // already there or is universal.
  void add(uint32_t position, std::vector<uint32_t>& set) {
    if (universal_[position] || stamp_[position] == stamp_now_) return;
    stamp_[position] = stamp_now_;
    set_hash_ += position_hash(position);
    set.push_back(position);
  }
  // Adds a position and everything it reaches without consuming a byte.
  // Those moves only go forward within a pattern: `set` is the worklist.
  void add_closed(uint32_t position, std::vector<uint32_t>& set) {
    size_t from = set.size();
    add(position, set);
    for (size_t i = from; i < set.size(); ++i) {
      uint32_t p = set[i];
      if (is_accept(p)) continue;
      switch (kind(p)) {
        case StepKind::Star:
        case StepKind::DoubleStar: add(p + 1, set); break;
        case StepKind::SlashRunEntry:
          add(p + 1, set);
          add(p + 2, set);
          break;
        default: break;
      }
    }
  }
  // Adds (closed) where `position` goes on a byte of class `c`.
  void add_moves(uint32_t position, uint32_t c, std::vector<uint32_t>& set) {
    if (is_accept(position)) return;
    const Position& at = positions_[position];
    switch (kind(position)) {
      case StepKind::Byte:
        if (at.byte_class == c) add_closed(position + 1, set);
        break;
      case StepKind::AnyByteButSlash:
        if (c != slash_class_) add_closed(position + 1, set);
        break;
      case StepKind::Star:
        if (c != slash_class_) add_closed(position, set);
        break;
      case StepKind::DoubleStar: add_closed(position, set); break;
      case StepKind::SlashRunEntry: break;
      case StepKind::SlashRunLoop:
        add_closed(position, set);
        if (c == slash_class_) add_closed(position + 1, set);
        break;
    }
  }

  void factor_universal_positions() {
    begin_set();
    std::vector<uint32_t> start;
    for (uint32_t first : pattern_start_) add_closed(first, start);
    // A loop on every byte that is live at the start stays live forever.
    begin_set();
    std::vector<uint32_t> universal;
    for (uint32_t p : start) {
      if (!is_accept(p) && (kind(p) == StepKind::DoubleStar || kind(p) == StepKind::SlashRunLoop))
        add_closed(p, universal);
    }
    for (uint32_t p : universal) {
      universal_[p] = 1;
      if (is_accept(p)) universal_accepts_.push_back(positions_[p].pattern);
    }
    std::erase_if(start, [&](uint32_t p) { return universal_[p] != 0; });
    start_set_ = std::move(start);
    // Where the universal positions lead on each class, beyond themselves.
    from_universal_.resize(class_count_);
    for (uint32_t c = 0; c < class_count_; ++c) {
      begin_set();
      for (uint32_t p : universal) add_moves(p, c, from_universal_[c]);
    }
  }

  uint32_t construction_cap() const {
    if (limits_.max_construction_states) return limits_.max_construction_states;
    return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{limits_.max_states} * 4, kTooBig - 1));
  }

  bool equals_current_set(uint32_t id, size_t size) const {
    if (set_size(id) != size) return false;
    for (size_t i = set_offset_[id]; i < set_offset_[id + 1]; ++i)
      if (stamp_[pool_[i]] != stamp_now_) return false;
    return true;
  }

  // The id of `set`, the set built since the last begin_set(), added as a new
  // state if unseen; kTooBig when a budget is exhausted.
  uint32_t intern_state(const std::vector<uint32_t>& set) {
    uint64_t h = set_hash_ + set.size();
    size_t mask = slots_.size() - 1;
    size_t slot = h & mask;
    while (slots_[slot] != 0) {
      uint32_t id = slots_[slot] - 1;
      if (state_hash_[id] == h && equals_current_set(id, set.size())) return id;
      slot = (slot + 1) & mask;
    }
    if (state_hash_.size() >= construction_cap() || pool_.size() + set.size() > kMaxStoredPositions)
      return kTooBig;
    auto id = static_cast<uint32_t>(state_hash_.size());
    state_hash_.push_back(h);
    pool_.insert(pool_.end(), set.begin(), set.end());
    set_offset_.push_back(pool_.size());
    slots_[slot] = id + 1;
    next_.resize(next_.size() + class_count_, 0);
    if (state_hash_.size() * 2 > slots_.size()) grow_slots();
    return id;
  }
  size_t set_size(uint32_t id) const { return set_offset_[id + 1] - set_offset_[id]; }

  void grow_slots() {
    std::vector<uint32_t> slots(slots_.size() * 2, 0);
    size_t mask = slots.size() - 1;
    for (uint32_t id = 0; id < state_hash_.size(); ++id) {
      size_t slot = state_hash_[id] & mask;
      while (slots[slot] != 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    slots_.swap(slots);
  }

  bool construct_subsets() {
    slots_.assign(1024, 0);
    memo_slots_.assign(1024, 0);
    set_offset_.assign(1, 0);
    std::vector<uint32_t> current, any_byte, slash_byte, successor;
    begin_set();
    for (uint32_t p : start_set_) add(p, successor);
    if (intern_state(successor) == kTooBig) return false;
    std::vector<std::pair<uint32_t, uint32_t>> byte_moves;  // (class, position after)
    size_t work = 0;
    const size_t work_budget = std::min(
        kMaxConstructionWork, size_t{construction_cap()} * class_count_ * kWorkPerTransition);
    for (uint32_t state = 0; state < state_hash_.size(); ++state) {
      current.assign(pool_.begin() + set_offset_[state], pool_.begin() + set_offset_[state + 1]);
      // Moves shared by all classes but '/' (and by '/'), computed once per state.
      any_byte.clear();
      slash_byte.clear();
      byte_moves.clear();
      begin_set();
      for (uint32_t p : current) {
        if (is_accept(p)) continue;
        switch (kind(p)) {
          case StepKind::AnyByteButSlash: add_closed(p + 1, any_byte); break;
          case StepKind::Star:
          case StepKind::DoubleStar:
          case StepKind::SlashRunLoop: add_closed(p, any_byte); break;
          case StepKind::Byte: byte_moves.emplace_back(positions_[p].byte_class, p + 1); break;
          case StepKind::SlashRunEntry: break;
        }
      }
      begin_set();
      for (uint32_t p : current) {
        if (is_accept(p)) continue;
        if (kind(p) == StepKind::DoubleStar || kind(p) == StepKind::SlashRunLoop)
          add_closed(p, slash_byte);
        if (kind(p) == StepKind::SlashRunLoop) add_closed(p + 1, slash_byte);
      }
      std::sort(byte_moves.begin(), byte_moves.end());
      auto moves = byte_moves.begin();
      for (uint32_t c = 0; c < class_count_; ++c) {
        begin_set();
        successor.clear();
        for (uint32_t p : c == slash_class_ ? slash_byte : any_byte) add(p, successor);
        for (; moves != byte_moves.end() && moves->first == c; ++moves)
          add_closed(moves->second, successor);
        work += successor.size() + any_byte.size() + 1;
        if (work > work_budget) return false;
        uint32_t id = successor_through_universal(c, successor);
        if (id == kTooBig) return false;
        next_[size_t{state} * class_count_ + c] = id;
      }
    }
    return true;
  }

  // Completes `successor` (the current set: the moves of a state's own
  // positions on class c) with where the universal positions lead on c, and
  // interns it. When that part is large (many suffixes starting with the
  // same byte, e.g. '/'), the state's own part alone identifies the result:
  // it is looked up in a memo first, to avoid rehashing and comparing the
  // large part on every transition.
  uint32_t successor_through_universal(uint32_t c, std::vector<uint32_t>& successor) {
    const std::vector<uint32_t>& shared = from_universal_[c];
    if (shared.size() < kMemoisedSharedPart) {
      for (uint32_t p : shared) add(p, successor);
      return intern_state(successor);
    }
    uint64_t h = set_hash_ + successor.size() + (uint64_t{c} << 40);
    size_t mask = memo_slots_.size() - 1;
    size_t slot = h & mask;
    for (; memo_slots_[slot] != 0; slot = (slot + 1) & mask) {
      const MemoEntry& entry = memo_[memo_slots_[slot] - 1];
      if (entry.hash != h || entry.class_id != c || entry.size != successor.size()) continue;
      if (std::all_of(memo_pool_.begin() + static_cast<ptrdiff_t>(entry.offset),
                      memo_pool_.begin() + static_cast<ptrdiff_t>(entry.offset + entry.size),
                      [&](uint32_t p) { return stamp_[p] == stamp_now_; }))
        return entry.state;
    }
    if (pool_.size() + memo_pool_.size() + successor.size() > kMaxStoredPositions) return kTooBig;
    MemoEntry entry{h, memo_pool_.size(), static_cast<uint32_t>(successor.size()), c, 0};
    memo_pool_.insert(memo_pool_.end(), successor.begin(), successor.end());
    for (uint32_t p : shared) add(p, successor);
    entry.state = intern_state(successor);
    if (entry.state == kTooBig) return kTooBig;
    memo_.push_back(entry);
    memo_slots_[slot] = static_cast<uint32_t>(memo_.size());
    if (memo_.size() * 2 > memo_slots_.size()) {
      std::vector<uint32_t> slots(memo_slots_.size() * 2, 0);
      size_t wider = slots.size() - 1;
      for (uint32_t i = 0; i < memo_.size(); ++i) {
        size_t at = memo_[i].hash & wider;
        while (slots[at] != 0) at = (at + 1) & wider;
        slots[at] = i + 1;
      }
      memo_slots_.swap(slots);
    }
    return entry.state;
  }

  // The outputs that hold in each state, deduplicated: states with equal
  // bitmaps start minimisation in the same block. Every output is evaluated
  // once with only the always-accepting patterns; a state then re-evaluates
  // just the outputs that test a pattern accepting there.
  void compute_output_bitmaps() {
    const uint32_t states = static_cast<uint32_t>(state_hash_.size());
    words_ = std::max<uint32_t>(1, static_cast<uint32_t>((outputs_.size() + 63) / 64));
    state_bitmap_.resize(states);
    std::vector<uint32_t> bit_of_output(compiled_.programs.size(), kTooBig);
    for (uint32_t k = 0; k < outputs_.size(); ++k) bit_of_output[outputs_[k]] = k;

    std::vector<uint32_t> leaf_stamp(compiled_.leaf_count, 0);
    uint32_t leaf_now = 0;
    std::vector<uint32_t> output_stamp(outputs_.size(), 0);
    std::vector<uint8_t> stack;
    auto mark_leaves = [&](uint32_t local_pattern) {
      for (uint32_t leaf : compiled_.pattern_leaves[patterns_[local_pattern]])
        leaf_stamp[leaf] = leaf_now;
    };
    auto set_bit = [](std::vector<uint64_t>& bitmap, uint32_t k, bool value) {
      uint64_t bit = uint64_t{1} << (k % 64);
      bitmap[k / 64] = value ? bitmap[k / 64] | bit : bitmap[k / 64] & ~bit;
    };

    ++leaf_now;
    for (uint32_t pattern : universal_accepts_) mark_leaves(pattern);
    std::vector<uint64_t> base(words_, 0);
    for (uint32_t k = 0; k < outputs_.size(); ++k)
      set_bit(base, k, run_program(compiled_.programs[outputs_[k]], leaf_stamp, leaf_now, stack));

    std::unordered_map<std::string, uint32_t> bitmap_of_accepting;  // accepting patterns -> id
    std::unordered_map<std::string, uint32_t> bitmap_ids;
    std::vector<uint64_t> bitmap(words_);
    std::string key;
    std::vector<uint32_t> accepting;
    for (uint32_t state = 0; state < states; ++state) {
      accepting.clear();
      for (size_t i = set_offset_[state]; i < set_offset_[state + 1]; ++i)
        if (is_accept(pool_[i])) accepting.push_back(positions_[pool_[i]].pattern);
      std::sort(accepting.begin(), accepting.end());
      key.assign(reinterpret_cast<const char*>(accepting.data()),
                 accepting.size() * sizeof(uint32_t));
      auto known = bitmap_of_accepting.find(key);
      if (known != bitmap_of_accepting.end()) {
        state_bitmap_[state] = known->second;
        continue;
      }
      ++leaf_now;
      for (uint32_t pattern : accepting) mark_leaves(pattern);
      for (uint32_t pattern : universal_accepts_) mark_leaves(pattern);
      bitmap = base;
      for (uint32_t pattern : accepting) {
        for (uint32_t leaf : compiled_.pattern_leaves[patterns_[pattern]]) {
          uint32_t k = bit_of_output[compiled_.leaf_output[leaf]];
          if (k == kTooBig || output_stamp[k] == leaf_now) continue;
          output_stamp[k] = leaf_now;
          set_bit(bitmap, k,
                  run_program(compiled_.programs[outputs_[k]], leaf_stamp, leaf_now, stack));
        }
      }
      std::string bitmap_key(reinterpret_cast<const char*>(bitmap.data()),
                             bitmap.size() * sizeof(uint64_t));
      auto [it, inserted] =
          bitmap_ids.try_emplace(std::move(bitmap_key), static_cast<uint32_t>(bitmap_ids.size()));
      if (inserted) bitmaps_.insert(bitmaps_.end(), bitmap.begin(), bitmap.end());
      bitmap_of_accepting.emplace(key, it->second);
      state_bitmap_[state] = it->second;
    }
    bitmap_count_ = static_cast<uint32_t>(bitmap_ids.size());
  }

  std::optional<StringAutomaton> minimal_automaton() {
    const auto states = static_cast<uint32_t>(state_hash_.size());
    const size_t k = class_count_;
    uint32_t block_count = 0;
    std::vector<uint32_t> block_of = coarsest_stable_partition(
        states, class_count_, next_, state_bitmap_, bitmap_count_, block_count);
    if (block_count > limits_.max_states) return std::nullopt;

    // Number the blocks breadth-first from the start, classes in order.
    std::vector<uint32_t> representative(block_count, kTooBig);
    for (uint32_t s = 0; s < states; ++s)
      if (representative[block_of[s]] == kTooBig) representative[block_of[s]] = s;
    std::vector<uint32_t> number(block_count, kTooBig), order;
    order.reserve(block_count);
    number[block_of[0]] = 0;
    order.push_back(block_of[0]);
    for (size_t i = 0; i < order.size(); ++i) {
      uint32_t s = representative[order[i]];
      for (size_t c = 0; c < k; ++c) {
        uint32_t b = block_of[next_[s * k + c]];
        if (number[b] == kTooBig) {
          number[b] = static_cast<uint32_t>(order.size());
          order.push_back(b);
        }
      }
    }
    const auto minimal_states = static_cast<uint32_t>(order.size());
    std::vector<uint32_t> table(size_t{minimal_states} * k);
    for (uint32_t m = 0; m < minimal_states; ++m) {
      uint32_t s = representative[order[m]];
      for (size_t c = 0; c < k; ++c) table[m * k + c] = number[block_of[next_[s * k + c]]];
    }

    // Classes whose columns are equal in the minimal automaton merge.
    std::map<std::vector<uint32_t>, uint32_t> column_class;
    std::vector<uint32_t> merged(k, kTooBig), kept;  // old class -> new; new -> an old one
    std::vector<uint32_t> column(minimal_states);
    StringAutomaton automaton;
    for (size_t b = 0; b < 256; ++b) {
      uint32_t old = byte_class_[b];
      if (merged[old] == kTooBig) {
        for (uint32_t m = 0; m < minimal_states; ++m) column[m] = table[m * k + old];
        auto [it, inserted] = column_class.try_emplace(column, static_cast<uint32_t>(kept.size()));
        if (inserted) kept.push_back(old);
        merged[old] = it->second;
      }
      automaton.byte_class[b] = static_cast<uint8_t>(merged[old]);
    }
    automaton.class_count = static_cast<uint32_t>(kept.size());
    automaton.state_count = minimal_states;
    automaton.start_state = 0;
    automaton.next.resize(size_t{minimal_states} * kept.size());
    automaton.is_sink.assign(minimal_states, 1);
    for (uint32_t m = 0; m < minimal_states; ++m) {
      for (size_t c = 0; c < kept.size(); ++c) {
        uint32_t to = table[m * k + kept[c]];
        automaton.next[m * kept.size() + c] = to;
        if (to != m) automaton.is_sink[m] = 0;
      }
    }
    automaton.output_count = static_cast<uint32_t>(outputs_.size());
    automaton.words = words_;
    automaton.accept.resize(size_t{minimal_states} * words_);
    for (uint32_t m = 0; m < minimal_states; ++m) {
      uint32_t bitmap = state_bitmap_[representative[order[m]]];
      std::copy_n(bitmaps_.begin() + size_t{bitmap} * words_, words_,
                  automaton.accept.begin() + size_t{m} * words_);
    }
    return automaton;
  }

  const CompiledOutputs& compiled_;
  std::span<const uint32_t> outputs_;
  const AutomatonLimits& limits_;

  std::vector<uint32_t> patterns_;  // global pattern ids used by the outputs
  std::array<uint8_t, 256> byte_class_{};
  uint32_t class_count_ = 0;
  uint32_t slash_class_ = 0;

  std::vector<Position> positions_;
  std::vector<uint32_t> pattern_start_;
  std::vector<uint32_t> stamp_;
  uint32_t stamp_now_ = 0;
  uint64_t set_hash_ = 0;  // of the set built since begin_set()
  std::vector<uint8_t> universal_;
  std::vector<uint32_t> universal_accepts_;            // local patterns
  std::vector<std::vector<uint32_t>> from_universal_;  // per class
  std::vector<uint32_t> start_set_;

  // Subset states: position sets in `pool_`, found through `slots_`.
  std::vector<uint32_t> pool_;
  std::vector<size_t> set_offset_;
  std::vector<uint64_t> state_hash_;
  std::vector<uint32_t> slots_;  // state id + 1, 0 = empty
  std::vector<uint32_t> next_;   // states * class_count_

  // Successors through a large universal part, by class and the rest of the set.
  struct MemoEntry {
    uint64_t hash;
    size_t offset;  // of the rest, in memo_pool_
    uint32_t size;
    uint32_t class_id;
    uint32_t state;
  };
  std::vector<MemoEntry> memo_;
  std::vector<uint32_t> memo_pool_;
  std::vector<uint32_t> memo_slots_;  // memo index + 1, 0 = empty

  uint32_t words_ = 1;
  std::vector<uint32_t> state_bitmap_;
  std::vector<uint64_t> bitmaps_;  // bitmap_count_ * words_
  uint32_t bitmap_count_ = 0;
};

}  // namespace

AutomatonBuild build_string_automata(std::span<const ir::Predicate* const> outputs,
                                     const AutomatonLimits& limits) {
  AutomatonBuild result;
  CompiledOutputs compiled;
  compiled.programs.resize(outputs.size());
  compiled.output_patterns.resize(outputs.size());
  OutputCompiler compiler(compiled);
  std::vector<uint32_t> supported;
  for (size_t k = 0; k < outputs.size(); ++k) {
    bool ok = outputs[k] != nullptr && compiler.compile(*outputs[k], k);
    (ok ? supported : result.unsupported).push_back(static_cast<uint32_t>(k));
  }
  result.field = compiler.field;

  auto try_build = [&](std::span<const uint32_t> group) {
    return AutomatonBuilder(compiled, group, limits).build();
  };
  auto add_group = [&](std::span<const uint32_t> group, StringAutomaton automaton) {
    result.groups.push_back({std::move(automaton), {group.begin(), group.end()}});
  };
  // Splits a stream of outputs into consecutive groups. Adding outputs never
  // shrinks the minimal automaton, so the longest run that fits is found by
  // doubling then bisecting: O(log n) builds per group, not one per output.
  auto group_greedily = [&](std::span<const uint32_t> stream) {
    size_t fails = stream.size() + 1;  // a run length known not to fit, or size + 1
    bool try_whole = true;
    while (!stream.empty()) {
      if (try_whole) {
        if (auto all = try_build(stream)) {
          add_group(stream, std::move(*all));
          return;
        }
        fails = stream.size();
      }
      auto fitting = fails > 1 ? try_build(stream.first(1)) : std::nullopt;
      if (!fitting) {
        result.too_complex.push_back(stream.front());
        stream = stream.subspan(1);
        fails = stream.size() + 1;
        try_whole = false;  // what follows a hostile output is tried step by step
        continue;
      }
      size_t fits = 1;
      for (size_t count = 2; count < fails && fits < stream.size(); count *= 2) {
        size_t run = std::min(count, stream.size());
        if (auto built = try_build(stream.first(run))) {
          fits = run;
          fitting = std::move(built);
        } else {
          fails = run;
        }
      }
      while (fails - fits > 1 && fits < stream.size()) {
        size_t middle = fits + (fails - fits) / 2;
        if (auto built = try_build(stream.first(middle))) {
          fits = middle;
          fitting = std::move(built);
        } else {
          fails = middle;
        }
      }
      add_group(stream.first(fits), std::move(*fitting));
      stream = stream.subspan(fits);
      try_whole = true;
    }
  };

  if (supported.empty()) return result;
  // Outputs whose tests are all anchored at the start (exact, prefix, most
  // globs) form a trie; unanchored ones (suffix, contains, `**`-led globs) an
  // Aho-Corasick-like matcher. Together their automaton is roughly the
  // product of the two, so when everything does not fit at once they are
  // grouped separately.
  std::vector<uint32_t> anchored, unanchored;
  for (uint32_t output : supported) {
    bool floating =
        std::any_of(compiled.output_patterns[output].begin(),
                    compiled.output_patterns[output].end(), [&](uint32_t pattern) {
                      const auto& steps = compiled.patterns[pattern];
                      return !steps.empty() && (steps.front().kind == StepKind::DoubleStar ||
                                                steps.front().kind == StepKind::SlashRunEntry);
                    });
    (floating ? unanchored : anchored).push_back(output);
  }
  if (anchored.empty() || unanchored.empty()) {
    group_greedily(supported);
    return result;
  }
  // Everything at once is tried with a construction cap of max_states: a
  // mix that does not fit then fails fast (at worst it costs one more walk).
  AutomatonLimits optimistic = limits;
  optimistic.max_construction_states =
      limits.max_construction_states ? std::min(limits.max_construction_states, limits.max_states)
                                     : limits.max_states;
  if (auto all = AutomatonBuilder(compiled, supported, optimistic).build()) {
    add_group(supported, std::move(*all));
    return result;
  }
  group_greedily(anchored);
  group_greedily(unanchored);
  return result;
}

}  // namespace vigil::codegen
