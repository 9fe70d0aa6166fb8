// BoundedCache: the query engine's memo tables (a version's view SELECT, a
// query text's guarded tree, ...). Shared by the engine's threads; at
// `max_entries` it forgets everything and starts again, which is enough for
// values that are cheap to recompute and mostly asked for again soon.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace eventlake::query {

template <typename Value>
class BoundedCache {
 public:
  explicit BoundedCache(size_t max_entries) : max_entries_(max_entries) {}

  std::optional<Value> Find(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  void Store(const std::string& key, Value value) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_[key] = std::move(value);
  }

 private:
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::string, Value> entries_;
};

}  // namespace eventlake::query
