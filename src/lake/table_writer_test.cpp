#include "lake/table_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "lake/local_object_store.h"

namespace eventlake::lake {
namespace {

constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t k2026_12_02 = 20'789 * kDay;  // 2026-12-02T00:00:00Z

class TableWriterTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir() + "/tw-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    store_ = std::move(LocalObjectStore::Open(root_).value());
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    clock_.SetNowMicros(k2026_12_02 + 1000);
  }

  std::unique_ptr<TableWriter> Open(std::vector<std::string> partition_by = {"day(time)"}) {
    auto writer = TableWriter::Open(
        store_.get(), db_.get(),
        {.name = "curated.events",
         .partition_by = std::move(partition_by),
         .initial_columns = {{"id", ColumnType::kString}, {"time", ColumnType::kTimestamp}}},
        &clock_);
    EXPECT_TRUE(writer.has_value()) << writer.error().ToString();
    return std::move(*writer);
  }

  // Rows of the latest snapshot, through DuckDB over the live files, as
  // "col=value|..." strings ordered by id.
  std::vector<std::string> ReadBack(const std::string& columns) {
    auto snapshot = DeltaLog(store_.get(), "curated/events").Load().value();
    std::string files;
    for (const auto& [path, add] : snapshot->files) {
      files += (files.empty() ? "'" : ", '") + root_ + "/curated/events/" + path + "'";
    }
    if (files.empty()) return {};
    auto c = db_->Connect().value();
    auto r = c->Query("SELECT " + columns + " FROM read_parquet([" + files +
                      "], union_by_name = true) ORDER BY id");
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    std::vector<std::string> rows;
    for (size_t i = 0; i < r->rows(); ++i) {
      std::string row;
      for (size_t j = 0; j < r->columns(); ++j) {
        row += (j ? "|" : "") + r->String(j, i).value_or("NULL");
      }
      rows.push_back(row);
    }
    return rows;
  }

  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<engine::Database> db_;
  ManualClock clock_;
};

TEST_F(TableWriterTest, RowsLandInTheirEventTimePartitionInOneCommit) {
  auto w = Open();
  std::vector<Cell> a = {{"id", std::string_view("a")}, {"time", TimestampValue{k2026_12_02 + 5}},
                         {"n", int64_t{1}}};
  std::vector<Cell> b = {{"id", std::string_view("b")}, {"time", TimestampValue{k2026_12_02 - 5}},
                         {"n", int64_t{2}}};
  ASSERT_TRUE(w->Add(a).ok());
  ASSERT_TRUE(w->Add(b).ok());
  EXPECT_EQ(w->buffered_rows(), 2u);
  auto flushed = w->Flush({{"L/s/0", 41, 0}});
  ASSERT_TRUE(flushed.has_value()) << flushed.error().ToString();
  EXPECT_EQ(flushed->version, 1);  // 0 created the table
  EXPECT_EQ(flushed->files, 2u);
  EXPECT_EQ(flushed->rows, 2u);
  auto snapshot = w->snapshot();
  EXPECT_EQ(snapshot->txns.at("L/s/0"), 41);
  std::set<std::string> dirs;
  for (const auto& [path, add] : snapshot->files) dirs.insert(path.substr(0, path.find('/')));
  EXPECT_EQ(dirs, (std::set<std::string>{"dt=2026-12-01", "dt=2026-12-02"}));
  EXPECT_EQ(ReadBack("id, n"), (std::vector<std::string>{"a|1", "b|2"}));
  EXPECT_EQ(w->buffered_rows(), 0u);
}

