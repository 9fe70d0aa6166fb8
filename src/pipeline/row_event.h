// Result rows as events, the rule of the sql step and of scheduled
// pipelines' queries: the columns id, source, type, subject and time set
// those attributes (a missing id is a new UUIDv7, a missing source and
// type the defaults, a missing time none); every other non-NULL column is
// a member of the event's data (data_<attribute> the member <attribute>,
// as in the lake's event tables), and a non-NULL `data` column with no
// other member is the data itself.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/cloud_event.h"
#include "core/status.h"

namespace eventlake::pipeline {

struct RowEventDefaults {
  std::string source = "/eventlake/pipeline";
  std::string type = "eventlake.pipeline.sql";
};

// True for the columns that are attributes or `data` (id, source, type,
// subject, time, data): a data member of that name is data_<name>.
bool IsEventColumn(std::string_view name);

// The data member a column that is not an attribute or `data` stands for:
// its name, but data_<attribute> is <attribute>.
std::string MemberName(std::string_view column);

// DuckDB's text of a TIMESTAMP WITH TIME ZONE ("2026-12-01 10:00:00.5+00"),
// or RFC 3339, as microseconds; InvalidArgument naming the column time.
Result<TimestampMicros> ParseDuckDbTimestamp(std::string text);

// `row` is one result row as a JSON object (DuckDB's to_json of the row).
Result<CloudEvent> EventFromRow(nlohmann::json row, const RowEventDefaults& defaults);

}  // namespace eventlake::pipeline
