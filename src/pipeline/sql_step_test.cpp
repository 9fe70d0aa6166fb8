// SqlStep: the batch as a table, results as events, failures isolated by
// the batch runner, and statements that may not run refused up front.
#include "pipeline/sql_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eventlake::pipeline {
namespace {

using nlohmann::json;
using testing::HasSubstr;

BatchRecord Event(std::string id, std::string data, std::optional<TimestampMicros> time = std::nullopt) {
  BatchRecord r;
  r.event.id = std::move(id);
  r.event.source = "/web";
  r.event.type = "click";
  r.event.time = time;
  r.event.data = std::move(data);
  r.appended_micros = 1;
  return r;
}

std::vector<BatchRecord> Clicks() {
  return {Event("a", R"({"country": "de", "price": 3, "id": "shadowed"})", 1'796'212'800'000'000),
          Event("b", R"({"country": "fr", "price": 0.5})"),
          Event("c", R"({"country": "de", "price": 2, "extra": {"k": [1, 2]}})")};
}

std::unique_ptr<SqlStep> Step(std::string sql) {
  auto step = SqlStep::Create({.sql = std::move(sql)});
  EXPECT_TRUE(step.has_value()) << step.error().ToString();
  return step.has_value() ? std::move(*step) : nullptr;
}

TEST(SqlStep, FiltersAndProjectsTheBatchsDataMembers) {
  auto step = Step("SELECT id, time, upper(country) AS country, price * 2 AS doubled FROM batch WHERE price > 1");
  const std::vector<BatchRecord> batch = Clicks();
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[0].id, "a");  // the attribute, not the member of that name
  EXPECT_EQ(r.out[0].time, 1'796'212'800'000'000);
  EXPECT_EQ(r.out[0].source, "/eventlake/pipeline");
  EXPECT_EQ(json::parse(r.out[0].data), json::parse(R"({"country": "DE", "doubled": 6.0})"));
  EXPECT_EQ(r.out[1].id, "c");
  EXPECT_FALSE(r.out[1].time.has_value());
}

TEST(SqlStep, SelectStarPassesEventsThroughAndAggregatesAreNewEvents) {
  auto all = Step("SELECT * FROM batch ORDER BY id");
  const std::vector<BatchRecord> clicks = Clicks();
  StepResult r = all->Run(clicks);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 3u);
  EXPECT_EQ(r.out[0].source, "/web");
  EXPECT_EQ(r.out[0].type, "click");
  const json c = json::parse(r.out[2].data);
  EXPECT_EQ(c["country"], "de");
  EXPECT_EQ(c["extra"], json::parse(R"({"k": [1, 2]})"));
  EXPECT_FALSE(c.contains("data"));
  // A member named like an attribute is data_id in the batch and id again in the data.
  EXPECT_EQ(json::parse(r.out[0].data)["id"], "shadowed");
  EXPECT_EQ(r.out[0].id, "a");

  auto counts = Step("SELECT country, count(*) AS n, sum(price) AS revenue FROM batch GROUP BY country ORDER BY country");
  r = counts->Run(clicks);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(json::parse(r.out[0].data), json::parse(R"({"country": "de", "n": 2, "revenue": 5.0})"));
  EXPECT_EQ(r.out[0].type, "eventlake.pipeline.sql");
  EXPECT_EQ(r.out[0].id.size(), 36u);  // a new UUIDv7
  // The same step over the next batch, of another shape.
  const std::vector<BatchRecord> next = {Event("d", R"({"country": "it", "price": 1, "new": true})")};
  r = counts->Run(next);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(json::parse(r.out[0].data)["country"], "it");
}

TEST(SqlStep, EachBatchIsTypedByItsOwnMembersWhateverTheBatchBefore) {
  auto step = Step("SELECT * FROM batch ORDER BY id");
  const std::vector<std::vector<BatchRecord>> batches = {
      {Event("a", R"({"n": 1, "s": "x"})"), Event("b", R"({"n": 2})")},
      {Event("c", R"({"n": 3, "s": "y"})")},           // the same members again
      {Event("d", R"({"m": true})")},                  // other members
      {Event("e", R"({"n": "three", "s": "z"})")},     // a member's type changed
      {Event("f", R"({"n": 4.5})"), Event("g", "7")},  // and again, with data that is not an object
      {},
      {Event("h", R"({"n": 1, "s": "x"})")},
  };
  const std::vector<std::vector<json>> expected = {
      {json::parse(R"({"n": 1, "s": "x"})"), json::parse(R"({"n": 2})")},
      {json::parse(R"({"n": 3, "s": "y"})")},
      {json::parse(R"({"m": true})")},
      {json::parse(R"({"n": "three", "s": "z"})")},
      {json::parse(R"({"n": 4.5})"), json::parse("7")},
      {},
      {json::parse(R"({"n": 1, "s": "x"})")},
  };
  for (size_t b = 0; b < batches.size(); ++b) {
    StepResult r = step->Run(batches[b]);
    ASSERT_TRUE(r.status.ok()) << b << ": " << r.status.ToString();
    ASSERT_EQ(r.out.size(), expected[b].size()) << b;
    for (size_t i = 0; i < r.out.size(); ++i) EXPECT_EQ(json::parse(r.out[i].data), expected[b][i]) << b;
  }
  // A statement that names a member fails the batches without it, and works again after.
  auto named = Step("SELECT s FROM batch");
  EXPECT_TRUE(named->Run(batches[0]).status.ok());
  EXPECT_FALSE(named->Run(batches[2]).status.ok());
  StepResult again = named->Run(batches[1]);
  ASSERT_TRUE(again.status.ok()) << again.status.ToString();
  ASSERT_EQ(again.out.size(), 1u);
  EXPECT_EQ(json::parse(again.out[0].data), json::parse(R"({"s": "y"})"));
}

TEST(SqlStep, AMembersTypeIsTheWholeBatchsWhicheverEventsShowIt) {
  auto step = Step("SELECT id, typeof(n) AS t FROM batch ORDER BY id");
  const std::vector<std::pair<std::vector<BatchRecord>, std::string>> batches = {
      {{Event("a", R"({"n": 1})"), Event("b", R"({"n": 2})")}, "UBIGINT"},
      {{Event("a", R"({"n": 1})"), Event("b", R"({"n": -2})")}, "BIGINT"},
      {{Event("a", R"({"n": 3})"), Event("b", R"({"n": 4})")}, "UBIGINT"},
      {{Event("a", R"({"n": 1})"), Event("b", R"({"n": 18446744073709551616})")}, "DOUBLE"},  // DuckDB's own look
      {{Event("a", R"({"n": 1})"), Event("b", R"({"n": 2.5})")}, "DOUBLE"},
  };
  for (const auto& [batch, type] : batches) {
    StepResult r = step->Run(batch);
    ASSERT_TRUE(r.status.ok()) << type << ": " << r.status.ToString();
    ASSERT_EQ(r.out.size(), 2u);
    EXPECT_EQ(json::parse(r.out[1].data)["t"], type) << batch[1].event.data;
  }
}

TEST(SqlStep, FilterAndConditionsFollowTheBatchsStructureToo) {
  auto filter = SqlStep::Create({.filter = "n > 1"});
  ASSERT_TRUE(filter.has_value()) << filter.error().ToString();
  auto conditions = SqlStep::Create({.conditions = {"n > 1", "s = 'x'"}});
  ASSERT_TRUE(conditions.has_value()) << conditions.error().ToString();
  const std::vector<BatchRecord> ints = {Event("a", R"({"n": 1, "s": "x"})"), Event("b", R"({"n": 2})")};
  const std::vector<BatchRecord> doubles = {Event("c", R"({"n": 1.5})"), Event("d", R"({"n": 0.5, "s": "x"})")};
  StepResult r = (*filter)->Run(ints);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.Event(0, ints).id, "b");
  r = (*filter)->Run(doubles);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.Event(0, doubles).id, "c");
  EXPECT_EQ((*conditions)->Conditions(ints), (std::vector<uint64_t>{0b10, 0b01}));
  EXPECT_EQ((*conditions)->Conditions(doubles), (std::vector<uint64_t>{0b01, 0b10}));
  EXPECT_EQ((*conditions)->Conditions(ints), (std::vector<uint64_t>{0b10, 0b01}));
}

