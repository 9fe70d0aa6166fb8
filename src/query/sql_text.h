// SQL as text, before DuckDB parses it: what is code and what is a quoted
// string, a quoted identifier, a dollar-quoted string or a comment. The
// statement splitter of the wire protocol and the CLI, and the rewrite of
// Postgres-only spellings that psql sends, both need to know.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eventlake::query {

struct SqlSpan {
  size_t begin = 0;
  size_t end = 0;     // one past the last byte
  bool code = true;   // false: a literal, a quoted identifier or a comment
};

// `text` cut into spans, in order, covering all of it. An unterminated
// quote or comment runs to the end.
std::vector<SqlSpan> ScanSql(std::string_view text);

// The statements of `text`, split at the semicolons in its code; blank
// ones dropped.
std::vector<std::string> SplitSqlStatements(std::string_view text);

// The SQL with the Postgres spellings DuckDB does not parse, in its code
// only, made DuckDB's: OPERATOR(pg_catalog.~) becomes ~,
// COLLATE pg_catalog.default goes, a cast's type loses its pg_catalog.
// (`::pg_catalog.text` is `::text`), and a cast to an OID type DuckDB lacks
// (regclass, regtype, regnamespace, regproc, oid, ...) is one to INTEGER:
// the OID itself, not the name Postgres would print. psql writes all of
// these into its \d queries.
std::string PgCompatibleSql(std::string_view sql);

}  // namespace eventlake::query
