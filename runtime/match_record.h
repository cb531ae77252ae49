// A record from the kernel's ring buffer (struct vigil_record in
// bpf/templates/prelude.bpf.h): which rules of the event's kind matched, which
// need user-space completion, and the event itself.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/evaluator.h"

namespace vigil::runtime {

inline constexpr uint32_t kRecordMagic = 0x5649474c;  // "VIGL"

struct MatchRecord {
  // Bits of the event kind's rules (codegen::ProgramInfo::rules maps a bit to a rule).
  std::vector<uint64_t> matched;
  std::vector<uint64_t> pending;
  Event event;

  bool matched_bit(uint32_t bit) const;
  bool pending_bit(uint32_t bit) const;
};

// Parses a record of a bundle with `rule_words`-word bitmaps. nullopt and
// `error` if it is short, has the wrong magic or width, or an unknown kind.
std::optional<MatchRecord> parse_match_record(std::span<const uint8_t> bytes, uint32_t rule_words,
                                              std::string* error);

}  // namespace vigil::runtime
