// NextBatch over a real partition: the record, byte and wait limits, order
// across batches, and an idle partition.
#include "pipeline/micro_batch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace eventlake::pipeline {
namespace {

class MicroBatchTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/micro-batch-" + testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    log::StreamOptions options;
    options.name = "clicks";
    partition_ = std::move(log::Partition::Open(dir_, options, {"clicks", 0, &SystemClock(), nullptr, nullptr}).value());
  }
  void Append(int n, size_t data_bytes = 10) {
    std::vector<CloudEvent> events;
    for (int i = 0; i < n; ++i) {
      CloudEvent e;
      e.id = "e" + std::to_string(appended_++);
      e.source = "/s";
      e.type = "t";
      e.data = "\"" + std::string(data_bytes, 'x') + "\"";
      events.push_back(std::move(e));
    }
    ASSERT_TRUE(partition_->AppendAndWait(events).has_value());
  }
  std::string dir_;
  std::unique_ptr<log::Partition> partition_;
  int appended_ = 0;
};

TEST_F(MicroBatchTest, CutsAtMaxRecordsAndKeepsTheOrderAcrossBatches) {
  Append(25);
  const BatchLimits limits{.max_records = 10, .max_wait = std::chrono::milliseconds(0)};
  std::vector<std::string> ids;
  uint64_t from = 0;
  std::vector<size_t> sizes;
  for (int round = 0; round < 3; ++round) {
    MicroBatch batch = NextBatch(*partition_, from, limits, std::chrono::milliseconds(100)).value();
    EXPECT_EQ(batch.first_offset, from);
    sizes.push_back(batch.records.size());
    for (const BatchRecord& r : batch.records) ids.push_back(r.event.id);
    from = batch.next_offset;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{10, 10, 5}));
  ASSERT_EQ(ids.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(ids[static_cast<size_t>(i)], "e" + std::to_string(i));
  EXPECT_EQ(from, 25u);
}

TEST_F(MicroBatchTest, CutsAtMaxBytesAndABigRecordIsABatchOfItsOwn) {
  Append(10, 100);  // each record counts 102 + 2 + 2 + 1 + 1 bytes
  MicroBatch batch =
      NextBatch(*partition_, 0, {.max_records = 100, .max_bytes = 350, .max_wait = std::chrono::milliseconds(0)},
                std::chrono::milliseconds(100))
          .value();
  EXPECT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.next_offset, 3u);
  Append(1, 5000);
  batch = NextBatch(*partition_, 10, {.max_records = 100, .max_bytes = 350, .max_wait = std::chrono::milliseconds(0)},
                    std::chrono::milliseconds(100))
              .value();
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].event.id, "e10");
}

TEST_F(MicroBatchTest, WaitsForMoreWithinMaxWaitThenGoesWithWhatItHas) {
  Append(3);
  // Records arriving while the batch waits join it.
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Append(2);
  });
  MicroBatch batch =
      NextBatch(*partition_, 0, {.max_records = 5, .max_wait = std::chrono::seconds(30)}, std::chrono::seconds(1))
          .value();
  later.join();
  EXPECT_EQ(batch.records.size(), 5u);  // max_records reached: no wait for the window's end
  // Nothing more: after max_wait the batch goes as it is.
  Append(1);
  batch = NextBatch(*partition_, 5, {.max_records = 5, .max_wait = std::chrono::milliseconds(20)},
                    std::chrono::seconds(1))
              .value();
  EXPECT_EQ(batch.records.size(), 1u);
  // An idle partition answers an empty batch after `idle`.
  batch = NextBatch(*partition_, 6, {}, std::chrono::milliseconds(20)).value();
  EXPECT_TRUE(batch.records.empty());
  EXPECT_EQ(batch.next_offset, 6u);
}

}  // namespace
}  // namespace eventlake::pipeline
