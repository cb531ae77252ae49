// The event generator's only source of randomness: a seeded mt19937_64 with
// helpers that draw from it by plain arithmetic (not std::*_distribution,
// whose output differs between standard libraries), so a seed gives the same
// events with every toolchain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace vigil::testing {

class RandomSource {
 public:
  explicit RandomSource(uint64_t seed) : engine_(seed) {}

  uint64_t bits() { return engine_(); }
  // Uniform in [0, n); 0 when n is 0. The modulo bias is below 2^-40 for the
  // small n used here, which does not matter for test data.
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(engine_() % n); }
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    uint64_t offset = span == 0 ? engine_() : engine_() % span;
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
  }
  // True with probability `percent` / 100.
  bool percent(unsigned percent) { return engine_() % 100 < percent; }

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

  // An index into `weights` drawn in proportion to the weights; 0 if all are 0.
  size_t weighted(std::initializer_list<unsigned> weights) {
    unsigned total = 0;
    for (unsigned w : weights) total += w;
    if (total == 0) return 0;
    uint64_t roll = engine_() % total;
    size_t index = 0;
    for (unsigned w : weights) {
      if (roll < w) return index;
      roll -= w;
      ++index;
    }
    return 0;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace vigil::testing
