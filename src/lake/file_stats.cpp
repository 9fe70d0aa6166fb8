// Delta file statistics from one DuckDB query over the rows of a file.
#include "lake/file_stats.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/cloud_event.h"

namespace eventlake::lake {
namespace {

constexpr size_t kStatsStringBytes = 32;

// The first `max` bytes of `s`, cut back to a UTF-8 character boundary.
std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string StatsTimestamp(int64_t micros, bool round_up) {
  int64_t ms = micros / 1000 - (micros % 1000 < 0 ? 1 : 0);
  if (round_up && micros % 1000 != 0) ++ms;
  const int64_t seconds = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  const int64_t millis = ms - seconds * 1000;
  std::string text = FormatRfc3339(seconds * 1'000'000);  // "...:SS.000000Z"
  char frac[24];
  std::snprintf(frac, sizeof frac, ".%03lld", static_cast<long long>(millis));
  return text.substr(0, 19) + frac + "Z";
}

}  // namespace

Result<std::string> ComputeFileStats(engine::Connection& connection, std::string_view relation,
                                     const std::vector<Column>& columns, uint64_t rows) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    const std::string col = engine::SqlIdentifier(c.name);
    if (i > 0) sql += ", ";
    if (c.type == ColumnType::kTimestamp) {
      sql += "epoch_us(min(" + col + ")), epoch_us(max(" + col + "))";
    } else {
      sql += "min(" + col + "), max(" + col + ")";
    }
    sql += ", count(*) - count(" + col + ")";
  }
  nlohmann::ordered_json stats = {{"numRecords", rows}};
  if (columns.empty()) return stats.dump();
  EL_ASSIGN_OR_RETURN(engine::QueryResult r, connection.Query(sql + " FROM " + std::string(relation)));
  nlohmann::ordered_json min = nlohmann::ordered_json::object();
  nlohmann::ordered_json max = nlohmann::ordered_json::object();
  nlohmann::ordered_json nulls = nlohmann::ordered_json::object();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    const size_t at = i * 3;
    nulls[c.name] = r.Int64(at + 2, 0).value_or(0);
    if (r.IsNull(at, 0)) continue;  // no values in this file
    switch (c.type) {
      case ColumnType::kLong:
      case ColumnType::kInteger:
        min[c.name] = *r.Int64(at, 0);
        max[c.name] = *r.Int64(at + 1, 0);
        break;
      case ColumnType::kDouble: {
        const double lo = *r.Double(at, 0), hi = *r.Double(at + 1, 0);
        if (std::isfinite(lo) && std::isfinite(hi)) {
          min[c.name] = lo;
          max[c.name] = hi;
        }
        break;
      }
      case ColumnType::kTimestamp:
        min[c.name] = StatsTimestamp(*r.Int64(at, 0), false);
        max[c.name] = StatsTimestamp(*r.Int64(at + 1, 0), true);
        break;
      case ColumnType::kString: {
        const std::string lo = *r.String(at, 0), hi = *r.String(at + 1, 0);
        min[c.name] = std::string(Utf8Prefix(lo, kStatsStringBytes));
        if (hi.size() <= kStatsStringBytes) max[c.name] = hi;
        break;
      }
      case ColumnType::kDate:
        min[c.name] = *r.String(at, 0);
        max[c.name] = *r.String(at + 1, 0);
        break;
      case ColumnType::kBoolean:
        break;  // Delta writers leave booleans out of min/max
    }
  }
  stats["minValues"] = std::move(min);
  stats["maxValues"] = std::move(max);
  stats["nullCount"] = std::move(nulls);
  return stats.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

using Json = nlohmann::ordered_json;

// -1, 0, 1; numbers by value (integers exactly), strings bytewise.
int CompareStat(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    const int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const std::string x = a.is_string() ? a.get<std::string>() : a.dump();
  const std::string y = b.is_string() ? b.get<std::string>() : b.dump();
  return x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0;
}

}  // namespace

std::optional<std::string> MergeFileStats(const std::vector<std::string>& inputs,
                                          const std::vector<Column>& columns) {
  std::vector<Json> parsed;
  for (const std::string& text : inputs) {
    Json stats = Json::parse(text, nullptr, false);
    if (!stats.is_object() || !stats.contains("numRecords") ||
        !stats["numRecords"].is_number_unsigned() || !stats.contains("nullCount") ||
        !stats["nullCount"].is_object()) {
      return std::nullopt;
    }
    parsed.push_back(std::move(stats));
  }
  uint64_t rows = 0;
  for (const Json& s : parsed) rows += s["numRecords"].get<uint64_t>();
  Json min = Json::object(), max = Json::object(), nulls = Json::object();
  for (const Column& c : columns) {
    uint64_t null_count = 0;
    bool min_known = true, max_known = true;
    Json lo, hi;
    for (const Json& s : parsed) {
      const uint64_t file_rows = s["numRecords"].get<uint64_t>();
      const Json& nc = s["nullCount"];
      // A column a file's writer did not know is null in all its rows.
      const uint64_t file_nulls =
          nc.contains(c.name) && nc[c.name].is_number_unsigned() ? nc[c.name].get<uint64_t>()
                                                                 : file_rows;
      null_count += file_nulls;
      if (file_nulls >= file_rows) continue;  // no values: no bounds to merge
      auto bound = [&](const char* key, Json* acc, bool* known, int sign) {
        if (!s.contains(key) || !s[key].is_object() || !s[key].contains(c.name)) {
          *known = false;
          return;
        }
        const Json& v = s[key][c.name];
        if (acc->is_null() || CompareStat(v, *acc) * sign > 0) *acc = v;
      };
      bound("minValues", &lo, &min_known, -1);
      bound("maxValues", &hi, &max_known, 1);
    }
    nulls[c.name] = null_count;
    if (min_known && !lo.is_null()) min[c.name] = lo;
    if (max_known && !hi.is_null()) max[c.name] = hi;
  }
  Json out = {{"numRecords", rows}, {"minValues", min}, {"maxValues", max}, {"nullCount", nulls}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace eventlake::lake
