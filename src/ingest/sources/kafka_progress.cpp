// The commit and rewind plan of a consumed batch.
#include "ingest/sources/kafka_progress.h"

namespace eventlake::ingest {

BatchProgress PlanProgress(std::span<const ConsumedRecord> batch) {
  BatchProgress progress;
  for (const ConsumedRecord& record : batch) {
    if (progress.rewind.contains(record.at)) continue;  // held back behind a retry
    if (!record.done) {
      progress.rewind[record.at] = record.offset;
      continue;
    }
    progress.commit[record.at] = record.offset + 1;
  }
  return progress;
}

}  // namespace eventlake::ingest
