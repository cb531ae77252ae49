// The bundle files: manifest JSON, base64 map bytes, the object digest, and
// the errors a damaged or mismatched bundle gives.
#include "compiler/codegen/bundle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "compiler/codegen/base64.h"
#include "compiler/codegen/sha256.h"

namespace vigil::codegen {
namespace {

std::vector<uint8_t> bytes_of(std::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(bytes_of("")), "");
  EXPECT_EQ(base64_encode(bytes_of("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes_of("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes_of("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes_of("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(bytes_of("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(bytes_of("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::vector<uint8_t>{0xfb, 0xff, 0x00}), "+/8A");
}

TEST(Base64, DecodesWhatItEncodesForEveryLengthAndByte) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 300; ++i) {
    std::optional<std::vector<uint8_t>> decoded = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(decoded.has_value()) << "length " << bytes.size();
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<uint8_t>(i * 37 + 11));
  }
}

TEST(Base64, RejectsMalformedText) {
  EXPECT_FALSE(base64_decode("Zm9"));       // not a multiple of 4
  EXPECT_FALSE(base64_decode("Zm9v\n"));    // whitespace
  EXPECT_FALSE(base64_decode("Zm*v"));      // outside the alphabet
  EXPECT_FALSE(base64_decode("Z==="));      // three padding characters
  EXPECT_FALSE(base64_decode("Zm=v"));      // padding in the middle of a group
  EXPECT_FALSE(base64_decode("Zh=="));      // non-zero bits under the padding
  EXPECT_FALSE(base64_decode("Zm9=Zm9v"));  // padding before the last group
  EXPECT_EQ(base64_decode("Zg==").value(), bytes_of("f"));
}

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(sha256_hex(bytes_of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(bytes_of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 55, 56 and 64 bytes: the padding boundaries.
  EXPECT_EQ(sha256_hex(std::vector<uint8_t>(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::vector<uint8_t>(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(std::vector<uint8_t>(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(sha256_hex(std::vector<uint8_t>(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Bundle sample_bundle() {
  Bundle bundle;
  bundle.object = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0xff, 0x10};
  bundle.c_source = "#include \"vmlinux.h\"\nint x;\n";
  bundle.rule_words = 2;
  bundle.rules.push_back(RuleInfo{.index = 0,
                                  .name = "shadow_read",
                                  .file = "policies/files.vgl",
                                  .line = 12,
                                  .column = 1,
                                  .events = event_bit(EventKind::FileOpen),
                                  .action = Action::Alert,
                                  .kernel_complete = true});
  bundle.rules.push_back(
      RuleInfo{.index = 1,
               .name = "reverse_shell",
               .file = "policies/net.vgl",
               .line = 3,
               .column = 5,
               .events = event_bit(EventKind::NetConnect) | event_bit(EventKind::Exec),
               .action = Action::Kill,
               .kernel_complete = false});
  bundle.programs.push_back(ProgramInfo{.name = "vigil_file_open_openat",
                                        .section = "tp/syscalls/sys_enter_openat",
                                        .event = EventKind::FileOpen,
                                        .rules = {0}});
  bundle.programs.push_back(ProgramInfo{.name = "vigil_net_connect",
                                        .section = "tp/syscalls/sys_enter_connect",
                                        .event = EventKind::NetConnect,
                                        .rules = {1}});
  MapContents array;
  array.map_name = "vigil_rule_actions";
  array.array_values = {1, 0, 0, 0, 2, 0, 0, 0};
  MapContents hash;
  hash.map_name = "vigil_path_set";
  hash.entries.push_back({bytes_of("/etc/shadow"), {1, 0, 0, 0, 0, 0, 0, 0}});
  hash.entries.push_back({{}, {0}});
  MapContents empty;
  empty.map_name = "vigil_empty";
  bundle.maps = {array, hash, empty};
  bundle.rule_lines = {{.first_line = 40, .last_line = 52, .rule_index = 0},
                       {.first_line = 60, .last_line = 75, .rule_index = 1}};
  bundle.sources = {{"policies/files.vgl", "rule shadow_read {\n}\n"},
                    {"policies/\xff\xfe.vgl", std::string("bytes \x00\xc3\x28 end", 13)}};
  return bundle;
}

void expect_same(const Bundle& actual, const Bundle& expected) {
  EXPECT_EQ(actual.object, expected.object);
  EXPECT_EQ(actual.c_source, expected.c_source);
  EXPECT_EQ(actual.rule_words, expected.rule_words);
  ASSERT_EQ(actual.rules.size(), expected.rules.size());
  for (size_t i = 0; i < actual.rules.size(); ++i) {
    const RuleInfo& a = actual.rules[i];
    const RuleInfo& e = expected.rules[i];
    EXPECT_EQ(a.index, e.index);
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.file, e.file);
    EXPECT_EQ(a.line, e.line);
    EXPECT_EQ(a.column, e.column);
    EXPECT_EQ(a.events, e.events);
    EXPECT_EQ(a.action, e.action);
    EXPECT_EQ(a.kernel_complete, e.kernel_complete);
  }
  ASSERT_EQ(actual.programs.size(), expected.programs.size());
  for (size_t i = 0; i < actual.programs.size(); ++i) {
    EXPECT_EQ(actual.programs[i].name, expected.programs[i].name);
    EXPECT_EQ(actual.programs[i].section, expected.programs[i].section);
    EXPECT_EQ(actual.programs[i].event, expected.programs[i].event);
    EXPECT_EQ(actual.programs[i].rules, expected.programs[i].rules);
  }
  ASSERT_EQ(actual.maps.size(), expected.maps.size());
  for (size_t i = 0; i < actual.maps.size(); ++i) {
    EXPECT_EQ(actual.maps[i].map_name, expected.maps[i].map_name);
    EXPECT_EQ(actual.maps[i].array_values, expected.maps[i].array_values);
    EXPECT_EQ(actual.maps[i].entries, expected.maps[i].entries);
  }
  ASSERT_EQ(actual.rule_lines.size(), expected.rule_lines.size());
  for (size_t i = 0; i < actual.rule_lines.size(); ++i) {
    EXPECT_EQ(actual.rule_lines[i].first_line, expected.rule_lines[i].first_line);
    EXPECT_EQ(actual.rule_lines[i].last_line, expected.rule_lines[i].last_line);
    EXPECT_EQ(actual.rule_lines[i].rule_index, expected.rule_lines[i].rule_index);
  }
  ASSERT_EQ(actual.sources.size(), expected.sources.size());
  for (size_t i = 0; i < actual.sources.size(); ++i) {
    EXPECT_EQ(actual.sources[i].path, expected.sources[i].path);
    EXPECT_EQ(actual.sources[i].text, expected.sources[i].text);
  }
}

class BundleFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("vigil-bundle-test-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
    path_ = (directory_ / "policy.bpf.o").string();
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  // Writes the sample bundle, then lets `edit` change its manifest JSON.
  std::string read_back_after(const std::function<void(nlohmann::json&)>& edit) {
    std::string error;
    EXPECT_TRUE(write_bundle(sample_bundle(), path_, &error)) << error;
    nlohmann::json manifest = nlohmann::json::parse(read(path_ + ".json"));
    edit(manifest);
    write(path_ + ".json", manifest.dump());
    EXPECT_FALSE(read_bundle(path_, &error).has_value());
    return error;
  }

  std::filesystem::path directory_;
  std::string path_;
};

TEST_F(BundleFiles, RoundTripKeepsEveryMember) {
  std::string error;
  ASSERT_TRUE(write_bundle(sample_bundle(), path_, &error)) << error;
  std::vector<uint8_t> object = sample_bundle().object;
  EXPECT_EQ(read(path_), std::string(object.begin(), object.end()));
  std::optional<Bundle> read_back = read_bundle(path_, &error);
  ASSERT_TRUE(read_back.has_value()) << error;
  expect_same(*read_back, sample_bundle());
  // No temporary files left beside the bundle.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(directory_), {}), 2);
}

TEST_F(BundleFiles, ManifestUsesNamesNotNumbers) {
  std::string error;
  ASSERT_TRUE(write_bundle(sample_bundle(), path_, &error)) << error;
  nlohmann::json manifest = nlohmann::json::parse(read(path_ + ".json"));
  EXPECT_EQ(manifest["format_version"], kBundleFormatVersion);
  EXPECT_EQ(manifest["object"]["size"], 11);
  EXPECT_EQ(manifest["object"]["sha256"], sha256_hex(sample_bundle().object));
  EXPECT_EQ(manifest["rules"][1]["events"], nlohmann::json({"exec", "net.connect"}));
  EXPECT_EQ(manifest["rules"][1]["action"], "kill");
  EXPECT_EQ(manifest["programs"][0]["event"], "file.open");
  EXPECT_EQ(manifest["maps"][0]["array_values"], "AQAAAAIAAAA=");
  EXPECT_EQ(manifest["maps"][1]["entries"][0]["key"], "L2V0Yy9zaGFkb3c=");
  EXPECT_FALSE(manifest["maps"][2].contains("array_values"));
  // Invalid UTF-8 travels as base64 rather than being mangled.
  EXPECT_EQ(manifest["sources"][0]["text"], "rule shadow_read {\n}\n");
  EXPECT_FALSE(manifest["sources"][1].contains("text"));
  EXPECT_TRUE(manifest["sources"][1].contains("text_base64"));
  EXPECT_TRUE(manifest["sources"][1].contains("path_base64"));
}

TEST_F(BundleFiles, OverwritesAnExistingBundle) {
  std::string error;
  Bundle first = sample_bundle();
  first.object = {1, 2, 3};
  ASSERT_TRUE(write_bundle(first, path_, &error)) << error;
  ASSERT_TRUE(write_bundle(sample_bundle(), path_, &error)) << error;
  std::optional<Bundle> read_back = read_bundle(path_, &error);
  ASSERT_TRUE(read_back.has_value()) << error;
  EXPECT_EQ(read_back->object, sample_bundle().object);
}

TEST_F(BundleFiles, MissingObjectOrManifestNamesTheFile) {
  std::string error;
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_EQ(error, "cannot read " + path_ + ": No such file or directory");
  write(path_, "object");
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_EQ(error, "cannot read " + path_ + ".json: No such file or directory");
  std::filesystem::remove(path_);
  std::filesystem::create_directory(path_);
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_EQ(error, "cannot read " + path_ + ": is a directory");
}

TEST_F(BundleFiles, UnwritableDirectoryIsAnError) {
  std::string error;
  std::string path = (directory_ / "missing" / "policy.bpf.o").string();
  EXPECT_FALSE(write_bundle(sample_bundle(), path, &error));
  EXPECT_EQ(error, "cannot write " + path + ": No such file or directory");
}

TEST_F(BundleFiles, CorruptJsonNamesTheManifestAndThePosition) {
  std::string error;
  ASSERT_TRUE(write_bundle(sample_bundle(), path_, &error)) << error;
  std::string manifest = read(path_ + ".json");
  write(path_ + ".json", manifest.substr(0, manifest.size() / 2));
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_EQ(error.rfind(path_ + ".json: invalid JSON: parse error at line ", 0), 0u) << error;
  write(path_ + ".json", "[1, 2]");
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_EQ(error, path_ + ".json: \"(top level)\" must be an object");
  write(path_ + ".json", "");
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_EQ(error.rfind(path_ + ".json: invalid JSON: ", 0), 0u) << error;
}

TEST_F(BundleFiles, WrongFormatVersionSaysWhichVersions) {
  std::string error = read_back_after(
      [](nlohmann::json& manifest) { manifest["format_version"] = kBundleFormatVersion + 1; });
  EXPECT_EQ(error, path_ + ".json: bundle format version " +
                       std::to_string(kBundleFormatVersion + 1) +
                       ", but this vigil reads version " + std::to_string(kBundleFormatVersion) +
                       "; recompile the policies");
  error = read_back_after([](nlohmann::json& manifest) { manifest.erase("format_version"); });
  EXPECT_EQ(error, path_ + ".json: missing \"format_version\"");
  error = read_back_after([](nlohmann::json& manifest) { manifest["format_version"] = "1"; });
  EXPECT_EQ(error, path_ + ".json: \"format_version\" must be an integer");
}

TEST_F(BundleFiles, BundleFromAVigilWithOtherFieldsIsRefused) {
  // What a bundle compiled before a field was added looks like: the same
  // manifest with another layout digest (or none, from before digests).
  const std::string expected = path_ +
                               ".json: the bundle's event records are laid out for another "
                               "version of vigil (its fields differ from this one's); recompile "
                               "the policies with this vigil";
  std::string error =
      read_back_after([](nlohmann::json& manifest) { manifest["event_layout"] = "0123abcd"; });
  EXPECT_EQ(error, expected);
  error = read_back_after([](nlohmann::json& manifest) { manifest.erase("event_layout"); });
  EXPECT_EQ(error, path_ + ".json: missing \"event_layout\"");
}

TEST_F(BundleFiles, ObjectThatDoesNotMatchTheManifestIsRefused) {
  std::string error;
  ASSERT_TRUE(write_bundle(sample_bundle(), path_, &error)) << error;
  std::string object = read(path_);
  object[5] ^= 1;  // same size, different bytes
  write(path_, object);
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  std::string expected_digest = sha256_hex(sample_bundle().object);
  std::vector<uint8_t> changed(object.begin(), object.end());
  EXPECT_EQ(error, path_ + ": does not match its manifest " + path_ +
                       ".json (object is 11 bytes, sha256 " + sha256_hex(changed) +
                       "; the manifest says 11 bytes, sha256 " + expected_digest +
                       "); recompile the policies");
  write(path_, object + "x");  // another size
  EXPECT_FALSE(read_bundle(path_, &error).has_value());
  EXPECT_NE(error.find("(object is 12 bytes"), std::string::npos) << error;
}

TEST_F(BundleFiles, BadValuesNameTheirJsonPath) {
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rules"][1]["events"][0] = "file.opne"; }),
            path_ + ".json: \"rules[1].events[0]\": unknown event \"file.opne\"");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rules"][0]["action"] = "block"; }),
            path_ + ".json: \"rules[0].action\": unknown action \"block\"");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["programs"][1]["rules"][0] = 7; }),
            path_ + ".json: \"programs[1].rules[0]\" names rule 7, but there are 2 rules");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rule_lines"][0]["rule"] = 2; }),
            path_ + ".json: \"rule_lines[0].rule\" names rule 2, but there are 2 rules");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rule_lines"][1]["first_line"] = 80; }),
            path_ + ".json: \"rule_lines[1]\": first_line is after last_line");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["maps"][0]["array_values"] = "AQ="; }),
            path_ + ".json: \"maps[0].array_values\" is not valid base64");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["maps"][1]["entries"][1].erase("key"); }),
            path_ + ".json: missing \"maps[1].entries[1].key\"");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rules"][0]["line"] = -1; }),
            path_ + ".json: \"rules[0].line\" must be an integer from 0 to 4294967295");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rules"][0]["index"] = 1; }),
            path_ + ".json: \"rules[0].index\" is 1, expected 0");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["programs"] = nlohmann::json::object(); }),
            path_ + ".json: \"programs\" must be an array");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["sources"][0].erase("text"); }),
            path_ + ".json: missing \"sources[0].text\"");
  EXPECT_EQ(read_back_after([](nlohmann::json& m) { m["rules"][0]["kernel_complete"] = 1; }),
            path_ + ".json: \"rules[0].kernel_complete\" must be true or false");
}

