// The lake's part of eventlake.yaml: the tables it declares and the loaders
// that fill them from streams.
//
//   tables:
//     - name: curated.events
//       partition_by: [day(time)]
//       max_age: 5s
//       target_file_size: 128MiB    # compaction merges small files toward this
//       vacuum_retention: 7d        # files removed longer ago than this are deleted
//       archive_after: 30d          # older files move to the table archive.events
//       expire_after: 365d          # older files leave it (and the archive)
//   loaders:
//     - name: events_to_curated
//       stream: events
//       table: curated.events
//
// Every key, with its default and bounds, is in docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config_table.h"
#include "core/status.h"

namespace eventlake::lake {

struct TableConfig {
  std::string name;
  std::vector<std::string> partition_by;
  std::string schema;       // a JSON Schema of the events' data (declared_schema.h); "" = inferred
  std::string schema_file;  // the same, from a file
  uint64_t max_rows = 1'000'000;
  uint64_t max_bytes = 128ull << 20;
  std::chrono::milliseconds max_age{5'000};
  uint64_t target_file_size = 128ull << 20;
  uint32_t compact_min_files = 10;
  uint64_t compact_concat_min_rows =
      32768;  // CompactionOptions::concatenate_min_rows_per_row_group
  std::chrono::milliseconds compact_interval{60'000};  // 0: no background compaction
  std::chrono::milliseconds vacuum_retention = std::chrono::hours(24 * 7);
  std::chrono::milliseconds vacuum_interval = std::chrono::hours(1);  // 0: no background vacuum
  uint32_t checkpoint_interval = 10;
  std::chrono::milliseconds expire_after{0};   // 0: rows never expire
  std::chrono::milliseconds archive_after{0};  // 0: files never move to the archive
  std::string archive_to;                      // "" = archive.<table> (lifecycle.h)

  std::string ArchiveTable() const;
};

// raw.<name>: the stream's events as received (raw_archiver.h).
struct RawZoneConfig {
  std::string name;
  std::string stream;
  uint64_t max_bytes = 64ull << 20;
  std::chrono::milliseconds max_age{60'000};
};

struct LoaderConfig {
  std::string name;
  std::string stream;
  std::string table;
  std::string dead_letter_stream;  // "" = "<table>.dlq"
  uint32_t max_poll_records = 10'000;
  std::chrono::milliseconds lateness = std::chrono::hours(1);
  std::chrono::milliseconds max_future = std::chrono::hours(24);
  std::chrono::milliseconds max_past = std::chrono::hours(24 * 3650);

  std::string DeadLetterStream() const {
    return dead_letter_stream.empty() ? table + ".dlq" : dead_letter_stream;
  }
};

// Where the lake keeps its objects: `storage: {type: local}` (the data
// directory's lake/) or `storage: {type: s3, s3: {...}}`.
struct S3Config {
  std::string endpoint;
  std::string bucket;
  std::string prefix;
  std::string region = "us-east-1";
  std::string access_key_id;      // "" = $AWS_ACCESS_KEY_ID
  std::string secret_access_key;  // "" = $AWS_SECRET_ACCESS_KEY
  std::string session_token;      // "" = $AWS_SESSION_TOKEN
  bool path_style = true;
  uint64_t multipart_threshold = 64ull << 20;
  uint64_t part_size = 16ull << 20;
};

enum class StorageType { kLocal, kS3 };

struct StorageConfig {
  StorageType type = StorageType::kLocal;
  S3Config s3;
};

const config::Table<StorageConfig>& StorageConfigTable();
const config::Table<TableConfig>& TableConfigTable();
const config::Table<LoaderConfig>& LoaderConfigTable();
const config::Table<RawZoneConfig>& RawZoneConfigTable();

Status ValidateTableConfig(const TableConfig& config);
Status ValidateLoaderConfig(const LoaderConfig& config);

}  // namespace eventlake::lake
