// Test helper of the lake room: what a table holds, read back with DuckDB.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/database.h"
#include "lake/delta_log.h"
#include "lake/object_store.h"

namespace eventlake::lake {

// The ids in the latest snapshot of the table at `prefix` ("curated/events")
// of a local store under `store_root`, with how often each appears.
inline std::map<std::string, int> TableIdCounts(ObjectStore* store, const std::string& store_root,
                                                const std::string& prefix, engine::Database& db) {
  auto snapshot = DeltaLog(store, prefix).Load().value();
  std::map<std::string, int> ids;
  if (snapshot->files.empty()) return ids;
  std::string files;
  for (const auto& [path, add] : snapshot->files) {
    files += (files.empty() ? "'" : ", '") + store_root + "/" + prefix + "/" + path + "'";
  }
  auto c = db.Connect().value();
  auto r = c->Query("SELECT id FROM read_parquet([" + files + "], union_by_name = true)");
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  if (!r.has_value()) return ids;
  for (size_t i = 0; i < r->rows(); ++i) ++ids[*r->String(0, i)];
  return ids;
}

}  // namespace eventlake::lake
