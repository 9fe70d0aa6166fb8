// The `enrich` step (issue 6): each event joined with a lookup table — a
// CSV, Parquet or JSON file, or a lake table — by one member of its data:
//
//   - enrich:
//       file: lookups/users.csv   # or table: curated.users (its Parquet files)
//       format: csv               # csv | parquet | json | ndjson; default: by the file's extension
//       key: user_id              # the lookup table's key column (required)
//       on: user.id               # the member of the event's data looked up; default: key
//       fields: [name, country]   # the columns copied; default: every column but the key
//       into: user                # the fields go under this member (an object); default: top level
//       on_missing: keep          # keep | drop | fail
//       max_rows: 1000000         # a larger table is refused
//       reload: 10s               # how often the file (the table's version) is checked
//
// The event's member and the key column are compared as text: a JSON
// string's content, or a number's or boolean's JSON text, against DuckDB's
// VARCHAR of the key (lookup_table.h). A member that is absent, null, an
// object or an array matches nothing. The fields replace members of the
// same name; under `into` they are merged into that object (created when
// absent). When no row matches, `on_missing` says what happens: the event
// goes on unchanged (keep), is left out (drop), or fails alone (fail: the
// batch runner retries it, then dead-letters it). An event whose data is
// not a JSON object, or whose `into` member is not an object, fails alone.
//
// Reloads: Run checks the file's mtime and size (a table's version) at
// most every `reload`; when they changed, the table is loaded again and
// swapped in for the batches that start after. A reload that fails (the
// file gone, a broken CSV, too many rows) keeps the last good table and is
// counted and logged; the next check tries again only when the file
// changed again. The first load failing is Create's error. Write a new
// file and rename it over the old one: a file read while it is written
// may load half of it (the next check then loads the rest).
//
// Threads: Run may be called from several threads (a pipeline's
// partitions). One of them at a time checks and reloads, the others go on
// with the table they have (a shared_ptr snapshot).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "pipeline/batch_runner.h"
#include "pipeline/lookup_table.h"

namespace eventlake::pipeline {

enum class OnMissing { kKeep, kDrop, kFail };

// The options as step_factory.cpp reads them from the config.
struct EnrichOptions {
  std::string
      file;  // the lookup file (absolute: the config's is relative to the working directory), or
  std::string table;  // the lake table whose Parquet files are the lookup
  LookupFormat format = LookupFormat::kCsv;
  LookupColumns columns;  // key, fields, max_rows
  std::string on;         // a member path (json_path.h); "" = the key's name
  std::string into;       // a member path; "" = the data's top level
  OnMissing on_missing = OnMissing::kKeep;
  std::chrono::milliseconds reload{10'000};
};

// A lake table's current files and version (step_factory.h's StepContext
// gives it; the pipeline room cannot reach the lake itself).
using LakeFilesFunction = std::function<Result<LookupFiles>(std::string_view table)>;

struct EnrichEnvironment {
  LakeFilesFunction lake_files;        // needed for `table`
  MetricsRegistry* metrics = nullptr;  // reloads, rows, matches
  std::string pipeline;                // the metrics' label
  Clock* clock = &SystemClock();       // when reloads are due
};

class EnrichStep {
 public:
  // Loads the table: its errors (and a bad `on` or `into`) are Create's.
  static Result<std::unique_ptr<EnrichStep>> Create(EnrichOptions options,
                                                    EnrichEnvironment environment);

  ~EnrichStep();  // where Metrics is complete

  StepResult Run(std::span<const BatchRecord> batch);

  // How the step calls its lookup: the file or the table.
  const std::string& name() const { return name_; }
  // The rows of the table in use.
  size_t rows() const { return Current()->size(); }

 private:
  // What decides whether the lookup changed: a file's mtime (ns) and size,
  // or a table's version.
  struct Stamp {
    int64_t mtime_or_version = 0;
    uint64_t size = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Metrics;

  EnrichStep(EnrichOptions options, EnrichEnvironment environment);
  // The files to load and their stamp, now.
  Result<std::pair<std::vector<std::string>, Stamp>> Probe() const;
  // `files` loaded and swapped in; `stamp` is theirs.
  Status Load(const std::vector<std::string>& files, const Stamp& stamp);
  // Every `reload`, from one thread at a time: Load when the stamp changed.
  void MaybeReload();
  std::shared_ptr<const LookupTable> Current() const;
  // The event's data joined with `table`; nullopt when no row matches.
  Result<std::optional<std::string>> EnrichData(const LookupTable& table,
                                                std::string_view data) const;

  EnrichOptions options_;
  EnrichEnvironment environment_;
  std::string name_;
  std::unique_ptr<Metrics> metrics_;  // null without a registry

  mutable std::mutex table_mu_;
  std::shared_ptr<const LookupTable> table_;  // guarded by table_mu_

  std::mutex reload_mu_;                // held by the thread that checks
  std::atomic<int64_t> next_check_{0};  // monotonic ns
  Stamp loaded_;                        // guarded by reload_mu_: the table's
  std::optional<Stamp> failed_;         // guarded by reload_mu_: the last that failed to load
};

}  // namespace eventlake::pipeline
