// Steps and sinks from their configuration: every built-in kind built and
// run, and each mistake refused with its path.
#include "pipeline/step_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pipeline/batch_test_util.h"
#include "pipeline/route_step.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;
using testing::HasSubstr;

PipelineConfig WithSteps(const std::string& steps_json, const std::string& sinks_json = R"([{"table": "curated.x"}])") {
  PipelineConfig config;
  config.name = "p";
  config.trigger.stream = "s";
  config.steps = json::parse(steps_json);
  config.sinks = json::parse(sinks_json);
  return config;
}


StepResult RunStep(const std::string& step_json, std::span<const BatchRecord> batch) {
  auto specs = StepSpecs(WithSteps("[" + step_json + "]"), "pipelines[0]").value();
  auto step = BuildStep(specs.at(0));
  EXPECT_TRUE(step.has_value()) << step.error().ToString();
  return (*step)(batch);
}

TEST(StepFactory, BuildsEachBuiltInKind) {
  const auto batch = TestBatch({R"({"price": "3", "email": "a@b.c", "debug": 1})", R"({"price": "x", "email": "d@e.f"})"});
  StepResult map = RunStep(R"({"map": {"rename": {"price": "cost"}, "drop": ["debug"]}})", batch);
  ASSERT_EQ(map.out.size(), 2u);
  EXPECT_EQ(json::parse(map.out[0].data), json::parse(R"({"cost": "3", "email": "a@b.c"})"));

  StepResult mask = RunStep(R"({"mask": {"redact": ["email"]}})", batch);
  EXPECT_EQ(json::parse(mask.out[1].data)["email"], "REDACTED");

  StepResult filter = RunStep(R"({"filter": "price = '3'"})", batch);
  ASSERT_EQ(filter.out.size(), 1u);
  EXPECT_EQ(filter.Event(0, batch).id, "e0");

  StepResult sql = RunStep(R"({"sql": {"sql": "SELECT id, upper(email) AS email FROM batch", "memory_limit": "64MB"}})", batch);
  ASSERT_EQ(sql.out.size(), 2u);
  EXPECT_EQ(json::parse(sql.out[1].data)["email"], "D@E.F");

  StepResult lua = RunStep(
      R"({"lua": {"code": "function process(e) if e.data.price == 'x' then return nil end e.data.seen = true return e end"}})",
      batch);
  ASSERT_EQ(lua.out.size(), 1u);
  EXPECT_EQ(json::parse(lua.out[0].data)["seen"], true);

  StepResult validate = RunStep(
      R"({"validate": {"schema": {"type": "object", "properties": {"price": {"type": "string", "pattern": "^[0-9]+$"}}}}})",
      batch);
  ASSERT_EQ(validate.failed.size(), 1u);
  EXPECT_EQ(validate.failed[0].index, 1u);

  StepResult route = RunStep(R"({"route": [{"when": "price = '3'", "to": "curated.x"}]})", batch);
  ASSERT_EQ(route.out.size(), 2u);
  EXPECT_EQ(RoutedSinks(route.out[0]).value(), (std::vector<std::string_view>{"curated.x"}));
  EXPECT_TRUE(RoutedSinks(route.out[1]).value().empty());
}

TEST(StepFactory, ADedupStepKeepsItsJournalInThePipelinesStateDirectory) {
  const std::string dir = testing::TempDir() + "/step-factory-state";
  std::filesystem::remove_all(dir);
  auto specs = StepSpecs(WithSteps(R"([{"map": {}}, {"dedup": "data.price"}])"), "pipelines[0]").value();
  EXPECT_THAT(BuildStep(specs[1]).error().message(), HasSubstr("needs a state directory"));
  auto step = BuildStep(specs[1], {.state_dir = dir, .step_index = 1});
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  StepResult r = (*step)(TestBatch({R"({"price": 1})", R"({"price": 1})"}));
  EXPECT_EQ(r.out.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir + "/dedup-1.journal"));
}

TEST(StepFactory, ReadsAValidateSchemaFromAFile) {
  const std::string path = testing::TempDir() + "/step-factory-schema.json";
  std::ofstream(path) << R"({"type": "object", "required": ["id"]})";
  StepResult result = RunStep(R"({"validate": ")" + path + R"("})", TestBatch({R"({"id": 1})", R"({})"}));
  EXPECT_EQ(result.out.size(), 1u);
  EXPECT_EQ(result.failed.size(), 1u);
}

