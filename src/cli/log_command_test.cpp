// Tests of `eventlake log check`'s report text.
#include "cli/log_command.h"

#include <gtest/gtest.h>

namespace eventlake::cli {
namespace {

TEST(RenderLogCheckReport, PrintsSummaryThenProblemsThenNotes) {
  log::LogCheckReport report;
  report.streams = 1;
  report.partitions = 2;
  report.segments = 3;
  report.records = 40;
  report.bytes = 5000;
  report.quarantined_files = 1;
  report.problems = {"data/log/events/0/00000000000000000000.log: crc mismatch at 100"};
  report.notes = {"data/log/events/1/00000000000000000000.log: torn tail at 900"};
  EXPECT_EQ(RenderLogCheckReport(report),
            "streams 1, partitions 2, segments 3, records 40, bytes 5000, quarantined files 1\n"
            "problem: data/log/events/0/00000000000000000000.log: crc mismatch at 100\n"
            "note: data/log/events/1/00000000000000000000.log: torn tail at 900\n");
}

TEST(RenderLogCheckReport, CleanLogIsOneLine) {
  EXPECT_EQ(RenderLogCheckReport({}),
            "streams 0, partitions 0, segments 0, records 0, bytes 0, quarantined files 0\n");
}

}  // namespace
}  // namespace eventlake::cli
