#include "query/query_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "lake/table_writer.h"
#include "log/log.h"
#include "query/catalog_views.h"
#include "query/sql_text.h"

namespace eventlake::query {
namespace {

using testing::HasSubstr;

class CollectingSink : public RowSink {
 public:
  Status Columns(std::span<const QueryColumn> columns) override {
    this->columns.assign(columns.begin(), columns.end());
    return Status::Ok();
  }
  Status Row(std::string_view json_array) override {
    rows.emplace_back(json_array);
    return Status::Ok();
  }
  std::vector<QueryColumn> columns;
  std::vector<std::string> rows;
};

// An Arrow result (QueryOutput::kArrow): its columns and its stream.
class StreamSink : public RowSink {
 public:
  Status Columns(std::span<const QueryColumn> columns) override {
    this->columns.assign(columns.begin(), columns.end());
    return Status::Ok();
  }
  Status Row(std::string_view) override { return Internal("a JSON row in an Arrow result"); }
  Status Bytes(std::string_view piece) override {
    stream += piece;
    return Status::Ok();
  }
  std::vector<QueryColumn> columns;
  std::string stream;
};

constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t kDec1 = 20'788 * kDay;  // 2026-12-01T00:00:00Z

class QueryEngineTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/query-" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    log_ = std::move(log::Log::Open({.dir = dir_ + "/log"}).value());
    lake_ = std::move(lake::Lake::Open({.root = dir_ + "/lake", .log = log_.get()}).value());
    writer_db_ = std::move(engine::Database::Open({.threads = 1}).value());
    clock_.SetNowMicros(kDec1 + 3'600'000'000LL);
    writer_ = std::move(lake::TableWriter::Open(&lake_->store(), writer_db_.get(),
                                                {.name = "curated.t",
                                                 .partition_by = {"day(time)", "kind"},
                                                 .initial_columns = {{"id", lake::ColumnType::kString},
                                                                     {"time", lake::ColumnType::kTimestamp},
                                                                     {"kind", lake::ColumnType::kString},
                                                                     {"n", lake::ColumnType::kLong}}},
                                                &clock_)
                            .value());
    // Version 1: three rows over two days and two kinds (one kind NULL).
    Add("a", kDec1 + 1000, "x/y", 1);
    Add("b", kDec1 + kDay + 2000, "z", 2);
    Add("c", kDec1 + kDay + 3000, std::nullopt, 3);
    ASSERT_TRUE(writer_->Flush({}).has_value());
    auto engine = QueryEngine::Open({.lake = lake_.get(), .threads = 1, .workers = 2});
    ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
    engine_ = std::move(*engine);
  }

  void Add(std::string_view id, int64_t time, std::optional<std::string_view> kind, int64_t n) {
    std::vector<lake::Cell> row = {{"id", id}, {"time", lake::TimestampValue{time}}, {"n", n}};
    if (kind.has_value()) row.push_back({"kind", *kind});
    ASSERT_TRUE(writer_->Add(row).ok());
  }

  std::variant<QueryStats, QueryFailure> Run(std::string sql, std::vector<QueryParameter> params = {},
                                             CollectingSink* sink = nullptr) {
    CollectingSink own;
    return engine_->Run({.sql = std::move(sql), .parameters = std::move(params)}, sink ? *sink : own);
  }

  std::vector<std::string> Rows(std::string sql, std::vector<QueryParameter> params = {}) {
    CollectingSink sink;
    auto r = Run(std::move(sql), std::move(params), &sink);
    if (auto* f = std::get_if<QueryFailure>(&r)) ADD_FAILURE() << f->status.ToString();
    return sink.rows;
  }

