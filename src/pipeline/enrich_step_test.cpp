// EnrichStep: CSV, Parquet and NDJSON lookups, on_missing, into and
// fields, reloads after the file changes (and a broken one keeping the
// last table), max_rows, a lake table's versions, and config mistakes
// refused with their path.
#include "pipeline/enrich_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/database.h"
#include "pipeline/batch_test_util.h"
#include "pipeline/function_test_util.h"
#include "pipeline/step_factory.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;
using testing::HasSubstr;
using testing_util::MetricValue;

constexpr const char* kUsers =
    "user_id,name,country,tier\n"
    "1,Ada,UK,3\n"
    "2,Bob,FR,\n"
    "abc,Cy,DE,1\n";

std::string TempFile(const std::string& name, std::string_view content) {
  const std::string path =
      std::filesystem::path(testing::TempDir() + "/enrich-" + name).lexically_normal().string();
  std::ofstream(path, std::ios::trunc) << content;
  return path;
}

// `path` replaced as the step's docs advise (a new file renamed over it),
// with an mtime that differs from the last one for sure.
void Rewrite(const std::string& path, std::string_view content) {
  const auto before = std::filesystem::last_write_time(path);
  std::ofstream(path + ".new", std::ios::trunc) << content;
  std::filesystem::last_write_time(path + ".new", before + std::chrono::seconds(5));
  std::filesystem::rename(path + ".new", path);
}


EnrichOptions Csv(const std::string& file) {
  EnrichOptions options;
  options.file = file;
  options.columns.key = "user_id";
  return options;
}

std::unique_ptr<EnrichStep> Make(EnrichOptions options, EnrichEnvironment environment = {}) {
  auto step = EnrichStep::Create(std::move(options), std::move(environment));
  EXPECT_TRUE(step.has_value()) << step.error().ToString();
  return step.has_value() ? std::move(*step) : nullptr;
}

json DataOf(const CloudEvent& e) { return json::parse(e.data); }

TEST(EnrichStep, JoinsCsvRowsByAMemberIntoAnObject) {
  EnrichOptions options = Csv(TempFile("users.csv", kUsers));
  options.on = "user.id";
  options.columns.fields = {"name", "country"};
  options.into = "user";
  auto step = Make(options);
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->rows(), 3u);
  const auto batch = TestBatch({R"({"user": {"id": 1}, "n": 1})", R"({"user": {"id": "abc"}})",
                                R"({"user": {"id": "1"}})", R"({"user": {"id": 9}})"});
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.out.size(), 4u);
  EXPECT_EQ(r.out[0].data, R"({"user":{"id":1,"name":"Ada","country":"UK"},"n":1})");
  EXPECT_EQ(DataOf(r.out[1])["user"]["name"], "Cy");
  EXPECT_EQ(DataOf(r.out[2])["user"]["name"], "Ada");  // "1" and 1 have the same text
  EXPECT_EQ(r.Event(3, batch).data, R"({"user": {"id": 9}})");  // keep: unchanged, as it came
  EXPECT_EQ(r.out[0].id, "e0");
}

TEST(EnrichStep, ACsvKeyIsMatchedAsItIsWritten) {
  EnrichOptions options = Csv(TempFile("zips.csv", "zip,city\n01000,Bourg\n75001,Paris\n"));
  options.columns.key = "zip";
  const auto batch = TestBatch({R"({"zip": "01000"})", R"({"zip": 1000})", R"({"zip": 75001})"});
  StepResult r = Make(options)->Run(batch);
  ASSERT_EQ(r.out.size(), 3u);
  EXPECT_EQ(DataOf(r.out[0])["city"], "Bourg");
  EXPECT_FALSE(DataOf(r.Event(1, batch)).contains("city"));  // 1000 is not "01000"
  EXPECT_EQ(DataOf(r.out[2])["city"], "Paris");
}

TEST(EnrichStep, ReadsAFileWhoseNameHasQuotes) {
  auto step = Make(Csv(TempFile("o'brien \"users\".csv", kUsers)));
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->rows(), 3u);
}

TEST(EnrichStep, CopiesEveryColumnButTheKeyByDefaultAndNoNulls) {
  auto step = Make(Csv(TempFile("users-all.csv", kUsers)));
  ASSERT_NE(step, nullptr);
  StepResult r = step->Run(TestBatch({R"({"user_id": 2, "name": "old"})", R"({"user_id": 1})"}));
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(DataOf(r.out[0]),
            json::parse(R"({"user_id": 2, "name": "Bob", "country": "FR"})"));  // tier NULL
  EXPECT_EQ(DataOf(r.out[1]),
            json::parse(R"({"user_id": 1, "name": "Ada", "country": "UK", "tier": 3})"));
}

