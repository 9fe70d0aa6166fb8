// Pending rows: what a table will hold once its loaders commit, but does not
// hold yet — the records of each loader's stream after the offset that the
// table's snapshot says was loaded last (its txn version for the loader's
// appId), up to the end of each partition. Read against one snapshot, the
// snapshot's files plus its pending rows hold every accepted event once: a
// commit landing meanwhile changes neither (docs/query.md, "Freshness").
//
// Rows are encoded as the loader encodes them (event_row.h) and skip what it
// would dead-letter (times outside the window, data that does not parse);
// partition values come from the table's partition expressions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "lake/delta_log.h"
#include "lake/partition_path.h"
#include "lake/partition_spec.h"
#include "lake/table_row.h"
#include "log/stream.h"

namespace eventlake::lake {

// One loader of the table: where its rows come from.
struct PendingSource {
  std::string loader;  // its name: appIds are <loader>/<stream>/<partition>
  const log::Stream* stream = nullptr;
  std::chrono::microseconds max_future{0};
  std::chrono::microseconds max_past{0};
};

using PendingRowFn =
    std::function<Status(std::span<const Cell> cells, std::span<const PartitionValue> partitions)>;

struct PendingRowsResult {
  uint64_t rows = 0;
  bool truncated = false;  // max_rows reached before the end of the streams
};

Result<PendingRowsResult> ForEachPendingRow(const TableSnapshot& snapshot,
                                            std::span<const PendingSource> sources,
                                            std::span<const PartitionField> partition_by,
                                            uint64_t max_rows, Clock* clock, const PendingRowFn& row);

}  // namespace eventlake::lake
