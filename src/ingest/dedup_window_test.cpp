// The dedup window over a real log in a temporary directory: claims, waiters,
// expiry, eviction, restarts, crashes between an append and the journal
// flush, torn journals, compaction and concurrent claims.
#include "ingest/dedup_window.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/file.h"
#include "log/log.h"
#include "log/log_test_util.h"

namespace eventlake::ingest {
namespace {

using log::RecordPosition;
using log::testing::TempDir;
using namespace std::chrono_literals;

CloudEvent Event(const std::string& id, const std::string& source = "/tests/dedup") {
  CloudEvent e;
  e.id = id;
  e.source = source;
  e.type = "test.event";
  e.data = "{}";
  return e;
}

class DedupWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = log::Log::Open({dir_.path() + "/log", &clock_});
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    log_ = std::move(*opened);
    log::StreamOptions options;
    options.name = "events";
    options.partitions = 2;
    options.durability = log::Durability::kNone;
    stream_ = log_->CreateStream(options).value();
  }

  DedupOptions Options() {
    DedupOptions o;
    o.dir = dir_.path() + "/state/dedup";
    o.stream = stream_;
    o.background_flush = false;
    o.clock = &clock_;
    return o;
  }
  std::unique_ptr<DedupWindow> Open(DedupOptions o) {
    auto w = DedupWindow::Open(std::move(o));
    EXPECT_TRUE(w.has_value()) << w.error().ToString();
    return w.has_value() ? std::move(*w) : nullptr;
  }
  std::unique_ptr<DedupWindow> Open() { return Open(Options()); }

