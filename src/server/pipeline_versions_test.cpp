// PipelineVersions: versions numbered per pipeline and read back in order,
// the pipelines that have any, and a file that is not versions refused.
#include "server/pipeline_versions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace eventlake::server {
namespace {

class PipelineVersionsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/pipeline-versions-" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(PipelineVersionsTest, NumbersEachPipelinesChangesAndReadsThemBackOldestFirst) {
  PipelineVersions versions(dir_);
  EXPECT_TRUE(versions.Load("a").value().empty());
  EXPECT_EQ(versions.Record("a", "added", "config", {{"name", "a"}}, 1'000'000).value().version, 1u);
  EXPECT_EQ(versions.Record("b", "added", "apply", {{"name", "b"}}, 2'000'000).value().version, 1u);
  EXPECT_EQ(versions.Record("a", "removed", "apply", nullptr, 3'000'000).value().version, 2u);
  const auto a = PipelineVersions(dir_).Load("a").value();  // from the file
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].change, "added");
  EXPECT_EQ(a[0].source, "config");
  EXPECT_EQ(a[0].config["name"], "a");
  EXPECT_EQ(a[0].time, 1'000'000);
  EXPECT_EQ(a[1].change, "removed");
  EXPECT_TRUE(a[1].config.is_null());
  EXPECT_EQ(versions.Names(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(PipelineVersionsTest, AFileThatIsNotVersionsIsCorruption) {
  std::filesystem::create_directories(dir_ + "/a");
  std::ofstream(dir_ + "/a/versions.json") << R"({"version": 1})";
  auto loaded = PipelineVersions(dir_).Load("a");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace eventlake::server
