// Exactly-once check for `bench/run swaps`: reads the agent's JSON Lines
// alerts (a FIFO, so hundreds of MB of alerts never touch the disk) until
// the agent closes it, and counts, for the numbered paths BASE/0, BASE/1, ...
// that vigil-bench-open-load opened, how many were never reported (lost)
// and how many more than once (duplicated). Then prints one JSON object
// with the generator's report (--load-report, written by the time the
// agent stops) folded in:
//   {"opens", "seconds", "rate", "alerts", "distinct", "lost", "duplicated",
//    "beyond_opens", "drop_alerts", "other_lines", "generations"}
// beyond_opens: numbers no open produced (must be 0); drop_alerts: the
// agent's vigil.events_dropped alerts; generations: how many policy
// generations reported at least one of the events.
//
//   vigil-bench-sequence-check --alerts FIFO --base DIR --load-report FILE
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "vigil-bench-sequence-check: " << problem << "\n";
  std::cerr << "usage: vigil-bench-sequence-check --alerts PATH --base DIR --load-report FILE\n";
  return 2;
}

// The unsigned number at the start of `text`, or false.
bool leading_number(std::string_view text, uint64_t* out) {
  size_t digits = 0;
  uint64_t value = 0;
  while (digits < text.size() && digits < 19 && text[digits] >= '0' && text[digits] <= '9')
    value = value * 10 + (text[digits++] - '0');
  if (digits == 0) return false;
  *out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string alerts_path, base, load_report;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--alerts")
      alerts_path = value;
    else if (flag == "--base")
      base = value;
    else if (flag == "--load-report")
      load_report = value;
    else
      return usage("unknown option " + flag);
  }
  if (alerts_path.empty() || base.empty() || load_report.empty()) return usage("");

  std::ifstream alerts(alerts_path);
  if (!alerts) return usage("cannot open " + alerts_path);
  const std::string path_key = "\"file.path\":\"" + base + "/";
  const std::string generation_key = "\"generation\":";
  std::vector<uint8_t> seen;  // times each number was reported, saturating at 255
  std::set<uint64_t> generations;
  uint64_t alert_count = 0, drop_alerts = 0, other_lines = 0;
  std::string line;
  while (std::getline(alerts, line)) {
    std::string_view text(line);
    if (text.find("\"rule\":\"vigil.events_dropped\"") != std::string_view::npos) {
      ++drop_alerts;
      continue;
    }
    size_t at = text.find(path_key);
    uint64_t number = 0;
    if (at == std::string_view::npos ||
        !leading_number(text.substr(at + path_key.size()), &number) ||
        number > (uint64_t{1} << 28)) {  // no run opens that many
      ++other_lines;
      continue;
    }
    ++alert_count;
    if (number >= seen.size()) seen.resize(std::max<size_t>(number + 1, seen.size() * 2), 0);
    if (seen[number] < 255) ++seen[number];
    size_t g = text.find(generation_key);
    uint64_t generation = 0;
    if (g != std::string_view::npos &&
        leading_number(text.substr(g + generation_key.size()), &generation))
      generations.insert(generation);
  }

  nlohmann::json load;
  try {
    std::ifstream in(load_report);
    load = nlohmann::json::parse(in);
  } catch (const std::exception& error) {
    std::cerr << "vigil-bench-sequence-check: " << load_report << ": " << error.what() << "\n";
    return 1;
  }
  if (!load.contains("opens") || !load["opens"].is_number_unsigned()) {
    std::cerr << "vigil-bench-sequence-check: " << load_report << " has no \"opens\"\n";
    return 1;
  }
  const uint64_t opens = load["opens"].get<uint64_t>();
  uint64_t distinct = 0, lost = 0, duplicated = 0, beyond = 0;
  for (uint64_t n = 0; n < std::max<uint64_t>(opens, seen.size()); ++n) {
    uint8_t times = n < seen.size() ? seen[n] : 0;
    if (times) ++distinct;
    if (n >= opens) {
      if (times) ++beyond;
    } else if (times == 0) {
      ++lost;
    } else if (times > 1) {
      ++duplicated;
    }
  }
  nlohmann::json result = {{"opens", opens},
                           {"seconds", load.value("seconds", 0.0)},
                           {"rate", load.value("rate", 0.0)},
                           {"alerts", alert_count},
                           {"distinct", distinct},
                           {"lost", lost},
                           {"duplicated", duplicated},
                           {"beyond_opens", beyond},
                           {"drop_alerts", drop_alerts},
                           {"other_lines", other_lines},
                           {"generations", generations.size()}};
  std::cout << result.dump() << "\n";
  return 0;
}
