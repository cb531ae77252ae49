// A compiled policy bundle: the BPF object plus everything needed to load it
// and to interpret what it reports. `vigil compile` writes it as two files,
// `NAME.bpf.o` (the ELF object, loadable by any libbpf tool with empty maps)
// and `NAME.bpf.o.json` (this manifest, with the map contents).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/schema.h"

namespace vigil::codegen {

inline constexpr int kBundleFormatVersion = 1;

// Data the loader writes into a map after opening the object and before
// loading it (array maps: every value in index order; hash/LPM maps: pairs).
struct MapContents {
  std::string map_name;
  std::vector<uint8_t> array_values;  // array maps: value_size * max_entries bytes
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> entries;  // key, value
};

// A line range of the generated C that belongs to one rule; the verifier
// reports failing instructions by source line, so this names the rule at fault.
struct RuleLines {
  uint32_t first_line = 0;
  uint32_t last_line = 0;
  uint32_t rule_index = 0;
};

// One per event kind with rules: its generated matcher ("vigil_match_<kind>",
// a subprogram, no section) and the rules it decides. The ELF programs that
// run it are the capture hooks of that kind, named `vigil_<kind>_<hook>`
// (e.g. vigil_file_open_openat), or `vigil_test_<kind>` in a harness build:
// event_of_program() maps such a name to its kind.
struct ProgramInfo {
  std::string name;     // "vigil_match_file_open"
  std::string section;  // empty: a matcher is not an ELF program of its own
  EventKind event;
  // The rules of this event kind: rules[b] is the RuleInfo index of bit b of
  // the verdict bitmaps this event's matcher reports (bits are per event).
  std::vector<uint32_t> rules;
};

struct RuleInfo {
  uint32_t index = 0;  // position in Bundle::rules
  std::string name;
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  EventMask events = 0;
  Action action = Action::Alert;
  // The kernel decides the rule alone; otherwise the kernel is a prefilter
  // and user space completes the decision with the reference evaluator.
  bool kernel_complete = true;
};

struct PolicySource {
  std::string path;
  std::string text;
};

struct Bundle {
  std::vector<uint8_t> object;  // the BPF ELF
  std::string c_source;         // the generated C (for --emit-c and verifier reports)
  uint32_t rule_words = 1;      // u64 words in each verdict bitmap (the largest event's)
  std::vector<RuleInfo> rules;
  std::vector<ProgramInfo> programs;
  std::vector<MapContents> maps;
  std::vector<RuleLines> rule_lines;
  std::vector<PolicySource> sources;  // the policy text compiled (the runtime re-reads it)
};

// The manifest: every Bundle member but `object`, as JSON.
std::string bundle_manifest_json(const Bundle& bundle);
// Parses a manifest; on failure returns nullopt and sets `error`.
std::optional<Bundle> parse_bundle_manifest(const std::string& json, std::string* error);

// Writes PATH and PATH.json; reads them back. Errors name the file.
bool write_bundle(const Bundle& bundle, const std::string& path, std::string* error);
std::optional<Bundle> read_bundle(const std::string& path, std::string* error);

// The event kind whose matcher an ELF program runs, from its name (see
// ProgramInfo); nullopt for programs of no event (process-cache upkeep).
std::optional<EventKind> event_of_program(std::string_view program_name);

// The manifest entry of the matcher an ELF program runs, if any.
const ProgramInfo* program_info_for(const Bundle& bundle, std::string_view program_name);

// The rule whose code contains a line of the generated C, if any.
std::optional<uint32_t> rule_at_line(const Bundle& bundle, uint32_t line);

}  // namespace vigil::codegen