TEST_F(TableWriterTest, StatsAreBoundsOfEveryColumn) {
  auto w = Open({});
  const std::string long_text(40, 'z');
  for (int i = 0; i < 3; ++i) {
    std::string id = "id-" + std::to_string(i);
    std::vector<Cell> row = {{"id", std::string_view(id)},
                             {"time", TimestampValue{k2026_12_02 + 1500 * i + 1}},
                             {"x", i == 1 ? CellValue{} : CellValue{0.5 * i}},
                             {"s", std::string_view(long_text)}};
    ASSERT_TRUE(w->Add(row).ok());
  }
  auto flushed = w->Flush({});
  ASSERT_TRUE(flushed.has_value()) << flushed.error().ToString();
  auto files = w->snapshot()->files;
  ASSERT_EQ(files.size(), 1u);
  auto stats = nlohmann::json::parse(files.begin()->second.stats);
  EXPECT_EQ(stats["numRecords"], 3);
  EXPECT_EQ(stats["minValues"]["id"], "id-0");
  EXPECT_EQ(stats["maxValues"]["id"], "id-2");
  EXPECT_EQ(stats["minValues"]["time"], "2026-12-02T00:00:00.000Z");  // rounded down
  EXPECT_EQ(stats["maxValues"]["time"], "2026-12-02T00:00:00.004Z");  // 3001 us, rounded up
  EXPECT_EQ(stats["minValues"]["x"], 0.0);
  EXPECT_EQ(stats["maxValues"]["x"], 1.0);
  EXPECT_EQ(stats["nullCount"]["x"], 1);
  EXPECT_EQ(stats["minValues"]["s"], std::string(32, 'z'));  // a prefix is still a lower bound
  EXPECT_FALSE(stats["maxValues"].contains("s"));            // a cut one is not an upper bound
}

TEST_F(TableWriterTest, SchemaEvolvesByNewColumnsAndWideningAndRefusesTheRest) {
  auto w = Open({});
  std::vector<Cell> first = {{"id", std::string_view("1")}, {"n", int64_t{5}}};
  ASSERT_TRUE(w->Add(first).ok());
  std::vector<Cell> wider = {{"id", std::string_view("2")}, {"n", 2.5}, {"extra", true}};
  ASSERT_TRUE(w->Add(wider).ok());
  std::vector<Cell> bad = {{"id", std::string_view("3")}, {"n", std::string_view("five")}};
  Status refused = w->Add(bad);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("column n"), std::string::npos) << refused.message();
  EXPECT_EQ(w->buffered_rows(), 2u);  // the refused row is not half-written
  ASSERT_TRUE(w->Flush({}).has_value());
  const TableSchema& schema = w->snapshot()->schema;
  ASSERT_NE(schema.Find("n"), nullptr);
  EXPECT_EQ(schema.Find("n")->type, ColumnType::kDouble);
  EXPECT_EQ(schema.Find("extra")->type, ColumnType::kBoolean);
  EXPECT_EQ(ReadBack("id, n, extra"), (std::vector<std::string>{"1|5.0|NULL", "2|2.5|true"}));

  // A reopened writer knows the evolved schema; an old file still reads.
  w.reset();
  auto again = Open({});
  EXPECT_EQ(again->schema().Find("n")->type, ColumnType::kDouble);
  std::vector<Cell> later = {{"id", std::string_view("4")}, {"n", int64_t{7}}};
  ASSERT_TRUE(again->Add(later).ok());
  ASSERT_TRUE(again->Flush({}).has_value());
  EXPECT_EQ(ReadBack("id, n"), (std::vector<std::string>{"1|5.0", "2|2.5", "4|7.0"}));
}

TEST_F(TableWriterTest, PartitionValuesWithSpecialBytesRoundTripThroughTheLog) {
  auto w = Open({"country"});
  const std::string nasty[] = {"a/b", "..", "x=y", "50%", std::string("nul\0byte", 8), "zürich"};
  int i = 0;
  for (const std::string& v : nasty) {
    std::string id = std::to_string(i++);
    std::vector<Cell> row = {{"id", std::string_view(id)}, {"country", std::string_view(v)}};
    ASSERT_TRUE(w->Add(row).ok());
  }
  std::vector<Cell> none = {{"id", std::string_view("null")}};
  ASSERT_TRUE(w->Add(none).ok());
  ASSERT_TRUE(w->Flush({}).has_value());
  auto snapshot = DeltaLog(store_.get(), "curated/events").Load().value();
  std::set<std::optional<std::string>> values;
  for (const auto& [path, add] : snapshot->files) {
    ASSERT_EQ(add.partition_values.size(), 1u);
    values.insert(add.partition_values[0].second);
    EXPECT_TRUE(store_->Head("curated/events/" + path).has_value()) << path;
    EXPECT_EQ(path.find("/../"), std::string::npos) << path;  // ".." only inside "country=.."
    // The directory's value unescapes to the value in the log.
    auto parsed = ParsePartitionDirectory(path.substr(0, path.rfind('/'))).value();
    EXPECT_EQ(parsed[0].second, add.partition_values[0].second);
  }
  std::set<std::optional<std::string>> expected(std::begin(nasty), std::end(nasty));
  expected.insert(std::nullopt);
  EXPECT_EQ(values, expected);
}

