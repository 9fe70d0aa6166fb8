// Pipeline: a partition's batch through the steps to the sinks (see pipeline.h).
#include "pipeline/pipeline.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "ingest/cloudevent_json.h"
#include "ingest/dead_letter.h"
#include "pipeline/route_step.h"

namespace eventlake::pipeline {

Result<std::vector<FailedItem>> StreamSink::Deliver(const SinkBatch& batch) {
  if (batch.events.empty()) return std::vector<FailedItem>{};
  for (Result<log::RecordPosition>& appended : stream_->AppendAndWait(batch.events)) {
    if (!appended.has_value()) return Err(appended.error().WithContext("sink stream " + stream_->name()));
  }
  return std::vector<FailedItem>{};
}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(PipelineOptions options) {
  if ((options.trigger == nullptr) == !options.schedule.has_value()) {
    return Err(InvalidArgument("pipeline " + options.name + ": one trigger, a stream or a schedule"));
  }
  if (options.schedule.has_value() && !options.query) {
    return Err(InvalidArgument("pipeline " + options.name + ": a scheduled pipeline needs its query"));
  }
  for (const PipelineStep& step : options.steps) {
    if (!step.run) return Err(InvalidArgument("pipeline " + options.name + ": step " + step.name + " has no function"));
    EL_RETURN_IF_ERROR(BatchRunner::Validate(step.retry).WithContext("pipeline " + options.name + ": step " + step.name));
  }
  if (options.group.empty()) options.group = DefaultGroup(options.name);
  auto pipeline = std::unique_ptr<Pipeline>(new Pipeline(std::move(options)));
  if (pipeline->options_.trigger != nullptr) {
    EL_ASSIGN_OR_RETURN(pipeline->positions_, pipeline->options_.trigger->GroupOffsets(pipeline->options_.group));
  }
  pipeline->committed_ = pipeline->positions_;
  pipeline->rewinds_.assign(pipeline->positions_.size(), 0);
  return pipeline;
}

Pipeline::Pipeline(PipelineOptions options) : options_(std::move(options)) {
  for (const Sink* sink : options_.sinks) {
    const std::vector<std::string>& named = options_.routed_sinks;
    routed_.push_back(std::find(named.begin(), named.end(), sink->name()) != named.end());
  }
  for (uint32_t p = 0; p <= TriggerPartitions(); ++p) {  // and one slot for redrives and scheduled runs
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
  if (options_.schedule.has_value()) threads_.emplace_back([this] { RunSchedule(); });
  for (uint32_t p = 0; p < TriggerPartitions(); ++p) {
    threads_.emplace_back([this, p] { Run(p); });
  }
  return Status::Ok();
}

void Pipeline::Stop() {
  stopping_ = true;
  const bool started = !threads_.empty();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  if (!started) return;
  Status flushed = FlushSinks();
  if (!flushed.ok()) {
    LogWarn("pipeline", "a sink could not write out what it buffered; those batches run again at the next start",
            {{"pipeline", options_.name}, {"error", flushed.ToString()}});
  }
}

Status Pipeline::FlushSinks() {
  Status first;
  for (Sink* sink : options_.sinks) {
    Status s = sink->Flush();
    if (!s.ok() && first.ok()) first = s.WithContext("sink " + std::string(sink->name()));
  }
  for (uint32_t p = 0; p < TriggerPartitions(); ++p) {
    Status s = CommitGroup(p);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

void Pipeline::Run(uint32_t partition) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    Result<BatchReport> report = RunOnce(partition);
    if (report.has_value()) {
      Status committed = CommitDurable(partition);
      if (!committed.ok()) report = Err(committed);
    }
    if (report.has_value()) {
      backoff = std::chrono::milliseconds(100);
      continue;
    }
    if (batch_errors_ != nullptr) batch_errors_->Increment();
    {
      // Read again from the group: what was read since is not durable in
      // every sink (they skip what they have).
      std::lock_guard lock(mu_);
      positions_[partition] = committed_[partition];
    }
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
  if (partition >= TriggerPartitions()) {
    return Err(InvalidArgument("pipeline " + options_.name + " has no trigger partition " + std::to_string(partition)));
  }
  uint64_t from;
  uint64_t rewinds;
  {
    std::lock_guard lock(mu_);
    from = positions_[partition];
    rewinds = rewinds_[partition];
  }
  BatchLimits limits = options_.batch;
  const uint64_t end = BatchEnd(partition, from);
  if (end - from < limits.max_records) limits.max_records = static_cast<uint32_t>(end - from);
  EL_ASSIGN_OR_RETURN(MicroBatch batch, NextBatch(options_.trigger->partition(partition), from, limits,
                                                  options_.idle_wait, options_.clock));
  BatchReport report{.records = batch.records.size()};
  if (batch.records.empty()) return report;
  if (records_in_ != nullptr) records_in_->Increment(batch.records.size());
  EL_ASSIGN_OR_RETURN(report, Process(options_.trigger->name(), partition, partition, std::move(batch), false));
  {
    std::lock_guard lock(mu_);
    if (rewinds_[partition] != rewinds) return report;  // rewound meanwhile: read from there
    positions_[partition] = report.next_offset;
  }
  EL_RETURN_IF_ERROR(CommitGroup(partition));
  return report;
}

Result<BatchReport> Pipeline::Process(std::string_view origin, uint32_t partition, size_t runner, MicroBatch batch,
                                      bool redriven) {
  BatchReport report{.records = batch.records.size(), .next_offset = batch.next_offset};
  // (A scheduled run's query may answer no rows: its sinks still get the run.)
  const TimestampMicros oldest =
      batch.records.empty() ? options_.clock->NowMicros() : batch.records.front().appended_micros;
  std::vector<BatchRecord> current = std::move(batch.records);
  for (BatchRecord& r : current) {
    r.partition = partition;
    r.redriven = redriven;
  }
  std::vector<DeadLetter> letters;
  for (size_t s = 0; s < options_.steps.size(); ++s) {
    const PipelineStep& step = options_.steps[s];
    BatchOutcome outcome = runners_[runner * options_.steps.size() + s].Run(step.name, std::move(current), step.run);
    for (DeadLetter& l : outcome.dead_letters) letters.push_back(std::move(l));
    // What a step made is the next step's batch (each event as the record
    // it came from, or as the batch's first: StepResult::sources).
    current = std::move(outcome.out);
  }
  std::vector<CloudEvent> events;
  events.reserve(current.size());
  for (BatchRecord& r : current) events.push_back(std::move(r.event));
  // Per routed sink, which events go to it (then the routes come off).
  std::vector<std::vector<size_t>> routed;
  if (!options_.routed_sinks.empty()) routed = RouteEvents(events);
  for (size_t s = 0; s < options_.sinks.size(); ++s) {
    Sink* sink = options_.sinks[s];
    std::vector<CloudEvent> picked;
    const bool subset = routed_[s];
    if (subset) {
      picked.reserve(routed[s].size());
      for (size_t i : routed[s]) picked.push_back(events[i]);
    }
    const std::vector<CloudEvent>& given = subset ? picked : events;
    auto refused = sink->Deliver({.origin = origin,
                                  .partition = partition,
                                  .first_offset = batch.first_offset,
                                  .next_offset = batch.next_offset,
                                  .events = given});
    if (!refused.has_value()) {
      return Err(refused.error().WithContext("pipeline " + options_.name + ": sink " + std::string(sink->name())));
    }
    for (FailedItem& item : *refused) {
      letters.push_back({.record = {given[item.index], oldest, batch.first_offset, partition, redriven},
                         .step = "sink " + std::string(sink->name()),
                         .error = std::move(item.error),
                         .attempts = 1});
    }
  }
  EL_RETURN_IF_ERROR(DeadLetters(origin, partition, letters));
  report.delivered = events.size();
  report.dead_letters = letters.size();
  return report;
}

std::vector<std::vector<size_t>> Pipeline::RouteEvents(std::vector<CloudEvent>& events) const {
  std::vector<std::vector<size_t>> routed(options_.sinks.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const std::optional<std::vector<std::string_view>> to = RoutedSinks(events[i]);
    for (size_t s = 0; s < options_.sinks.size(); ++s) {
      if (!routed_[s]) continue;  // it gets every event
      if (!to.has_value() || std::find(to->begin(), to->end(), options_.sinks[s]->name()) != to->end()) {
        routed[s].push_back(i);
      }
    }
    std::erase_if(events[i].extensions, [](const Extension& x) { return x.name == kRouteExtension; });
  }
  return routed;
}

Status Pipeline::Rewind(std::vector<uint64_t> offsets) {
  if (options_.trigger == nullptr) {
    return FailedPrecondition("pipeline " + options_.name + " is scheduled: it has no stream to replay");
  }
  log::Stream& trigger = *options_.trigger;
  if (offsets.size() != trigger.partition_count()) {
    return InvalidArgument("a rewind needs one offset per partition of " + trigger.name());
  }
  for (uint32_t p = 0; p < offsets.size(); ++p) {
    offsets[p] = std::clamp(offsets[p], trigger.partition(p).StartOffset(), trigger.partition(p).EndOffset());
  }
  std::lock_guard lock(mu_);
  positions_ = offsets;
  committed_ = offsets;
  for (uint64_t& n : rewinds_) ++n;
  return trigger.CommitGroup(options_.group, committed_);
}

uint64_t Pipeline::BatchEnd(uint32_t partition, uint64_t from) {
  uint64_t end = UINT64_MAX;
  for (Sink* sink : options_.sinks) {
    for (std::optional<uint64_t> offset : {sink->DurableOffset(options_.trigger->name(), partition),
                                           sink->TakenOffset(options_.trigger->name(), partition)}) {
      if (offset.has_value() && *offset > from) end = std::min(end, *offset);
    }
  }
  return end;
}

Status Pipeline::CommitDurable(uint32_t partition) {
  if (partition >= TriggerPartitions()) return Status::Ok();
  for (Sink* sink : options_.sinks) {
    EL_RETURN_IF_ERROR(sink->Tick().WithContext("pipeline " + options_.name + ": sink " + std::string(sink->name())));
  }
  return CommitGroup(partition);
}

Status Pipeline::DeadLetters(std::string_view origin, uint32_t partition, std::span<const DeadLetter> letters) {
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
        {"stream", origin},
        {"partition", partition},
        {"offset", l.record.offset},
        {"event", nlohmann::ordered_json::parse(ingest::ToStructuredJson(l.record.event), nullptr, false)}};
    // The same failure of the same record has the same id: a batch that
    // runs again after a crash adds a duplicate a consumer can recognise.
    events.push_back(ingest::DeadLetterEnvelope(
        options_.name + "/" + std::string(origin) + "/" + std::to_string(partition) + "/" +
            std::to_string(l.record.offset) + "/" + l.step + "/" + l.record.event.id,
        "/eventlake/pipelines/" + options_.name, options_.clock->NowMicros(),
        data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)));
  }
  for (Result<log::RecordPosition>& appended : stream->AppendAndWait(events)) {
    if (!appended.has_value()) return appended.error().WithContext("dead-letter stream " + stream->name());
  }
  return Status::Ok();
}

Status Pipeline::CommitGroup(uint32_t partition) {
  // Past what every sink has durable, and no further than what was read.
  uint64_t offset;
  {
    std::lock_guard lock(mu_);
    offset = positions_[partition];
  }
  for (Sink* sink : options_.sinks) {
    std::optional<uint64_t> durable = sink->DurableOffset(options_.trigger->name(), partition);
    if (durable.has_value()) offset = std::min(offset, *durable);
  }
  std::lock_guard lock(mu_);
  if (offset <= committed_[partition]) return Status::Ok();
  committed_[partition] = offset;
  return options_.trigger->CommitGroup(options_.group, committed_);
}

}  // namespace eventlake::pipeline
