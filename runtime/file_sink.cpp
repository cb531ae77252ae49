#include "runtime/file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vigil::runtime {
namespace {

int open_for_append(const std::string& path, std::string* error) {
  int fd;
  do fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) *error = "cannot open " + path + " for alerts: " + std::strerror(errno);
  return fd;
}

}  // namespace

std::unique_ptr<FileSink> FileSink::open(const std::string& path, std::string* error) {
  int fd = open_for_append(path, error);
  if (fd < 0) return nullptr;
  return std::unique_ptr<FileSink>(new FileSink(path, fd));
}

FileSink::~FileSink() {
  std::string ignored;
  flush(&ignored);
  ::close(fd_);
}

bool FileSink::write(const Alert& /*alert*/, std::string_view line, std::string* error) {
  return !buffer_.append(line) || flush(error);
}

bool FileSink::flush(std::string* error) {
  size_t lines = 0;
  int failure = buffer_.write_to(fd_, &lines);
  if (failure == 0) return true;
  *error = "cannot write " + std::to_string(lines) + " alert(s) to " + path_ + ": " +
           std::strerror(failure);
  return false;
}

bool FileSink::reopen(std::string* error) {
  // What was written before the rotation belongs to the old file.
  if (!flush(error)) return false;
  int fd = open_for_append(path_, error);
  if (fd < 0) return false;
  ::close(fd_);
  fd_ = fd;
  return true;
}

}  // namespace vigil::runtime
