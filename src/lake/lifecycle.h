// Lifecycle: expiry of old data (docs/lake.md, "Lifecycle"). A table's files
// whose every row is older than expire_after are taken out of the table in
// one commit (operation DELETE): queries and readers no longer see them,
// time travel to older versions still does until vacuum deletes the files
// after the retention.
//
// A file's age: the end of its `dt` partition's day when the table is
// partitioned by day(time), else the maximum of its `time` column from its
// stats; a file with neither never expires.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "engine/database.h"
#include "lake/object_store.h"

namespace eventlake::lake {

struct ExpireResult {
  int64_t version = -1;  // the DELETE commit; -1 when nothing expired
  size_t files = 0;
  uint64_t rows = 0;
};

Result<ExpireResult> ExpireTable(ObjectStore* store, engine::Database* db, std::string_view table,
                                 std::chrono::milliseconds expire_after, Clock* clock);

}  // namespace eventlake::lake
