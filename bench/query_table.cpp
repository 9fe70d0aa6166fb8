// query_table: the table and the bare-DuckDB baseline of bench/query.py
// (issue 5, "bench/query").
//
//   bench_query_table create DATA_DIR ROWS
//       writes curated.clicks under DATA_DIR/lake: ROWS clickstream rows over
//       30 days (partitioned by dt, one zstd Parquet file per day, as
//       compaction leaves them), with its Delta log, as eventlake writes it
//   bench_query_table baseline DATA_DIR RUNS SQL
//       runs SQL RUNS times in a bare DuckDB (same version, same files,
//       read_parquet with Hive partitions, the table as a view `clicks`)
//       and prints one JSON line: {"median_ms":..., "runs_ms":[...]}
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/database.h"
#include "lake/delta_log.h"
#include "lake/local_object_store.h"
#include "lake/partition_path.h"
#include "lake/table_schema.h"

namespace {

using namespace eventlake;  // NOLINT: a benchmark's one file

int Fail(const Status& s) {
  std::fprintf(stderr, "bench_query_table: %s\n", s.ToString().c_str());
  return 1;
}

int Create(const std::string& data_dir, int64_t rows) {
  const std::string root = data_dir + "/lake";
  auto store = lake::LocalObjectStore::Open(root);
  if (!store) return Fail(store.error());
  auto db = engine::Database::Open({}).value();
  auto c = db->Connect().value();
  const std::string staging = data_dir + "/bench-staging";
  std::filesystem::remove_all(staging);
  // Deterministic data: 50,000 users, 200 pages, 20 countries.
  const std::string sql =
      "COPY (SELECT printf('ev-%012d', i) AS id, "
      "TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_microseconds((i::HUGEINT * 2592000000000 // " +
      std::to_string(rows) +
      ")::BIGINT) AS time, (hash(i) % 50000)::BIGINT AS user_id, '/page/' || (hash(i + 1) % 200) AS page, "
      "'c' || (hash(i + 2) % 20) AS country, (hash(i + 3) % 60000)::BIGINT AS duration_ms, "
      "(hash(i + 4) % 10000) / 100.0 AS revenue, "
      "(TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_microseconds((i::HUGEINT * 2592000000000 // " +
      std::to_string(rows) + ")::BIGINT))::DATE AS dt FROM range(" + std::to_string(rows) +
      ") r(i)) TO " + engine::SqlString(staging) +
      " (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), ROW_GROUP_SIZE 122880)";
  Status s = c->Execute("SET TimeZone = 'UTC'; " + sql);
  if (!s.ok()) return Fail(s);
  lake::TableSchema schema{.columns = {{"id", lake::ColumnType::kString},
                                       {"time", lake::ColumnType::kTimestamp},
                                       {"user_id", lake::ColumnType::kLong},
                                       {"page", lake::ColumnType::kString},
                                       {"country", lake::ColumnType::kString},
                                       {"duration_ms", lake::ColumnType::kLong},
                                       {"revenue", lake::ColumnType::kDouble},
                                       {"dt", lake::ColumnType::kDate}},
                           .partition_columns = {"dt"}};
  lake::DeltaCommit commit;
  commit.protocol = lake::ProtocolAction{};
  commit.metadata = lake::MetadataAction{.id = "bench-query-clicks",
                                         .name = "curated.clicks",
                                         .schema_string = lake::ToDeltaSchemaString(schema),
                                         .partition_columns = {"dt"},
                                         .created_time = 1};
  commit.info = lake::CommitInfoAction{.timestamp = 1, .operation = "WRITE", .parameters = {}};
  int file = 0;
  for (const auto& dir : std::filesystem::directory_iterator(staging)) {
    const std::string day = dir.path().filename().string().substr(3);  // dt=YYYY-MM-DD
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      const std::string path = "dt=" + day + "/part-" + std::to_string(file++) + ".zstd.parquet";
      s = (*store)->PutFile("curated/clicks/" + path, f.path().string());
      if (!s.ok()) return Fail(s);
      commit.adds.push_back({.path = path,
                             .partition_values = {{"dt", day}},
                             .size = static_cast<int64_t>(std::filesystem::file_size(root + "/curated/clicks/" + path)),
                             .modification_time = 1});
    }
  }
  lake::DeltaLog log(store->get(), "curated/clicks");
  auto committed = log.Commit(log.Load().value(), std::move(commit));
  if (!committed) return Fail(committed.error());
  std::filesystem::remove_all(staging);
  std::printf("{\"table\":\"curated.clicks\",\"rows\":%lld,\"files\":%d}\n", static_cast<long long>(rows), file);
  return 0;
}

int Baseline(const std::string& data_dir, int runs, const std::string& sql) {
  auto store = lake::LocalObjectStore::Open(data_dir + "/lake");
  if (!store) return Fail(store.error());
  auto snapshot = lake::DeltaLog(store->get(), "curated/clicks").Load();
  if (!snapshot) return Fail(snapshot.error());
  std::string files;
  for (const auto& [path, add] : (*snapshot)->files) {
    files += (files.empty() ? "" : ", ") + engine::SqlString(data_dir + "/lake/curated/clicks/" + path);
  }
  auto db = engine::Database::Open({}).value();
  auto c = db->Connect().value();
  Status s = c->Execute("CREATE VIEW clicks AS SELECT * FROM read_parquet([" + files +
                        "], hive_partitioning = true, hive_types = {'dt': DATE})");
  if (!s.ok()) return Fail(s);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c->Query(sql);
    if (!r) return Fail(r.error());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"median_ms\":%.3f,\"runs_ms\":[", sorted[sorted.size() / 2]);
  for (size_t i = 0; i < ms.size(); ++i) std::printf("%s%.3f", i ? "," : "", ms[i]);
  std::printf("]}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "create") return Create(args[1], std::stoll(args[2]));
  if (args.size() == 4 && args[0] == "baseline") return Baseline(args[1], std::stoi(args[2]), args[3]);
  std::fprintf(stderr, "usage: bench_query_table create DATA_DIR ROWS | baseline DATA_DIR RUNS SQL\n");
  return 2;
}