  // Submits `sql` as query `id`, cancels it once it runs: its failure (OK
  // when it did not fail).
  Status Cancelled(std::string sql, std::string id, RowSink& sink) {
    std::promise<std::variant<QueryStats, QueryFailure>> done;
    engine_->Submit({.sql = std::move(sql), .id = id}, &sink,
                    [&](std::variant<QueryStats, QueryFailure> result) { done.set_value(std::move(result)); });
    while (!engine_->Cancel(id)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto outcome = done.get_future().get();
    if (auto* f = std::get_if<QueryFailure>(&outcome)) return f->status;
    return Status::Ok();
  }

  Status Failure(std::string sql) {
    auto r = Run(std::move(sql));
    if (auto* f = std::get_if<QueryFailure>(&r)) return f->status;
    return Status::Ok();
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<engine::Database> writer_db_;
  std::unique_ptr<lake::TableWriter> writer_;
  std::unique_ptr<QueryEngine> engine_;
};

TEST_F(QueryEngineTest, ReadsATableWithItsTypesAndPartitionColumns) {
  CollectingSink sink;
  auto r = Run("SELECT id, n, dt, kind FROM curated.t ORDER BY id", {}, &sink);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r)) << std::get<QueryFailure>(r).status.ToString();
  ASSERT_EQ(sink.columns.size(), 4u);
  EXPECT_EQ(sink.columns[0].name, "id");
  EXPECT_EQ(sink.columns[1].type, "BIGINT");
  EXPECT_EQ(sink.columns[2].type, "DATE");
  EXPECT_EQ(sink.rows, (std::vector<std::string>{"[\"a\",1,\"2026-12-01\",\"x/y\"]",
                                                 "[\"b\",2,\"2026-12-02\",\"z\"]",
                                                 "[\"c\",3,\"2026-12-02\",null]"}));
  const QueryStats& stats = std::get<QueryStats>(r);
  EXPECT_EQ(stats.rows, 3u);
  EXPECT_EQ(stats.files, 3u);
  EXPECT_EQ(stats.tables, (std::vector<std::string>{"curated.t@1"}));
  EXPECT_FALSE(stats.truncated);
}

TEST_F(QueryEngineTest, BindsParametersAndQualifiedColumns) {
  EXPECT_EQ(Rows("SELECT t.id FROM curated.t WHERE n > $1 AND kind = ?", {int64_t{1}, std::string("z")}),
            (std::vector<std::string>{"[\"b\"]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t AS x JOIN curated.t y USING (id) WHERE x.dt = DATE '2026-12-02'"),
            (std::vector<std::string>{"[2]"}));
  EXPECT_EQ(Rows("WITH big AS (SELECT * FROM curated.t WHERE n >= 2) SELECT count(*) FROM big"),
            (std::vector<std::string>{"[2]"}));
  auto wrong = Run("SELECT * FROM curated.t WHERE n = $1");
  EXPECT_EQ(std::get<QueryFailure>(wrong).status.code(), StatusCode::kInvalidArgument);
}

TEST_F(QueryEngineTest, TravelsInTimeByVersionAndTimestamp) {
  clock_.SetNowMicros(clock_.NowMicros() + 60'000'000);
  Add("d", kDec1 + 5000, "x/y", 4);
  ASSERT_TRUE(writer_->Flush({}).has_value());  // version 2
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t"), (std::vector<std::string>{"[4]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t AT (VERSION => 1)"), (std::vector<std::string>{"[3]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t AT (VERSION => 0)"), (std::vector<std::string>{"[0]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t AT (TIMESTAMP => '2026-12-01 01:00:30')"),
            (std::vector<std::string>{"[3]"}));
  EXPECT_EQ(Rows("SELECT (SELECT count(*) FROM curated.t) - (SELECT count(*) FROM curated.t AT (VERSION => 1))"),
            (std::vector<std::string>{"[1]"}));
  EXPECT_EQ(Failure("SELECT * FROM curated.t AT (VERSION => 99)").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Failure("SELECT * FROM curated.t AT (TIMESTAMP => 'soon')").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Failure("SELECT * FROM curated.t AT (VERSION => 1 + 1)").code(), StatusCode::kInvalidArgument);
}

TEST_F(QueryEngineTest, RefusesEverythingButSelectsOverLakeTables) {
  const std::string file = (*lake_->Snapshot("curated.t"))->files.begin()->first;
  const std::string path = dir_ + "/lake/curated/t/" + file;
  for (const std::string& sql : {
           std::string("SELECT * FROM read_csv('/etc/passwd')"),
           std::string("SELECT * FROM '/etc/passwd'"),
           std::string("SELECT * FROM read_text('/etc/passwd')"),
           "SELECT * FROM read_parquet('" + path + "')",
           "SELECT * FROM '" + path + "'",
           std::string("SELECT * FROM glob('/*')"),
           std::string("SELECT * FROM query('SELECT 1')"),
           std::string("SELECT * FROM duckdb_settings()"),
           std::string("SELECT current_setting('allowed_directories')"),
           std::string("SELECT * FROM information_schema.views"),
           std::string("SELECT * FROM pg_catalog.pg_settings"),
           std::string("SELECT * FROM pg_settings"),
           std::string("SELECT current_query()"),
           std::string("SELECT pg_catalog.current_query()"),
           std::string("SELECT pg_get_viewdef(x) FROM range(100000) t(x)"),
           std::string("SELECT pg_catalog.pg_get_constraintdef(1)"),
           std::string("SELECT * FROM main.t"),
           std::string("SELECT * FROM memory.main.t"),
           std::string("SELECT * FROM raw.events"),
           std::string("SELECT * FROM \"curated.t\""),
           std::string("WITH \"curated.t\" AS (SELECT 1) SELECT * FROM \"curated.t\""),
           std::string("COPY (SELECT 1) TO '/tmp/x.csv'"),
           "COPY (SELECT * FROM curated.t) TO '" + dir_ + "/lake/curated/t/evil.parquet'",
           std::string("ATTACH '/tmp/x.db' AS x"),
           std::string("INSTALL httpfs"),
           std::string("LOAD httpfs"),
           std::string("SET enable_external_access = true"),
           std::string("PRAGMA version"),
           std::string("EXPLAIN SELECT * FROM curated.t"),
           std::string("CREATE TABLE x AS SELECT 1"),
           std::string("SELECT 1; SELECT 2"),
           std::string("SELECT 1; COPY (SELECT 1) TO '/tmp/y.csv'"),
           std::string("SELECT * FROM read_csv('https://example.com/x.csv')"),
       }) {
    const Status s = Failure(sql);
    EXPECT_FALSE(s.ok()) << sql;
    EXPECT_TRUE(s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kInvalidArgument)
        << sql << ": " << s.ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/lake/curated/t/evil.parquet"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/x.db"));
  // The lake's tables still read whole.
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t"), (std::vector<std::string>{"[3]"}));
  EXPECT_EQ(Rows("SELECT sum(range) FROM range(4)"), (std::vector<std::string>{"[6]"}));
}

