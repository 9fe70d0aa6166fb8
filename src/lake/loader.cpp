// Loader: rounds of read, encode, add, flush with txn offsets.
#include "lake/loader.h"

#include <nlohmann/json.hpp>

#include "core/id.h"
#include "core/logging.h"
#include "ingest/cloudevent_json.h"
#include "ingest/dead_letter.h"
#include "lake/stream_rounds.h"

namespace eventlake::lake {
namespace {

constexpr std::string_view kComponent = "lake";

}  // namespace

Loader::Loader(LoaderOptions options) : options_(std::move(options)) {
  if (options_.group.empty()) options_.group = "loader-" + options_.name;
  if (options_.metrics != nullptr) {
    const MetricLabels labels = {{"loader", options_.name}};
    rows_in_ = &options_.metrics->GetCounter("eventlake_loader_records_total",
                                             "Records read from the stream by the loader.", labels);
    late_rows_ = &options_.metrics->GetCounter(
        "eventlake_loader_late_rows_total",
        "Rows whose event time was older than the lateness bound; loaded into their own "
        "partition.",
        labels);
    dead_lettered_ = &options_.metrics->GetCounter(
        "eventlake_loader_dead_letters_total",
        "Records the table refused, sent to the loader's dead-letter stream.", labels);
    errors_ = &options_.metrics->GetCounter(
        "eventlake_loader_errors_total",
        "Rounds that failed (the loader restarts from the table's offsets).", labels);
  }
}

Loader::~Loader() { Stop(); }

Result<std::unique_ptr<Loader>> Loader::Create(LoaderOptions options) {
  if (options.stream == nullptr || options.writer == nullptr) {
    return Err(InvalidArgument("a loader needs a stream and a table writer"));
  }
  if (options.name.empty() || options.name.find('/') != std::string::npos) {
    return Err(InvalidArgument("loader name must be non-empty and without '/'"));
  }
  auto loader = std::unique_ptr<Loader>(new Loader(std::move(options)));
  EL_RETURN_IF_ERROR(loader->Resume());
  return loader;
}

std::string Loader::AppIdOf(uint32_t partition) const {
  return options_.name + "/" + options_.stream->name() + "/" + std::to_string(partition);
}

Status Loader::Resume() {
  const log::Stream& stream = *options_.stream;
  auto snapshot = options_.writer->snapshot();
  next_.assign(stream.partition_count(), 0);
  for (uint32_t p = 0; p < stream.partition_count(); ++p) {
    uint64_t from = 0;
    if (auto it = snapshot->txns.find(AppIdOf(p)); it != snapshot->txns.end()) {
      from = static_cast<uint64_t>(it->second) + 1;
    }
    const uint64_t start = stream.partition(p).StartOffset();
    if (from < start) {
      LogWarn(kComponent, "records expired from the stream before they were loaded",
              {{"loader", options_.name},
               {"partition", p},
               {"first_missing", from},
               {"count", start - from}});
      from = start;
    }
    next_[p] = from;
  }
  committed_ = next_;
  letters_.clear();
  return Status::Ok();
}

Status Loader::DeadLetter(uint32_t partition, const log::LogRecord& record,
                          std::string_view reason, const std::string& detail) {
  if (dead_lettered_ != nullptr) dead_lettered_->Increment();
  if (!options_.open_dead_letter) return Status::Ok();
  nlohmann::ordered_json data = {
      {"loader", options_.name},
      {"table", options_.writer->options().name},
      {"problem", {{"type", reason}, {"detail", detail}}},
      {"stream", options_.stream->name()},
      {"partition", partition},
      {"offset", record.offset},
      {"event", nlohmann::ordered_json::parse(ingest::ToStructuredJson(record.event), nullptr,
                                              false)}};
  // The same record always gets the same id: a replay after a crash is a
  // duplicate a consumer can recognise.
  letters_.push_back(ingest::DeadLetterEnvelope(
      AppIdOf(partition) + "/" + std::to_string(record.offset), "/eventlake/loaders/" + options_.name,
      options_.clock->NowMicros(), data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)));
  return Status::Ok();
}

