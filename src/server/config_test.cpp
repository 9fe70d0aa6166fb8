// Tests of eventlake.yaml parsing: every section, errors that name the key's
// path, cross-checks, the embedded default, and that docs/configuration.md
// carries the current generated reference.
#include "server/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace eventlake::server {
namespace {

using ::testing::HasSubstr;

TEST(ParseConfig, ReadsEverySection) {
  auto config = ParseConfig(R"(
server:
  listen: 127.0.0.1:9000
  data_dir: /tmp/x
  threads: 3
  max_body_bytes: 1MiB
  idle_timeout: 5s
  log_level: debug
streams:
  - name: clicks
    partitions: 8
    durability: interval
sources:
  - name: web
    stream: clicks
)",
                            "test.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server.listen, "127.0.0.1:9000");
  EXPECT_EQ(config->server.data_dir, "/tmp/x");
  EXPECT_EQ(config->server.threads, 3u);
  EXPECT_EQ(config->server.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->server.idle_timeout, std::chrono::seconds(5));
  EXPECT_EQ(config->server.pg_listen, "127.0.0.1:5433");  // default kept
  ASSERT_EQ(config->streams.size(), 1u);
  EXPECT_EQ(config->streams[0].partitions, 8u);
  EXPECT_EQ(config->streams[0].durability, log::Durability::kInterval);
  ASSERT_NE(config->FindSource("web"), nullptr);
  EXPECT_EQ(config->FindSource("web")->stream, "clicks");
  EXPECT_EQ(config->FindSource("nope"), nullptr);
}

TEST(ParseConfig, EmptyFileGivesDefaults) {
  auto config = ParseConfig("", "empty.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->server.listen, "127.0.0.1:8080");
  EXPECT_TRUE(config->streams.empty());
}

TEST(ParseConfig, RejectsUnknownTopLevelKeyWithItsName) {
  auto config = ParseConfig("server: {}\npipelinez: []\n", "my.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("my.yaml"));
  EXPECT_THAT(config.error().message(), HasSubstr("pipelinez"));
}

TEST(ParseConfig, RejectsUnknownNestedKeyWithItsPath) {
  auto config = ParseConfig("server:\n  listne: 127.0.0.1:1\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("server.listne"));
  config = ParseConfig("streams:\n  - name: a\n    partitons: 2\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("streams[0].partitons"));
}

TEST(ParseConfig, RejectsBadValuesWithTheirPath) {
  auto config = ParseConfig("server:\n  max_body_bytes: lots\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("server.max_body_bytes"));
  config = ParseConfig("server:\n  listen: nowhere\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("listen"));
  config = ParseConfig("server:\n  log_level: loud\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("server.log_level"));
}

TEST(ParseConfig, RejectsMalformedYamlWithPosition) {
  auto config = ParseConfig("server: [\n", "bad.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("bad.yaml:"));
}

TEST(ParseConfig, RejectsSourceOfUndeclaredStream) {
  auto config = ParseConfig("sources:\n  - name: web\n    stream: clicks\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("sources[0].stream"));
}

TEST(ParseConfig, RejectsDuplicateNames) {
  auto config = ParseConfig("streams:\n  - name: a\n  - name: a\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("streams[1].name"));
  config = ParseConfig(
      "streams: [{name: a}]\nsources: [{name: s, stream: a}, {name: s, stream: a}]\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("sources[1].name"));
}

TEST(ParseConfig, ChecksArchiveTables) {
  auto config = ParseConfig("tables: [{name: curated.a, archive_after: 30d}]\n", "c.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->tables[0].ArchiveTable(), "archive.a");
  // Two tables archiving into one archive table, or into a declared table.
  config = ParseConfig(
      "tables: [{name: curated.a, archive_after: 30d}, {name: analytics.a, archive_after: 9d}]\n",
      "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("tables[1].archive_to"));
  config = ParseConfig(
      "tables: [{name: curated.a, archive_after: 1d, archive_to: archive.b}, {name: archive.b}]\n",
      "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("tables[0].archive_to"));
  // Outside the archive zone; expiring before archiving.
  config = ParseConfig("tables: [{name: curated.a, archive_after: 1d, archive_to: curated.b}]\n",
                       "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("archive zone"));
  config = ParseConfig("tables: [{name: curated.a, archive_after: 30d, expire_after: 7d}]\n",
                       "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("shorter than expire_after"));
}

TEST(ParseConfig, RejectsSourceWithoutStream) {
  auto config = ParseConfig("streams: [{name: a}]\nsources: [{name: s}]\n", "c.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("sources[0].stream"));
}

TEST(ParseConfig, ReadsPipelinesAndChecksTheirStreamsAndTables) {
  const std::string base = R"(
streams: [{name: clicks}, {name: out}]
tables: [{name: curated.clicks}]
loaders: [{name: l, stream: clicks, table: curated.clicks}]
pipelines:
  - name: p
    trigger: {stream: clicks, max_records: 50, max_wait: 2s}
    steps:
      - filter: "price > 0"
    on_error: {max_attempts: 5}
    sinks:
      - stream: out
)";
  auto config = ParseConfig(base, "c.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  ASSERT_EQ(config->pipelines.size(), 1u);
  const pipeline::PipelineConfig& p = config->pipelines[0];
  EXPECT_EQ(p.trigger.max_records, 50u);
  EXPECT_EQ(p.trigger.max_wait, std::chrono::seconds(2));
  EXPECT_EQ(p.on_error.max_attempts, 5u);
  EXPECT_EQ(p.DeadLetterStream(), "p.dlq");
  EXPECT_EQ(p.steps[0]["filter"], "price > 0");
  EXPECT_TRUE(ValidateConfig(*config).ok());

  const std::pair<std::string, std::string> mistakes[] = {
      {"stream: clicks, max_records", "pipelines[0].trigger.stream: no stream named 'clicks2'"},
      {"- stream: out", "pipelines[0].sinks[0].stream: no stream named 'nowhere'"},
      {"- stream: out", "pipelines[0].sinks[0].table: no table named 'curated.nope'"},
      {"- stream: out", "pipelines[0].sinks[0].table: table 'curated.clicks' is already filled"},
  };
  const std::string replacements[] = {"stream: clicks2, max_records", "- stream: nowhere", "- table: curated.nope",
                                      "- table: curated.clicks"};
  for (size_t i = 0; i < std::size(mistakes); ++i) {
    std::string text = base;
    text.replace(text.find(mistakes[i].first), mistakes[i].first.size(), replacements[i]);
    auto bad = ParseConfig(text, "c.yaml");
    ASSERT_FALSE(bad) << text;
    EXPECT_THAT(bad.error().message(), HasSubstr(mistakes[i].second));
  }
  std::string unknown_step = base;
  unknown_step.replace(unknown_step.find("- filter:"), 9, "- explode:");
  auto parsed = ParseConfig(unknown_step, "c.yaml");
  ASSERT_TRUE(parsed) << parsed.error().ToString();  // kinds are checked by ValidateConfig
  EXPECT_THAT(ValidateConfig(*parsed).message(), HasSubstr("pipelines[0].steps[0].explode: unknown step kind"));

  // The webhook and kafka sinks' options are checked with the config, each mistake at its path.
  const std::pair<std::string, std::string> sink_mistakes[] = {
      {"- webhook: {url: 'https://h/', timeout: soon}", "pipelines[0].sinks[1].webhook.timeout"},
      {"- webhook: {url: 'https://h/', max_batch: 0}", "pipelines[0].sinks[1].webhook.max_batch"},
      {"- kafka: {topic: t, format: avro}", "pipelines[0].sinks[1].kafka.format"},
      {"- kafka: {topic: t, properties: {acks: 1}}", "pipelines[0].sinks[1].kafka.properties.acks"},
  };
  for (const auto& [sink, message] : sink_mistakes) {
    auto with_sink = ParseConfig(base + "      - " + sink.substr(2) + "\n", "c.yaml");
    ASSERT_TRUE(with_sink) << with_sink.error().ToString();
    EXPECT_THAT(ValidateConfig(*with_sink).message(), HasSubstr(message)) << sink;
  }
  auto good = ParseConfig(base + "      - webhook: https://example.com/hook\n      - kafka: {topic: t}\n", "c.yaml");
  ASSERT_TRUE(good) << good.error().ToString();
  EXPECT_TRUE(ValidateConfig(*good).ok()) << ValidateConfig(*good).ToString();
}

TEST(LoadConfigFile, NamesMissingFile) {
  auto config = LoadConfigFile("/nonexistent/eventlake.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message(), HasSubstr("/nonexistent/eventlake.yaml"));
}

TEST(EmbeddedDefaultConfig, FeedsSourceEventsIntoStreamEvents) {
  Config config = EmbeddedDefaultConfig();
  EXPECT_TRUE(ValidateConfig(config).ok());
  ASSERT_EQ(config.streams.size(), 1u);
  EXPECT_EQ(config.streams[0].name, "events");
  EXPECT_EQ(config.streams[0].partitions, 4u);
  EXPECT_EQ(config.streams[0].durability, log::Durability::kFsync);
  ASSERT_NE(config.FindSource("events"), nullptr);
  EXPECT_EQ(config.FindSource("events")->stream, "events");
  EXPECT_TRUE(config.loaders.empty());
  ASSERT_EQ(config.pipelines.size(), 1u);
  EXPECT_EQ(config.pipelines[0].trigger.stream, "events");
  EXPECT_EQ(config.pipelines[0].sinks.dump(), R"([{"table":"curated.events"}])");
}

TEST(ConfigReference, DocumentsEveryTable) {
  std::string reference = ConfigReference();
  for (const char* heading : {"## Top level", "## `server`", "## `streams[]`", "## `sources[]`",
                              "## `pipelines[].sinks[].webhook`", "## `pipelines[].sinks[].kafka`"}) {
    EXPECT_THAT(reference, HasSubstr(heading));
  }
  EXPECT_THAT(reference, HasSubstr("`max_body_bytes`"));
}

// docs/configuration.md must carry ConfigReference() between its markers.
TEST(ConfigReference, MatchesDocsConfigurationMd) {
  const char* source_dir = std::getenv("EVENTLAKE_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run through ctest, which sets EVENTLAKE_SOURCE_DIR";
  std::string path = std::string(source_dir) + "/docs/configuration.md";
  std::ifstream file(path);
  ASSERT_TRUE(file) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- BEGIN GENERATED REFERENCE -->\n";
  const std::string end = "<!-- END GENERATED REFERENCE -->";
  size_t from = doc.find(begin);
  size_t to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << path << " lacks the line " << begin;
  ASSERT_NE(to, std::string::npos) << path << " lacks the line " << end;
  std::string generated = doc.substr(from + begin.size(), to - from - begin.size());
  EXPECT_TRUE(generated == ConfigReference())
      << path << " is out of date with the option tables. Regenerate it with "
      << "scripts/update-config-reference [BUILD_DIR]";
}

}  // namespace
}  // namespace eventlake::server
