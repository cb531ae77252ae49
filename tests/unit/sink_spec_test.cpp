// --output values: each kind, the options, and the errors for what is not one.
#include "runtime/sink_spec.h"

#include <gtest/gtest.h>

#include "runtime/file_sink.h"
#include "tests/unit/sink_test_support.h"

namespace vigil::runtime {
namespace {

SinkSpec spec(SinkKind kind, std::string path = "", std::optional<AlertFormat> format = {},
              int facility = kSyslogFacilityAuthpriv) {
  return SinkSpec{kind, std::move(path), format, facility};
}

SinkSpec parsed(std::string_view text) {
  std::string error;
  std::optional<SinkSpec> spec = parse_sink_spec(text, &error);
  EXPECT_TRUE(spec) << text << ": " << error;
  return spec.value_or(SinkSpec{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_EQ(parse_sink_spec(text, &error), std::nullopt) << text;
  return error;
}

TEST(SinkSpec, Kinds) {
  EXPECT_EQ(parsed("stdout"), spec(SinkKind::Stdout));
  EXPECT_EQ(parsed("file:/var/log/vigil/alerts.json"),
            spec(SinkKind::File, "/var/log/vigil/alerts.json"));
  EXPECT_EQ(parsed("syslog"), spec(SinkKind::Syslog, "/dev/log"));
  EXPECT_EQ(parsed("syslog:/run/systemd/journal/syslog"),
            spec(SinkKind::Syslog, "/run/systemd/journal/syslog"));
  EXPECT_EQ(parsed("syslog").facility, 10);  // authpriv
}

TEST(SinkSpec, Options) {
  EXPECT_EQ(parsed("stdout,format=text"), spec(SinkKind::Stdout, "", AlertFormat::Text));
  EXPECT_EQ(parsed("file:/tmp/a.ocsf,format=ocsf"),
            spec(SinkKind::File, "/tmp/a.ocsf", AlertFormat::Ocsf));
  EXPECT_EQ(parsed("syslog,format=text,facility=local3"),
            spec(SinkKind::Syslog, "/dev/log", AlertFormat::Text, 19));
  EXPECT_EQ(parsed("syslog:/tmp/log,facility=daemon,format=json"),
            spec(SinkKind::Syslog, "/tmp/log", AlertFormat::Json, 3));
  // A colon in a path is part of it.
  EXPECT_EQ(parsed("file:/tmp/a:b").path, "/tmp/a:b");
}

TEST(SinkSpec, Errors) {
  EXPECT_EQ(parse_error(""),
            "invalid output ``: empty; expected stdout, file:PATH, syslog or syslog:SOCKET");
  EXPECT_EQ(parse_error("kafka:broker"),
            "invalid output `kafka:broker`: unknown output `kafka`; expected stdout, file:PATH, "
            "syslog or syslog:SOCKET");
  EXPECT_EQ(parse_error(",format=json"),
            "invalid output `,format=json`: no output kind; expected stdout, file:PATH, syslog "
            "or syslog:SOCKET");
  EXPECT_EQ(parse_error("stdout:/x"), "invalid output `stdout:/x`: stdout takes no path");
  EXPECT_EQ(parse_error("file"),
            "invalid output `file`: a file output needs a path, e.g. "
            "file:/var/log/vigil/alerts.json");
  EXPECT_EQ(parse_error("file:,format=json"),
            "invalid output `file:,format=json`: a file output needs a path, e.g. "
            "file:/var/log/vigil/alerts.json");
  EXPECT_EQ(parse_error("file:alerts.json"),
            "invalid output `file:alerts.json`: the path `alerts.json` must be absolute");
  EXPECT_EQ(parse_error("syslog:"),
            "invalid output `syslog:`: no socket after `syslog:`; write `syslog` for /dev/log");
  EXPECT_EQ(parse_error("stdout,format=yaml"),
            "invalid output `stdout,format=yaml`: unknown format `yaml`; expected json, text or "
            "ocsf");
  EXPECT_EQ(parse_error("stdout,format=json,format=text"),
            "invalid output `stdout,format=json,format=text`: format given twice");
  EXPECT_EQ(parse_error("stdout,json"),
            "invalid output `stdout,json`: option `json` is not key=value");
  EXPECT_EQ(parse_error("stdout,"),
            "invalid output `stdout,`: empty option (two commas, or a trailing one)");
  EXPECT_EQ(parse_error("stdout,color=always"),
            "invalid output `stdout,color=always`: unknown option `color`; expected format=");
  EXPECT_EQ(parse_error("syslog,colour=x"),
            "invalid output `syslog,colour=x`: unknown option `colour`; expected format= or "
            "facility=");
  EXPECT_EQ(parse_error("file:/tmp/a,facility=daemon"),
            "invalid output `file:/tmp/a,facility=daemon`: facility= applies to syslog outputs "
            "only");
  EXPECT_EQ(parse_error("syslog,facility=kern"),
            "invalid output `syslog,facility=kern`: unknown facility `kern`; expected user, "
            "daemon, auth, authpriv, local0, local1, local2, local3, local4, local5, local6, "
            "local7");
  EXPECT_EQ(parse_error("syslog,facility=daemon,facility=auth"),
            "invalid output `syslog,facility=daemon,facility=auth`: facility given twice");
}

TEST(SinkSpec, DefaultFormatIsJsonButTextForStdoutOnATerminal) {
  EXPECT_EQ(resolved_format(parsed("stdout"), /*stdout_is_terminal=*/true), AlertFormat::Text);
  EXPECT_EQ(resolved_format(parsed("stdout"), false), AlertFormat::Json);
  EXPECT_EQ(resolved_format(parsed("file:/tmp/x"), true), AlertFormat::Json);
  EXPECT_EQ(resolved_format(parsed("syslog"), true), AlertFormat::Json);
  EXPECT_EQ(resolved_format(parsed("stdout,format=json"), true), AlertFormat::Json);
  EXPECT_EQ(resolved_format(parsed("file:/tmp/x,format=ocsf"), false), AlertFormat::Ocsf);
  EXPECT_EQ(alert_format_spec_name(AlertFormat::Ocsf), "ocsf");
}

TEST(SinkSpec, MakeSinkOpensWhatTheSpecNames) {
  testing::ScratchDirectory directory;
  std::string error;
  std::unique_ptr<AlertSink> file = make_sink(parsed("file:" + directory.file("a.json")), &error);
  ASSERT_TRUE(file) << error;
  EXPECT_EQ(file->describe(), "file " + directory.file("a.json"));
  ASSERT_TRUE(file->write(Alert{}, "line", &error)) << error;
  ASSERT_TRUE(file->flush(&error)) << error;
  EXPECT_EQ(testing::read_file(directory.file("a.json")), "line\n");

  std::unique_ptr<AlertSink> out = make_sink(parsed("stdout"), &error);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->describe(), "stdout");

  EXPECT_EQ(make_sink(parsed("syslog:" + directory.file("no-daemon")), &error), nullptr);
  EXPECT_EQ(error, "cannot connect to syslog at " + directory.file("no-daemon") +
                       ": No such file or directory");
  EXPECT_EQ(make_sink(parsed("file:" + directory.file("missing/a.json")), &error), nullptr);
  EXPECT_TRUE(error.starts_with("cannot open ")) << error;
}

}  // namespace
}  // namespace vigil::runtime
