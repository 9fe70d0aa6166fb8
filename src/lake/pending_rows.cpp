// ForEachPendingRow: the log tail after a snapshot's txn offsets, as rows.
#include "lake/pending_rows.h"

#include "lake/event_row.h"

namespace eventlake::lake {

Result<PendingRowsResult> ForEachPendingRow(const TableSnapshot& snapshot,
                                            std::span<const PendingSource> sources,
                                            std::span<const PartitionField> partition_by,
                                            uint64_t max_rows, Clock* clock, const PendingRowFn& row) {
  PendingRowsResult result;
  EventRowEncoder encoder;
  std::vector<PartitionValue> partitions;
  const int64_t now = clock->NowMicros();
  for (const PendingSource& source : sources) {
    const log::Stream& stream = *source.stream;
    for (uint32_t p = 0; p < stream.partition_count(); ++p) {
      const std::string app_id = source.loader + "/" + stream.name() + "/" + std::to_string(p);
      uint64_t next = 0;
      if (auto it = snapshot.txns.find(app_id); it != snapshot.txns.end()) {
        next = static_cast<uint64_t>(it->second) + 1;
      }
      next = std::max(next, stream.partition(p).StartOffset());
      while (true) {
        if (result.rows >= max_rows) {
          result.truncated = next < stream.partition(p).EndOffset();
          if (result.truncated) return result;
          break;
        }
        EL_ASSIGN_OR_RETURN(std::vector<log::LogRecord> records,
                            stream.partition(p).Read(next, {.max_records = 4096, .max_bytes = 16ull << 20}));
        if (records.empty()) break;
        for (const log::LogRecord& record : records) {
          next = record.offset + 1;
          const int64_t time = record.event.time.value_or(record.append_time);
          if (time > now + source.max_future.count() || time < now - source.max_past.count()) continue;
          auto cells = encoder.Encode(record.event, record.append_time);
          if (!cells.has_value()) continue;
          PartitionValuesInto(partition_by, *cells, &partitions);
          EL_RETURN_IF_ERROR(row(*cells, partitions));
          if (++result.rows >= max_rows) break;
        }
      }
    }
  }
  return result;
}

}  // namespace eventlake::lake
