#include "compiler/regex_cache.h"

#include <re2/re2.h>

namespace vigil {
namespace {

RE2::Options pattern_options() {
  RE2::Options options;  // UTF-8, case-sensitive, `.` excludes '\n', longest_match off
  options.set_log_errors(false);
  return options;
}

std::shared_ptr<const RE2> compile(std::string_view pattern) {
  return std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()),
                                     pattern_options());
}

}  // namespace

std::optional<std::string> regex_pattern_error(std::string_view pattern) {
  auto regex = compile(pattern);
  if (regex->ok()) return std::nullopt;
  return regex->error();
}

RegexCache::RegexCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
RegexCache::~RegexCache() = default;

size_t RegexCache::size() const {
  std::lock_guard lock(mutex_);
  return patterns_.size();
}

std::shared_ptr<const RE2> RegexCache::compiled(std::string_view pattern) {
  {
    std::lock_guard lock(mutex_);
    auto it = patterns_.find(std::string(pattern));
    if (it != patterns_.end()) return it->second;
  }
  // Compile outside the lock: RE2 compilation can be slow for big patterns.
  auto regex = compile(pattern);
  std::lock_guard lock(mutex_);
  // A policy has a bounded number of patterns; a full cache means something
  // unusual (many policies over time), so dropping everything is fine.
  if (patterns_.size() >= capacity_) patterns_.clear();
  return patterns_.emplace(std::string(pattern), std::move(regex)).first->second;
}

bool RegexCache::search(std::string_view pattern, std::string_view value) {
  auto regex = compiled(pattern);
  if (!regex->ok()) return false;
  return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *regex);
}

RegexCache& evaluator_regex_cache() {
  static RegexCache cache;
  return cache;
}

}  // namespace vigil