Status Loader::Take(uint32_t partition, const log::LogRecord& record) {
  const int64_t now = options_.clock->NowMicros();
  const int64_t time = record.event.time.value_or(record.append_time);
  if (time > now + options_.max_future.count() || time < now - options_.max_past.count()) {
    return DeadLetter(partition, record, "event_time_out_of_range",
                      "event time " + FormatRfc3339(time) + " is outside the table's window");
  }
  auto cells = encoder_.Encode(record.event, record.append_time);
  if (!cells.has_value()) {
    return DeadLetter(partition, record, "bad_data", cells.error().message());
  }
  Status added = options_.writer->Add(*cells);
  if (added.code() == StatusCode::kInvalidArgument) {
    return DeadLetter(partition, record, "schema_mismatch", added.message());
  }
  EL_RETURN_IF_ERROR(added);
  if (time < now - options_.lateness.count() && late_rows_ != nullptr) late_rows_->Increment();
  return Status::Ok();
}

Status Loader::FlushNow() {
  // Dead letters first: once the commit moves past their records, nothing
  // would bring them back.
  if (!letters_.empty()) {
    if (dead_letter_ == nullptr) {
      EL_ASSIGN_OR_RETURN(dead_letter_, options_.open_dead_letter());
    }
    for (const auto& r : dead_letter_->AppendAndWait(letters_)) {
      if (!r.has_value()) return r.error().WithContext("dead-lettering loader records");
    }
  }
  letters_.clear();
  std::vector<TxnAction> txns;
  for (uint32_t p = 0; p < next_.size(); ++p) {
    if (next_[p] != committed_[p]) {
      txns.push_back({.app_id = AppIdOf(p), .version = static_cast<int64_t>(next_[p]) - 1});
    }
  }
  if (txns.empty() && options_.writer->buffered_rows() == 0) return Status::Ok();
  EL_RETURN_IF_ERROR(options_.writer->Flush(std::move(txns)));
  committed_ = next_;
  Status group = options_.stream->CommitGroup(options_.group, committed_);
  if (!group.ok()) {
    LogWarn(kComponent, "could not record the loader's position in its consumer group",
            {{"loader", options_.name}, {"error", group.ToString()}});
  }
  return Status::Ok();
}

Result<uint64_t> Loader::RunOnce(bool force_flush) {
  Status failed;
  auto taken = ReadEveryPartition(*options_.stream, next_, options_.max_poll_records,
                                  [this](uint32_t p, const log::LogRecord& r) { return Take(p, r); });
  const uint64_t read = taken.value_or(0);
  if (!taken.has_value()) failed = taken.error();
  if (failed.ok() && (force_flush || options_.writer->ShouldFlush() ||
                      (read == 0 && !letters_.empty()))) {
    failed = FlushNow();
  }
  if (rows_in_ != nullptr) rows_in_->Increment(read);
  if (!failed.ok()) {
    // Start again from what the table holds: nothing is lost, nothing doubled.
    if (errors_ != nullptr) errors_->Increment();
    Status resumed = options_.writer->Reload();
    if (resumed.ok()) resumed = Resume();
    if (!resumed.ok()) return Err(resumed);
    return Err(failed);
  }
  return read;
}

Status Loader::Start() {
  if (thread_.joinable()) return FailedPrecondition("loader " + options_.name + " started twice");
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Loader::Run() {
  RunRounds(stopping_, options_.idle_wait, [this] { return RunOnce(false); },
            "loader round failed; retrying from the table's offsets", "loader", options_.name);
  Status s = FlushNow();
  if (!s.ok()) {
    LogWarn(kComponent, "final flush failed; the records are loaded again at the next start",
            {{"loader", options_.name}, {"error", s.ToString()}});
  }
}

void Loader::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace eventlake::lake
