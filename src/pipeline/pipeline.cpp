// Pipeline: a partition's batch through the steps to the sinks (see pipeline.h).
#include "pipeline/pipeline.h"

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "ingest/cloudevent_json.h"
#include "ingest/dead_letter.h"

namespace eventlake::pipeline {

Status StreamSink::Deliver(uint32_t partition, uint64_t next_offset, std::span<const CloudEvent> events) {
  (void)partition;
  (void)next_offset;
  if (events.empty()) return Status::Ok();
  for (Result<log::RecordPosition>& appended : stream_->AppendAndWait(events)) {
    if (!appended.has_value()) return appended.error().WithContext("sink stream " + stream_->name());
  }
  return Status::Ok();
}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(PipelineOptions options) {
  if (options.trigger == nullptr) return Err(InvalidArgument("pipeline " + options.name + ": no trigger stream"));
  for (const PipelineStep& step : options.steps) {
    if (!step.run) return Err(InvalidArgument("pipeline " + options.name + ": step " + step.name + " has no function"));
    EL_RETURN_IF_ERROR(BatchRunner::Validate(step.retry).WithContext("pipeline " + options.name + ": step " + step.name));
  }
  if (options.group.empty()) options.group = "pipeline-" + options.name;
  auto pipeline = std::unique_ptr<Pipeline>(new Pipeline(std::move(options)));
  EL_ASSIGN_OR_RETURN(pipeline->positions_, pipeline->options_.trigger->GroupOffsets(pipeline->options_.group));
  return pipeline;
}

Pipeline::Pipeline(PipelineOptions options) : options_(std::move(options)) {
  const uint32_t partitions = options_.trigger->partition_count();
  for (uint32_t p = 0; p < partitions; ++p) {
    for (const PipelineStep& step : options_.steps) {
      runners_.emplace_back(step.retry, options_.clock, nullptr, 0x9E3779B97F4A7C15ull * (p + 1));
    }
  }
  if (MetricsRegistry* m = options_.metrics) {
    const MetricLabels labels = {{"pipeline", options_.name}};
    records_in_ = &m->GetCounter("eventlake_pipeline_records_total", "Records a pipeline read.", labels);
    dead_lettered_ = &m->GetCounter("eventlake_pipeline_dead_letters_total",
                                    "Records a pipeline's steps failed for good.", labels);
    batch_errors_ = &m->GetCounter("eventlake_pipeline_batch_errors_total",
                                   "Batches that could not be delivered or committed (and will run again).",
                                   labels);
  }
}

Pipeline::~Pipeline() { Stop(); }

Status Pipeline::Start() {
  for (uint32_t p = 0; p < options_.trigger->partition_count(); ++p) {
    threads_.emplace_back([this, p] { Run(p); });
  }
  return Status::Ok();
}

void Pipeline::Stop() {
  stopping_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Pipeline::Run(uint32_t partition) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    Result<BatchReport> report = RunOnce(partition);
    if (report.has_value()) {
      backoff = std::chrono::milliseconds(100);
      continue;
    }
    if (batch_errors_ != nullptr) batch_errors_->Increment();
    LogWarn("pipeline", "a batch will run again",
            {{"pipeline", options_.name}, {"partition", partition}, {"error", report.error().ToString()}});
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_;
         waited += std::chrono::milliseconds(20)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

Result<BatchReport> Pipeline::RunOnce(uint32_t partition) {
  uint64_t from;
  {
    std::lock_guard lock(mu_);
    from = positions_[partition];
  }
  EL_ASSIGN_OR_RETURN(MicroBatch batch, NextBatch(options_.trigger->partition(partition), from, options_.batch,
                                                  options_.idle_wait, options_.clock));
  BatchReport report{.records = batch.records.size()};
  if (batch.records.empty()) return report;
  if (records_in_ != nullptr) records_in_->Increment(batch.records.size());
  const TimestampMicros oldest = batch.records.front().appended_micros;
  std::vector<BatchRecord> current = std::move(batch.records);
  std::vector<DeadLetter> letters;
  for (size_t s = 0; s < options_.steps.size(); ++s) {
    const PipelineStep& step = options_.steps[s];
    BatchOutcome outcome = runners_[partition * options_.steps.size() + s].Run(step.name, std::move(current), step.run);
    for (DeadLetter& l : outcome.dead_letters) letters.push_back(std::move(l));
    current.clear();
    // What a step made is the next step's batch; it stands for the batch's
    // records as a whole (first offset, oldest append time).
    for (CloudEvent& e : outcome.out) current.push_back({std::move(e), oldest, batch.first_offset});
  }
  std::vector<CloudEvent> events;
  events.reserve(current.size());
  for (BatchRecord& r : current) events.push_back(std::move(r.event));
  for (Sink* sink : options_.sinks) {
    EL_RETURN_IF_ERROR(sink->Deliver(partition, batch.next_offset, events).WithContext(
        "pipeline " + options_.name + ": sink " + std::string(sink->name())));
  }
  EL_RETURN_IF_ERROR(DeadLetters(partition, letters));
  EL_RETURN_IF_ERROR(Commit(partition, batch.next_offset));
  report.delivered = events.size();
  report.dead_letters = letters.size();
  return report;
}

Status Pipeline::DeadLetters(uint32_t partition, std::span<const DeadLetter> letters) {
  if (letters.empty()) return Status::Ok();
  if (dead_lettered_ != nullptr) dead_lettered_->Increment(letters.size());
  if (!options_.open_dead_letter) return Status::Ok();
  log::Stream* stream;
  {
    std::lock_guard lock(mu_);
    if (dead_letter_ == nullptr) {
      EL_ASSIGN_OR_RETURN(dead_letter_, options_.open_dead_letter());
    }
    stream = dead_letter_;
  }
  std::vector<CloudEvent> events;
  for (const DeadLetter& l : letters) {
    nlohmann::ordered_json data = {
        {"pipeline", options_.name},
        {"step", l.step},
        {"problem", {{"type", StatusCodeName(l.error.code())}, {"detail", l.error.message()}}},
        {"attempts", l.attempts},
        {"stream", options_.trigger->name()},
        {"partition", partition},
        {"offset", l.record.offset},
        {"event", nlohmann::ordered_json::parse(ingest::ToStructuredJson(l.record.event), nullptr, false)}};
    // The same failure of the same record has the same id: a batch that
    // runs again after a crash adds a duplicate a consumer can recognise.
    events.push_back(ingest::DeadLetterEnvelope(
        options_.name + "/" + options_.trigger->name() + "/" + std::to_string(partition) + "/" +
            std::to_string(l.record.offset) + "/" + l.step + "/" + l.record.event.id,
        "/eventlake/pipelines/" + options_.name, options_.clock->NowMicros(),
        data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)));
  }
  for (Result<log::RecordPosition>& appended : stream->AppendAndWait(events)) {
    if (!appended.has_value()) return appended.error().WithContext("dead-letter stream " + stream->name());
  }
  return Status::Ok();
}

Status Pipeline::Commit(uint32_t partition, uint64_t next_offset) {
  std::lock_guard lock(mu_);
  positions_[partition] = next_offset;
  return options_.trigger->CommitGroup(options_.group, positions_);
}

}  // namespace eventlake::pipeline
