// From ring-buffer records to alerts: find the record's policy generation,
// decode the event, fill the user-space fields, complete the rules the kernel
// left pending with the reference evaluator, and build an alert per rule
// that matched, with its process context. Single-threaded: the agent's main
// loop calls handle() from its ring-buffer callback.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "runtime/agent_status.h"
#include "runtime/alert.h"
#include "runtime/alert_dedup.h"
#include "runtime/clock_mapping.h"
#include "runtime/policy_generation.h"
#include "runtime/process_table.h"

namespace vigil::runtime {

class RecordPipeline {
 public:
  using Emit = std::function<void(const Alert&)>;

  struct Options {
    std::string host;
    // The agent runs with --audit: the kernel acts on nothing (it says so in
    // each record too); used to word why a kill/deny was only reported.
    bool audit = false;
    // Distinct executables a kill rule may kill per minute (for the message).
    uint32_t kill_limit = 0;
    // Generations kept decodable after they were replaced: records of an
    // old generation can still be in the ring buffer after a swap.
    size_t retired_generations_kept = 4;
  };

  RecordPipeline(Options options, ProcessTable& processes, const ClockMapping& clock, Emit emit);

  // A new generation whose records may arrive from now on.
  void add_generation(std::shared_ptr<const PolicyGeneration> generation);

  // Handles one record; false if it was malformed (counted, not fatal).
  bool handle(std::span<const uint8_t> record);
  // Reports the repeats of `dedup` windows that ended (all of them at shutdown).
  void flush_dedup(int64_t now_unix_ns, bool final_flush = false);

  uint64_t records() const { return records_; }
  uint64_t malformed() const { return malformed_; }
  uint64_t alerts() const { return alerts_; }
  const std::string& last_error() const { return last_error_; }
  std::vector<RuleCounters> rule_counters() const;

 private:
  const PolicyGeneration* find_generation(uint64_t id) const;
  void emit_kill_limit_alert(const Alert& trigger);

  Options options_;
  ProcessTable& processes_;
  const ClockMapping& clock_;
  Emit emit_;
  std::deque<std::shared_ptr<const PolicyGeneration>> generations_;  // newest last
  uint64_t records_ = 0;
  uint64_t malformed_ = 0;
  uint64_t alerts_ = 0;
  std::string last_error_;
  std::map<std::string, RuleCounters> per_rule_;
  AlertDeduplicator dedup_;
};

}  // namespace vigil::runtime