TEST_F(QueryEngineTest, ThePgCatalogListsTheLakesTablesAsPsqlAsksForThem) {
  // psql 15's \dt, as it sends it (after PgCompatibleSql).
  const std::string dt =
      "SELECT n.nspname as \"Schema\", c.relname as \"Name\", "
      "CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as \"Type\", "
      "pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\" "
      "FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam "
      "WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast' "
      "AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2";
  EXPECT_EQ(Rows(dt), (std::vector<std::string>{"[\"curated\",\"t\",\"table\",\"eventlake\"]"}));
  // Columns with their Postgres types, joined by OID.
  EXPECT_EQ(Rows("SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid "
                 "JOIN pg_type t ON t.oid = a.atttypid WHERE c.relname = 't' ORDER BY a.attnum"),
            (std::vector<std::string>{"[\"id\",\"text\"]", "[\"time\",\"timestamptz\"]", "[\"n\",\"int8\"]",
                                      "[\"kind\",\"text\"]", "[\"dt\",\"date\"]"}));
  EXPECT_EQ(Rows("SELECT schemaname, tablename FROM pg_catalog.pg_tables"),
            (std::vector<std::string>{"[\"curated\",\"t\"]"}));
  EXPECT_EQ(Rows("SELECT schema_name FROM information_schema.schemata ORDER BY 1"),
            (std::vector<std::string>{"[\"analytics\"]", "[\"archive\"]", "[\"curated\"]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM pg_catalog.pg_description"), (std::vector<std::string>{"[0]"}));
  EXPECT_EQ(Rows("SELECT version()"), (std::vector<std::string>{"[\"PostgreSQL 16.0 (eventlake)\"]"}));
  // `~` as each dialect means it: DuckDB's matches the whole string, Postgres's anywhere
  // (psql's \dn filters schemas with n.nspname !~ '^pg_').
  const std::string regex = "SELECT 'pg_catalog' ~ '^pg_', 'pg_catalog' !~ '^pg_'";
  EXPECT_EQ(Rows(regex), (std::vector<std::string>{"[false,true]"}));
  CollectingSink pg;
  auto r = engine_->Run({.sql = regex, .dialect = SqlDialect::kPostgres}, pg);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r));
  EXPECT_EQ(pg.rows, (std::vector<std::string>{"[true,false]"}));
}

