// The alert sinks against real descriptors: pipes, files moved away as
// logrotate does, and a syslog daemon played by a datagram socket.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "runtime/file_sink.h"
#include "runtime/stdout_sink.h"
#include "runtime/syslog_sink.h"
#include "tests/unit/sink_test_support.h"

namespace vigil::runtime {
namespace {

using testing::read_file;
using testing::ScratchDirectory;

Alert sample_alert() {
  Alert alert;
  alert.time_unix_ns = 1714567890123456789;
  alert.host = "web-1";
  alert.rule = "shell_from_web_server";
  alert.severity = Severity::High;
  return alert;
}

// A pipe whose ends close with the test.
struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
};

// SIGPIPE ignored for the scope, as the agent has it.
struct IgnoreSigpipe {
  struct sigaction previous{};
  IgnoreSigpipe() {
    struct sigaction ignore{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &previous, nullptr); }
};

TEST(StdoutSink, WritesTheLineAndANewline) {
  Pipe pipe;
  StdoutSink sink(pipe.write_end);
  std::string error;
  ASSERT_TRUE(sink.write(sample_alert(), R"({"rule":"a"})", &error)) << error;
  ASSERT_TRUE(sink.write(sample_alert(), "second", &error)) << error;
  ASSERT_TRUE(sink.flush(&error)) << error;
  ::close(pipe.write_end);
  pipe.write_end = -1;
  char buffer[64] = {};
  ssize_t size = ::read(pipe.read_end, buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, size > 0 ? size : 0), "{\"rule\":\"a\"}\nsecond\n");
  EXPECT_EQ(sink.describe(), "stdout");
}

TEST(StdoutSink, WritesALineLargerThanThePipeThroughPartialWrites) {
  Pipe pipe;
  // Non-blocking, so the sink sees both short writes and EAGAIN.
  ::fcntl(pipe.write_end, F_SETFL, ::fcntl(pipe.write_end, F_GETFL) | O_NONBLOCK);
  std::string line(1 << 20, 'x');
  std::string received;
  std::thread reader([&] {
    char buffer[4096];
    ssize_t size;
    while ((size = ::read(pipe.read_end, buffer, sizeof buffer)) > 0) received.append(buffer, size);
  });
  StdoutSink sink(pipe.write_end);
  std::string error;
  EXPECT_TRUE(sink.write(sample_alert(), line, &error)) << error;  // past kFlushBytes: written
  ::close(pipe.write_end);
  pipe.write_end = -1;
  reader.join();
  EXPECT_EQ(received, line + "\n");
}

TEST(StdoutSink, ClosedReaderIsAnErrorNotADeath) {
  IgnoreSigpipe ignore;
  Pipe pipe;
  ::close(pipe.read_end);
  pipe.read_end = -1;
  StdoutSink sink(pipe.write_end);
  std::string error;
  EXPECT_TRUE(sink.write(sample_alert(), "lost", &error));  // buffered
  EXPECT_FALSE(sink.flush(&error));
  EXPECT_EQ(error, "stdout is closed (its reader went away); 1 alert(s) not written");
  EXPECT_TRUE(sink.flush(&error)) << "the lost line is not written again";
}

// A file sink on alerts.json in a scratch directory of its own.
class FileSinkOnDisk : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sink) << error; }

  ScratchDirectory directory;
  std::string path = directory.file("alerts.json");
  std::string error;
  std::unique_ptr<FileSink> sink = FileSink::open(path, &error);
};

// One write(2) per agent turn: nothing reaches the file until flush(),
// unless the buffer fills up first.
TEST_F(FileSinkOnDisk, HoldsLinesUntilFlushOrAFullBuffer) {
  ASSERT_TRUE(sink->write(sample_alert(), "one", &error)) << error;
  EXPECT_EQ(read_file(path), "");
  ASSERT_TRUE(sink->flush(&error)) << error;
  EXPECT_EQ(read_file(path), "one\n");
  std::string line(1000, 'x');
  size_t written = 0;
  while (read_file(path).size() == 4 && written < 1000) {
    ASSERT_TRUE(sink->write(sample_alert(), line, &error)) << error;
    ++written;
  }
  EXPECT_EQ(written, LineBuffer::kFlushBytes / (line.size() + 1) + 1);
  EXPECT_EQ(read_file(path).size(), 4 + written * (line.size() + 1));
}

TEST_F(FileSinkOnDisk, DestructionFlushes) {
  ASSERT_TRUE(sink->write(sample_alert(), "last words", &error)) << error;
  sink.reset();
  EXPECT_EQ(read_file(path), "last words\n");
}

