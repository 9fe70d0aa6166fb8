// The buffer of one partition inside a TableWriter: a DuckDB temporary table
// and its appender. Private to table_writer*.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/appender.h"
#include "lake/partition_path.h"
#include "lake/table_writer.h"

namespace eventlake::lake {

struct TableWriter::Buffer {
  std::string table;                   // temporary table name, "buf_<n>"
  std::string directory;               // partition directory ("" when unpartitioned)
  std::vector<PartitionValue> values;  // its partition values
  std::optional<engine::Appender> appender;
  uint64_t rows = 0;
};

}  // namespace eventlake::lake
