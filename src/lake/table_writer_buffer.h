// The buffer of one partition inside a TableWriter: its rows, column by
// column (column_buffer.h). Private to table_writer*.cpp.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "lake/column_buffer.h"
#include "lake/partition_path.h"
#include "lake/table_writer.h"

namespace eventlake::lake {

struct TableWriter::Buffer {
  Buffer(std::string directory, std::vector<PartitionValue> values, std::span<const Column> columns)
      : directory(std::move(directory)), values(std::move(values)), columns(columns) {}

  std::string directory;               // partition directory ("" when unpartitioned)
  std::vector<PartitionValue> values;  // its partition values
  ColumnBuffer columns;                // in the order of the writer's data columns
  uint64_t rows = 0;
};

}  // namespace eventlake::lake
