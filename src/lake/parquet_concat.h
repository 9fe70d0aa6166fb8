// Compaction without a rewrite: Parquet files with the same schema become one
// file holding each input's row groups as they are, byte for byte, behind a
// new footer whose offsets point at their new places. Nothing is decoded or
// compressed again, so it runs at the speed of a file copy; DuckDB's Parquet
// writer, which a rewrite goes through, manages about 1 µs per row.
//
// Each input's bytes between its leading magic and its footer (row groups,
// bloom filters, page indexes) are copied whole; the footer's absolute
// offsets are shifted by where that copy begins. Page indexes (offset and
// column indexes) hold absolute offsets of their own inside those bytes, so
// the new footer no longer points at them: a reader of the output plans by
// row-group statistics, as it would for a file written without them.
//
// The layout is docs/formats/table.md, "Compaction".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/thrift_compact.h"

namespace eventlake::lake {

inline constexpr uint32_t kMaxParquetFooterBytes = 64u << 20;

// A Parquet file's FileMetaData, checked: the fields concatenation needs are
// there with their types, and every offset lies in [4, data_end), the bytes
// before the footer. Corruption otherwise.
Result<thrift::Value> ParseParquetFooter(std::string_view footer, uint64_t data_end);

struct ConcatenatedParquet {
  uint64_t rows = 0;
  size_t row_groups = 0;
  uint64_t bytes = 0;  // the output's size
};

struct ConcatenateOptions {
  // An input whose row groups hold fewer rows than this on average is not
  // concatenated: many small row groups in one file read slower than a few
  // large ones, and a footer grows with each (a rewrite makes large ones).
  uint64_t min_rows_per_row_group = 0;
};

// Writes `output` (created or truncated; not synced: the caller's store does
// that when it takes the file) from `inputs`, in order. FailedPrecondition
// when the inputs' schemas or column orders differ, an input's row groups
// are smaller than `options` allow, or an input is encrypted or keeps
// columns in other files: the caller then rewrites them instead. Corruption
// when an input is not a well-formed Parquet file. On failure no output is
// left behind.
Result<ConcatenatedParquet> ConcatenateParquetFiles(const std::vector<std::string>& inputs,
                                                    const std::string& output,
                                                    const ConcatenateOptions& options = {});

}  // namespace eventlake::lake
