// Pipeline::Redrive: dead letters back through the current steps and sinks.
#include <nlohmann/json.hpp>
#include <thread>

#include "ingest/event_decoder.h"
#include "pipeline/pipeline.h"

namespace eventlake::pipeline {
namespace {

// The original event a dead letter of `pipeline` carries; nullopt for
// another pipeline's letter or one that does not parse.
std::optional<CloudEvent> OriginalEvent(const CloudEvent& letter, const std::string& pipeline,
                                        ingest::EventDecoder& decoder) {
  const auto data = nlohmann::json::parse(letter.data, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object() || data.value("pipeline", "") != pipeline) return std::nullopt;
  auto event = data.find("event");
  if (event == data.end() || !event->is_object()) return std::nullopt;
  ingest::EventResult decoded = decoder.DecodeStructured(event->dump());
  if (!decoded.has_value()) return std::nullopt;
  return std::move(*decoded);
}

}  // namespace

Result<RedriveReport> Pipeline::Redrive(const RedriveOptions& o) {
  if (o.dead_letters == nullptr) return Err(InvalidArgument("a redrive needs the dead-letter stream"));
  std::lock_guard one_at_a_time(redrive_mu_);
  log::Stream& stream = *o.dead_letters;
  const std::string group = o.group.empty() ? "pipeline-" + options_.name + "-redrive" : o.group;
  EL_ASSIGN_OR_RETURN(std::vector<uint64_t> offsets, stream.GroupOffsets(group));
  const size_t runner = TriggerPartitions();  // the redrive's runner slot
  RedriveReport report;
  ingest::EventDecoder decoder;
  const auto started = std::chrono::steady_clock::now();
  for (uint32_t p = 0; p < stream.partition_count(); ++p) {
    const log::Partition& partition = stream.partition(p);
    const uint64_t end = partition.EndOffset();  // letters of this redrive land after it
    uint64_t from = std::max(offsets[p], partition.StartOffset());
    while (from < end && !(o.stop != nullptr && o.stop->load())) {
      const uint32_t room = static_cast<uint32_t>(std::min<uint64_t>(end - from, options_.batch.max_records));
      EL_ASSIGN_OR_RETURN(std::vector<log::LogRecord> records,
                          partition.Read(from, {.max_records = room, .max_bytes = options_.batch.max_bytes}));
      if (records.empty()) break;
      MicroBatch batch{.first_offset = records.front().offset, .next_offset = records.back().offset + 1};
      for (log::LogRecord& record : records) {
        ++report.read;
        if (record.offset >= end) break;
        batch.next_offset = record.offset + 1;
        std::optional<CloudEvent> event = OriginalEvent(record.event, options_.name, decoder);
        if (!event.has_value()) {
          ++report.skipped;
          continue;
        }
        batch.records.push_back({.event = std::move(*event),
                                 .appended_micros = options_.clock->NowMicros(),
                                 .offset = record.offset});
      }
      from = batch.next_offset;
      if (batch.records.empty()) continue;
      report.redriven += batch.records.size();
      EL_ASSIGN_OR_RETURN(BatchReport done, Process(stream.name(), p, runner, std::move(batch), /*redriven=*/true));
      report.delivered += done.delivered;
      report.dead_letters += done.dead_letters;
      if (o.rate > 0) {  // the letters so far take at least redriven / rate seconds
        const auto due = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(report.redriven / o.rate));
        while (std::chrono::steady_clock::now() < due && !(o.stop != nullptr && o.stop->load())) {
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              due - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
        }
      }
    }
    offsets[p] = from;
  }
  for (Sink* sink : options_.sinks) {
    EL_RETURN_IF_ERROR(sink->Flush().WithContext("pipeline " + options_.name + ": sink " + std::string(sink->name())));
  }
  EL_RETURN_IF_ERROR(stream.CommitGroup(group, offsets));
  return report;
}

}  // namespace eventlake::pipeline