TEST(EnrichStep, ReadsParquetAndNdjson) {
  const std::string parquet = testing::TempDir() + "/enrich-users.parquet";
  {
    auto db = engine::Database::Open({}).value();
    auto connection = db->Connect().value();
    ASSERT_TRUE(connection
                    ->Execute("COPY (SELECT * FROM (VALUES (10, 'Ann', 1.5), (11, 'Ben', 2.0)) "
                              "t(sku, label, price)) "
                              "TO " +
                              engine::SqlString(parquet) + " (FORMAT parquet)")
                    .ok());
  }
  EnrichOptions options;
  options.file = parquet;
  options.format = LookupFormat::kParquet;
  options.columns.key = "sku";
  options.on = "item";
  auto from_parquet = Make(options);
  ASSERT_NE(from_parquet, nullptr);
  StepResult r = from_parquet->Run(TestBatch({R"({"item": 11})"}));
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(DataOf(r.out[0]), json::parse(R"({"item": 11, "label": "Ben", "price": 2.0})"));

  options.file = TempFile("users.ndjson",
                          "{\"code\": \"fr\", \"country\": \"France\", \"eu\": true}\n"
                          "{\"code\": \"ch\", \"country\": \"Switzerland\", \"eu\": false}\n");
  options.format = LookupFormat::kJson;
  options.columns.key = "code";
  options.on = "geo.code";
  options.into = "geo";
  auto from_ndjson = Make(options);
  ASSERT_NE(from_ndjson, nullptr);
  r = from_ndjson->Run(TestBatch({R"({"geo": {"code": "ch"}})"}));
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].data, R"({"geo":{"code":"ch","country":"Switzerland","eu":false}})");
}

TEST(EnrichStep, OnMissingKeepsDropsOrFailsTheEventAlone) {
  const std::string file = TempFile("users-missing.csv", kUsers);
  const auto batch =
      TestBatch({R"({"user_id": 1})", R"({"user_id": 7})", R"({"other": 1})", R"({"user_id": null})"});
  EnrichOptions options = Csv(file);
  options.on_missing = OnMissing::kKeep;
  EXPECT_EQ(Make(options)->Run(batch).out.size(), 4u);

  options.on_missing = OnMissing::kDrop;
  StepResult dropped = Make(options)->Run(batch);
  ASSERT_EQ(dropped.out.size(), 1u);
  EXPECT_EQ(dropped.out[0].id, "e0");
  EXPECT_TRUE(dropped.failed.empty());

  options.on_missing = OnMissing::kFail;
  StepResult failed = Make(options)->Run(batch);
  ASSERT_EQ(failed.out.size(), 1u);
  ASSERT_EQ(failed.failed.size(), 3u);
  EXPECT_EQ(failed.failed[0].index, 1u);
  EXPECT_EQ(failed.failed[0].error.code(), StatusCode::kNotFound);
  EXPECT_THAT(failed.failed[0].error.message(),
              HasSubstr("no row of " + file + " matches the event's user_id"));
}

TEST(EnrichStep, DataThatIsNotAnObjectOrAnIntoThatIsNotAnObjectFailsAlone) {
  EnrichOptions options = Csv(TempFile("users-into.csv", kUsers));
  options.into = "user";
  StepResult r =
      Make(options)->Run(TestBatch({"[1]", R"({"user_id": 1, "user": "ada"})", R"({"user_id": 1})"}));
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_THAT(r.failed[0].error.message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(r.failed[1].error.message(), HasSubstr("into user: not an object"));
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(DataOf(r.out[0])["user"]["name"], "Ada");
}

// A CSV lookup of kUsers on a clock the test moves, with metrics.
class EnrichStepReload : public testing::Test {
 protected:
  void SetUp() override {
    file_ = TempFile(
        std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) + ".csv",
        kUsers);
    EnrichOptions options = Csv(file_);
    options.reload = std::chrono::seconds(10);
    step_ = Make(options, {.metrics = &metrics_, .pipeline = "p", .clock = &clock_});
    ASSERT_NE(step_, nullptr);
  }
  // The name user 1 gets, `seconds` later.
  std::string NameOfUser1After(int seconds) {
    clock_.AdvanceMicros(int64_t{seconds} * 1'000'000);
    StepResult r = step_->Run(TestBatch({R"({"user_id": 1})"}));
    return r.out.size() == 1 ? DataOf(r.out[0]).value("name", "?") : "?";
  }
  double Metric(const std::string& name, const std::string& result = "") {
    return MetricValue(metrics_, name + R"({lookup=")" + file_ + R"(",pipeline="p")" +
                                     (result.empty() ? "" : R"(,result=")" + result + "\"") + "}");
  }

  ManualClock clock_;
  MetricsRegistry metrics_;
  std::string file_;
  std::unique_ptr<EnrichStep> step_;
};

