// The SQL guard: what user SQL may be. DuckDB parses the text
// (json_serialize_sql); the guard walks the parse tree and accepts exactly
// one SELECT statement that reads
//   - lake tables, named <zone>.<table> (zones curated, analytics, archive),
//     optionally at a version or a time: `FROM curated.events AT (VERSION => 3)`
//     or `AT (TIMESTAMP => '2026-12-01 10:00:00')`;
//   - information_schema.tables and .columns (catalog_views.h);
//   - CTEs of the statement itself (names without a dot), VALUES lists and
//     subqueries;
//   - the table functions range, generate_series and unnest.
// Anything else is refused: other catalogs or schemas (system tables,
// attached files), file paths (`FROM '/etc/passwd'`), every other table
// function (read_csv, read_parquet, glob, query, duckdb_settings, ...), and
// functions that reveal the process (current_setting, getenv). Statements
// other than SELECT (COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, EXPLAIN, DDL,
// DML) never parse into a tree here and are refused too.
//
// The tree is then rewritten: each lake table becomes a reference to the
// temporary view the engine creates for it on the caller's connection
// (`"curated.events"` for the current snapshot, `"curated.events@3"` for
// version 3), aliased to the table's own name so `events.id` still binds.
// Policies are enforced by those views (the engine never rewrites SQL text).
//
// Calls of the Postgres catalog functions psql's \d makes are answered for
// the lake: `pg_catalog.` is dropped from function names (as in Postgres it
// is on every search path), format_type(oid, typmod) becomes a lookup of
// Postgres's name for one of pg_type's OIDs, pg_get_expr(e, ...) becomes e,
// col_description, obj_description and pg_get_statisticsobjdef_columns
// NULL, pg_relation_is_publishable false, array_upper(a, 1) array_length.
// What replaced a call is guarded as itself. In the Postgres dialect a
// one-column table function's column is named after its alias.
//
// Pure: no DuckDB calls; the engine feeds it json_serialize_sql's output and
// renders the rewritten tree with json_deserialize_sql.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::query {

// A lake table as the statement names it.
struct TableReference {
  std::string table;                     // "curated.events"
  std::optional<int64_t> version;        // AT (VERSION => n)
  std::optional<std::string> timestamp;  // AT (TIMESTAMP => '...'), as written
  std::string view;                      // the temporary view the tree now reads

  friend bool operator==(const TableReference&, const TableReference&) = default;
};

struct GuardedTree {
  std::string tree;                    // the rewritten tree, for json_deserialize_sql
  std::vector<TableReference> tables;  // each distinct reference once, in order of appearance
};

// A syntax error's place in the SQL text (0-based byte offset).
struct SyntaxError {
  std::optional<size_t> position;
};

inline constexpr size_t kMaxTreeBytes = 16u << 20;  // json_serialize_sql output
inline constexpr size_t kMaxTreeDepth = 512;
inline constexpr size_t kMaxTableReferences = 256;

// Whose meaning operators have where the two differ. kPostgres (the wire
// protocol): `a ~ 'p'` matches anywhere in `a`, as in Postgres, where
// DuckDB's `~` must match all of it.
enum class SqlDialect { kDuckDb, kPostgres };

// InvalidArgument for a syntax error (its position in `syntax` when given),
// for more than one statement, or an over-large or over-deep tree;
// PermissionDenied for anything the guard refuses, naming it.
Result<GuardedTree> GuardParseTree(std::string_view serialized, SyntaxError* syntax = nullptr,
                                   SqlDialect dialect = SqlDialect::kDuckDb);

// Replaces each reference to one of `views` (by view name) in a guarded
// tree with a subquery of that view's own parse tree (the "node" of its
// json_serialize_sql), keeping the reference's alias: DuckDB then binds each
// table once, where a temporary view would be bound at its creation too.
Result<std::string> ExpandViews(std::string_view tree,
                                const std::vector<std::pair<std::string, std::string>>& views);

// The view name for a reference: "curated.events", "curated.events@3",
// "curated.events@2026-12-01 10:00:00".
std::string ViewNameFor(std::string_view table, std::optional<int64_t> version,
                        const std::optional<std::string>& timestamp);

}  // namespace eventlake::query
