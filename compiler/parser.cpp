// parse_file: the declaration loop with error recovery around the PEGTL
// grammar (grammar.h), its actions (parse_actions.h) and control class
// (parse_control.h).
#include "compiler/parser.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <new>
#include <string_view>
#include <tao/pegtl.hpp>

#include "compiler/grammar.h"
#include "compiler/parse_actions.h"
#include "compiler/parse_control.h"
#include "compiler/parse_scan.h"
#include "compiler/parse_state.h"

namespace vigil {
namespace {

namespace pegtl = tao::pegtl;

using Input = pegtl::memory_input<pegtl::tracking_mode::lazy, pegtl::eol::lf_crlf, const char*>;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string hex_byte(unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[byte >> 4] + kHex[byte & 15];
}

void report_encoding_problems(const PrescanResult& scan, ParseState& state) {
  if (scan.first_invalid_utf8) {
    uint32_t at = *scan.first_invalid_utf8;
    auto byte = static_cast<unsigned char>(state.text[at]);
    state.report_encoding_error(
        "invalid-utf8", at,
        "invalid UTF-8 byte " + hex_byte(byte) + "; policy files must be UTF-8 text");
  }
  if (scan.first_nul) {
    state.report_encoding_error("nul-byte", *scan.first_nul,
                                "NUL byte in the file; policy files must be text");
  }
}

// Moves the parsed declaration out of the state into the file.
void finish_declaration(ParseState& state, uint32_t begin, uint32_t end, ast::File& file) {
  ast::Decl& decl = state.decl;
  decl.range = state.range(begin, end);
  bool has_body = decl.kind == ast::DeclKind::List || decl.kind == ast::DeclKind::Macro ||
                  decl.kind == ast::DeclKind::ExtendList;
  if (has_body) decl.body = parse_detail::pop(state);
  if (!state.stack.empty()) {
    throw SyntaxError{"internal-error", decl.range,
                      "internal parser error: unused expressions after a declaration",
                      std::nullopt};
  }
  state.previous_kind = decl.kind;
  state.previous_name = decl.name.text;
  file.decls.push_back(std::move(decl));
}

}  // namespace

ast::File parse_file(const SourceManager& sources, FileId file_id, Diagnostics& diagnostics) {
  ast::File file;
  file.file = file_id;
  const SourceFile& source = sources.file(file_id);
  std::string_view text = source.contents();
  if (text.size() >= std::numeric_limits<uint32_t>::max()) {
    diagnostics.error("file-too-large", SourceRange{file_id, 0, 0},
                      "policy file is too large (4 GiB or more)");
    return file;
  }

  ParseState state(source, file_id, diagnostics);
  try {
    PrescanResult scan = prescan(text, file_id);
    file.comments = std::move(scan.comments);
    report_encoding_problems(scan, state);
  } catch (const std::bad_alloc&) {
    diagnostics.error("out-of-memory", SourceRange{file_id, 0, 0},
                      "out of memory while reading the file");
    return file;
  }

  const auto size = static_cast<uint32_t>(text.size());
  uint32_t position = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
  while (!state.stopped()) {
    position = skip_blank(text, position);
    if (position >= size) break;
    const uint32_t begin = position;
    state.start_declaration();
    try {
      Input in(text.data() + begin, text.data() + size, source.path().c_str());
      pegtl::parse<grammar::declaration, ParseAction, ParseControl>(in, state);
      position = state.offset(in.current());
      finish_declaration(state, begin, position, file);
      continue;
    } catch (const SyntaxError& error) {
      state.report(error);
      if (!state.decl.name.text.empty()) file.unparsed_names.push_back(state.decl.name.text);
      position = find_recovery_point(text, std::max(error.range.begin, begin + 1));
    } catch (const std::bad_alloc&) {
      state.report("out-of-memory", state.range(begin, begin), "out of memory while parsing");
      break;
    } catch (const std::exception& error) {
      // Nothing in the grammar throws anything else; if it ever does, lose
      // one declaration rather than the process.
      state.report("internal-error", state.range(begin, begin),
                   std::string("internal parser error: ") + error.what());
      position = find_recovery_point(text, begin + 1);
    }
  }
  return file;
}

}  // namespace vigil
