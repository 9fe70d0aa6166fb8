// Tests for the file_drop options table: every key parsed, defaults kept,
// bad values and unknown keys refused with their path.
#include "ingest/sources/file_drop_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eventlake::ingest {
namespace {

using ::testing::HasSubstr;

Result<FileDropOptions> Parse(std::string_view yaml) {
  Result<YAML::Node> node = config::LoadYaml(yaml, "test.yaml");
  if (!node.has_value()) return Err(node.error());
  FileDropOptions options;
  EL_RETURN_IF_ERROR(FileDropOptionsTable().Parse(*node, "sources[0].file_drop", &options));
  return options;
}

TEST(FileDropOptions, ParsesEveryKey) {
  Result<FileDropOptions> options = Parse(R"(
directory: /srv/landing
pattern: "orders-*.csv"
poll_interval: 250ms
format: csv
max_file_bytes: 64MiB
settle_time: 5s
batch_events: 500
retry_backoff: 50ms
)");
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  EXPECT_EQ(options->directory, "/srv/landing");
  EXPECT_EQ(options->pattern, "orders-*.csv");
  EXPECT_EQ(options->poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(options->format, FileFormat::kCsv);
  EXPECT_EQ(options->max_file_bytes, 64ull << 20);
  EXPECT_EQ(options->settle_time, std::chrono::seconds(5));
  EXPECT_EQ(options->batch_events, 500u);
  EXPECT_EQ(options->retry_backoff, std::chrono::milliseconds(50));
}

TEST(FileDropOptions, KeepsDefaultsForAbsentKeys) {
  Result<FileDropOptions> options = Parse("{directory: ./landing}");
  ASSERT_TRUE(options.has_value()) << options.error().ToString();
  EXPECT_EQ(options->pattern, "*");
  EXPECT_EQ(options->poll_interval, std::chrono::seconds(1));
  EXPECT_EQ(options->record_type, "eventlake.record");
  EXPECT_EQ(options->format, FileFormat::kAuto);
  EXPECT_EQ(options->max_file_bytes, 256ull << 20);
  EXPECT_EQ(options->settle_time, std::chrono::seconds(1));
  EXPECT_EQ(options->batch_events, 1000u);
}

TEST(FileDropOptions, RequiresDirectory) {
  EXPECT_THAT(Parse("{pattern: '*.csv'}").error().message(),
              HasSubstr("sources[0].file_drop.directory: required"));
}

TEST(FileDropOptions, TheSourceNameAndTypeComeFromTheEnclosingSource) {
  EXPECT_THAT(Parse("{directory: b, name: drops}").error().message(),
              HasSubstr("sources[0].file_drop.name: unknown key"));
  FileDropOptions options;
  options.directory = "x";
  EXPECT_THAT(ValidateFileDropOptions(options).message(), HasSubstr("name: must not be empty"));
  options.name = "drops";
  options.record_type = "";
  EXPECT_THAT(ValidateFileDropOptions(options).message(),
              HasSubstr("record_type: must not be empty"));
}

TEST(FileDropOptions, RefusesUnknownKeyAndBadValues) {
  EXPECT_THAT(Parse("{directory: b, recursive: true}").error().message(),
              HasSubstr("sources[0].file_drop.recursive: unknown key"));
  EXPECT_THAT(Parse("{directory: b, format: xml}").error().message(),
              HasSubstr("sources[0].file_drop.format"));
  EXPECT_THAT(Parse("{directory: b, batch_events: 0}").error().message(),
              HasSubstr("sources[0].file_drop.batch_events"));
  EXPECT_THAT(Parse("{directory: b, pattern: ''}").error().message(),
              HasSubstr("pattern: must not be empty"));
}

TEST(FileDropOptions, ReferenceDocumentsEveryKey) {
  std::string reference = FileDropOptionsTable().Reference();
  for (const std::string& key : FileDropOptionsTable().Keys()) {
    EXPECT_THAT(reference, HasSubstr("`" + key + "`")) << key;
  }
}

}  // namespace
}  // namespace eventlake::ingest
