#include "runtime/line_buffer.h"

#include "runtime/write_all.h"

namespace vigil::runtime {

bool LineBuffer::append(std::string_view line) {
  data_.append(line).push_back('\n');
  ++lines_;
  return data_.size() >= kFlushBytes;
}

int LineBuffer::write_to(int fd, size_t* lines) {
  *lines = lines_;
  int failure = data_.empty() ? 0 : write_all(fd, data_);
  data_.clear();
  lines_ = 0;
  return failure;
}

}  // namespace vigil::runtime
