// LocalCopies: local paths DuckDB can read for objects of any store — the
// object's own file on a local store, a download into the staging
// directory otherwise (removed again when the LocalCopies goes away).
// One thread; the store must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/object_store.h"

namespace eventlake::lake {

class LocalCopies {
 public:
  explicit LocalCopies(const ObjectStore* store) : store_(store) {}
  ~LocalCopies();
  LocalCopies(const LocalCopies&) = delete;
  LocalCopies& operator=(const LocalCopies&) = delete;

  // A readable local path holding object `key`.
  Result<std::string> PathOf(std::string_view key);

 private:
  const ObjectStore* store_;
  std::vector<std::string> downloaded_;
};

}  // namespace eventlake::lake