TEST_F(EnrichStepReload, ReloadsAfterTheFileChangesAtMostEveryInterval) {
  Rewrite(file_, "user_id,name\n1,Ada Lovelace\n4,Dan\n");
  EXPECT_EQ(NameOfUser1After(5), "Ada");  // not checked before 10 s
  EXPECT_EQ(NameOfUser1After(5), "Ada Lovelace");
  EXPECT_EQ(step_->rows(), 2u);
  EXPECT_EQ(Metric("eventlake_enrich_reloads_total", "ok"), 1);
  EXPECT_EQ(NameOfUser1After(10), "Ada Lovelace");
  EXPECT_EQ(Metric("eventlake_enrich_reloads_total", "ok"), 1);  // unchanged: not loaded again
  EXPECT_EQ(Metric("eventlake_enrich_lookup_rows"), 2);
  EXPECT_EQ(Metric("eventlake_enrich_events_total", "matched"), 3);
}

TEST_F(EnrichStepReload, ABrokenReloadKeepsTheLastGoodTable) {
  Rewrite(file_, "id,name\n1,no key column\n");
  EXPECT_EQ(NameOfUser1After(10), "Ada");
  EXPECT_EQ(Metric("eventlake_enrich_reloads_total", "error"), 1);
  EXPECT_EQ(NameOfUser1After(10), "Ada");
  EXPECT_EQ(Metric("eventlake_enrich_reloads_total", "error"), 1);  // the same broken file: once

  std::filesystem::remove(file_);
  EXPECT_EQ(NameOfUser1After(10), "Ada");
  EXPECT_EQ(Metric("eventlake_enrich_reloads_total", "error"), 2);
  EXPECT_EQ(Metric("eventlake_enrich_lookup_rows"), 3);

  std::ofstream(file_) << "user_id,name\n1,Back\n";
  EXPECT_EQ(NameOfUser1After(10), "Back");
  EXPECT_EQ(Metric("eventlake_enrich_reloads_total", "ok"), 1);
}