TEST_F(QueryEngineTest, DescribesATableAsPsqlsBackslashDAsksForIt) {
  const std::string oid = std::to_string(CatalogOid("curated.t"));
  auto pg = [&](std::string_view sql) {
    CollectingSink sink;
    auto r = engine_->Run({.sql = PgCompatibleSql(sql), .dialect = SqlDialect::kPostgres}, sink);
    if (auto* f = std::get_if<QueryFailure>(&r)) ADD_FAILURE() << sql << ": " << f->status.ToString();
    return sink.rows;
  };
  // psql 15's \d, its queries as it sends them.
  EXPECT_EQ(pg("SELECT c.relchecks, c.relkind, c.relhasindex, am.amname, CASE WHEN c.reloftype = 0 THEN '' "
               "ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END FROM pg_catalog.pg_class c "
               "LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid) "
               "LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid) WHERE c.oid = '" + oid + "'"),
            (std::vector<std::string>{"[0,\"r\",false,\"heap\",\"\"]"}));
  EXPECT_EQ(pg("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
               "(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d "
               "WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef), a.attnotnull, "
               "(SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t "
               "WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) "
               "AS attcollation FROM pg_catalog.pg_attribute a "
               "WHERE a.attrelid = '" + oid + "' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"),
            (std::vector<std::string>{"[\"id\",\"text\",null,false,null]",
                                      "[\"time\",\"timestamp with time zone\",null,false,null]",
                                      "[\"n\",\"bigint\",null,false,null]", "[\"kind\",\"text\",null,false,null]",
                                      "[\"dt\",\"date\",null,false,null]"}));
  EXPECT_TRUE(pg("SELECT pol.polname, CASE WHEN pol.polroles = '{0}' THEN NULL ELSE "
                 "pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles "
                 "where oid = any (pol.polroles) order by 1),',') END, "
                 "pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) FROM pg_catalog.pg_policy pol "
                 "WHERE pol.polrelid = '" + oid + "' ORDER BY 1").empty());
  EXPECT_TRUE(pg("SELECT pubname, (SELECT string_agg(attname, ', ') FROM pg_catalog.generate_series(0, "
                 "pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s, pg_catalog.pg_attribute "
                 "WHERE attrelid = pr.prrelid AND attnum = prattrs[s]) FROM pg_catalog.pg_publication p "
                 "JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid "
                 "WHERE pr.prrelid = '" + oid + "' AND pg_catalog.pg_relation_is_publishable('" + oid + "')")
                  .empty());
  // Nested calls keep the tree the size it was (each call holds its argument once).
  std::string nested = "20";
  for (int i = 0; i < 16; ++i) nested = "length(pg_catalog.format_type(" + nested + ", -1))";
  EXPECT_EQ(pg("SELECT " + nested), (std::vector<std::string>{"[null]"}));
  EXPECT_EQ(pg("SELECT pg_catalog.format_type(20, -1), pg_catalog.format_type(1184, -1), "
               "pg_catalog.format_type(1, -1), length(pg_catalog.format_type(length(pg_catalog.format_type(20, -1)), -1))"),
            (std::vector<std::string>{"[\"bigint\",\"timestamp with time zone\",null,null]"}));
  // What a rewritten call stood for is guarded as itself.
  for (const char* sql : {"SELECT pg_get_expr(current_setting('threads'), 1)",
                          "SELECT pg_catalog.format_type(length(getenv('HOME')), -1)"}) {
    EXPECT_EQ(Failure(sql).code(), StatusCode::kPermissionDenied) << sql;
  }
}

