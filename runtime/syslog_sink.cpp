#include "runtime/syslog_sink.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vigil::runtime {
namespace {

struct FacilityName {
  std::string_view name;
  int code;
};
constexpr std::array<FacilityName, 12> kFacilities = {{
    {"user", 1},
    {"daemon", 3},
    {"auth", 4},
    {"authpriv", 10},
    {"local0", 16},
    {"local1", 17},
    {"local2", 18},
    {"local3", 19},
    {"local4", 20},
    {"local5", 21},
    {"local6", 22},
    {"local7", 23},
}};

// RFC 5424 header fields are PRINTUSASCII (33..126), NILVALUE when empty.
std::string header_field(std::string_view value, size_t max_length) {
  std::string field;
  for (char c : value.substr(0, max_length)) field.push_back(c >= 33 && c <= 126 ? c : '_');
  return field.empty() ? "-" : field;
}

std::string rfc3339_utc(int64_t unix_ns) {
  if (unix_ns <= 0) {  // not set: the time it is sent
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    unix_ns = static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  }
  time_t seconds = static_cast<time_t>(unix_ns / 1'000'000'000);
  long micros = static_cast<long>(unix_ns % 1'000'000'000 / 1000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
  return text;
}

std::string machine_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

std::optional<int> find_syslog_facility(std::string_view name) {
  for (const FacilityName& facility : kFacilities)
    if (facility.name == name) return facility.code;
  return std::nullopt;
}

std::string syslog_facility_names() {
  std::string names;
  for (const FacilityName& facility : kFacilities) {
    if (!names.empty()) names += ", ";
    names += facility.name;
  }
  return names;
}

int syslog_severity(Severity severity) {
  switch (severity) {
    case Severity::Critical: return 2;
    case Severity::High: return 3;
    case Severity::Medium: return 4;
    case Severity::Low: return 5;
    case Severity::Info: return 6;
  }
  return 4;
}

std::string format_syslog_message(const Alert& alert, std::string_view line,
                                  const SyslogHeader& header) {
  std::string message = "<" +
                        std::to_string(header.facility * 8 + syslog_severity(alert.severity)) +
                        ">1 " + rfc3339_utc(alert.time_unix_ns) + " ";
  message += header_field(alert.host.empty() ? header.hostname : alert.host, 255) + " ";
  message += header_field(header.app_name, 48) + " ";
  message += std::to_string(header.pid) + " ";
  message += header_field(alert.rule, 32) + " - ";
  message += line;
  return message;
}

std::unique_ptr<SyslogSink> SyslogSink::open(const std::string& socket_path, int facility,
                                             std::string* error) {
  SyslogHeader header;
  header.facility = facility;
  header.hostname = machine_hostname();
  header.pid = ::getpid();
  std::unique_ptr<SyslogSink> sink(new SyslogSink(socket_path, std::move(header)));
  if (!sink->connect_socket(error)) return nullptr;
  return sink;
}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool SyslogSink::connect_socket(std::string* error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path) {
    *error = "syslog socket path is too long (at most " +
             std::to_string(sizeof address.sun_path - 1) + " bytes): " + socket_path_;
    return false;
  }
  std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = std::string("cannot create a socket for syslog: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    *error = "cannot connect to syslog at " + socket_path_ + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

bool SyslogSink::drop(std::string message, std::string* error) {
  ++dropped_;
  *error = std::move(message) + "; alert dropped (" + std::to_string(dropped_) + " so far)";
  return false;
}

bool SyslogSink::write(const Alert& alert, std::string_view line, std::string* error) {
  std::string message = format_syslog_message(alert, line, header_);
  // Two attempts: the second on a fresh connection, when the daemon's
  // socket went away (it restarted) since the last alert.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string reason;
    if (fd_ < 0 && !connect_socket(&reason)) return drop(reason, error);
    ssize_t sent;
    do sent = ::send(fd_, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent >= 0) return true;
    int failure = errno;
    if (failure == EAGAIN || failure == EWOULDBLOCK || failure == ENOBUFS)
      return drop("syslog at " + socket_path_ + " is not keeping up (its queue is full)", error);
    if (failure == EMSGSIZE)
      return drop(
          "alert too large for a syslog datagram (" + std::to_string(message.size()) + " bytes)",
          error);
    ::close(fd_);
    fd_ = -1;
    bool reconnectable = failure == ECONNREFUSED || failure == ENOTCONN || failure == EPIPE ||
                         failure == ECONNRESET || failure == ENOENT;
    if (!reconnectable || attempt == 1)
      return drop("cannot send to syslog at " + socket_path_ + ": " + std::strerror(failure),
                  error);
  }
  return false;
}

}  // namespace vigil::runtime