TEST(StepFactory, TokenizeTakesItsKeyFromTheEnvironment) {
  auto spec = StepSpecs(WithSteps(R"([{"mask": {"tokenize": ["email"], "key_env": "EL_TEST_NO_SUCH_KEY"}}])"),
                        "pipelines[0]")
                  .value();
  auto missing = BuildStep(spec[0]);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(), HasSubstr("pipelines[0].steps[0].mask.key_env"));
  ::setenv("EL_TEST_TOKEN_KEY", "0123456789abcdef0123", 1);
  spec = StepSpecs(WithSteps(R"([{"mask": {"tokenize": ["email"], "key_env": "EL_TEST_TOKEN_KEY"}}])"),
                   "pipelines[0]")
             .value();
  auto step = BuildStep(spec[0]);
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  StepResult result = (*step)(TestBatch({R"({"email": "a@b.c"})"}));
  EXPECT_EQ(json::parse(result.out[0].data)["email"].get<std::string>().size(), 64u);
}

TEST(StepFactory, MistakesNameTheirPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([{"explode": 1}])", "pipelines[0].steps[0].explode: unknown step kind"},
      {R"([{"sql": "SELECT 1", "map": {}}])", "pipelines[0].steps[0]: expected a map with one key"},
      {R"(["sql"])", "pipelines[0].steps[0]: expected a map with one key"},
      {R"([{"map": {"cast": {"n": "complex"}}}])", "pipelines[0].steps[0].map.cast.n"},
      {R"([{"map": {"renames": {}}}])", "pipelines[0].steps[0].map.renames: unknown key"},
      {R"([{"map": {"drop": "a"}}])", "pipelines[0].steps[0].map.drop: expected a list"},
      {R"([{"validate": {"file": "a", "schema": {}}}])", "pipelines[0].steps[0].validate: give one of"},
      {R"([{"filter": {"x": 1}}])", "pipelines[0].steps[0].filter: expected an SQL expression"},
      {R"([{"mask": {"tokenize": ["a"]}}])", "pipelines[0].steps[0].mask.key_env"},
      {R"({"sql": "x"})", "pipelines[0].steps: expected a list"},
      {R"([{"lua": {"code": "x", "timeout": "soon"}}])", "pipelines[0].steps[0].lua.timeout"},
      {R"([{"dedup": {"key": "price"}}])", "pipelines[0].steps[0].dedup.key: dedup: the key field price"},
      {R"([{"dedup": {"key": []}}])", "pipelines[0].steps[0].dedup.key: expected at least one field"},
      {R"([{"dedup": {"window": "ever"}}])", "pipelines[0].steps[0].dedup.window"},
      {R"([{"dedup": {"max_entries": 0}}])", "pipelines[0].steps[0].dedup.max_entries: expected a count"},
      {R"([{"route": []}])", "pipelines[0].steps[0].route: expected a list of 1 to 64 rules"},
      {R"([{"route": [{"when": "a = 1"}]}])", "pipelines[0].steps[0].route[0].to: expected at least one sink"},
      {R"([{"route": {"rules": [{"when": 1, "to": "x"}]}}])", "pipelines[0].steps[0].route.rules[0].when"},
      {R"([{"route": [{"when": "a = 1", "to": "curated.y"}]}])",
       "a route names curated.y, which is none of the pipeline's sinks"},
  };
  for (const auto& [steps, message] : cases) {
    Status s = ValidatePipelineConfig(WithSteps(steps), "pipelines[0]");
    EXPECT_THAT(s.message(), HasSubstr(message)) << steps;
  }
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", "[]"), "pipelines[0]").message(),
              HasSubstr("pipelines[0].sinks: a pipeline needs at least one sink"));
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", R"([{"smtp": "x"}])"), "pipelines[0]").message(),
              HasSubstr("pipelines[0].sinks[0].smtp: unknown sink kind"));
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", R"([{"webhook": "x"}])"), "pipelines[0]").message(),
              HasSubstr("pipelines[0].sinks[0].webhook.url: expected an http:// or https:// URL"));
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", R"([{"webhook": {"url": "http://h/", "timeout": "soon"}}])"),
                                     "pipelines[0]")
                  .message(),
              HasSubstr("pipelines[0].sinks[0].webhook.timeout"));
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", R"([{"kafka": {"topic": "t", "properties": {"acks": 1}}}])"),
                                     "pipelines[0]")
                  .message(),
              HasSubstr("pipelines[0].sinks[0].kafka.properties.acks: set by the sink"));
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", R"([{"kafka": {"brokers": "h:9092"}}])"), "pipelines[0]").message(),
              HasSubstr("pipelines[0].sinks[0].kafka.topic"));
  EXPECT_THAT(ValidatePipelineConfig(WithSteps("[]", R"([{"table": ""}])"), "pipelines[0]").message(),
              HasSubstr("pipelines[0].sinks[0].table: expected the table's name"));
  PipelineConfig scheduled = WithSteps("[]");
  scheduled.trigger = {.stream = "", .schedule = "@hourly", .query = ""};
  EXPECT_THAT(ValidatePipelineConfig(scheduled, "pipelines[0]").message(),
              HasSubstr("pipelines[0].trigger.query: a scheduled pipeline needs a query"));
  scheduled.trigger.query = "SELECT 1";
  EXPECT_TRUE(ValidatePipelineConfig(scheduled, "pipelines[0]").ok());
  scheduled.trigger.schedule = "every now and then";
  EXPECT_THAT(ValidatePipelineConfig(scheduled, "pipelines[0]").message(), HasSubstr("pipelines[0].trigger.schedule"));
  scheduled.trigger.stream = "s";
  EXPECT_THAT(ValidatePipelineConfig(scheduled, "pipelines[0]").message(),
              HasSubstr("give exactly one of stream, schedule and objects"));
  PipelineConfig on_objects = WithSteps("[]");
  on_objects.trigger.stream = "";
  on_objects.trigger.objects.prefix = "landing/";
  EXPECT_TRUE(ValidatePipelineConfig(on_objects, "pipelines[0]").ok());
  on_objects.trigger.objects.zone = "raw";
  EXPECT_THAT(ValidatePipelineConfig(on_objects, "pipelines[0]").message(),
              HasSubstr("pipelines[0].trigger.objects: give one of prefix and zone"));
  on_objects.trigger.objects.zone = "";
  on_objects.trigger.stream = "s";
  EXPECT_THAT(ValidatePipelineConfig(on_objects, "pipelines[0]").message(),
              HasSubstr("give exactly one of stream, schedule and objects"));
  EXPECT_THAT(
      ValidatePipelineConfig(WithSteps("[]", R"([{"table": {"name": "analytics.x", "mode": "overwrite"}}])"),
                             "pipelines[0]")
          .message(),
      HasSubstr("pipelines[0].sinks[0].table.mode: overwrite is for scheduled pipelines"));
  auto bad_sql = BuildStep(StepSpecs(WithSteps(R"([{"sql": "DELETE FROM batch"}])"), "pipelines[0]").value()[0]);
  ASSERT_FALSE(bad_sql.has_value());
  EXPECT_THAT(bad_sql.error().message(), HasSubstr("pipelines[0].steps[0].sql"));
}

}  // namespace
}  // namespace eventlake::pipeline

