// Pipeline's schedule trigger: the query's rows as a batch at each firing.
#include "pipeline/pipeline.h"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "pipeline/row_event.h"

namespace eventlake::pipeline {
namespace {

constexpr std::string_view kScheduleOrigin = "schedule";

}  // namespace

Result<BatchReport> Pipeline::RunScheduled() {
  if (!options_.schedule.has_value()) {
    return Err(FailedPrecondition("pipeline " + options_.name + " is not scheduled"));
  }
  std::lock_guard one_at_a_time(redrive_mu_);
  // The run's number: the next one every sink lacks (a run that failed
  // before some sink had it runs again under its number).
  std::optional<uint64_t> run;
  for (Sink* sink : options_.sinks) {
    if (std::optional<uint64_t> durable = sink->DurableOffset(kScheduleOrigin, 0)) {
      run = std::min(run.value_or(*durable), *durable);
    }
  }
  if (!run.has_value()) run = scheduled_runs_;  // no sink counts: the runs since the start

  Result<std::vector<std::string>> rows = options_.query();
  if (!rows.has_value()) return Err(rows.error().WithContext("pipeline " + options_.name + ": the scheduled query"));
  const TimestampMicros now = options_.clock->NowMicros();
  MicroBatch batch{.first_offset = *run, .next_offset = *run + 1};
  batch.records.reserve(rows->size());
  const RowEventDefaults defaults{.source = "/eventlake/pipelines/" + options_.name,
                                  .type = "eventlake.pipeline.scheduled"};
  for (const std::string& row : *rows) {
    auto event = EventFromRow(nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false), defaults);
    if (!event.has_value()) return Err(event.error().WithContext("pipeline " + options_.name + ": a row of the query"));
    batch.records.push_back({.event = std::move(*event), .appended_micros = now, .offset = *run});
  }
  if (records_in_ != nullptr) records_in_->Increment(batch.records.size());
  EL_ASSIGN_OR_RETURN(BatchReport report, Process(kScheduleOrigin, 0, TriggerPartitions(), std::move(batch), false));
  for (Sink* sink : options_.sinks) {
    EL_RETURN_IF_ERROR(sink->Flush().WithContext("pipeline " + options_.name + ": sink " + std::string(sink->name())));
  }
  scheduled_runs_ = *run + 1;
  return report;
}

void Pipeline::RunSchedule() {
  const Schedule& schedule = *options_.schedule;
  // Sleeps until `micros` (or the stop); false when stopping.
  auto sleep_until = [this](TimestampMicros micros) {
    while (!stopping_) {
      const TimestampMicros left = micros - options_.clock->NowMicros();
      if (left <= 0) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(std::min<TimestampMicros>(left, 50'000)));
    }
    return false;
  };
  std::optional<int64_t> firing = schedule.NextAfter(options_.clock->NowMicros());
  while (firing.has_value() && sleep_until(*firing)) {
    const std::optional<int64_t> next = schedule.NextAfter(*firing);
    auto backoff = std::chrono::seconds(1);
    while (!stopping_) {
      Result<BatchReport> report = RunScheduled();
      if (report.has_value()) break;
      if (batch_errors_ != nullptr) batch_errors_->Increment();
      const TimestampMicros retry_at =
          options_.clock->NowMicros() + std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
      const bool retry = !next.has_value() || retry_at < *next;
      LogWarn("pipeline", retry ? "a scheduled run failed and will be tried again" : "a scheduled run failed",
              {{"pipeline", options_.name}, {"error", report.error().ToString()}});
      if (!retry || !sleep_until(retry_at)) break;
      backoff = std::min<std::chrono::seconds>(backoff * 2, std::chrono::seconds(300));
    }
    firing = next;
  }
}

}  // namespace eventlake::pipeline
