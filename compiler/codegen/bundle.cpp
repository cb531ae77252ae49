#include "compiler/codegen/bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "compiler/codegen/base64.h"
#include "compiler/codegen/event_layout.h"
#include "compiler/codegen/sha256.h"
#include "compiler/parse_scan.h"

namespace vigil::codegen {
namespace {

using nlohmann::json;

constexpr std::string_view kManifestSuffix = ".json";

bool is_valid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    unsigned length = valid_utf8_length(text, static_cast<uint32_t>(pos));
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

// JSON strings must be UTF-8, but policy text and paths are arbitrary bytes
// (the parser accepts invalid UTF-8 and reports it): such a string is stored
// as `KEY_base64` instead of `KEY`, so every byte survives the round trip.
void put_text(json& object, const std::string& key, const std::string& text) {
  if (is_valid_utf8(text)) {
    object[key] = text;
  } else {
    object[key + "_base64"] =
        base64_encode({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
}

json bytes_json(const std::vector<uint8_t>& bytes) {
  return base64_encode(bytes);
}

json event_mask_json(EventMask mask) {
  json names = json::array();
  for (const EventInfo& event : all_events())
    if (mask & event_bit(event.kind)) names.push_back(event.name);
  return names;
}

// ---- Reading: every failure names the JSON path of the bad value. ----------

class ManifestError {
 public:
  explicit ManifestError(std::string message) : message_(std::move(message)) {}
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

std::string at(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string at(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

const json& member(const json& object, const std::string& path, const std::string& key) {
  auto found = object.find(key);
  if (found == object.end()) throw ManifestError("missing \"" + at(path, key) + "\"");
  return *found;
}

const json& expect_object(const json& value, const std::string& path) {
  if (!value.is_object()) throw ManifestError("\"" + path + "\" must be an object");
  return value;
}

const json& expect_array(const json& value, const std::string& path) {
  if (!value.is_array()) throw ManifestError("\"" + path + "\" must be an array");
  return value;
}

const json& array_member(const json& object, const std::string& path, const std::string& key) {
  return expect_array(member(object, path, key), at(path, key));
}

uint32_t read_u32(const json& value, const std::string& path) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > UINT32_MAX)
    throw ManifestError("\"" + path + "\" must be an integer from 0 to 4294967295");
  return value.get<uint32_t>();
}

uint32_t u32_member(const json& object, const std::string& path, const std::string& key) {
  return read_u32(member(object, path, key), at(path, key));
}

bool bool_member(const json& object, const std::string& path, const std::string& key) {
  const json& value = member(object, path, key);
  if (!value.is_boolean()) throw ManifestError("\"" + at(path, key) + "\" must be true or false");
  return value.get<bool>();
}

std::string string_value(const json& value, const std::string& path) {
  if (!value.is_string()) throw ManifestError("\"" + path + "\" must be a string");
  return value.get<std::string>();
}

std::vector<uint8_t> bytes_value(const json& value, const std::string& path) {
  std::optional<std::vector<uint8_t>> bytes = base64_decode(string_value(value, path));
  if (!bytes) throw ManifestError("\"" + path + "\" is not valid base64");
  return *std::move(bytes);
}

// The counterpart of put_text: KEY or KEY_base64.
std::string text_member(const json& object, const std::string& path, const std::string& key) {
  auto plain = object.find(key);
  if (plain != object.end()) return string_value(*plain, at(path, key));
  auto encoded = object.find(key + "_base64");
  if (encoded == object.end()) throw ManifestError("missing \"" + at(path, key) + "\"");
  std::vector<uint8_t> bytes = bytes_value(*encoded, at(path, key + "_base64"));
  return std::string(bytes.begin(), bytes.end());
}

EventKind event_value(const json& value, const std::string& path) {
  std::string name = string_value(value, path);
  std::optional<EventKind> kind = find_event(name);
  if (!kind) throw ManifestError("\"" + path + "\": unknown event \"" + name + "\"");
  return *kind;
}

EventMask event_mask_value(const json& value, const std::string& path) {
  expect_array(value, path);
  EventMask mask = 0;
  for (size_t i = 0; i < value.size(); ++i) mask |= event_bit(event_value(value[i], at(path, i)));
  return mask;
}

RuleInfo read_rule(const json& value, const std::string& path) {
  expect_object(value, path);
  RuleInfo rule;
  rule.index = u32_member(value, path, "index");
  rule.name = text_member(value, path, "name");
  rule.file = text_member(value, path, "file");
  rule.line = u32_member(value, path, "line");
  rule.column = u32_member(value, path, "column");
  rule.events = event_mask_value(member(value, path, "events"), at(path, "events"));
  std::string action = string_value(member(value, path, "action"), at(path, "action"));
  std::optional<Action> parsed_action = find_action(action);
  if (!parsed_action)
    throw ManifestError("\"" + at(path, "action") + "\": unknown action \"" + action + "\"");
  rule.action = *parsed_action;
  rule.kernel_complete = bool_member(value, path, "kernel_complete");
  return rule;
}

ProgramInfo read_program(const json& value, const std::string& path) {
  expect_object(value, path);
  ProgramInfo program;
  program.name = text_member(value, path, "name");
  program.section = text_member(value, path, "section");
  program.event = event_value(member(value, path, "event"), at(path, "event"));
  const json& rules = array_member(value, path, "rules");
  for (size_t i = 0; i < rules.size(); ++i)
    program.rules.push_back(read_u32(rules[i], at(at(path, "rules"), i)));
  return program;
}

MapContents read_map(const json& value, const std::string& path) {
  expect_object(value, path);
  MapContents map;
  map.map_name = text_member(value, path, "name");
  if (value.contains("array_values"))
    map.array_values = bytes_value(value["array_values"], at(path, "array_values"));
  if (value.contains("entries")) {
    const json& entries = array_member(value, path, "entries");
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string entry_path = at(at(path, "entries"), i);
      expect_object(entries[i], entry_path);
      map.entries.emplace_back(
          bytes_value(member(entries[i], entry_path, "key"), at(entry_path, "key")),
          bytes_value(member(entries[i], entry_path, "value"), at(entry_path, "value")));
    }
  }
  return map;
}

RuleLines read_rule_lines(const json& value, const std::string& path) {
  expect_object(value, path);
  RuleLines lines;
  lines.first_line = u32_member(value, path, "first_line");
  lines.last_line = u32_member(value, path, "last_line");
  lines.rule_index = u32_member(value, path, "rule");
  if (lines.first_line > lines.last_line)
    throw ManifestError("\"" + path + "\": first_line is after last_line");
  return lines;
}

// Cross-references: every rule index used must name a rule of the bundle.
void check_rule_references(const Bundle& bundle) {
  for (size_t i = 0; i < bundle.rules.size(); ++i)
    if (bundle.rules[i].index != i)
      throw ManifestError("\"" + at("rules", i) + ".index\" is " +
                          std::to_string(bundle.rules[i].index) + ", expected " +
                          std::to_string(i));
  auto check = [&](uint32_t rule, const std::string& path) {
    if (rule >= bundle.rules.size())
      throw ManifestError("\"" + path + "\" names rule " + std::to_string(rule) +
                          ", but there are " + std::to_string(bundle.rules.size()) + " rules");
  };
  for (size_t i = 0; i < bundle.programs.size(); ++i)
    for (size_t j = 0; j < bundle.programs[i].rules.size(); ++j)
      check(bundle.programs[i].rules[j], at(at(at("programs", i), "rules"), j));
  for (size_t i = 0; i < bundle.rule_lines.size(); ++i)
    check(bundle.rule_lines[i].rule_index, at(at("rule_lines", i), "rule"));
}

struct ObjectDigest {
  uint64_t size = 0;
  std::string sha256;
};

struct ParsedManifest {
  Bundle bundle;
  ObjectDigest object;
};

// The record layout this vigil decodes, as a digest: event kinds in order,
// then every field's place in the record. A bundle's BPF object writes
// records in the layout of the vigil that compiled it; after a field is added
// or resized, the same bytes mean something else, so such a bundle is refused
// rather than misread.
std::string event_layout_digest() {
  std::string text;
  for (const EventInfo& event : all_events())
    text += std::to_string(static_cast<int>(event.kind)) + "=" + std::string(event.name) + ";";
  const EventLayout& layout = EventLayout::get();
  for (const EventMember& member : layout.members())
    text += member.c_name + ":" + std::to_string(member.offset) + ":" +
            std::to_string(member.size) + ":" + std::to_string(member.count_offset) + ";";
  text += "size:" + std::to_string(layout.size());
  return sha256_hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

ParsedManifest parse_manifest(const std::string& text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& error) {
    // nlohmann's message starts "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string message = error.what();
    size_t start = message.find("] ");
    throw ManifestError("invalid JSON: " +
                        (start == std::string::npos ? message : message.substr(start + 2)));
  }
  expect_object(root, "(top level)");
  const json& version = member(root, "", "format_version");
  if (!version.is_number_integer()) throw ManifestError("\"format_version\" must be an integer");
  if (version.get<int64_t>() != kBundleFormatVersion)
    throw ManifestError("bundle format version " + version.dump() +
                        ", but this vigil reads version " + std::to_string(kBundleFormatVersion) +
                        "; recompile the policies");
  if (string_value(member(root, "", "event_layout"), "event_layout") != event_layout_digest())
    throw ManifestError(
        "the bundle's event records are laid out for another version of vigil (its fields "
        "differ from this one's); recompile the policies with this vigil");

  ParsedManifest parsed;
  Bundle& bundle = parsed.bundle;
  const json& object = expect_object(member(root, "", "object"), "object");
  const json& size = member(object, "object", "size");
  if (!size.is_number_unsigned()) throw ManifestError("\"object.size\" must be an integer");
  parsed.object.size = size.get<uint64_t>();
  parsed.object.sha256 = string_value(member(object, "object", "sha256"), "object.sha256");

  bundle.c_source = text_member(root, "", "c_source");
  bundle.rule_words = u32_member(root, "", "rule_words");
  const json& rules = array_member(root, "", "rules");
  for (size_t i = 0; i < rules.size(); ++i)
    bundle.rules.push_back(read_rule(rules[i], at("rules", i)));
  const json& programs = array_member(root, "", "programs");
  for (size_t i = 0; i < programs.size(); ++i)
    bundle.programs.push_back(read_program(programs[i], at("programs", i)));
  const json& maps = array_member(root, "", "maps");
  for (size_t i = 0; i < maps.size(); ++i) bundle.maps.push_back(read_map(maps[i], at("maps", i)));
  const json& rule_lines = array_member(root, "", "rule_lines");
  for (size_t i = 0; i < rule_lines.size(); ++i)
    bundle.rule_lines.push_back(read_rule_lines(rule_lines[i], at("rule_lines", i)));
  const json& sources = array_member(root, "", "sources");
  for (size_t i = 0; i < sources.size(); ++i) {
    std::string path = at("sources", i);
    expect_object(sources[i], path);
    bundle.sources.push_back(
        {text_member(sources[i], path, "path"), text_member(sources[i], path, "text")});
  }
  check_rule_references(bundle);
  return parsed;
}

// ---- Files -----------------------------------------------------------------

std::optional<std::string> read_file(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat status{};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    *error = "cannot read " + path + ": " +
             (S_ISDIR(status.st_mode) ? "is a directory" : "not a regular file");
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// Writes `data` to a temporary file beside `path`; the caller renames it into
// place, so a reader never sees a half-written file.
bool write_temporary(const std::string& path, std::string_view data, std::string* temporary,
                     std::string* error) {
  *temporary = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(temporary->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  int saved_errno = errno;
  bool ok = written == data.size() && ::fsync(fd) == 0;
  if (!ok && written == data.size()) saved_errno = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved_errno = errno;
  }
  if (!ok) {
    *error = "cannot write " + path + ": " + std::strerror(saved_errno);
    ::unlink(temporary->c_str());
  }
  return ok;
}

}  // namespace

std::string bundle_manifest_json(const Bundle& bundle) {
  json root = json::object();
  root["format_version"] = kBundleFormatVersion;
  root["event_layout"] = event_layout_digest();
  root["object"] = {{"size", bundle.object.size()}, {"sha256", sha256_hex(bundle.object)}};
  root["rule_words"] = bundle.rule_words;

  json rules = json::array();
  for (const RuleInfo& rule : bundle.rules) {
    json item = {{"index", rule.index}, {"line", rule.line}, {"column", rule.column}};
    put_text(item, "name", rule.name);
    put_text(item, "file", rule.file);
    item["events"] = event_mask_json(rule.events);
    item["action"] = action_name(rule.action);
    item["kernel_complete"] = rule.kernel_complete;
    rules.push_back(std::move(item));
  }
  root["rules"] = std::move(rules);

  json programs = json::array();
  for (const ProgramInfo& program : bundle.programs) {
    json item = json::object();
    put_text(item, "name", program.name);
    put_text(item, "section", program.section);
    item["event"] = event_info(program.event).name;
    item["rules"] = program.rules;
    programs.push_back(std::move(item));
  }
  root["programs"] = std::move(programs);

  json maps = json::array();
  for (const MapContents& map : bundle.maps) {
    json item = json::object();
    put_text(item, "name", map.map_name);
    if (!map.array_values.empty()) item["array_values"] = bytes_json(map.array_values);
    if (!map.entries.empty()) {
      json entries = json::array();
      for (const auto& [key, value] : map.entries)
        entries.push_back({{"key", bytes_json(key)}, {"value", bytes_json(value)}});
      item["entries"] = std::move(entries);
    }
    maps.push_back(std::move(item));
  }
  root["maps"] = std::move(maps);

  json rule_lines = json::array();
  for (const RuleLines& lines : bundle.rule_lines)
    rule_lines.push_back({{"first_line", lines.first_line},
                          {"last_line", lines.last_line},
                          {"rule", lines.rule_index}});
  root["rule_lines"] = std::move(rule_lines);

  json sources = json::array();
  for (const PolicySource& source : bundle.sources) {
    json item = json::object();
    put_text(item, "path", source.path);
    put_text(item, "text", source.text);
    sources.push_back(std::move(item));
  }
  root["sources"] = std::move(sources);
  put_text(root, "c_source", bundle.c_source);
  return root.dump(2) + "\n";
}

std::optional<Bundle> parse_bundle_manifest(const std::string& json_text, std::string* error) {
  try {
    return parse_manifest(json_text).bundle;
  } catch (const ManifestError& failure) {
    *error = failure.message();
  } catch (const std::exception& failure) {  // allocation failure, nlohmann type errors
    *error = failure.what();
  }
  return std::nullopt;
}

bool write_bundle(const Bundle& bundle, const std::string& path, std::string* error) {
  std::string manifest_path = path + std::string(kManifestSuffix);
  std::string manifest;
  try {
    manifest = bundle_manifest_json(bundle);
  } catch (const std::exception& failure) {
    *error = "cannot write " + manifest_path + ": " + failure.what();
    return false;
  }
  std::string object_temporary, manifest_temporary;
  std::string_view object(reinterpret_cast<const char*>(bundle.object.data()),
                          bundle.object.size());
  if (!write_temporary(path, object, &object_temporary, error)) return false;
  if (!write_temporary(manifest_path, manifest, &manifest_temporary, error)) {
    ::unlink(object_temporary.c_str());
    return false;
  }
  // Object first: a reader between the two renames sees a manifest that does
  // not match the object, which read_bundle reports, never a silent mix.
  if (::rename(object_temporary.c_str(), path.c_str()) != 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(object_temporary.c_str());
    ::unlink(manifest_temporary.c_str());
    return false;
  }
  if (::rename(manifest_temporary.c_str(), manifest_path.c_str()) != 0) {
    *error = "cannot write " + manifest_path + ": " + std::strerror(errno);
    ::unlink(manifest_temporary.c_str());
    return false;
  }
  return true;
}

std::optional<Bundle> read_bundle(const std::string& path, std::string* error) {
  std::string manifest_path = path + std::string(kManifestSuffix);
  std::optional<std::string> object = read_file(path, error);
  if (!object) return std::nullopt;
  std::optional<std::string> manifest = read_file(manifest_path, error);
  if (!manifest) return std::nullopt;
  try {
    ParsedManifest parsed = parse_manifest(*manifest);
    std::vector<uint8_t> bytes(object->begin(), object->end());
    std::string digest = sha256_hex(bytes);
    if (parsed.object.size != bytes.size() || parsed.object.sha256 != digest) {
      *error = path + ": does not match its manifest " + manifest_path + " (object is " +
               std::to_string(bytes.size()) + " bytes, sha256 " + digest + "; the manifest says " +
               std::to_string(parsed.object.size) + " bytes, sha256 " + parsed.object.sha256 +
               "); recompile the policies";
      return std::nullopt;
    }
    parsed.bundle.object = std::move(bytes);
    return std::move(parsed.bundle);
  } catch (const ManifestError& failure) {
    *error = manifest_path + ": " + failure.message();
  } catch (const std::exception& failure) {
    *error = manifest_path + ": " + failure.what();
  }
  return std::nullopt;
}

std::optional<uint32_t> rule_at_line(const Bundle& bundle, uint32_t line) {
  // The narrowest range wins, should a generator ever nest them.
  const RuleLines* best = nullptr;
  for (const RuleLines& lines : bundle.rule_lines)
    if (lines.first_line <= line && line <= lines.last_line &&
        (!best || lines.last_line - lines.first_line < best->last_line - best->first_line))
      best = &lines;
  if (!best) return std::nullopt;
  return best->rule_index;
}

std::optional<EventKind> event_of_program(std::string_view name) {
  for (std::string_view prefix : {"vigil_test_", "vigil_match_", "vigil_"}) {
    if (!name.starts_with(prefix)) continue;
    std::string_view rest = name.substr(prefix.size());
    // The longest event name that the rest starts with ("file_open" in
    // "file_open_openat"), followed by its end or '_'.
    std::optional<EventKind> best;
    size_t best_length = 0;
    for (const EventInfo& event : all_events()) {
      std::string id = c_identifier(event.name);
      if (rest.starts_with(id) && (rest.size() == id.size() || rest[id.size()] == '_') &&
          id.size() > best_length) {
        best = event.kind;
        best_length = id.size();
      }
    }
    if (best) return best;
  }
  return std::nullopt;
}

const ProgramInfo* program_info_for(const Bundle& bundle, std::string_view program_name) {
  for (const ProgramInfo& program : bundle.programs)
    if (program.name == program_name) return &program;
  std::optional<EventKind> event = event_of_program(program_name);
  if (!event) return nullptr;
  for (const ProgramInfo& program : bundle.programs)
    if (program.event == *event) return &program;
  return nullptr;
}

}  // namespace vigil::codegen
