// The three system-call loops the kernel and end-to-end benchmarks time, one
// event each per call: openat() of a missing file (file.open), a fork + exec
// of a small binary that exits at once (exec), and connect() of a UDP socket
// to a loopback port (net.connect; UDP, so no listener and no packet: the
// call only sets the socket's peer, and nothing else it does depends on what
// is listening).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::bench {

enum class LoopEvent { FileOpen, Exec, NetConnect };

// "file.open", "exec", "net.connect"; nullopt for anything else.
std::optional<LoopEvent> parse_loop_event(const std::string& name);
const char* loop_event_name(LoopEvent event);

// What the loop calls: the path it opens (missing), the binary it executes,
// the port it connects to on 127.0.0.1.
struct LoopTarget {
  std::string open_path;
  std::string exec_binary = "/usr/bin/true";
  uint16_t connect_port = 9;  // discard: nothing listens there, and UDP needs nothing to
};

// Runs `iterations` calls and returns ns per call (wall time), or a negative
// number with `error` set if a call did something the loop does not expect
// (a child that did not exit 0, a socket that cannot be made).
double loop_ns(LoopEvent event, const LoopTarget& target, long iterations, std::string* error);

}  // namespace vigil::bench