TEST(BundleManifest, ParsesWithoutTheObject) {
  std::string error;
  std::optional<Bundle> parsed =
      parse_bundle_manifest(bundle_manifest_json(sample_bundle()), &error);
  ASSERT_TRUE(parsed.has_value()) << error;
  Bundle expected = sample_bundle();
  expected.object.clear();
  expect_same(*parsed, expected);
  EXPECT_FALSE(parse_bundle_manifest("{", &error).has_value());
  EXPECT_EQ(error.rfind("invalid JSON: parse error at line 1, column 2", 0), 0u) << error;
}

TEST(BundleManifest, RuleAtLineFindsTheNarrowestRange) {
  Bundle bundle = sample_bundle();
  EXPECT_EQ(rule_at_line(bundle, 40), 0u);
  EXPECT_EQ(rule_at_line(bundle, 52), 0u);
  EXPECT_EQ(rule_at_line(bundle, 60), 1u);
  EXPECT_EQ(rule_at_line(bundle, 53), std::nullopt);
  EXPECT_EQ(rule_at_line(bundle, 0), std::nullopt);
  bundle.rule_lines.push_back({.first_line = 1, .last_line = 100, .rule_index = 1});
  EXPECT_EQ(rule_at_line(bundle, 45), 0u);
  EXPECT_EQ(rule_at_line(bundle, 55), 1u);
}

}  // namespace
}  // namespace vigil::codegen
