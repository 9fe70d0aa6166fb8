// The tables[] and loaders[] option tables.
#include "lake/lake_options.h"

#include "lake/declared_schema.h"
#include "lake/lifecycle.h"
#include "lake/partition_spec.h"
#include "lake/table_writer.h"
#include "log/stream_options.h"

namespace eventlake::lake {

Status ValidateTableConfig(const TableConfig& config) {
  EL_RETURN_IF_ERROR(TablePrefix(config.name));
  if (!config.schema.empty() && !config.schema_file.empty()) {
    return InvalidArgument("give schema or schema_file, not both");
  }
  if (!config.schema.empty()) {
    auto declared = ParseDeclaredSchema(config.schema);
    if (!declared.has_value()) return declared.error().WithContext("schema");
  }
  auto fields = ParsePartitionBy(config.partition_by);
  if (!fields.has_value()) return fields.error();
  if (config.archive_after.count() > 0) {
    const std::string archive = config.ArchiveTable();
    auto prefix = TablePrefix(archive);
    if (!prefix.has_value()) return prefix.error().WithContext("archive_to");
    if (!archive.starts_with("archive.")) {
      return InvalidArgument("archive_to: " + archive + " is not in the archive zone (archive.<table>)");
    }
    if (config.name.starts_with("archive.")) {
      return InvalidArgument("archive_after: a table of the archive zone is not archived again");
    }
    if (config.expire_after.count() > 0 && config.expire_after <= config.archive_after) {
      return InvalidArgument("archive_after: must be shorter than expire_after, or files expire "
                             "before they are archived");
    }
  }
  return Status::Ok();
}

std::string TableConfig::ArchiveTable() const {
  return archive_to.empty() ? DefaultArchiveTable(name) : archive_to;
}

Status ValidateLoaderConfig(const LoaderConfig& config) {
  EL_RETURN_IF_ERROR(log::ValidateName("loader", config.name));
  if (config.name.find('/') != std::string::npos) return InvalidArgument("name: no '/' allowed");
  EL_RETURN_IF_ERROR(TablePrefix(config.table));
  EL_RETURN_IF_ERROR(log::ValidateName("stream", config.DeadLetterStream()));
  if (config.DeadLetterStream() == config.stream) {
    return InvalidArgument("dead_letter_stream: must not be the loader's own stream");
  }
  return Status::Ok();
}

namespace {

Status ValidateStorageConfig(const StorageConfig& config) {
  if (config.type == StorageType::kS3 && (config.s3.endpoint.empty() || config.s3.bucket.empty())) {
    return InvalidArgument("s3: endpoint and bucket are required for storage of type s3");
  }
  if (config.s3.part_size < (5ull << 20)) return InvalidArgument("s3.part_size: at least 5MiB");
  return Status::Ok();
}

const config::Table<S3Config>& S3ConfigTable() {
  using O = S3Config;
  static const auto& table =
      (new config::Table<O>("storage.s3",
                            "An S3-compatible bucket (AWS S3, MinIO, versitygw, ...). It must "
                            "honour `If-None-Match: *` on PUT: eventlake checks at start and "
                            "refuses to run on one that does not."))
          ->Field("endpoint", &O::endpoint,
                  "The service URL, `http://127.0.0.1:9000` or "
                  "`https://s3.eu-west-1.amazonaws.com`.")
          .Field("bucket", &O::bucket, "The bucket; it must exist.")
          .Field("prefix", &O::prefix, "Key prefix of everything eventlake writes; empty: the "
                                       "bucket's root.")
          .Field("region", &O::region, "The region signed for (SigV4).")
          .Field("access_key_id", &O::access_key_id, "Empty: `$AWS_ACCESS_KEY_ID`.")
          .Field("secret_access_key", &O::secret_access_key, "Empty: `$AWS_SECRET_ACCESS_KEY`.",
                 {.secret = true})
          .Field("session_token", &O::session_token,
                 "Temporary credentials' token; empty: `$AWS_SESSION_TOKEN`.", {.secret = true})
          .Field("path_style", &O::path_style,
                 "`true`: `endpoint/bucket/key` (self-hosted servers); `false`: "
                 "`bucket.endpoint/key` (virtual-host, AWS's default).")
          .Field("multipart_threshold", &O::multipart_threshold,
                 "Files larger than this are uploaded in parts.", {.min = 5 << 20, .bytes = true})
          .Field("part_size", &O::part_size, "The size of each part (at least 5MiB).",
                 {.min = 5 << 20, .bytes = true});
  return table;
}

}  // namespace

const config::Table<StorageConfig>& StorageConfigTable() {
  using O = StorageConfig;
  static const auto& table =
      (new config::Table<O>("storage", "Where the lake keeps its files and table logs."))
          ->Enum("type", &O::type,
                 "`local`: `<data_dir>/lake`; `s3`: the bucket of `s3`.",
                 {{"local", StorageType::kLocal}, {"s3", StorageType::kS3}})
          .Section("s3", &O::s3, S3ConfigTable())
          .Check(&ValidateStorageConfig);
  return table;
}

const config::Table<TableConfig>& TableConfigTable() {
  using O = TableConfig;
  static const auto& table =
      (new config::Table<O>("tables[]",
                            "A lake table: Parquet files with a Delta Lake log "
                            "(docs/formats/table.md)."))
          ->Field("name", &O::name,
                  "`<zone>.<table>`: zone `raw`, `curated`, `analytics` or `archive`, table "
                  "`[a-z][a-z0-9_]{0,62}`.",
                  {.required = true})
          .Field("schema", &O::schema,
                 "A JSON Schema of the events' data declaring the table's columns "
                 "(`properties`: string, integer, number, boolean, object, array; string with "
                 "`format: date-time` is a timestamp). With `additionalProperties: false` rows "
                 "with other members are dead-lettered; else new members still add columns. "
                 "Empty: columns are inferred from the data. Applied when the table is created.")
          .Field("schema_file", &O::schema_file, "The same schema, read from this file.")
          .Field("partition_by", &O::partition_by,
                 "Partition expressions, in order: `day(<timestamp column>)` (column `dt`), "
                 "`hour(<timestamp column>)` (column `hour`) or a column name. Fixed when the "
                 "table is created.")
          .Field("max_rows", &O::max_rows, "A writer commits once it buffers this many rows.",
                 {.min = 1})
          .Field("max_bytes", &O::max_bytes,
                 "A writer commits once its buffered rows are about this large.",
                 {.min = 1024, .bytes = true})
          .Field("max_age", &O::max_age,
                 "A writer commits once its oldest buffered row is this old.", {.min = 10})
          .Field("target_file_size", &O::target_file_size,
                 "Compaction merges files smaller than half of this into files of about this "
                 "size.",
                 {.min = 1024, .bytes = true})
          .Field("compact_min_files", &O::compact_min_files,
                 "A partition is compacted once it has this many small files.",
                 {.min = 2, .max = 100'000})
          .Field("compact_concat_min_rows", &O::compact_concat_min_rows,
                 "Compaction concatenates files' row groups as they are when every file's row "
                 "groups hold at least this many rows on average and the files share one "
                 "Parquet schema, and rewrites the rows into row groups of 122,880 otherwise; "
                 "`0`: concatenate whenever the schemas agree.",
                 {.min = 0})
          .Field("compact_interval", &O::compact_interval,
                 "How often the table is checked for compaction; `0`: only on request "
                 "(`eventlake compact`).")
          .Field("vacuum_retention", &O::vacuum_retention,
                 "Data files no longer referenced are deleted once this much older; time travel "
                 "reaches back this far.",
                 {.min = 0})
          .Field("vacuum_interval", &O::vacuum_interval,
                 "How often vacuum runs; `0`: only on request (`eventlake vacuum`).")
          .Field("expire_after", &O::expire_after,
                 "Files whose every row is older than this leave the table and its archive "
                 "table (checked every `vacuum_interval`, and deleted by vacuum after "
                 "`vacuum_retention`); `0`: never.")
          .Field("archive_after", &O::archive_after,
                 "Files whose every row is older than this move to the archive table "
                 "`archive_to` (checked every `vacuum_interval`; still readable there, by "
                 "eventlake and any Delta reader); `0`: never. Shorter than `expire_after`.")
          .Field("archive_to", &O::archive_to,
                 "The archive table, `archive.<table>`; empty: `archive.` and this table's name "
                 "without its zone.")
          .Field("checkpoint_interval", &O::checkpoint_interval,
                 "A Delta checkpoint is written every this many versions, so that readers do "
                 "not replay every commit; `0`: none.",
                 {.min = 0, .max = 100'000})
          .Check(&ValidateTableConfig);
  return table;
}

const config::Table<LoaderConfig>& LoaderConfigTable() {
  using O = LoaderConfig;
  static const auto& table =
      (new config::Table<O>("loaders[]",
                            "Loads the events of a stream into a table, exactly once: each "
                            "commit records the log offsets it includes."))
          ->Field("name", &O::name,
                  "Loader name (lower-case letters, digits, `_`, `-`, `.`); part of the txn "
                  "appIds in the table's log: renaming a loader loads the stream again.",
                  {.required = true})
          .Field("stream", &O::stream, "The stream read.", {.required = true})
          .Field("table", &O::table, "The table written (declared under `tables`).",
                 {.required = true})
          .Field("dead_letter_stream", &O::dead_letter_stream,
                 "Where events the table refuses go, with the reason; empty: `<table>.dlq`, "
                 "created when missing.")
          .Field("max_poll_records", &O::max_poll_records,
                 "Records read per partition per round.", {.min = 1, .max = 1'000'000})
          .Field("lateness", &O::lateness,
                 "Rows whose event time is older than this are counted as late "
                 "(`eventlake_loader_late_rows_total`); they still go to their own partition.")
          .Field("max_future", &O::max_future,
                 "Events whose time is further ahead of now are dead-lettered.")
          .Field("max_past", &O::max_past,
                 "Events whose time is further behind now are dead-lettered.")
          .Check(&ValidateLoaderConfig);
  return table;
}

}  // namespace eventlake::lake

namespace eventlake::lake {

const config::Table<RawZoneConfig>& RawZoneConfigTable() {
  using O = RawZoneConfig;
  static const auto& table =
      (new config::Table<O>("raw[]",
                            "A raw zone: every event of a stream as it was accepted, as zstd "
                            "NDJSON files under raw/<name>/dt=YYYY-MM-DD/hour=HH/ (by arrival), "
                            "exactly once."))
          ->Field("name", &O::name, "The zone's name, `raw.<name>`: `[a-z][a-z0-9_]{0,62}`.",
                  {.required = true})
          .Field("stream", &O::stream, "The stream archived.", {.required = true})
          .Field("max_bytes", &O::max_bytes,
                 "A file is written once this many (uncompressed) bytes are buffered.",
                 {.min = 1024, .bytes = true})
          .Field("max_age", &O::max_age,
                 "A file is written once its oldest event is this old.", {.min = 10});
  return table;
}

}  // namespace eventlake::lake