  RecordPosition Append(const CloudEvent& e) {
    std::vector<CloudEvent> one = {e};
    auto results = stream_->AppendAndWait(one);
    EXPECT_TRUE(results[0].has_value()) << results[0].error().ToString();
    return results[0].value_or(RecordPosition{});
  }
  // The gateway's path for one event: claim, append if new, commit.
  DedupClaim Deliver(DedupWindow& w, const CloudEvent& e) {
    DedupClaim c = w.Claim(e.source, e.id);
    if (c.verdict == DedupVerdict::kNew) {
      c.position = Append(e);
      w.Commit(c.key, c.position);
    }
    return c;
  }
  // Every id in the stream with how often it is stored.
  std::map<std::string, int> StoredIds() {
    std::map<std::string, int> ids;
    for (uint32_t p = 0; p < stream_->partition_count(); ++p) {
      for (uint64_t next = 0;;) {
        auto records = stream_->partition(p).Read(next, {});
        if (!records.has_value() || records->empty()) break;
        for (const auto& r : *records) ++ids[r.event.id], next = r.offset + 1;
      }
    }
    return ids;
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<log::Log> log_;
  log::Stream* stream_ = nullptr;
};

TEST_F(DedupWindowTest, RetriedEventIsAnsweredWithFirstPosition) {
  auto w = Open();
  DedupClaim first = Deliver(*w, Event("a"));
  EXPECT_EQ(first.verdict, DedupVerdict::kNew);
  DedupClaim retry = Deliver(*w, Event("a"));
  EXPECT_EQ(retry.verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(retry.position, first.position);
  EXPECT_EQ(Deliver(*w, Event("a", "/other/source")).verdict, DedupVerdict::kNew);
  EXPECT_EQ(StoredIds()["a"], 2);  // once per source
  EXPECT_EQ(w->Stats().hits, 1u);
}

TEST_F(DedupWindowTest, WaiterLearnsPositionOfFirstAppend) {
  auto w = Open();
  DedupClaim first = w->Claim("/s", "x");
  ASSERT_EQ(first.verdict, DedupVerdict::kNew);
  DedupClaim second = w->Claim("/s", "x");
  ASSERT_EQ(second.verdict, DedupVerdict::kInFlight);
  std::vector<DedupClaim> settled;
  w->WaitFor(second.key, [&](const DedupClaim& c) { settled.push_back(c); });
  EXPECT_TRUE(settled.empty());
  w->Commit(first.key, {1, 7});
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(settled[0].position, (RecordPosition{1, 7}));
}

TEST_F(DedupWindowTest, FirstWaiterTakesOverWhenAppendFails) {
  auto w = Open();
  DedupClaim first = w->Claim("/s", "x");
  ASSERT_EQ(w->Claim("/s", "x").verdict, DedupVerdict::kInFlight);
  ASSERT_EQ(w->Claim("/s", "x").verdict, DedupVerdict::kInFlight);
  std::vector<DedupVerdict> a, b;
  w->WaitFor(first.key, [&](const DedupClaim& c) { a.push_back(c.verdict); });
  w->WaitFor(first.key, [&](const DedupClaim& c) { b.push_back(c.verdict); });
  w->Abort(first.key);
  ASSERT_EQ(a, std::vector<DedupVerdict>{DedupVerdict::kNew});
  EXPECT_TRUE(b.empty());  // still waiting, now on the first waiter's append
  EXPECT_EQ(w->Claim("/s", "x").verdict, DedupVerdict::kInFlight);
  w->Commit(first.key, {0, 3});
  EXPECT_EQ(b, std::vector<DedupVerdict>{DedupVerdict::kDuplicate});
  EXPECT_EQ(w->Stats().in_flight, 0u);
}

TEST_F(DedupWindowTest, WaitForAfterFirstEndedAnswersAtOnce) {
  auto w = Open();
  DedupClaim first = w->Claim("/s", "committed");
  ASSERT_EQ(w->Claim("/s", "committed").verdict, DedupVerdict::kInFlight);
  w->Commit(first.key, {0, 1});
  std::vector<DedupClaim> got;
  w->WaitFor(first.key, [&](const DedupClaim& c) { got.push_back(c); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(got[0].position, (RecordPosition{0, 1}));

  DedupClaim other = w->Claim("/s", "aborted");
  ASSERT_EQ(w->Claim("/s", "aborted").verdict, DedupVerdict::kInFlight);
  w->Abort(other.key);
  got.clear();
  w->WaitFor(other.key, [&](const DedupClaim& c) { got.push_back(c); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].verdict, DedupVerdict::kNew);  // the waiter owns the key now
  EXPECT_EQ(w->Claim("/s", "aborted").verdict, DedupVerdict::kInFlight);
}

// A request's events at once: the same verdicts as one Claim after another,
// over many shards, with a key twice in the batch and a known one.
TEST_F(DedupWindowTest, ClaimAllAnswersAsClaimsInOrderWould) {
  auto w = Open();
  const RecordPosition known = Deliver(*w, Event("known")).position;
  std::vector<DedupKey> keys;
  for (int i = 0; i < 64; ++i) keys.push_back(w->KeyFor("/tests/dedup", "id" + std::to_string(i)));
  keys.push_back(w->KeyFor("/tests/dedup", "known"));
  keys.push_back(keys[5]);  // twice in one request: the second waits on the first
  std::vector<DedupClaim> claims(keys.size());
  w->ClaimAll(keys, claims);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(claims[i].verdict, DedupVerdict::kNew) << i;
    EXPECT_EQ(claims[i].key, keys[i]) << i;
  }
  EXPECT_EQ(claims[64].verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(claims[64].position, known);
  EXPECT_EQ(claims[65].verdict, DedupVerdict::kInFlight);
  EXPECT_EQ(w->Stats().in_flight, 64u);
  EXPECT_EQ(w->Stats().hits, 1u);
  // Claimed: a second request's claims of the same keys are in flight.
  std::vector<DedupClaim> again(keys.size());
  w->ClaimAll(keys, again);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(again[i].verdict, DedupVerdict::kInFlight) << i;
}

// The end of a request's append: stored events are committed, failed ones
// aborted, and each waiter learns which.
TEST_F(DedupWindowTest, CommitOrAbortAllCommitsTheStoredAndAbortsTheFailed) {
  auto w = Open();
  std::vector<DedupKey> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(w->KeyFor("/tests/dedup", "id" + std::to_string(i)));
  std::vector<DedupClaim> claims(keys.size());
  w->ClaimAll(keys, claims);
  std::vector<DedupClaim> committed_waiter, aborted_waiter;
  w->WaitFor(keys[3], [&](const DedupClaim& c) { committed_waiter.push_back(c); });
  w->WaitFor(keys[4], [&](const DedupClaim& c) { aborted_waiter.push_back(c); });
  std::vector<Result<RecordPosition>> results;
  for (int i = 0; i < 40; ++i) {
    if (i % 4 == 0) {
      results.push_back(Err(Unavailable("disk full")));
    } else {
      results.push_back(RecordPosition{static_cast<uint32_t>(i % 2), static_cast<uint64_t>(i)});
    }
  }
  w->CommitOrAbortAll(keys, results);
  ASSERT_EQ(committed_waiter.size(), 1u);
  EXPECT_EQ(committed_waiter[0].verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(committed_waiter[0].position, (RecordPosition{1, 3}));
  ASSERT_EQ(aborted_waiter.size(), 1u);
  EXPECT_EQ(aborted_waiter[0].verdict, DedupVerdict::kNew);  // it owns keys[4] now
  EXPECT_EQ(w->Stats().in_flight, 1u);
  EXPECT_EQ(w->Stats().entries, 30u);
  for (int i = 0; i < 40; ++i) {
    if (i == 4) continue;
    DedupClaim c = w->Claim(keys[i]);
    if (i % 4 == 0) {
      EXPECT_EQ(c.verdict, DedupVerdict::kNew) << i;
    } else {
      EXPECT_EQ(c.verdict, DedupVerdict::kDuplicate) << i;
      EXPECT_EQ(c.position,
                (RecordPosition{static_cast<uint32_t>(i % 2), static_cast<uint64_t>(i)}))
          << i;
    }
  }
}

TEST_F(DedupWindowTest, EntriesExpireAfterWindow) {
  DedupOptions o = Options();
  o.window = 1min;
  auto w = Open(o);
  Deliver(*w, Event("a"));
  clock_.AdvanceMicros(59'000'000);
  EXPECT_EQ(w->Claim("/tests/dedup", "a").verdict, DedupVerdict::kDuplicate);
  clock_.AdvanceMicros(2'000'000);
  EXPECT_EQ(w->Claim("/tests/dedup", "a").verdict, DedupVerdict::kNew);
}

TEST_F(DedupWindowTest, OldestEntriesAreEvictedBeyondMaxEntries) {
  DedupOptions o = Options();
  o.shards = 1;
  o.max_entries = 5;
  auto w = Open(o);
  for (int i = 0; i < 8; ++i) w->Commit(w->KeyFor("/s", std::to_string(i)), {0, uint64_t(i)});
  EXPECT_EQ(w->Stats().entries, 5u);
  EXPECT_EQ(w->Stats().evicted, 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(w->Claim("/s", std::to_string(i)).verdict, DedupVerdict::kNew);
  for (int i = 3; i < 8; ++i) {
    EXPECT_EQ(w->Claim("/s", std::to_string(i)).verdict, DedupVerdict::kDuplicate) << i;
  }
}

TEST_F(DedupWindowTest, DuplicatesAreDetectedAfterRestart) {
  std::map<std::string, RecordPosition> stored;
  {
    auto w = Open();
    for (int i = 0; i < 50; ++i)
      stored["e" + std::to_string(i)] = Deliver(*w, Event("e" + std::to_string(i))).position;
  }
  auto w = Open();
  EXPECT_EQ(w->Stats().rebuilt, 0u);  // all of it came from the journal
  for (const auto& [id, position] : stored) {
    DedupClaim c = w->Claim("/tests/dedup", id);
    EXPECT_EQ(c.verdict, DedupVerdict::kDuplicate) << id;
    EXPECT_EQ(c.position, position) << id;
  }
}

// A crash after appends but before the journal flush: the journal is put back
// to what it was before them, and the window must learn them from the stream.
TEST_F(DedupWindowTest, AppendsMissingFromJournalAreRebuiltFromStream) {
  std::string journal_before;
  std::string path;
  {
    auto w = Open();
    path = w->journal_path();
    for (int i = 0; i < 5; ++i) Deliver(*w, Event("early" + std::to_string(i)));
    ASSERT_TRUE(w->Flush().ok());
    journal_before = ReadFile(path).value();
    clock_.AdvanceMicros(60'000'000);
    for (int i = 0; i < 5; ++i) Deliver(*w, Event("late" + std::to_string(i)));
  }
  Append(Event("never-claimed"));  // appended by no dedup window at all
  ASSERT_TRUE(WriteFileAtomically(path, journal_before).ok());
  auto w = Open();
  EXPECT_EQ(w->Stats().rebuilt, 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(w->Claim("/tests/dedup", "early" + std::to_string(i)).verdict,
              DedupVerdict::kDuplicate);
    EXPECT_EQ(w->Claim("/tests/dedup", "late" + std::to_string(i)).verdict,
              DedupVerdict::kDuplicate);
  }
  EXPECT_EQ(w->Claim("/tests/dedup", "never-claimed").verdict, DedupVerdict::kDuplicate);
}

// Appends complete out of offset order: offset 1's entry is journaled while
// offset 0's claim is still in flight, then the process dies. Resuming after
// the highest journaled offset would forget offset 0.
TEST_F(DedupWindowTest, CommitsOutOfOffsetOrderSurviveCrash) {
  std::string journal_before, path;
  RecordPosition slow_position;
  {
    auto w = Open();
    path = w->journal_path();
    clock_.AdvanceMicros(30'000'000);
    DedupClaim slow = w->Claim("/p", "slow"), fast = w->Claim("/p", "fast");
    CloudEvent slow_event = Event("slow", "/p"), fast_event = Event("fast", "/p");
    slow_event.SetExtension("partitionkey", std::string("k"));
    fast_event.SetExtension("partitionkey", std::string("k"));
    slow_position = Append(slow_event);
    RecordPosition fast_position = Append(fast_event);
    ASSERT_LT(slow_position.offset, fast_position.offset);
    w->Commit(fast.key, fast_position);
    clock_.AdvanceMicros(30'000'000);  // the flush happens well after the appends
    ASSERT_TRUE(w->Flush().ok());
    journal_before = ReadFile(path).value();
    w->Commit(slow.key, slow_position);
  }
  ASSERT_TRUE(WriteFileAtomically(path, journal_before).ok());
  auto w = Open();
  DedupClaim c = w->Claim("/p", "slow");
  EXPECT_EQ(c.verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(c.position, slow_position);
}

TEST_F(DedupWindowTest, RebuildNeverReadsRecordsOlderThanWindow) {
  Append(Event("old"));
  clock_.AdvanceMicros(11 * 60'000'000LL);
  Append(Event("recent"));
  auto w = Open();  // no journal yet: everything within the window is rebuilt
  EXPECT_EQ(w->Stats().rebuilt, 1u);
  EXPECT_EQ(w->Claim("/tests/dedup", "recent").verdict, DedupVerdict::kDuplicate);
  EXPECT_EQ(w->Claim("/tests/dedup", "old").verdict, DedupVerdict::kNew);
}

TEST_F(DedupWindowTest, RebuildHoldsOnlyNewestMaxEntries) {
  for (int i = 0; i < 30; ++i) {
    Append(Event(std::to_string(i)));  // round-robin over both partitions
    clock_.AdvanceMicros(1000);
  }
  DedupOptions o = Options();
  o.shards = 1;
  o.max_entries = 10;
  auto w = Open(o);
  EXPECT_EQ(w->Stats().entries, 10u);
  for (int i = 20; i < 30; ++i) {
    EXPECT_EQ(w->Claim("/tests/dedup", std::to_string(i)).verdict, DedupVerdict::kDuplicate) << i;
  }
  EXPECT_EQ(w->Claim("/tests/dedup", "19").verdict, DedupVerdict::kNew);
}

TEST_F(DedupWindowTest, TornJournalTailIsTolerated) {
  std::string path;
  {
    auto w = Open();
    path = w->journal_path();
    for (int i = 0; i < 10; ++i) Deliver(*w, Event(std::to_string(i)));
  }
  std::string garbage(30, '\xab');
  ASSERT_TRUE(WriteAll(OpenFile(path, O_WRONLY | O_APPEND)->fd(), garbage, path).ok());
  {
    auto w = Open();
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(w->Claim("/tests/dedup", std::to_string(i)).verdict, DedupVerdict::kDuplicate);
    }
    Deliver(*w, Event("after"));
  }
  auto w = Open();
  EXPECT_EQ(w->Stats().rebuilt, 0u);  // "after" was journaled behind the cut tail
  EXPECT_EQ(w->Claim("/tests/dedup", "after").verdict, DedupVerdict::kDuplicate);
}

TEST_F(DedupWindowTest, CompactionKeepsOnlyLiveEntries) {
  DedupOptions o = Options();
  o.window = 1min;
  std::string path;
  {
    auto w = Open(o);
    path = w->journal_path();
    for (int i = 0; i < 100; ++i) w->Commit(w->KeyFor("/s", "old" + std::to_string(i)), {0, 0});
    ASSERT_TRUE(w->Flush().ok());
    clock_.AdvanceMicros(2 * 60'000'000LL);
    for (int i = 0; i < 10; ++i)
      w->Commit(w->KeyFor("/s", "new" + std::to_string(i)), {1, uint64_t(i)});
    ASSERT_TRUE(w->Compact().ok());
    EXPECT_EQ(w->Stats().journal_frames, 11u);  // 10 entries and a checkpoint
  }
  EXPECT_EQ(ReadFile(path)->size(), kJournalHeaderSize + 11 * kJournalFrameSize);
  auto w = Open(o);
  for (int i = 0; i < 10; ++i) {
    DedupClaim c = w->Claim("/s", "new" + std::to_string(i));
    EXPECT_EQ(c.verdict, DedupVerdict::kDuplicate);
    EXPECT_EQ(c.position, (RecordPosition{1, uint64_t(i)}));
  }
}

TEST_F(DedupWindowTest, FlushCompactsJournalTwiceTheLiveSize) {
  DedupOptions o = Options();
  o.window = 1min;
  auto w = Open(o);
  for (int i = 0; i < 5000; ++i) w->Commit(w->KeyFor("/s", std::to_string(i)), {0, 0});
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(w->Stats().journal_frames, 5001u);
  clock_.AdvanceMicros(2 * 60'000'000LL);
  w->Commit(w->KeyFor("/s", "live"), {0, 1});
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(w->Stats().journal_frames, 2u);
}

TEST_F(DedupWindowTest, JournalIsRewrittenWhenFlushFallsBehind) {
  DedupOptions o = Options();
  o.shards = 1;
  o.max_entries = 5;
  {
    auto w = Open(o);
    for (int i = 0; i < 20; ++i) w->Commit(w->KeyFor("/s", std::to_string(i)), {0, uint64_t(i)});
    ASSERT_TRUE(w->Flush().ok());  // more was pending than the window holds
    EXPECT_EQ(w->Stats().journal_frames, 6u);
  }
  auto w = Open(o);
  for (int i = 15; i < 20; ++i) {
    EXPECT_EQ(w->Claim("/s", std::to_string(i)).verdict, DedupVerdict::kDuplicate) << i;
  }
}

TEST_F(DedupWindowTest, BackgroundFlushWritesTheJournal) {
  DedupOptions o = Options();
  o.background_flush = true;
  o.flush_interval = 5ms;
  auto w = Open(o);
  Deliver(*w, Event("a"));
  for (int i = 0; i < 2000 && w->Stats().journal_frames == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(w->Stats().journal_frames, 2u);
}

// Threads claim the same events in different orders, some appends "fail"
// (Abort), waiters take over: every event must be stored at most once, and
// every answer for an event must name that one copy.
TEST_F(DedupWindowTest, ConcurrentClaimsStoreEachEventOnce) {
  DedupOptions o = Options();
  o.background_flush = true;
  o.flush_interval = 1ms;
  auto w = Open(o);
  std::mutex mu;
  std::map<std::string, std::vector<RecordPosition>> answers;
  std::atomic<int> waiting{0};
  auto answer = [&](const std::string& id, RecordPosition p) {
    std::lock_guard lock(mu);
    answers[id].push_back(p);
  };
  auto store = [&](const std::string& id, const DedupKey& key) {
    RecordPosition p = Append(Event(id));
    w->Commit(key, p);
    answer(id, p);
  };
  auto run = [&](int t) {
    std::vector<std::string> ids;
    for (int i = 0; i < 300; ++i) ids.push_back("shared" + std::to_string(i));
    for (int i = 0; i < 50; ++i) ids.push_back("own" + std::to_string(t) + "-" + std::to_string(i));
    std::mt19937 rng(t);
    if (t >= 2) std::shuffle(ids.begin(), ids.end(), rng);  // 0 and 1 race in lockstep
    for (const std::string& id : ids) {
      DedupClaim c = w->Claim("/tests/dedup", id);
      if (c.verdict == DedupVerdict::kDuplicate) {
        answer(id, c.position);
      } else if (c.verdict == DedupVerdict::kInFlight) {
        ++waiting;
        w->WaitFor(c.key, [&, id](const DedupClaim& s) {
          if (s.verdict == DedupVerdict::kNew) store(id, s.key);  // took over: succeeds
          if (s.verdict == DedupVerdict::kDuplicate) answer(id, s.position);
          --waiting;
        });
      } else if (rng() % 5 == 0) {
        w->Abort(c.key);  // the append failed; nothing was stored
      } else {
        store(id, c.key);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(run, t);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(waiting.load(), 0);  // every waiter was settled by a Commit or an Abort
  EXPECT_EQ(w->Stats().in_flight, 0u);
  std::map<std::string, int> stored = StoredIds();
  for (const auto& [id, count] : stored) EXPECT_EQ(count, 1) << id;
  for (const auto& [id, positions] : answers) {
    EXPECT_EQ(stored.count(id), 1u) << id;
    for (const RecordPosition& p : positions) EXPECT_EQ(p, positions[0]) << id;
  }
  EXPECT_GE(answers.size(), 300u);
}

TEST_F(DedupWindowTest, MetricsAreExported) {
  MetricsRegistry metrics;
  DedupOptions o = Options();
  o.metrics = &metrics;
  auto w = Open(o);
  Deliver(*w, Event("a"));
  Deliver(*w, Event("a"));
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("eventlake_dedup_hits_total{stream=\"events\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("eventlake_dedup_entries{stream=\"events\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("eventlake_dedup_rebuilt_total{stream=\"events\"} 0"), std::string::npos);
}

TEST_F(DedupWindowTest, RefusesOptionsWithoutStream) {
  DedupOptions o = Options();
  o.stream = nullptr;
  auto w = DedupWindow::Open(o);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::ingest
