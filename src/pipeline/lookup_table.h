// The enrich step's lookup table (issue 6): a CSV, Parquet or JSON file —
// or a lake table's Parquet files — read once with DuckDB into memory, as
// a hash map from the key column's text to the row's other columns.
//
// Loading opens a DuckDB of its own for each load: it may read the given
// files and nothing else (allowed_paths, then external access off and the
// configuration locked), loads no extensions, and is closed when the table
// is in memory. The key's text is DuckDB's VARCHAR cast of the key column
// (42, 1.5, true, abc; a CSV's key as it is written, 01000); a row whose
// key is NULL is left out; of rows with the same key the first one read is
// kept. NULL values are no members, as in the sql step's rows.
//
// A LookupTable is immutable once loaded: the step shares it
// (shared_ptr<const>) between the partitions that read it while a reload
// builds the next one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace eventlake::pipeline {

enum class LookupFormat { kCsv, kParquet, kJson };

// "csv", "parquet", "json" or "ndjson"; InvalidArgument otherwise.
Result<LookupFormat> ParseLookupFormat(std::string_view name);
// By the file's extension (.csv, .tsv, .parquet, .json, .ndjson, .jsonl,
// each optionally .gz); InvalidArgument when it says nothing.
Result<LookupFormat> LookupFormatOfFile(std::string_view file);

// The files of a lookup that is a lake table, and the table's version:
// the step loads them again when the version changes.
struct LookupFiles {
  std::vector<std::string> paths;  // absolute, Parquet
  int64_t version = 0;
};

// What a load reads out of the files.
struct LookupColumns {
  std::string key;                  // the key column
  std::vector<std::string> fields;  // the columns kept; empty: every one but the key
  uint64_t max_rows = 1'000'000;    // more rows than this is refused
};

class LookupTable {
 public:
  // The fields' values, in the order of fields(); null: NULL, no member.
  // (Names are kept once, not per row: a 1M-row table is ~100 MB smaller.)
  using Row = nlohmann::ordered_json::array_t;

  // The rows of `files` (all of `format`; none is an empty table). `name`
  // is how errors call the lookup ("lookups/users.csv"). InvalidArgument
  // for a missing key or field column, or more than max_rows rows; the
  // file's own errors (missing, not CSV) as DuckDB reports them.
  static Result<std::shared_ptr<const LookupTable>> Load(const std::vector<std::string>& files,
                                                         LookupFormat format,
                                                         const LookupColumns& columns,
                                                         std::string_view name);

  // The row whose key's text is `key`; nullptr when there is none.
  const Row* Find(std::string_view key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  size_t size() const { return rows_.size(); }
  // The names of the columns each Row holds.
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::vector<std::string> fields_;
  std::unordered_map<std::string, Row, Hash, std::equal_to<>> rows_;
};

}  // namespace eventlake::pipeline
