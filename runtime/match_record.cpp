#include "runtime/match_record.h"

#include <cstring>

#include "compiler/codegen/event_layout.h"

namespace vigil::runtime {

bool MatchRecord::matched_bit(uint32_t bit) const {
  return bit / 64 < matched.size() && ((matched[bit / 64] >> (bit % 64)) & 1);
}

bool MatchRecord::pending_bit(uint32_t bit) const {
  return bit / 64 < pending.size() && ((pending[bit / 64] >> (bit % 64)) & 1);
}

bool MatchRecord::acted_bit(uint32_t bit) const {
  return bit / 64 < acted.size() && ((acted[bit / 64] >> (bit % 64)) & 1);
}

size_t record_event_offset(uint32_t rule_words) {
  return 24 + 24 * size_t{rule_words};
}

std::optional<RecordHeader> parse_record_header(std::span<const uint8_t> bytes,
                                                std::string* error) {
  if (bytes.size() < 16) {
    *error = "record of " + std::to_string(bytes.size()) + " bytes, shorter than its header";
    return std::nullopt;
  }
  uint32_t magic;
  RecordHeader header;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&header.rule_words, bytes.data() + 4, 4);
  std::memcpy(&header.generation, bytes.data() + 8, 8);
  if (magic != kRecordMagic) {
    *error = "record with a wrong magic number";
    return std::nullopt;
  }
  return header;
}

std::optional<MatchRecord> parse_match_record(std::span<const uint8_t> bytes, uint32_t rule_words,
                                              std::string* error) {
  const size_t header = record_event_offset(rule_words);
  const codegen::EventLayout& layout = codegen::EventLayout::get();
  // The kernel may leave out the on-demand tail of the event (captured_size).
  const size_t minimum = header + layout.minimum_size();
  if (bytes.size() < minimum || bytes.size() > header + layout.size()) {
    *error = "record of " + std::to_string(bytes.size()) + " bytes, expected " +
             std::to_string(minimum) + " to " + std::to_string(header + layout.size());
    return std::nullopt;
  }
  uint32_t magic, words;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&words, bytes.data() + 4, 4);
  if (magic != kRecordMagic || words != rule_words) {
    *error = "record with a wrong magic number or rule bitmap width";
    return std::nullopt;
  }
  std::optional<Event> event = layout.decode(bytes.subspan(header));
  if (!event) {
    *error = "record with an unknown event kind";
    return std::nullopt;
  }
  const size_t bitmap = 8 * size_t{rule_words};
  MatchRecord record{.generation = 0,
                     .matched = std::vector<uint64_t>(rule_words),
                     .pending = std::vector<uint64_t>(rule_words),
                     .acted = std::vector<uint64_t>(rule_words),
                     .withheld = 0,
                     .signalled = false,
                     .event = std::move(*event)};
  std::memcpy(&record.generation, bytes.data() + 8, 8);
  std::memcpy(record.matched.data(), bytes.data() + 16, bitmap);
  std::memcpy(record.pending.data(), bytes.data() + 16 + bitmap, bitmap);
  std::memcpy(record.acted.data(), bytes.data() + 16 + 2 * bitmap, bitmap);
  std::memcpy(&record.withheld, bytes.data() + 16 + 3 * bitmap, 4);
  uint32_t signalled = 0;
  std::memcpy(&signalled, bytes.data() + 20 + 3 * bitmap, 4);
  record.signalled = signalled != 0;
  return record;
}

}  // namespace vigil::runtime
