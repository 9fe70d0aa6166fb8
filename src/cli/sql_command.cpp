// `eventlake sql` (see sql_command.h).
#include "cli/sql_command.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/cli_support.h"
#include "cli/query_command.h"
#include "query/sql_text.h"

namespace eventlake::cli {
namespace {

std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.eventlake_history";
}

std::string Trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

// A meta command (\q, \dt, ...): false to quit.
bool Meta(HttpClient& client, const std::string& line, QueryRunOptions& options) {
  std::string command = Trimmed(line);
  const size_t space = command.find(' ');
  const std::string name = command.substr(0, space);
  const std::string arg = space == std::string::npos ? "" : Trimmed(command.substr(space + 1));
  if (name == "\\q") return false;
  if (name == "\\dt") {
    RunQueryAndPrint(client,
                     "SELECT table_schema || '.' || table_name AS \"table\" FROM information_schema.tables "
                     "ORDER BY 1",
                     options, std::cout, std::cerr);
  } else if (name == "\\d" && !arg.empty()) {
    const size_t dot = arg.find('.');
    QueryRunOptions with = options;
    with.parameters = nlohmann::ordered_json::array({arg.substr(0, dot), dot == std::string::npos ? "" : arg.substr(dot + 1)});
    RunQueryAndPrint(client,
                     "SELECT column_name AS \"column\", data_type AS \"type\" FROM information_schema.columns "
                     "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
                     with, std::cout, std::cerr);
  } else if (name == "\\f" && (arg == "table" || arg == "json" || arg == "ndjson" || arg == "csv")) {
    options.format = arg;
  } else {
    std::cerr << "\\dt  tables   \\d NAME  columns   \\f table|json|ndjson|csv  format   \\q  quit\n";
  }
  return true;
}

}  // namespace

std::vector<std::string> StatementBuffer::Add(const std::string& line) {
  pending_ += line;
  pending_ += '\n';
  std::vector<std::string> done;
  const std::string trimmed = Trimmed(pending_);
  if (trimmed.empty() || trimmed.back() != ';') return done;
  // Complete only when that ';' is outside quotes and comments: then a word
  // after it starts a statement of its own.
  std::vector<std::string> whole = query::SplitSqlStatements(trimmed);
  if (query::SplitSqlStatements(trimmed + "\nx").size() != whole.size() + 1) return done;
  pending_.clear();
  for (std::string& s : whole) {
    s = Trimmed(std::move(s));
    if (!s.empty()) done.push_back(std::move(s));
  }
  return done;
}

std::string StatementBuffer::Take() { return Trimmed(std::exchange(pending_, {})); }

void AddSqlCommand(CLI::App& app) {
  CLI::App* sql = app.add_subcommand("sql", "An interactive SQL shell over the lake's tables");
  sql->callback([sql] {
    auto client = ClientOrExit(*sql);
    const bool terminal = ::isatty(STDIN_FILENO) != 0;
    const std::string history = HistoryPath();
    if (terminal) {
      using_history();
      read_history(history.c_str());
      std::cerr << "eventlake sql on " << ServerUrlOf(*sql) << "; statements end with ';', \\? for help\n";
    }
    QueryRunOptions options;
    StatementBuffer buffer;
    int failed = 0;
    while (true) {
      char* raw = readline(terminal ? (buffer.empty() ? "eventlake> " : "      ...> ") : "");
      if (raw == nullptr) break;  // Ctrl-D or the end of the input
      std::string line(raw);
      std::free(raw);
      if (buffer.empty() && Trimmed(line).starts_with("\\")) {
        if (terminal) add_history(line.c_str());
        if (!Meta(*client, line, options)) break;
        continue;
      }
      for (const std::string& statement : buffer.Add(line)) {
        if (terminal) add_history((statement + ";").c_str());
        if (RunQueryAndPrint(*client, statement, options, std::cout, std::cerr) != kExitOk) ++failed;
      }
    }
    if (std::string rest = buffer.Take(); !rest.empty()) {
      if (RunQueryAndPrint(*client, rest, options, std::cout, std::cerr) != kExitOk) ++failed;
    }
    if (terminal) {
      write_history(history.c_str());
      history_truncate_file(history.c_str(), 1000);
    }
    if (!terminal && failed > 0) ExitWith(kExitFailed);
  });
}

}  // namespace eventlake::cli