TEST_F(QueryEngineTest, ReportsWhereASyntaxErrorIs) {
  auto r = Run("SELECT * FORM curated.t");
  const QueryFailure& f = std::get<QueryFailure>(r);
  EXPECT_EQ(f.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status.message(), HasSubstr("syntax error"));
  EXPECT_EQ(f.position, 14u);
}

TEST_F(QueryEngineTest, LimitsRowsAndTimeAndCancels) {
  CollectingSink sink;
  auto r = engine_->Run({.sql = "SELECT * FROM range(10000)", .max_rows = 2500}, sink);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r));
  EXPECT_TRUE(std::get<QueryStats>(r).truncated);
  EXPECT_EQ(sink.rows.size(), 2500u);

  auto slow = engine_->Run({.sql = "SELECT count(*) FROM range(1000000000000)",
                            .timeout = std::chrono::milliseconds(200)},
                           sink);
  ASSERT_TRUE(std::holds_alternative<QueryFailure>(slow));
  EXPECT_EQ(std::get<QueryFailure>(slow).status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::get<QueryFailure>(slow).status.message(), HasSubstr("timeout"));

  CollectingSink cancelled_sink;
  EXPECT_THAT(Cancelled("SELECT count(*) FROM range(1000000000000)", "q1", cancelled_sink).message(),
              HasSubstr("cancelled"));
  EXPECT_FALSE(engine_->Cancel("q1"));
}

TEST_F(QueryEngineTest, ArrowResultsHaveTheColumnsAloneAndStayWholeWhenCut) {
  const std::string_view end("\xff\xff\xff\xff\0\0\0\0", 8);
  StreamSink sink;
  auto r = engine_->Run({.sql = "SELECT id, n, dt FROM curated.t ORDER BY id", .output = QueryOutput::kArrow}, sink);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r)) << std::get<QueryFailure>(r).status.ToString();
  ASSERT_EQ(sink.columns.size(), 3u);  // no "__row" column of JSON
  EXPECT_EQ(sink.columns[0].name, "id");
  EXPECT_EQ(sink.columns[2].type, "DATE");
  EXPECT_EQ(std::get<QueryStats>(r).rows, 3u);
  EXPECT_TRUE(sink.stream.starts_with("\xff\xff\xff\xff"));
  EXPECT_TRUE(sink.stream.ends_with(end));
  EXPECT_EQ(std::get<QueryStats>(r).result_bytes, sink.stream.size());

  // max_rows cuts a chunk (DuckDB's are 2048 rows) in the middle.
  StreamSink rows;
  r = engine_->Run({.sql = "SELECT * FROM range(10000)", .max_rows = 2500, .output = QueryOutput::kArrow}, rows);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r));
  EXPECT_TRUE(std::get<QueryStats>(r).truncated);
  EXPECT_EQ(std::get<QueryStats>(r).rows, 2500u);
  EXPECT_TRUE(rows.stream.ends_with(end));

  // max_result_bytes: as many rows as fit, about; the stream within the limit.
  auto small = QueryEngine::Open({.lake = lake_.get(), .threads = 1, .workers = 1, .max_result_bytes = 20'000});
  ASSERT_TRUE(small.has_value());
  StreamSink bytes;
  r = (*small)->Run({.sql = "SELECT * FROM range(10000)", .output = QueryOutput::kArrow}, bytes);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r));
  const QueryStats& stats = std::get<QueryStats>(r);
  EXPECT_TRUE(stats.truncated);
  EXPECT_GT(stats.rows, 1000u);
  EXPECT_LT(stats.rows, 2500u);
  EXPECT_LE(bytes.stream.size(), 20'000u);
  EXPECT_EQ(stats.result_bytes, bytes.stream.size());
  EXPECT_TRUE(bytes.stream.ends_with(end));

  // A sink that takes rows only refuses the stream.
  CollectingSink json;
  r = engine_->Run({.sql = "SELECT 1", .output = QueryOutput::kArrow}, json);
  ASSERT_TRUE(std::holds_alternative<QueryFailure>(r));
}

