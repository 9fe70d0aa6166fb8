// What an allowing tables:Select statement lets a principal see of a table
// (security/policy.h: columns, row_filter, masks), applied in the table's
// view on the principal's connection, so it holds however the query reads
// the table: SELECT *, joins, subqueries, CTEs, time travel, the catalog.
// The user's SQL is never rewritten for it; the view is all the user can
// reach (sql_guard.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "security/policy.h"

namespace eventlake::query {

// A row filter must be one boolean expression: no subqueries, no table
// references, no table functions, nothing the SQL guard would refuse.
// InvalidArgument naming what is wrong.
Status CheckRowFilter(engine::Connection& connection, std::string_view filter);

struct ViewColumn {
  std::string name;
  std::string type;  // DuckDB's
};

// The SELECT over `base` (a relation with `columns`) that shows what
// `statement` allows: the listed columns only (in the table's order), each
// masked column masked, the rows where the filter holds. The columns it
// yields are returned in `shown`.
std::string RestrictedSelect(const std::string& base, const std::vector<ViewColumn>& columns,
                             const security::Statement& statement, std::vector<ViewColumn>* shown);

// `columns` as `statement` shows them (listed ones only; masked ones as
// their masked type), for the catalog.
std::vector<ViewColumn> ShownColumns(const std::vector<ViewColumn>& columns,
                                     const security::Statement& statement);

}  // namespace eventlake::query
