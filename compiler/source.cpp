#include "compiler/source.h"

#include <algorithm>

namespace vigil {

SourceFile::SourceFile(std::string path, std::string contents)
    : path_(std::move(path)), contents_(std::move(contents)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < contents_.size(); ++i) {
    if (contents_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

LineColumn SourceFile::line_column(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(contents_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line_index = static_cast<uint32_t>(it - line_starts_.begin()) - 1;
  uint32_t column = 1;
  for (uint32_t i = line_starts_[line_index]; i < offset; ++i) {
    auto byte = static_cast<unsigned char>(contents_[i]);
    bool continuation = (byte & 0xC0) == 0x80;
    bool cr_before_lf = byte == '\r' && i + 1 < contents_.size() && contents_[i + 1] == '\n';
    if (!continuation && !cr_before_lf) ++column;
  }
  return {line_index + 1, column};
}

std::string_view SourceFile::line_text(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t begin = line_starts_[line - 1];
  uint32_t end =
      line < line_starts_.size() ? line_starts_[line] - 1 : static_cast<uint32_t>(contents_.size());
  if (end > begin && contents_[end - 1] == '\r') --end;
  return std::string_view(contents_).substr(begin, end - begin);
}

FileId SourceManager::add(std::string path, std::string contents) {
  files_.push_back(std::make_unique<SourceFile>(std::move(path), std::move(contents)));
  return static_cast<FileId>(files_.size() - 1);
}

}  // namespace vigil
