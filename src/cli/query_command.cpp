// `eventlake query` (see query_command.h).
#include "cli/query_command.h"

#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "cli/cli_support.h"
#include "cli/http_client.h"

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

struct QueryArgs {
  std::string sql;
  std::string format = "table";
  std::vector<std::string> params;
  std::string timeout;
  std::optional<uint64_t> max_rows;
};

std::string CellText(const Json& cell) {
  if (cell.is_null()) return "NULL";
  if (cell.is_string()) return cell.get<std::string>();
  return cell.dump();
}

// For a problem with a "position": the SQL's line there with a caret under it.
std::string SyntaxErrorPointer(const std::string& sql, const std::string& problem) {
  const Json body = Json::parse(problem, nullptr, false);
  if (!body.is_object() || !body.contains("position") || !body["position"].is_number_unsigned()) return "";
  const size_t position = std::min<size_t>(body["position"].get<size_t>(), sql.size());
  const size_t line_start = sql.rfind('\n', position == 0 ? 0 : position - 1);
  const size_t begin = line_start == std::string::npos ? 0 : line_start + 1;
  const size_t end = std::min(sql.find('\n', position), sql.size());
  return "  " + sql.substr(begin, end - begin) + "\n  " + std::string(position - begin, ' ') + "^\n";
}

}  // namespace

Json ParameterFromText(const std::string& text) {
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded() || value.is_structured()) return text;
  return value;
}

std::string RenderQueryResult(const Json& result) {
  std::vector<std::vector<std::string>> rows(1);
  if (result.contains("columns") && result["columns"].is_array()) {
    for (const Json& c : result["columns"]) rows[0].push_back(JsonText(c, "name"));
  }
  if (result.contains("rows") && result["rows"].is_array()) {
    for (const Json& row : result["rows"]) {
      std::vector<std::string> cells;
      for (const Json& cell : row) cells.push_back(CellText(cell));
      rows.push_back(std::move(cells));
    }
  }
  const uint64_t count = JsonUint(result, "row_count");
  std::string out = FormatTable(rows);
  out += "(" + std::to_string(count) + (count == 1 ? " row" : " rows");
  if (result.value("truncated", false)) out += ", truncated by the server's limits";
  if (result.contains("stats") && result["stats"].contains("seconds") &&
      result["stats"]["seconds"].is_number()) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", result["stats"]["seconds"].get<double>());
    out += std::string(", ") + seconds + " s";
  }
  return out + ")\n";
}

void AddQueryCommand(CLI::App& app) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* query = app.add_subcommand("query", "Run SQL over the lake's tables");
  query->add_option("sql", args->sql, "The SQL (one SELECT); - reads it from stdin")->required();
  query->add_option("--format,-f", args->format, "table, json, ndjson, csv, parquet or arrow")
      ->check(CLI::IsMember({"table", "json", "ndjson", "csv", "parquet", "arrow"}));
  query->add_option("--param,-p", args->params, "A value for $1, $2, ... (repeat, in order)");
  query->add_option("--timeout", args->timeout, "Stop the query after this long (30s)");
  query->add_option("--max-rows", args->max_rows, "Return at most this many rows");
  query->callback([query, args] {
    std::string sql = args->sql;
    if (sql == "-") sql.assign(std::istreambuf_iterator<char>(std::cin), {});
    QueryRunOptions options{.format = args->format, .timeout = args->timeout, .max_rows = args->max_rows};
    for (const std::string& p : args->params) options.parameters.push_back(ParameterFromText(p));
    auto client = ClientOrExit(*query);
    const int code = RunQueryAndPrint(*client, sql, options, std::cout, std::cerr);
    if (code != kExitOk) ExitWith(code);
  });
}

int RunQueryAndPrint(HttpClient& client, const std::string& sql, const QueryRunOptions& options,
                     std::ostream& out, std::ostream& err) {
  Json body = {{"sql", sql}, {"format", options.format == "table" ? "json" : options.format}};
  if (!options.parameters.empty()) body["parameters"] = options.parameters;
  if (!options.timeout.empty()) body["timeout"] = options.timeout;
  if (options.max_rows) body["max_rows"] = *options.max_rows;
  // The server stops a query at its own timeout; wait a little longer.
  auto response = client.Send("POST", "/v1/query", body.dump(), "application/json", std::chrono::minutes(10));
  if (!response) return ReportFailure(response.error());
  if (response->status >= 300) {
    err << SyntaxErrorPointer(sql, response->body);
    return ReportFailure(StatusFromHttpError(response->status, response->content_type, response->body));
  }
  if (options.format != "table") {
    out << response->body << std::flush;
    // NDJSON and CSV cut short fail in Send; whole JSON ends with its stats ("}}").
    if (options.format != "json" || response->body.ends_with("}}")) return kExitOk;
  }
  auto parsed = ParseJson(response->body, "the query result");
  if (!parsed) return ReportFailure(parsed.error());
  if (const auto error = parsed->find("error"); error != parsed->end()) {
    // The answer had started when the query failed: what came is partial.
    const int status = error->value("status", 500);
    return ReportFailure(StatusFromHttpError(status, "application/problem+json", error->dump()));
  }
  if (options.format != "table") return kExitOk;
  out << RenderQueryResult(*parsed) << std::flush;
  return kExitOk;
}

}  // namespace eventlake::cli
