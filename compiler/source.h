// Source files and positions. Every diagnostic and every AST node points back
// into a SourceFile through a SourceRange, so errors can name file:line:col.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

using FileId = uint32_t;

// A half-open byte range [begin, end) in one file.
struct SourceRange {
  FileId file = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// 1-based line and column. Columns count Unicode code points (a CR before a
// LF is not a column); invalid UTF-8 bytes count one column each.
struct LineColumn {
  uint32_t line = 1;
  uint32_t column = 1;
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string contents);

  const std::string& path() const { return path_; }
  const std::string& contents() const { return contents_; }

  LineColumn line_column(uint32_t offset) const;
  // The text of the 1-based line, without its line terminator.
  std::string_view line_text(uint32_t line) const;
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }

 private:
  std::string path_;
  std::string contents_;
  std::vector<uint32_t> line_starts_;
};

// Owns every file of a policy set; FileIds index into it.
class SourceManager {
 public:
  FileId add(std::string path, std::string contents);
  const SourceFile& file(FileId id) const { return *files_.at(id); }
  size_t size() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace vigil
