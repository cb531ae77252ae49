// A record from the kernel's ring buffer (struct vigil_record in
// bpf/templates/prelude.bpf.h): which rules of the event's kind matched, which
// need user-space completion, what the kernel enforced, and the event itself.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/evaluator.h"

namespace vigil::runtime {

inline constexpr uint32_t kRecordMagic = 0x5649474c;  // "VIGL"

// Why a matched enforce-mode rule did not act (VIGIL_WITHHELD_* in
// bpf/templates/enforce.bpf.h).
enum WithheldReason : uint32_t {
  kWithheldAudit = 1,
  kWithheldInit = 2,
  kWithheldAgent = 4,
  kWithheldKernelThread = 8,
  kWithheldBlastRadius = 16,
  kWithheldBlastTripped = 32,
  kWithheldSignalFailed = 64,
  kWithheldUnhooked = 128,
};

struct MatchRecord {
  uint64_t generation = 0;  // the policy generation whose programs wrote it
  // Bits of the event kind's rules (codegen::ProgramInfo::rules maps a bit to a rule).
  std::vector<uint64_t> matched;
  std::vector<uint64_t> pending;
  std::vector<uint64_t> acted;  // kill sent (or, for deny hooks, the call refused)
  uint32_t withheld = 0;        // WithheldReason bits
  bool signalled = false;       // the process was sent SIGKILL for this event
  Event event;

  bool matched_bit(uint32_t bit) const;
  bool pending_bit(uint32_t bit) const;
  bool acted_bit(uint32_t bit) const;
};

// Where the event starts in a record with `rule_words`-word bitmaps.
size_t record_event_offset(uint32_t rule_words);

// The header of a record, read before its generation's rule table is known.
struct RecordHeader {
  uint32_t rule_words = 0;
  uint64_t generation = 0;
};
// nullopt and `error` if the record is too short for a header or has the wrong magic.
std::optional<RecordHeader> parse_record_header(std::span<const uint8_t> bytes, std::string* error);

// Parses a record of a bundle with `rule_words`-word bitmaps. nullopt and
// `error` if it is short, has the wrong magic or width, or an unknown kind.
std::optional<MatchRecord> parse_match_record(std::span<const uint8_t> bytes, uint32_t rule_words,
                                              std::string* error);

}  // namespace vigil::runtime