TEST(SqlStep, ColumnsOfEveryKindBecomeTheDataTheyHeld) {
  const std::vector<BatchRecord> batch = {
      Event("a", R"({"big": 18446744073709551615, "neg": -9223372036854775808, "name": "grüße 🎉 \"q\"",)"
                 R"( "nested": {"z": [1, null], "a": {"k": "v"}}, "none": null})",
            1'796'212'800'000'001)};
  // Read from the columns (the reader's types) and rendered by to_json (DECIMAL, MAP, TIMESTAMP): the same rule.
  for (const std::string sql : {"SELECT * FROM batch", "SELECT *, 1.5 AS d, MAP {'k': 1} AS m, time AS t FROM batch"}) {
    auto step = Step(sql);
    StepResult r = step->Run(batch);
    ASSERT_TRUE(r.status.ok()) << sql << ": " << r.status.ToString();
    ASSERT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.out[0].id, "a");
    EXPECT_EQ(r.out[0].time, 1'796'212'800'000'001);
    const json data = json::parse(r.out[0].data);
    EXPECT_EQ(data["big"], 18446744073709551615u) << sql;
    EXPECT_EQ(data["neg"], INT64_MIN) << sql;
    EXPECT_EQ(data["name"], "grüße 🎉 \"q\"") << sql;
    EXPECT_EQ(data["nested"], json::parse(R"({"a": {"k": "v"}, "z": [1, null]})")) << sql;
    EXPECT_FALSE(data.contains("none")) << sql;
    if (data.contains("m")) {
      EXPECT_EQ(data["d"], 1.5);
      EXPECT_EQ(data["m"], json::parse(R"({"k": 1})"));
      EXPECT_EQ(data["t"], "2026-12-02 12:00:00.000001+00");
    }
  }
}

TEST(SqlStep, AFilterKeepsTheEventsItIsTrueForUnchanged) {
  auto step = SqlStep::Create({.filter = "price > 1 AND country = 'de'"});
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  const std::vector<BatchRecord> batch = Clicks();
  StepResult r = (*step)->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.Event(0, batch), batch[0].event);  // as received: the same data text, attributes and all
  EXPECT_EQ(r.Event(1, batch), batch[2].event);
  EXPECT_FALSE(SqlStep::Create({.filter = "price >"}).has_value());
  EXPECT_FALSE(SqlStep::Create({.sql = "SELECT 1", .filter = "true"}).has_value());
  EXPECT_FALSE(SqlStep::Create({}).has_value());
}

