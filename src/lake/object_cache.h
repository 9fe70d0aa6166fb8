// Local copies of a store's immutable objects (a table's data files never
// change once written) for readers that need a file: the query engine's
// cache of an S3 lake, an enrich step's lookup table. Each object is
// fetched once, to a unique name and then renamed into place, so readers
// racing on one file never see half of it. Nothing is evicted here.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "lake/object_store.h"

namespace eventlake::lake {

// Makes `local_path` a copy of object `key`: true when it was fetched now,
// false when it was there already.
Result<bool> CacheObject(const ObjectStore& store, std::string_view key, const std::string& local_path);

}  // namespace eventlake::lake
