// A policy text parsed as one file, with what parser and formatter tests look at.
#pragma once

#include <string>
#include <vector>

#include "compiler/format.h"
#include "compiler/parser.h"

namespace vigil {

struct Parsed {
  SourceManager sources;
  Diagnostics diagnostics;
  ast::File file;
  FileId id = 0;

  explicit Parsed(std::string text) {
    id = sources.add("test.vigil", std::move(text));
    file = parse_file(sources, id, diagnostics);
  }

  // "line:col: code: message", one per diagnostic, in reporting order.
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : diagnostics.all()) {
      LineColumn at = sources.file(id).line_column(d.range.begin);
      out.push_back(std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + d.code +
                    ": " + d.message);
    }
    return out;
  }

  std::string first_error() const {
    return diagnostics.all().empty() ? "" : diagnostics.all()[0].message;
  }

  std::string slice(SourceRange range) const {
    return sources.file(id).contents().substr(range.begin, range.end - range.begin);
  }

  std::string format() const { return format_file(sources.file(id), file); }
};

}  // namespace vigil
