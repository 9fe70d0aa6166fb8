// Pipeline: the stream and schedule triggers' runtime (issue 6). Each partition of the
// trigger stream is read in micro-batches (micro_batch.h) from where the
// pipeline's consumer group stands, one batch in flight per partition,
// partitions in parallel. A batch goes through the steps in order, each
// under the batch runner's retries and bisection (batch_runner.h); what
// comes out goes to every sink (fan-out); the records that failed a step
// go to the dead-letter stream with the step, the error, the attempts and
// the original event; then the group's offset moves past the batch.
//
// Delivery is at least once: a crash (or a sink that fails) after some
// sinks took a batch and before the group moved means the batch runs
// again; a sink that must not see it twice keys on the partition and
// offset it is given (the lake's table sink commits them with its files).
// A dead letter has the same id whenever its record fails again.
//
// A sink may buffer (a table writes files of many batches): the group then
// moves only as far as every sink says is durable (DurableOffset), and
// batches are cut at the offsets a sink has durable or taken (after a
// restart, or a failure that makes the partition read again from its
// group), so that a batch is either wholly in it (and skipped by it) or
// not at all.
//
// Threads: Start() runs a thread per partition; Stop() joins them.
// RunOnce() is for tests, without Start().
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "log/stream.h"
#include "pipeline/batch_runner.h"
#include "pipeline/micro_batch.h"
#include "pipeline/schedule.h"

namespace eventlake::pipeline {

struct PipelineStep {
  std::string name;  // in dead letters and metrics ("validate", "sql", ...)
  StepFunction run;  // called from every partition's thread: must be thread-safe
  RetryPolicy retry;
};

// What the records of one partition before `next_offset` became, for a
// sink (possibly no events: the records were filtered out or failed).
struct SinkBatch {
  std::string_view origin;   // the stream the records came from
  uint32_t partition = 0;
  uint64_t first_offset = 0;  // of the batch's first record
  uint64_t next_offset = 0;   // after its last record
  std::span<const CloudEvent> events;
};

// Where a pipeline's events go. Called from the partitions' threads, at
// once for different partitions.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view name() const = 0;
  // OK once the sink has the events (durable, or buffered until
  // DurableOffset covers them); the events it refuses for themselves (a
  // row no column can take), by index, become dead letters. An error
  // fails the whole batch, which runs again.
  virtual Result<std::vector<FailedItem>> Deliver(const SinkBatch& batch) = 0;
  // Every batch of the partition before this offset is durable in the
  // sink; nullopt when whatever Deliver took is.
  virtual std::optional<uint64_t> DurableOffset(std::string_view origin, uint32_t partition) {
    (void)origin;
    (void)partition;
    return std::nullopt;
  }
  // Every batch before this offset is in the sink, durable or buffered;
  // nullopt: DurableOffset's.
  virtual std::optional<uint64_t> TakenOffset(std::string_view origin, uint32_t partition) {
    return DurableOffset(origin, partition);
  }
  // Between batches and when a partition is idle: write out what is due.
  virtual Status Tick() { return Status::Ok(); }
  // At stop: write out everything buffered.
  virtual Status Flush() { return Status::Ok(); }
};

// A sink that appends to another stream.
class StreamSink : public Sink {
 public:
  explicit StreamSink(log::Stream* stream) : stream_(stream) {}
  std::string_view name() const override { return stream_->name(); }
  Result<std::vector<FailedItem>> Deliver(const SinkBatch& batch) override;

 private:
  log::Stream* stream_;
};

// The consumer group a pipeline reads its trigger stream with.
inline std::string DefaultGroup(std::string_view pipeline) { return "pipeline-" + std::string(pipeline); }

struct PipelineOptions {
  std::string name;
  log::Stream* trigger = nullptr;  // the stream trigger; or the schedule trigger:
  // At each firing of `schedule` (in UTC) the rows `query` answers (JSON
  // objects, made events as row_event.h says) are one batch, of origin
  // "schedule", partition 0, offset the run's number (what the sinks have
  // durable, or counted since the start): a run that fails before every
  // sink has it is tried again with the same number, so exactly-once sinks
  // take it once. Missed firings (the server was down) are not made up.
  std::optional<Schedule> schedule;
  std::function<Result<std::vector<std::string>>()> query;
  std::string group;               // "" = DefaultGroup(name): "pipeline-<name>"
  BatchLimits batch;
  std::chrono::milliseconds idle_wait{200};  // a partition with nothing new waits this long
  std::vector<PipelineStep> steps;
  std::vector<Sink*> sinks;                  // each must outlive the pipeline
  // The sinks' names a route step sends to (route_step.h): these get only
  // the events routed to them (and those no route step saw), the others all.
  std::vector<std::string> routed_sinks;
  // Opens (creating it if need be) the dead-letter stream, the first time
  // a record fails; empty: failed records are counted and dropped.
  std::function<Result<log::Stream*>()> open_dead_letter;
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;
};

