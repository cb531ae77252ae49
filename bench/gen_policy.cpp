// Generates a synthetic, valid policy set of N rules spread over every event
// type, using every field the schema offers (so it grows with the table).
// Used by benchmarks and by stress tests: `vigil-gen-policy --rules 1000 --out DIR`.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "compiler/schema.h"

namespace {

using vigil::FieldInfo;
using vigil::Type;

std::string string_value(std::mt19937& rng, int rule) {
  static const char* kWords[] = {"/usr/bin/", "/tmp/",     "/etc/", "curl", "nc",
                                 "python3",   "/var/lib/", "ssh",   ".so",  "miner"};
  return std::string(kWords[rng() % 10]) + "x" + std::to_string(rule);
}

std::string comparison(const FieldInfo& field, std::mt19937& rng, int rule) {
  std::string name(field.name);
  switch (field.type) {
    case Type::String: {
      static const char* kOps[] = {"==", "startswith", "endswith", "contains", "in", "glob"};
      std::string op = kOps[rng() % 6];
      if (op == "in")
        return name + " in [\"" + string_value(rng, rule) + "\", \"" + string_value(rng, rule + 1) +
               "\", list_" + std::to_string(rule % 7) + "]";
      if (op == "glob") return name + " glob \"/opt/r" + std::to_string(rule) + "/**/*.bin\"";
      return name + " " + op + " \"" + string_value(rng, rule) + "\"";
    }
    case Type::Int: return name + (rng() % 2 ? " == " : " > ") + std::to_string(rng() % 5000 + 1);
    case Type::Bool: return name + (rng() % 2 ? " == true" : " == false");
    case Type::Ip:
      return name + " in [10." + std::to_string(rule % 250) + ".0.0/16, 192.168.1." +
             std::to_string(rule % 250) + "]";
    case Type::Port: return name + " in [" + std::to_string(1024 + rule % 60000) + ", 4444]";
    case Type::Duration:
    case Type::Cidr: return "";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  int rules = 1000;
  unsigned seed = 1;
  std::string out_dir;
  int per_file = 100;
  std::string only_event;  // all rules on this event (default: round robin over all)
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rules")
      rules = std::stoi(argv[i + 1]);
    else if (flag == "--out")
      out_dir = argv[i + 1];
    else if (flag == "--seed")
      seed = static_cast<unsigned>(std::stoul(argv[i + 1]));
    else if (flag == "--per-file")
      per_file = std::stoi(argv[i + 1]);
    else if (flag == "--event")
      only_event = argv[i + 1];
  }
  if (out_dir.empty() || rules < 0 || per_file <= 0) {
    std::cerr << "usage: vigil-gen-policy --rules N --out DIR [--seed S] [--per-file K] "
                 "[--event NAME]\n";
    return 2;
  }
  if (!only_event.empty() && !vigil::find_event(only_event)) {
    std::cerr << "vigil-gen-policy: unknown event " << only_event << "\n";
    return 2;
  }
  std::filesystem::create_directories(out_dir);
  std::mt19937 rng(seed);
  auto events = vigil::all_events();

  std::ofstream lists(std::filesystem::path(out_dir) / "lists.vigil");
  for (int i = 0; i < 7; ++i) {
    lists << "list list_" << i << " = [";
    for (int k = 0; k < 20; ++k)
      lists << (k ? ", " : "") << "\"/usr/lib/l" << i << "/item" << k << "\"";
    lists << "]\n";
  }

  std::ofstream file;
  for (int rule = 0; rule < rules; ++rule) {
    if (rule % per_file == 0) {
      file.close();
      char name[32];
      std::snprintf(name, sizeof name, "rules_%04d.vigil", rule / per_file);
      file.open(std::filesystem::path(out_dir) / name);
    }
    const vigil::EventInfo& event = only_event.empty()
                                        ? events[rule % events.size()]
                                        : vigil::event_info(*vigil::find_event(only_event));
    std::vector<const FieldInfo*> fields;
    for (const FieldInfo& field : vigil::all_fields()) {
      bool usable = field.source == vigil::FieldSource::Kernel && field.type != Type::Duration;
      if (usable && (field.events & vigil::event_bit(event.kind))) fields.push_back(&field);
    }
    std::string when;
    int terms = 1 + static_cast<int>(rng() % 3);
    for (int t = 0; t < terms; ++t) {
      std::string test = comparison(*fields[rng() % fields.size()], rng, rule);
      if (test.empty()) continue;
      when += (when.empty() ? "" : t % 2 ? " and " : " or ") + test;
    }
    file << "rule stress_" << rule << " {\n  on " << event.name << "\n  when " << when
         << "\n  except process.comm == \"allowed" << rule % 13 << "\"\n  severity "
         << vigil::severity_name(static_cast<vigil::Severity>(rule % 5)) << "\n  tags [T1059]\n"
         << "  output \"stress rule " << rule << " matched {process.exe}\"\n}\n\n";
  }
  return 0;
}
