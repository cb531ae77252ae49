// libFuzzer target for the parser and the formatter. Any input must parse
// without crashing, hanging or reporting a range outside the file; an input
// that parses without errors must format to text that parses without errors
// to the same AST and comments, and formats to itself again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "compiler/format.h"
#include "compiler/parser.h"

namespace {

using namespace vigil;

// The structure plus the comments: formatting must keep both.
std::string dump(const ast::File& file) {
  std::string out = ast::structure_string(file);
  for (const ast::Comment& comment : file.comments) {
    std::string text = comment.text;
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
      text.pop_back();
    }
    out += text + "\n";
  }
  return out;
}

[[noreturn]] void fail(const char* what, const std::string& input, const std::string& output) {
  std::fprintf(stderr, "%s\n--- input\n%s\n--- output\n%s\n", what, input.c_str(), output.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  SourceManager sources;
  Diagnostics diagnostics;
  FileId id = sources.add("fuzz.vigil", text);
  ast::File file = parse_file(sources, id, diagnostics);
  for (const Diagnostic& diagnostic : diagnostics.all()) {
    if (diagnostic.range.begin > diagnostic.range.end || diagnostic.range.end > size) {
      fail("diagnostic range outside the file", text, diagnostic.message);
    }
  }
  if (diagnostics.has_errors()) return 0;

  std::string formatted = format_file(sources.file(id), file);
  SourceManager formatted_sources;
  Diagnostics formatted_diagnostics;
  FileId formatted_id = formatted_sources.add("formatted.vigil", formatted);
  ast::File reparsed = parse_file(formatted_sources, formatted_id, formatted_diagnostics);
  if (formatted_diagnostics.has_errors()) {
    fail(("formatted output has errors: " + formatted_diagnostics.all()[0].message).c_str(), text,
         formatted);
  }
  if (dump(reparsed) != dump(file)) fail("formatting changed the AST or comments", text, formatted);
  if (format_file(formatted_sources.file(formatted_id), reparsed) != formatted) {
    fail("formatting is not idempotent", text, formatted);
  }
  return 0;
}