TEST_F(TableWriterTest, FlushThresholdsAndACommitOfOffsetsAlone) {
  auto w = TableWriter::Open(store_.get(), db_.get(),
                             {.name = "curated.events", .max_rows = 3, .max_age = std::chrono::seconds(5)},
                             &clock_)
               .value();
  std::vector<Cell> row = {{"id", std::string_view("x")}};
  ASSERT_TRUE(w->Add(row).ok());
  EXPECT_FALSE(w->ShouldFlush());
  clock_.SetNowMicros(clock_.NowMicros() + 5'000'000);
  EXPECT_TRUE(w->ShouldFlush());  // max_age
  ASSERT_TRUE(w->Add(row).ok());
  ASSERT_TRUE(w->Add(row).ok());
  EXPECT_TRUE(w->ShouldFlush());  // max_rows
  w->Discard();
  EXPECT_EQ(w->buffered_rows(), 0u);
  // Every row dead-lettered: the offsets still move forward.
  auto r = w->Flush({{"L/s/2", 99, 0}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->files, 0u);
  EXPECT_EQ(w->snapshot()->txns.at("L/s/2"), 99);
}

TEST_F(TableWriterTest, ABadTableNameOrPartitionChangeIsRefused) {
  EXPECT_FALSE(TableWriter::Open(store_.get(), db_.get(), {.name = "events"}, &clock_).has_value());
  EXPECT_FALSE(TableWriter::Open(store_.get(), db_.get(), {.name = "gold.x"}, &clock_).has_value());
  EXPECT_FALSE(TableWriter::Open(store_.get(), db_.get(), {.name = "curated.X"}, &clock_).has_value());
  Open({"day(time)"});
  auto other = TableWriter::Open(store_.get(), db_.get(),
                                 {.name = "curated.events", .partition_by = {"hour(time)"}}, &clock_);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace eventlake::lake

namespace eventlake::lake {
namespace {

TEST_F(TableWriterTest, RfcTimeTextFillsATimestampColumnAndAClosedTableRefusesNewColumns) {
  auto w = TableWriter::Open(store_.get(), db_.get(),
                             {.name = "curated.events",
                              .initial_columns = {{"id", ColumnType::kString},
                                                  {"at", ColumnType::kTimestamp}},
                              .add_columns = false},
                             &clock_)
               .value();
  std::vector<Cell> ok = {{"id", std::string_view("1")},
                          {"at", std::string_view("2026-12-02T01:02:03.5+01:00")}};
  ASSERT_TRUE(w->Add(ok).ok());
  std::vector<Cell> bad_time = {{"id", std::string_view("2")}, {"at", std::string_view("noon")}};
  EXPECT_EQ(w->Add(bad_time).code(), StatusCode::kInvalidArgument);
  std::vector<Cell> extra = {{"id", std::string_view("3")}, {"other", int64_t{1}}};
  Status refused = w->Add(extra);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("other"), std::string::npos);
  ASSERT_TRUE(w->Flush({}).has_value());
  EXPECT_EQ(ReadBack("id, epoch_us(\"at\")::VARCHAR"),
            std::vector<std::string>{"1|1796169723500000"});
  EXPECT_EQ(w->snapshot()->schema.columns.size(), 2u);
}

}  // namespace
}  // namespace eventlake::lake