TEST(SqlStep, DataThatIsNotAnObjectIsTheDataColumn) {
  auto step = Step("SELECT id, data, n FROM batch ORDER BY id");
  const std::vector<BatchRecord> batch = {Event("a", "[1, 2]"), Event("b", R"({"n": 1})"), Event("c", "\"text\"")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 3u);
  EXPECT_EQ(json::parse(r.out[0].data), json::parse("[1, 2]"));
  EXPECT_EQ(json::parse(r.out[1].data), json::parse(R"({"n": 1})"));
  EXPECT_EQ(json::parse(r.out[2].data), "text");
}

TEST(SqlStep, DataIsAnObjectWhateverWhiteSpaceLeadsItAndBrokenDataFails) {
  auto step = Step("SELECT id, data, n FROM batch ORDER BY id");
  const std::vector<BatchRecord> batch = {Event("a", " \n\t{\"n\": 1}"), Event("b", "  [1]"), Event("c", "")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 3u);
  EXPECT_EQ(r.out[0].data, R"({"n":1})");
  EXPECT_EQ(r.out[1].data, "[1]");
  EXPECT_EQ(r.out[2].data, "{}");
  for (const std::string broken : {"{\"n\": 1", "{bad}", "[1,"}) {
    EXPECT_FALSE(step->Run(std::vector<BatchRecord>{Event("a", R"({"n": 1})"), Event("b", broken)}).status.ok()) << broken;
  }
  auto ids = Step("SELECT id FROM batch");  // even when the statement reads no data
  EXPECT_FALSE(ids->Run(std::vector<BatchRecord>{Event("a", R"({"n": 1})"), Event("b", "{bad}")}).status.ok());
}

TEST(SqlStep, ARecordThatMakesTheStatementFailIsIsolatedByTheRunner) {
  auto step = Step("SELECT id, CAST(price AS INTEGER) AS price FROM batch");
  std::vector<BatchRecord> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(Event("e" + std::to_string(i), R"({"price": "12"})"));
  batch[13].event.data = R"({"price": "twelve"})";
  batch[5].event.data = "not json";
  ManualClock clock;
  clock.SetNowMicros(2);  // the records were appended at 1
  BatchRunner runner({.max_attempts = 2}, &clock, [](std::chrono::microseconds) {});
  BatchOutcome outcome = runner.Run("sql", std::move(batch), [&](auto b) { return step->Run(b); });
  ASSERT_EQ(outcome.dead_letters.size(), 2u);
  EXPECT_EQ(outcome.dead_letters[0].record.event.id, "e5");
  EXPECT_EQ(outcome.dead_letters[1].record.event.id, "e13");
  EXPECT_THAT(outcome.dead_letters[1].error.message(), HasSubstr("twelve"));
  ASSERT_EQ(outcome.out.size(), 18u);
  EXPECT_EQ(json::parse(outcome.out[0].event.data)["price"], 12);
}

TEST(SqlStep, RefusesWhatIsNotOneSelectAndReadsNothingButTheBatch) {
  for (const std::string sql : {"SELEC 1", "COPY batch TO '/tmp/x.csv'", "SELECT 1; SELECT 2",
                                "ATTACH '/tmp/x.db'", "SET lock_configuration = false"}) {
    auto step = SqlStep::Create({.sql = sql});
    EXPECT_FALSE(step.has_value()) << sql;
  }
  const std::vector<BatchRecord> batch = Clicks();
  for (const std::string sql : {"SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM '/etc/passwd'",
                                "SELECT * FROM other", "SELECT nothing FROM batch"}) {
    auto step = Step(sql);
    ASSERT_NE(step, nullptr);
    StepResult r = step->Run(batch);
    EXPECT_FALSE(r.status.ok()) << sql;
    EXPECT_TRUE(r.out.empty());
  }
}

}  // namespace
}  // namespace eventlake::pipeline