// A sink that stands for a client that stopped reading: Row blocks until
// the engine interrupts it.
class BlockingSink : public CollectingSink {
 public:
  Status Row(std::string_view json_array) override {
    std::unique_lock lock(mu_);
    blocked = true;
    cv_.wait(lock, [&] { return interrupted_; });
    (void)CollectingSink::Row(json_array);
    return DeadlineExceeded("interrupted");
  }
  void Interrupt() override {
    std::lock_guard lock(mu_);
    interrupted_ = true;
    cv_.notify_all();
  }
  std::atomic<bool> blocked = false;  // a row waits

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
};

TEST_F(QueryEngineTest, TimeoutAndCancelReachASinkThatBlocks) {
  BlockingSink sink;
  auto slow = engine_->Run({.sql = "SELECT * FROM range(10)", .timeout = std::chrono::milliseconds(100)}, sink);
  ASSERT_TRUE(std::holds_alternative<QueryFailure>(slow));
  EXPECT_THAT(std::get<QueryFailure>(slow).status.message(), HasSubstr("timeout"));
  EXPECT_EQ(sink.rows.size(), 1u);

  BlockingSink cancelled_sink;
  EXPECT_THAT(Cancelled("SELECT * FROM range(10)", "q2", cancelled_sink).message(), HasSubstr("cancelled"));
}

TEST_F(QueryEngineTest, NanAndInfinityBecomeStringsSoTheJsonParses) {
  EXPECT_EQ(Rows("SELECT 'nan'::DOUBLE, '-inf'::DOUBLE, 'NaN x'"),
            (std::vector<std::string>{"[\"NaN\",\"-Infinity\",\"NaN x\"]"}));
}

}  // namespace
}  // namespace eventlake::query

