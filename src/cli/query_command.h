// `eventlake query`: runs SQL on the server (POST /v1/query) and prints the
// result.
//
//   eventlake query "SELECT count(*) FROM curated.events"
//   eventlake query --param 5 --param /pricing "SELECT * FROM curated.events WHERE n > \$1 AND page = \$2"
//   echo "SELECT 1" | eventlake query -            (the SQL from stdin)
//   eventlake query --format csv "..." > out.csv   (json, ndjson, csv, parquet and arrow are the server's bytes)
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "cli/http_client.h"

namespace eventlake::cli {

void AddQueryCommand(CLI::App& app);

struct QueryRunOptions {
  std::string format = "table";  // table, json, ndjson, csv, parquet, arrow
  nlohmann::ordered_json parameters = nlohmann::ordered_json::array();
  std::string timeout;           // "" = the server's
  std::optional<uint64_t> max_rows;
};

// Runs `sql` on the server and prints the result to `out` (errors, with a
// caret under a syntax error's position, to `err`); the exit code.
int RunQueryAndPrint(HttpClient& client, const std::string& sql, const QueryRunOptions& options,
                     std::ostream& out, std::ostream& err);

// A --param value as a JSON parameter: numbers, true, false, null and
// "quoted strings" as JSON; anything else is the string itself.
nlohmann::ordered_json ParameterFromText(const std::string& text);
// The server's JSON result as an aligned text table (NULL for null).
std::string RenderQueryResult(const nlohmann::ordered_json& result);

}  // namespace eventlake::cli