TEST_F(FileSinkOnDisk, CreatesTheFile0600AndAppendsOneLinePerAlert) {
  ASSERT_TRUE(sink->write(sample_alert(), "one", &error)) << error;
  ASSERT_TRUE(sink->write(sample_alert(), "two", &error)) << error;
  ASSERT_TRUE(sink->flush(&error)) << error;
  EXPECT_EQ(read_file(path), "one\ntwo\n");
  struct stat info{};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(sink->describe(), "file " + path);
}

TEST(FileSink, AppendsToWhatIsThere) {
  ScratchDirectory directory;
  std::string path = directory.file("alerts.json");
  std::ofstream(path) << "earlier\n";
  std::string error;
  std::unique_ptr<FileSink> sink = FileSink::open(path, &error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->write(sample_alert(), "later", &error)) << error;
  ASSERT_TRUE(sink->flush(&error)) << error;
  EXPECT_EQ(read_file(path), "earlier\nlater\n");
}

TEST_F(FileSinkOnDisk, ReopenAfterRotationWritesToTheNewFile) {
  std::string rotated = directory.file("alerts.json.1");
  ASSERT_TRUE(sink->write(sample_alert(), "before rotation", &error)) << error;
  ASSERT_TRUE(sink->flush(&error)) << error;
  // logrotate: move the file away, then signal; until the signal alerts
  // still go to the moved file.
  ASSERT_EQ(::rename(path.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(sink->write(sample_alert(), "between move and signal", &error)) << error;
  ASSERT_TRUE(sink->reopen(&error)) << error;
  ASSERT_TRUE(sink->write(sample_alert(), "after reopen", &error)) << error;
  ASSERT_TRUE(sink->flush(&error)) << error;
  EXPECT_EQ(read_file(rotated), "before rotation\nbetween move and signal\n");
  EXPECT_EQ(read_file(path), "after reopen\n");
}

TEST(FileSink, FailedReopenKeepsWritingToTheOpenFile) {
  ScratchDirectory directory;
  std::string logs = directory.file("logs");
  ASSERT_EQ(::mkdir(logs.c_str(), 0700), 0);
  std::string error;
  std::unique_ptr<FileSink> sink = FileSink::open(logs + "/alerts.json", &error);
  ASSERT_TRUE(sink) << error;
  std::string moved = directory.file("moved");
  ASSERT_EQ(::rename(logs.c_str(), moved.c_str()), 0);  // the path now leads nowhere
  EXPECT_FALSE(sink->reopen(&error));
  EXPECT_EQ(error, "cannot open " + logs + "/alerts.json for alerts: No such file or directory");
  ASSERT_TRUE(sink->write(sample_alert(), "still written", &error)) << error;
  ASSERT_TRUE(sink->flush(&error)) << error;
  EXPECT_EQ(read_file(moved + "/alerts.json"), "still written\n");
}

TEST(FileSink, OpenFailureIsAnError) {
  std::string error;
  EXPECT_EQ(FileSink::open("/nonexistent-vigil-dir/alerts.json", &error), nullptr);
  EXPECT_EQ(error,
            "cannot open /nonexistent-vigil-dir/alerts.json for alerts: No such file or directory");
}

// A syslog daemon: a datagram socket bound at a path.
class SyslogDaemon {
 public:
  explicit SyslogDaemon(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
        << std::strerror(errno);
  }
  ~SyslogDaemon() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next datagram, or "" if none arrives within a second.
  std::string receive() {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 1000) != 1) return "";
    char buffer[65536];
    ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
    return size > 0 ? std::string(buffer, size) : "";
  }

 private:
  std::string path_;
  int fd_;
};

std::string pid_text() {
  return std::to_string(::getpid());
}

TEST(SyslogSink, SendsRfc5424WithAuthprivAndTheRuleAsMsgid) {
  ScratchDirectory directory;
  std::string socket_path = directory.file("log");
  SyslogDaemon daemon(socket_path);
  std::string error;
  std::unique_ptr<SyslogSink> sink = SyslogSink::open(socket_path, kSyslogFacilityAuthpriv, &error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->write(sample_alert(), R"({"rule":"shell_from_web_server"})", &error)) << error;
  // authpriv (10) * 8 + err (3) = 83.
  EXPECT_EQ(daemon.receive(), "<83>1 2024-05-01T12:51:30.123456Z web-1 vigil " + pid_text() +
                                  R"( shell_from_web_server - {"rule":"shell_from_web_server"})");
  EXPECT_EQ(sink->dropped(), 0u);
  EXPECT_EQ(sink->describe(), "syslog " + socket_path);
}