struct BatchReport {
  uint64_t records = 0;       // read from the trigger
  uint64_t next_offset = 0;   // after the batch
  uint64_t delivered = 0;     // events given to each sink
  uint64_t dead_letters = 0;
};

struct RedriveOptions {
  log::Stream* dead_letters = nullptr;  // required: the pipeline's dead-letter stream
  std::string group;                    // "" = "pipeline-<name>-redrive"
  double rate = 0;                      // dead letters per second at most; 0: no limit
  const std::atomic<bool>* stop = nullptr;  // set: stop after the batch in flight
};

struct RedriveReport {
  uint64_t read = 0;          // records of the dead-letter stream read
  uint64_t redriven = 0;      // this pipeline's dead letters run again
  uint64_t delivered = 0;     // events they became, given to each sink
  uint64_t dead_letters = 0;  // that failed again (new dead letters)
  uint64_t skipped = 0;       // other pipelines' letters, or unreadable ones
};

class Pipeline {
 public:
  static Result<std::unique_ptr<Pipeline>> Create(PipelineOptions options);
  ~Pipeline();  // Stop()
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  Status Start();
  void Stop();

  // A scheduled pipeline's run now: the query, the steps, the sinks, which
  // are then flushed. One at a time (with redrives).
  Result<BatchReport> RunScheduled();
  // One batch of `partition`: read, steps, sinks, dead letters, commit.
  Result<BatchReport> RunOnce(uint32_t partition);
  // Replay (or skip): the group and the partitions' positions go to
  // `offsets` (one per partition, clamped to what each holds); a batch in
  // flight meanwhile is not committed. Sinks skip what they already have.
  Status Rewind(std::vector<uint64_t> offsets);
  // Runs the dead letters the stream holds now (from the redrive group to
  // the stream's end as it is at the call) through the current steps and
  // sinks, as the original events they carry; what fails again becomes a
  // new dead letter, after that end. The sinks see the dead-letter stream
  // as the origin (a table sink commits those offsets: a redrive that runs
  // again adds nothing twice). Then the sinks flush and the redrive group
  // moves. Blocks; one redrive at a time.
  Result<RedriveReport> Redrive(const RedriveOptions& options);
  // Ticks the sinks and moves the group as far as they have made durable.
  Status CommitDurable(uint32_t partition);
  // Each sink's Flush, then the group's offsets (at stop).
  Status FlushSinks();

  const PipelineOptions& options() const { return options_; }

 private:
  explicit Pipeline(PipelineOptions options);
  void Run(uint32_t partition);
  // The schedule trigger's thread: RunScheduled at each firing, a failed
  // run tried again after 1 s, 2 s, ... until the next firing is due.
  void RunSchedule();
  uint32_t TriggerPartitions() const { return options_.trigger == nullptr ? 0 : options_.trigger->partition_count(); }
  // A batch of `origin` (the trigger, or the dead-letter stream on a
  // redrive) through the steps to the sinks, and its dead letters;
  // `runner` picks the BatchRunners (a partition's, or the redrive's).
  Result<BatchReport> Process(std::string_view origin, uint32_t partition, size_t runner, MicroBatch batch,
                              bool redriven);
  Status DeadLetters(std::string_view origin, uint32_t partition, std::span<const DeadLetter> letters);
  Status CommitGroup(uint32_t partition);
  // Per routed sink, the events routed to it (empty for the others: they
  // get every event); takes the routes off the events.
  std::vector<std::vector<size_t>> RouteEvents(std::vector<CloudEvent>& events) const;
  // The end of the batch from `from`: no further than the next offset a
  // sink has durable or taken, so that a batch cut again is whole in it.
  uint64_t BatchEnd(uint32_t partition, uint64_t from);

  PipelineOptions options_;
  std::mutex mu_;
  std::vector<uint64_t> positions_;  // guarded by mu_: the next offset to read, per partition
  std::vector<uint64_t> committed_;  // guarded by mu_: the group's offsets
  std::vector<uint64_t> rewinds_;    // guarded by mu_: per partition, how often it was rewound
  log::Stream* dead_letter_ = nullptr;  // guarded by mu_: opened by the first dead letter
  std::vector<bool> routed_;  // per sink: one a route sends to (options_.routed_sinks)
  std::vector<BatchRunner> runners_;    // per (partition, then the redrive) × step, each used by one thread

  Counter* records_in_ = nullptr;
  Counter* dead_lettered_ = nullptr;
  Counter* batch_errors_ = nullptr;

  std::mutex redrive_mu_;  // held by Redrive and RunScheduled: one at a time (they share a runner slot)
  uint64_t scheduled_runs_ = 0;  // guarded by redrive_mu_: runs since the start
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace eventlake::pipeline