namespace eventlake::query {
namespace {

TEST_F(QueryEngineTest, AQueryBeyondItsMemoryFailsAloneAndSaysWhichLimit) {
  // 2 slots of 64 MiB each; a list of 20 million BIGINTs needs 160 MB at once.
  auto small = QueryEngine::Open({.lake = lake_.get(), .threads = 1, .memory_limit = 128ull << 20, .workers = 2});
  ASSERT_TRUE(small.has_value()) << small.error().ToString();
  CollectingSink sink;
  auto big = (*small)->Run({.sql = "SELECT list(range) FROM range(20000000)"}, sink);
  ASSERT_TRUE(std::holds_alternative<QueryFailure>(big));
  const Status& failure = std::get<QueryFailure>(big).status;
  EXPECT_EQ(failure.code(), StatusCode::kInvalidArgument) << failure.ToString();
  EXPECT_THAT(failure.message(), HasSubstr("query.max_query_memory (64MiB)"));
  // The slot it ran in takes the next query.
  for (int i = 0; i < 3; ++i) {
    CollectingSink next;
    auto ok = (*small)->Run({.sql = "SELECT count(*) FROM curated.t"}, next);
    ASSERT_TRUE(std::holds_alternative<QueryStats>(ok)) << std::get<QueryFailure>(ok).status.ToString();
    EXPECT_EQ(next.rows, (std::vector<std::string>{"[3]"}));
  }
  // With more memory per query the same query runs.
  auto roomy = QueryEngine::Open({.lake = lake_.get(), .threads = 1, .memory_limit = 1ull << 30, .workers = 2});
  ASSERT_TRUE(roomy.has_value());
  CollectingSink fits;
  auto fitted = (*roomy)->Run({.sql = "SELECT len(list(range)) FROM range(20000000)"}, fits);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(fitted)) << std::get<QueryFailure>(fitted).status.ToString();
  EXPECT_EQ(fits.rows, (std::vector<std::string>{"[20000000]"}));
}

TEST_F(QueryEngineTest, MemoryLimitsThatDoNotAddUpAreRefused) {
  auto over = QueryEngine::Open(
      {.lake = lake_.get(), .memory_limit = 1ull << 30, .max_query_memory = 1ull << 30, .workers = 2});
  ASSERT_FALSE(over.has_value());
  EXPECT_THAT(over.error().message(), HasSubstr("query.max_query_memory (1GiB) times query.workers (2)"));
  auto tiny = QueryEngine::Open({.lake = lake_.get(), .memory_limit = 32ull << 20, .workers = 4});
  ASSERT_FALSE(tiny.has_value());
  EXPECT_THAT(tiny.error().message(), HasSubstr("at least 16MiB"));
}

TEST_F(QueryEngineTest, AQueryWaitsForAFreeSlotUpToItsTimeout) {
  auto one = QueryEngine::Open({.lake = lake_.get(), .threads = 1, .workers = 1});
  ASSERT_TRUE(one.has_value());
  // The only slot is held by a query whose client does not read.
  BlockingSink stuck;
  std::promise<std::variant<QueryStats, QueryFailure>> done;
  (*one)->Submit({.sql = "SELECT * FROM range(10)", .id = "stuck"}, &stuck,
                 [&](std::variant<QueryStats, QueryFailure> r) { done.set_value(std::move(r)); });
  while (!stuck.blocked) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CollectingSink waiting;
  auto refused = (*one)->Run({.sql = "SELECT 1", .timeout = std::chrono::milliseconds(200)}, waiting);
  ASSERT_TRUE(std::holds_alternative<QueryFailure>(refused));
  EXPECT_THAT(std::get<QueryFailure>(refused).status.message(), HasSubstr("no query slot became free"));
  while (!(*one)->Cancel("stuck")) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  done.get_future().wait();
  CollectingSink after;
  auto ran = (*one)->Run({.sql = "SELECT 1"}, after);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(ran));
  EXPECT_EQ(after.rows, (std::vector<std::string>{"[1]"}));
}

}  // namespace
}  // namespace eventlake::query

