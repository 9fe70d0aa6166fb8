// DataShapes: which events of a batch stand for the structure of all its
// object data, so that the sql step asks DuckDB's json_group_structure
// about a few events instead of all (it renders the whole batch as one
// JSON array and parses it again: the step's largest cost after the
// statement), and not at all when the batch has the shapes the batch
// before had.
//
// An event's shape is its data with every string value, number and
// literal replaced by its kind, keys and nesting kept: the kinds are at
// least as fine as DuckDB's (a non-negative integer is UBIGINT to it, a
// negative one BIGINT, one too large for 64 bits DOUBLE), so events of one
// shape have one structure, and json_group_structure over the first event
// of each shape, in the batch's order, is json_group_structure over all.
//
// Threads: one caller at a time (it keeps a JSON parser between calls).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

struct ShapeSample {
  // The distinct shapes of the batch's object data, sorted: equal keys,
  // equal structures (up to member order), whatever order they came in.
  std::string key;
  // The place in the batch of the first event of each shape.
  std::vector<size_t> ordinals;
};

class DataShapes {
 public:
  // More distinct shapes than this and the sample is not worth it.
  static constexpr size_t kMaxShapes = 32;

  DataShapes();
  ~DataShapes();
  DataShapes(const DataShapes&) = delete;
  DataShapes& operator=(const DataShapes&) = delete;

  // nullopt when an event's data is not JSON simdjson reads (DuckDB may
  // still take it: NaN, a trailing comma, an integer past 64 bits) or the
  // batch has more than kMaxShapes shapes: the caller asks about every
  // event.
  std::optional<ShapeSample> Sample(std::span<const BatchRecord> batch);

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
};

}  // namespace eventlake::pipeline