TEST(EnrichStep, PartitionsRunWhileTheTableIsSwapped) {
  const std::string file = TempFile("users-threads.csv", kUsers);
  EnrichOptions options = Csv(file);
  options.reload = std::chrono::milliseconds(0);  // every batch checks
  auto step = Make(options);
  ASSERT_NE(step, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> partitions;
  for (int t = 0; t < 3; ++t) {
    partitions.emplace_back([&] {
      const auto batch = TestBatch({R"({"user_id": 1})"});
      while (!stop) {
        StepResult r = step->Run(batch);
        if (r.out.size() != 1 || !DataOf(r.out[0]).contains("name")) ++wrong;
      }
    });
  }
  for (int i = 0; i < 5; ++i) Rewrite(file, "user_id,name\n1,Ada " + std::to_string(i) + "\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (std::thread& t : partitions) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(DataOf(step->Run(TestBatch({R"({"user_id": 1})"})).out[0])["name"], "Ada 4");
}

TEST(EnrichStep, RefusesMoreThanMaxRows) {
  EnrichOptions options = Csv(TempFile("users-max.csv", kUsers));
  options.columns.max_rows = 2;
  auto step = EnrichStep::Create(options, {});
  ASSERT_FALSE(step.has_value());
  EXPECT_THAT(step.error().message(), HasSubstr("has more than 2 rows (max_rows)"));
  options.columns.max_rows = 3;
  EXPECT_TRUE(EnrichStep::Create(options, {}).has_value());
}

TEST(EnrichStep, ALakeTableReloadsWhenItsVersionChanges) {
  const std::string v0 = testing::TempDir() + "/enrich-table-0.parquet";
  const std::string v1 = testing::TempDir() + "/enrich-table-1.parquet";
  {
    auto db = engine::Database::Open({}).value();
    auto connection = db->Connect().value();
    ASSERT_TRUE(
        connection
            ->Execute("COPY (SELECT 1 AS id, 'one' AS label) TO " + engine::SqlString(v0) +
                      " (FORMAT parquet); COPY (SELECT 2 AS id, 'two' AS label, 7 AS tier) TO " +
                      engine::SqlString(v1) + " (FORMAT parquet)")
            .ok());
  }
  ManualClock clock;
  LookupFiles current{.paths = {v0}, .version = 3};
  std::vector<std::string> asked;
  EnrichOptions options;
  options.table = "curated.labels";
  options.format = LookupFormat::kParquet;
  options.columns.key = "id";
  auto step = Make(options, {.lake_files = [&](std::string_view table) -> Result<LookupFiles> {
                               asked.emplace_back(table);
                               return current;
                             },
                             .clock = &clock});
  ASSERT_NE(step, nullptr);
  const auto batch = TestBatch({R"({"id": 1})", R"({"id": 2})"});
  EXPECT_EQ(step->Run(batch).Event(1, batch).data, R"({"id": 2})");
  current = {.paths = {v0, v1}, .version = 4};
  clock.AdvanceMicros(10'000'000);
  StepResult r = step->Run(batch);
  // A column that came later (schema evolution) is matched by name.
  EXPECT_EQ(DataOf(r.out[1]), json::parse(R"({"id": 2, "tier": 7, "label": "two"})"));
  EXPECT_EQ(DataOf(r.out[0]), json::parse(R"({"id": 1, "label": "one"})"));
  EXPECT_EQ(asked, (std::vector<std::string>{"curated.labels", "curated.labels"}));
  options.table = "curated.other";
  EXPECT_THAT(EnrichStep::Create(options, {}).error().message(),
              HasSubstr("lake tables are not available"));
}

TEST(EnrichStep, TheFirstLoadFailingIsAnError) {
  EnrichOptions options = Csv(testing::TempDir() + "/enrich-no-such.csv");
  EXPECT_EQ(EnrichStep::Create(options, {}).error().code(), StatusCode::kNotFound);
  options = Csv(TempFile("users-fields.csv", kUsers));
  options.columns.fields = {"name", "email"};
  EXPECT_THAT(EnrichStep::Create(options, {}).error().message(),
              HasSubstr("has no column email (its columns: user_id, name, country, tier)"));
}

TEST(EnrichStepConfig, BuildsFromTheConfigAndMistakesNameTheirPath) {
  const std::string file = TempFile("users-config.csv", kUsers);
  auto build = [](const std::string& spec) {
    PipelineConfig config;
    config.name = "p";
    config.trigger.stream = "s";
    config.steps = json::parse("[{\"enrich\": " + spec + "}]");
    config.sinks = json::parse(R"([{"table": "curated.x"}])");
    auto specs = StepSpecs(config, "pipelines[0]");
    if (!specs.has_value()) return Result<StepFunction>(Err(specs.error()));
    return BuildStep(specs->at(0));
  };
  auto step = build(R"({"file": ")" + file + R"(", "key": "user_id", "on": "u", "fields": ["name"],
                        "into": "user", "on_missing": "drop", "max_rows": 10, "reload": "1s"})");
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  StepResult r = (*step)(TestBatch({R"({"u": 2})", R"({"u": 3})"}));
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].data, R"({"u":2,"user":{"name":"Bob"}})");

  const std::string at = "pipelines[0].steps[0].enrich";
  const std::pair<std::string, std::string> cases[] = {
      {R"({"key": "k"})", at + ": give one of file and table"},
      {R"({"file": "a.csv", "table": "t.u", "key": "k"})", at + ": give one of file and table"},
      {R"({"file": "a.csv"})", at + ".key: expected the lookup's key column"},
      {R"({"file": "a.txt", "key": "k"})", at + ".file: the format of"},
      {R"({"file": "a.txt", "key": "k", "format": "xml"})",
       at + ".format: csv, parquet, json or ndjson"},
      {R"({"table": "t.u", "key": "k", "format": "csv"})",
       at + ".format: a table's files are Parquet"},
      {R"({"file": "a.csv", "key": "k", "on": "a..b"})",
       at + ".on: enrich: \"a..b\" is not a member name"},
      {R"({"file": "a.csv", "key": "k", "into": 3})", at + ".into: expected a member name"},
      {R"({"file": "a.csv", "key": "k", "fields": "name"})", at + ".fields: expected a list"},
      {R"({"file": "a.csv", "key": "k", "fields": []})",
       at + ".fields: expected at least one column"},
      {R"({"file": "a.csv", "key": "k", "on_missing": "skip"})",
       at + ".on_missing: expected keep, drop or fail"},
      {R"({"file": "a.csv", "key": "k", "max_rows": 0})",
       at + ".max_rows: expected a number of rows"},
      {R"({"file": "a.csv", "key": "k", "reload": "10"})", at + ".reload: "},
      {R"({"file": "a.csv", "key": "k", "reloads": "10s"})", at + ".reloads: unknown key"},
      {R"("a.csv")", at + ": expected a map"},
  };
  for (const auto& [spec, message] : cases) {
    auto built = build(spec);
    ASSERT_FALSE(built.has_value()) << spec;
    EXPECT_THAT(built.error().message(), HasSubstr(message)) << spec;
  }
  // What only loading finds is named by the step's path too.
  auto missing = build(R"({"file": ")" + file + R"(", "key": "uid"})");
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(),
              HasSubstr(at + ": enrich: loading " + file + ": " + file + " has no column uid"));
  auto no_lake = build(R"({"table": "curated.users", "key": "id"})");
  EXPECT_THAT(no_lake.error().message(), HasSubstr(at + ": enrich: table curated.users"));
}

}  // namespace
}  // namespace eventlake::pipeline