namespace eventlake::query {
namespace {

// curated.t's three files: (2026-12-01, "x/y"), (2026-12-02, "z"), (2026-12-02, NULL).
TEST_F(QueryEngineTest, TheScannedFiguresCountTheFilesPartitionFiltersLeave) {
  auto scanned = [&](std::string sql, std::vector<QueryParameter> params = {}) -> size_t {
    CollectingSink sink;
    auto r = engine_->Run({.sql = std::move(sql), .parameters = std::move(params)}, sink);
    if (auto* f = std::get_if<QueryFailure>(&r)) {
      ADD_FAILURE() << f->status.ToString();
      return 0;
    }
    EXPECT_EQ(std::get<QueryStats>(r).files, 3u);  // in scope: always all
    return std::get<QueryStats>(r).files_scanned;
  };
  EXPECT_EQ(scanned("SELECT * FROM curated.t"), 3u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind = 'z'"), 1u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE dt = '2026-12-02'"), 2u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE n > 0 AND dt = DATE '2026-12-01'"), 1u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE t.dt >= '2026-12-02' AND T.kind IS NULL"), 1u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind IN ('z', 'x/y')"), 2u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind = 'z' OR n = 1"), 3u);  // n is in every file
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE upper(kind) = 'Z'"), 1u);
  EXPECT_EQ(scanned("SELECT count(*) FROM (SELECT * FROM curated.t WHERE kind = 'z') AS s"), 1u);
  // A table read twice reads what either reference needs.
  EXPECT_EQ(scanned("SELECT * FROM curated.t a JOIN curated.t b ON a.id = b.id AND b.kind = 'x/y' "
                    "WHERE a.kind = 'z'"),
            2u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind = 'z' UNION ALL SELECT * FROM curated.t"), 3u);
  // Not evaluated: the rows an outer join keeps, parameters, subqueries, random().
  EXPECT_EQ(scanned("SELECT * FROM curated.t a LEFT JOIN curated.t b ON a.id = b.id WHERE a.kind = 'z'"), 3u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind = $1", {std::string("z")}), 3u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind = (SELECT 'z')"), 3u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE kind = 'z' AND random() < 2"), 1u);
  EXPECT_EQ(scanned("SELECT * FROM curated.t WHERE random() < 2 OR kind = 'z'"), 3u);
  // A column of another table in the FROM is no filter of this one.
  EXPECT_EQ(scanned("SELECT * FROM curated.t, (SELECT 'z' AS kind) AS k WHERE t.kind = k.kind"), 3u);

  // Bytes and rows are the files' own; the result is the query's, unchanged.
  CollectingSink sink;
  auto r = engine_->Run({.sql = "SELECT id FROM curated.t WHERE kind = 'z'"}, sink);
  ASSERT_TRUE(std::holds_alternative<QueryStats>(r));
  const QueryStats& stats = std::get<QueryStats>(r);
  EXPECT_EQ(sink.rows, (std::vector<std::string>{"[\"b\"]"}));
  EXPECT_EQ(stats.rows_scanned, 1u);
  EXPECT_EQ(stats.rows_in_scope, 3u);
  EXPECT_GT(stats.bytes_scanned, 0u);
  EXPECT_LT(stats.bytes_scanned, stats.bytes);
}

}  // namespace
}  // namespace eventlake::query

namespace eventlake::query {
namespace {

TEST_F(QueryEngineTest, ARepeatedQueryReadsTheNewestVersionAndKeepsItsDialect) {
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t"), (std::vector<std::string>{"[3]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t"), (std::vector<std::string>{"[3]"}));
  Add("d", kDec1 + 5000, "z", 4);
  ASSERT_TRUE(writer_->Flush({}).has_value());
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t"), (std::vector<std::string>{"[4]"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM curated.t AT (VERSION => 1)"), (std::vector<std::string>{"[3]"}));
  // The same text means other things in the two dialects: `~` matches
  // anywhere in Postgres, all of the text in DuckDB.
  for (int i = 0; i < 2; ++i) {
    CollectingSink duckdb, postgres;
    ASSERT_TRUE(std::holds_alternative<QueryStats>(engine_->Run({.sql = "SELECT 'abc' ~ 'b'"}, duckdb)));
    ASSERT_TRUE(std::holds_alternative<QueryStats>(
        engine_->Run({.sql = "SELECT 'abc' ~ 'b'", .dialect = SqlDialect::kPostgres}, postgres)));
    EXPECT_EQ(duckdb.rows, (std::vector<std::string>{"[false]"}));
    EXPECT_EQ(postgres.rows, (std::vector<std::string>{"[true]"}));
  }
  // A refused query stays refused, and a syntax error keeps its position.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Failure("SELECT * FROM read_text('/etc/passwd')").code(), StatusCode::kPermissionDenied);
    auto r = Run("SELECT * FORM curated.t");
    ASSERT_TRUE(std::holds_alternative<QueryFailure>(r));
    EXPECT_TRUE(std::get<QueryFailure>(r).position.has_value());
  }
}

}  // namespace
}  // namespace eventlake::query
