// RunScheduledQuery: a RowSink that keeps each row as a JSON object.
#include "server/scheduled_query.h"

#include <variant>

#include <nlohmann/json.hpp>

namespace eventlake::server {
namespace {

class ObjectRows : public query::RowSink {
 public:
  Status Columns(std::span<const query::QueryColumn> columns) override {
    for (const query::QueryColumn& c : columns) names_.push_back(c.name);
    return Status::Ok();
  }
  Status Row(std::string_view json_array) override {
    const nlohmann::json values = nlohmann::json::parse(json_array, nullptr, /*allow_exceptions=*/false);
    if (!values.is_array() || values.size() != names_.size()) return Internal("a result row is not its columns");
    nlohmann::json row = nlohmann::json::object();
    for (size_t i = 0; i < names_.size(); ++i) row[names_[i]] = values[i];
    rows_.push_back(row.dump());
    return Status::Ok();
  }
  std::vector<std::string> Take() { return std::move(rows_); }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> rows_;
};

}  // namespace

Result<std::vector<std::string>> RunScheduledQuery(query::QueryEngine& engine, const std::string& sql) {
  ObjectRows rows;
  auto outcome = engine.Run({.sql = sql}, rows);
  if (auto* failure = std::get_if<query::QueryFailure>(&outcome)) return Err(failure->status);
  if (std::get<query::QueryStats>(outcome).truncated) {
    return Err(ResourceExhausted("the scheduled query's result is larger than the query limits "
                                 "(query.max_result_rows, query.max_result_bytes)"));
  }
  return rows.Take();
}

}  // namespace eventlake::server