TEST(SyslogSink, SeverityAndFacilityMakeThePri) {
  SyslogHeader header;
  header.facility = *find_syslog_facility("daemon");
  header.hostname = "h";
  header.pid = 7;
  Alert alert = sample_alert();
  const std::pair<Severity, std::string> cases[] = {{Severity::Critical, "<26>"},
                                                    {Severity::High, "<27>"},
                                                    {Severity::Medium, "<28>"},
                                                    {Severity::Low, "<29>"},
                                                    {Severity::Info, "<30>"}};
  for (const auto& [severity, pri] : cases) {
    alert.severity = severity;
    EXPECT_EQ(format_syslog_message(alert, "m", header),
              pri + "1 2024-05-01T12:51:30.123456Z web-1 vigil 7 shell_from_web_server - m");
  }
  EXPECT_EQ(find_syslog_facility("local7"), 23);
  EXPECT_EQ(find_syslog_facility("kern"), std::nullopt);
}

TEST(SyslogSink, HeaderFieldsAreSanitized) {
  SyslogHeader header;
  header.hostname = "fallback-host";
  header.pid = 42;
  Alert alert = sample_alert();
  alert.host = "";  // the machine's name instead
  alert.rule = "a rule\twith spaces and a very long name indeed";
  alert.time_unix_ns = 1'000'000'000;  // whole second: still six digits
  EXPECT_EQ(format_syslog_message(alert, "m", header),
            "<83>1 1970-01-01T00:00:01.000000Z fallback-host vigil 42 "
            "a_rule_with_spaces_and_a_very_lo - m");
  alert.host = "bad host\n";
  alert.rule = "";
  EXPECT_EQ(format_syslog_message(alert, "m", header),
            "<83>1 1970-01-01T00:00:01.000000Z bad_host_ vigil 42 - - m");
}

TEST(SyslogSink, ReconnectsWhenTheDaemonRestarts) {
  ScratchDirectory directory;
  std::string socket_path = directory.file("log");
  auto daemon = std::make_unique<SyslogDaemon>(socket_path);
  std::string error;
  std::unique_ptr<SyslogSink> sink = SyslogSink::open(socket_path, 3, &error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->write(sample_alert(), "first", &error)) << error;
  EXPECT_TRUE(daemon->receive().ends_with(" - first"));

  daemon.reset();  // the daemon stops: its socket is gone
  EXPECT_FALSE(sink->write(sample_alert(), "lost", &error));
  EXPECT_EQ(error, "cannot connect to syslog at " + socket_path +
                       ": No such file or directory; alert dropped (1 so far)");
  EXPECT_EQ(sink->dropped(), 1u);

  daemon = std::make_unique<SyslogDaemon>(socket_path);  // and starts again
  ASSERT_TRUE(sink->write(sample_alert(), "after restart", &error)) << error;
  EXPECT_TRUE(daemon->receive().ends_with(" - after restart"));

  // Replaced while the sink is connected to the old one: a fresh connection.
  daemon.reset();
  daemon = std::make_unique<SyslogDaemon>(socket_path);
  ASSERT_TRUE(sink->write(sample_alert(), "to the new socket", &error)) << error;
  EXPECT_TRUE(daemon->receive().ends_with(" - to the new socket"));
  EXPECT_EQ(sink->dropped(), 1u);
}

TEST(SyslogSink, ASlowDaemonCostsAlertsNotTime) {
  ScratchDirectory directory;
  std::string socket_path = directory.file("log");
  SyslogDaemon daemon(socket_path);  // never reads
  std::string error;
  std::unique_ptr<SyslogSink> sink = SyslogSink::open(socket_path, 3, &error);
  ASSERT_TRUE(sink) << error;
  auto start = std::chrono::steady_clock::now();
  int failed = 0;
  std::string last_error;
  for (int i = 0; i < 5000; ++i)
    if (!sink->write(sample_alert(), std::string(200, 'x'), &last_error)) ++failed;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_GT(failed, 0);
  EXPECT_EQ(sink->dropped(), static_cast<uint64_t>(failed));
  EXPECT_TRUE(last_error.starts_with("syslog at " + socket_path +
                                     " is not keeping up (its queue is full); alert dropped"))
      << last_error;
  EXPECT_TRUE(daemon.receive().ends_with(std::string(200, 'x')));  // the first ones arrived
}

TEST(SyslogSink, NoDaemonAtTheStartIsAnError) {
  ScratchDirectory directory;
  std::string error;
  EXPECT_EQ(SyslogSink::open(directory.file("log"), 10, &error), nullptr);
  EXPECT_EQ(error,
            "cannot connect to syslog at " + directory.file("log") + ": No such file or directory");
}

}  // namespace
}  // namespace vigil::runtime
