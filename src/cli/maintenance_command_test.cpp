#include "cli/maintenance_command.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

TEST(MaintenanceCommand, CompactionSummaries) {
  EXPECT_EQ(RenderCompaction(Json::parse(R"({"name":"curated.t","version":null})")),
            "table curated.t: nothing to compact\n");
  const std::string done = RenderCompaction(Json::parse(
      R"({"name":"curated.t","version":7,"partitions":2,"files_removed":10,"files_added":2,
          "files_concatenated":1,"files_rewritten":1,"rows":50,"bytes_removed":10240,
          "bytes_added":4096})"));
  EXPECT_EQ(done,
            "table curated.t: version 7, 10 files in 2 partition(s) compacted into 2 (1 by "
            "concatenation, 50 rows, 10.0 KiB -> 4.0 KiB)\n");
}

TEST(MaintenanceCommand, VacuumSummariesListFilesOfADryRun) {
  const std::string dry = RenderVacuum(Json::parse(
      R"({"name":"curated.t","dry_run":true,"retention":"1h","files_deleted":1,
          "bytes_deleted":10,"files":["dt=1/a.parquet"]})"));
  EXPECT_NE(dry.find("would delete 1 file(s)"), std::string::npos) << dry;
  EXPECT_NE(dry.find("  dt=1/a.parquet\n"), std::string::npos) << dry;
  const std::string real = RenderVacuum(Json::parse(
      R"({"name":"curated.t","dry_run":false,"retention":"7d","files_deleted":0,
          "bytes_deleted":0,"files":[]})"));
  EXPECT_EQ(real, "table curated.t: deleted 0 file(s), 0 B (retention 7d)\n");
}

}  // namespace
}  // namespace eventlake::cli
