// `eventlake sql`: an interactive SQL shell on the server, with line
// editing and a history kept in ~/.eventlake_history (libedit).
//
//   eventlake sql              statements end with ';' and may span lines
//     \dt                      the tables you may read
//     \d NAME                  a table's columns
//     \f table|json|ndjson|csv the output format
//     \q                       quit (or Ctrl-D)
// With stdin not a terminal it reads statements the same way, without prompts.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace eventlake::cli {

void AddSqlCommand(CLI::App& app);

// Collects input lines into statements: a statement is complete at a ';'
// that ends a line outside quotes and comments.
class StatementBuffer {
 public:
  // Adds a line; the statements it completed (without their final ';').
  std::vector<std::string> Add(const std::string& line);
  bool empty() const { return pending_.find_first_not_of(" \t\r\n") == std::string::npos; }
  // What is left (an unterminated last statement), emptied.
  std::string Take();

 private:
  std::string pending_;
};

}  // namespace eventlake::cli
