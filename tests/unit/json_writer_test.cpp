// The direct JSON writer (runtime/json_writer.h): structure, numbers, and
// string escaping identical to nlohmann's dump(-1, ' ', true, replace).
#include "runtime/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace vigil::runtime {
namespace {

std::string written(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// What the alert forms' earlier serialiser wrote for `text`.
std::string nlohmann_written(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

TEST(JsonWriter, StructureAndCommas) {
  JsonWriter json;
  json.begin_object();
  json.key("a");
  json.integer(1);
  json.key("empty_object");
  json.begin_object();
  json.end_object();
  json.key("empty_array");
  json.begin_array();
  json.end_array();
  json.key("list");
  json.begin_array();
  json.boolean(true);
  json.boolean(false);
  json.null();
  json.begin_object();
  json.key("k");
  json.string("v");
  json.end_object();
  json.begin_array();
  json.end_array();
  json.string("");
  json.end_array();
  json.key("last");
  json.null();
  json.end_object();
  EXPECT_EQ(json.take(), R"({"a":1,"empty_object":{},"empty_array":[],)"
                         R"("list":[true,false,null,{"k":"v"},[],""],"last":null})");
}

TEST(JsonWriter, GrowsFromAnyStartAndIsEmptyAfterTake) {
  JsonWriter json(1);
  const std::string long_text(5000, 'x');
  json.begin_array();
  json.string(long_text);
  json.string(std::string(1000, '\xff'));  // the most escaping: 6 bytes each
  json.end_array();
  std::string expected = "[\"" + long_text + "\",\"";
  for (int i = 0; i < 1000; ++i) expected += "\\ufffd";
  expected += "\"]";
  EXPECT_EQ(json.take(), expected);
  // Taken: the next value starts afresh, without a comma.
  json.integer(uint8_t{7});
  EXPECT_EQ(json.take(), "7");
  EXPECT_EQ(json.take(), "");
}

TEST(JsonWriter, AppendJsonStringAppends) {
  std::string out = "prefix ";
  append_json_string(out, "a\n\xc3\xa9");
  EXPECT_EQ(out, R"(prefix "a\n\u00e9")");
}

TEST(JsonWriter, EscapingStaysWithinItsBound) {
  for (const std::string& text :
       {std::string(64, '\x01'), std::string(64, '\xff'), std::string(64, '\xc3'),
        std::string(64, '"'), std::string("\xf0\x9f\x98\x80", 4)}) {
    std::string buffer(json_string_bound(text.size()) + 1, '#');
    const char* end = write_json_string(buffer.data(), text);
    EXPECT_LE(static_cast<size_t>(end - buffer.data()), json_string_bound(text.size()));
    EXPECT_EQ(buffer.back(), '#');
  }
}

TEST(JsonWriter, IntegersAtTheirExtremes) {
  JsonWriter json;
  json.begin_array();
  json.integer(std::numeric_limits<int64_t>::min());
  json.integer(std::numeric_limits<int64_t>::max());
  json.integer(std::numeric_limits<uint64_t>::max());
  json.integer(std::numeric_limits<uint32_t>::max());
  json.integer(int64_t{-1});
  json.integer(0);
  json.end_array();
  EXPECT_EQ(json.take(),
            "[-9223372036854775808,9223372036854775807,18446744073709551615,4294967295,-1,0]");
}

TEST(JsonWriter, EscapesAsciiAsNlohmannDoes) {
  EXPECT_EQ(written("plain /path text"), R"("plain /path text")");
  EXPECT_EQ(written("\"\\"), R"("\"\\")");
  EXPECT_EQ(written("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(written(std::string_view("\0\x01\x1b\x1f\x7f", 5)),
            R"("\u0000\u0001\u001b\u001f\u007f")");
  for (int c = 0; c < 0x80; ++c) {
    const std::string text(1, static_cast<char>(c));
    EXPECT_EQ(written(text), nlohmann_written(text)) << "byte " << c;
  }
}

TEST(JsonWriter, NonAsciiBecomesUEscapes) {
  EXPECT_EQ(written("caf\xc3\xa9"), R"("caf\u00e9")");          // U+00E9
  EXPECT_EQ(written("\xe2\x80\xae"), R"("\u202e")");            // RLO, U+202E
  EXPECT_EQ(written("\xef\xbf\xbf"), R"("\uffff")");            // U+FFFF
  EXPECT_EQ(written("\xf0\x9f\x98\x80"), R"("\ud83d\ude00")");  // U+1F600
  EXPECT_EQ(written("\xf4\x8f\xbf\xbf"), R"("\udbff\udfff")");  // U+10FFFF
  EXPECT_EQ(written("\xf0\x90\x80\x80"), R"("\ud800\udc00")");  // U+10000
  EXPECT_EQ(written("\xc2\x80\xdf\xbf"), R"("\u0080\u07ff")");  // 2-byte ends
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
  // A byte no sequence starts with: one each.
  EXPECT_EQ(written("a\xff"
                    "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(written("\x80\xbf"), R"("\ufffd\ufffd")");
  EXPECT_EQ(written("\xc0\xaf"), R"("\ufffd\ufffd")");  // overlong '/'
  // A sequence broken by its n-th byte: one for what came before, then that
  // byte read afresh.
  EXPECT_EQ(written("\xe2\x80"
                    "A"),
            R"("\ufffdA")");
  EXPECT_EQ(written("\xe0\x80\x80"), R"("\ufffd\ufffd\ufffd")");            // overlong
  EXPECT_EQ(written("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate D800
  EXPECT_EQ(written("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(written("\xf0\x9f\x98\xc3\xa9"), R"("\ufffd\u00e9")");
  // Cut off by the end of the string: one for the whole tail.
  EXPECT_EQ(written("x\xf0\x9f\x98"), R"("x\ufffd")");
  EXPECT_EQ(written("\xc3"), R"("\ufffd")");
}

TEST(JsonWriter, EveryOneAndTwoByteStringMatchesNlohmann) {
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    ASSERT_EQ(written(one), nlohmann_written(one)) << "byte " << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(written(two), nlohmann_written(two)) << "bytes " << a << " " << b;
    }
  }
}

// Every byte value at every position of plain text long enough for the
// word-at-a-time scan: none slips through unescaped.
TEST(JsonWriter, EveryByteAtEveryPositionOfPlainText) {
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t position = 0; position < 24; ++position) {
      std::string text = "abcdefghijklmnopqrstuvwx";
      text[position] = static_cast<char>(byte);
      ASSERT_EQ(written(text), nlohmann_written(text)) << "byte " << byte << " at " << position;
    }
  }
}

// Random strings drawn from bytes that matter to a UTF-8 decoder (every
// boundary of every lead and continuation range), plain letters and any byte.
TEST(JsonWriter, RandomBytesMatchNlohmann) {
  static constexpr unsigned char kInteresting[] = {
      0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, '"',  '\\', '/',  'A',
      0x7e, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
      0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff};
  std::mt19937 random(20261206);
  for (int round = 0; round < 200'000; ++round) {
    std::string text(random() % 40, '\0');
    for (char& c : text) {
      const uint32_t pick = random();
      switch (pick % 4) {
        case 0: c = static_cast<char>((pick >> 8) & 0xff); break;
        case 1: c = static_cast<char>('a' + (pick >> 8) % 26); break;
        default: c = static_cast<char>(kInteresting[(pick >> 8) % sizeof kInteresting]);
      }
    }
    ASSERT_EQ(written(text), nlohmann_written(text));
  }
}

}  // namespace
}  // namespace vigil::runtime
