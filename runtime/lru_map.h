// A map with a fixed capacity that forgets its least recently used entry
// when full: the enrichment caches (processes, user names, cgroup paths)
// must not grow without bound on a host that starts millions of processes.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <unordered_map>
#include <utility>

namespace vigil::runtime {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruMap {
 public:
  explicit LruMap(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry, made the most recently used; nullptr if absent. The pointer
  // stays valid until the entry is erased or evicted (any put may evict).
  Value* find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // The entry without changing the eviction order.
  const Value* peek(const Key& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  // Inserts or replaces, as the most recently used entry; evicts the least
  // recently used one when full.
  Value& put(const Key& key, Value value) {
    if (Value* existing = find(key)) {
      *existing = std::move(value);
      return *existing;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }

  bool erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  void clear() {
    index_.clear();
    order_.clear();
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  using Order = std::list<std::pair<Key, Value>>;  // most recently used first
  size_t capacity_;
  Order order_;
  std::unordered_map<Key, typename Order::iterator, Hash> index_;
};

}  // namespace vigil::runtime