namespace eventlake::pipeline {
namespace {

// What `eventlake apply` compares and keeps: every trigger kind and option
// survives PipelineConfigJson -> ParsePipelineConfig.
TEST(PipelineConfigJson, ReadsBackAsTheSamePipeline) {
  const char* yamls[] = {
      R"({name: a, trigger: {stream: s, max_records: 7, max_bytes: 2MiB, max_wait: 250ms},
          steps: [{map: {set: {v: 2}}}], sinks: [{table: curated.x}],
          on_error: {max_attempts: 5, backoff: 1s, jitter: 0.5, dead_letter_stream: dl}})",
      R"({name: b, trigger: {schedule: "@hourly", query: "SELECT 1"}, sinks: [{table: {name: analytics.y, mode: overwrite}}]})",
      R"({name: c, trigger: {objects: {prefix: landing/, poll: 2s, existing: true}}, sinks: [{stream: out}]})",
  };
  for (const char* yaml : yamls) {
    auto config = ParsePipelineConfig(yaml, "p");
    ASSERT_TRUE(config.has_value()) << config.error().ToString();
    const nlohmann::json json = PipelineConfigJson(*config);
    auto again = ParsePipelineConfig(json.dump(), "p");
    ASSERT_TRUE(again.has_value()) << again.error().ToString() << "\n" << json.dump();
    EXPECT_EQ(PipelineConfigJson(*again), json);
    EXPECT_TRUE(ValidatePipelineConfig(*again, "p").ok()) << ValidatePipelineConfig(*again, "p").ToString();
  }
  auto a = ParsePipelineConfig(yamls[0], "p").value();
  EXPECT_EQ(a.trigger.max_bytes, 2u << 20);
  EXPECT_EQ(a.on_error.max_attempts, 5u);
  EXPECT_EQ(PipelineConfigJson(a)["trigger"]["max_wait"], "250ms");
  EXPECT_FALSE(ParsePipelineConfig("{name: a, trigger: {stream: s}, sinks: [{table: x}], extra: 1}", "p").has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
