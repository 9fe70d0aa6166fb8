// RawArchiver: stream records to zstd NDJSON files named by their offsets.
#include "lake/raw_archiver.h"

#include <zstd.h>

#include <charconv>
#include <cstdio>

#include "core/id.h"
#include "core/logging.h"
#include "ingest/cloudevent_json.h"
#include "lake/partition_spec.h"
#include "lake/stream_rounds.h"

namespace eventlake::lake {
namespace {

constexpr std::string_view kComponent = "lake";

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

int64_t HourOf(int64_t micros) {
  constexpr int64_t kHour = 3'600'000'000;
  return micros / kHour - (micros % kHour < 0 ? 1 : 0);
}

}  // namespace

std::string RawFileKey(std::string_view name, uint32_t partition, uint64_t first, uint64_t last,
                       int64_t append_micros) {
  char tail[96];
  const int64_t hour = ((HourOf(append_micros) % 24) + 24) % 24;
  std::snprintf(tail, sizeof tail, "hour=%02lld/part-p%u-%020llu-%020llu.ndjson.zst",
                static_cast<long long>(hour), partition, static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(last));
  return "raw/" + std::string(name) + "/dt=" + DateOfMicros(append_micros) + "/" + tail;
}

std::optional<RawFileName> ParseRawFileKey(std::string_view key) {
  const size_t slash = key.rfind('/');
  std::string_view file = slash == std::string_view::npos ? key : key.substr(slash + 1);
  constexpr std::string_view kPrefix = "part-p", kSuffix = ".ndjson.zst";
  if (!file.starts_with(kPrefix) || !file.ends_with(kSuffix)) return std::nullopt;
  file = file.substr(kPrefix.size(), file.size() - kPrefix.size() - kSuffix.size());
  RawFileName out;
  auto [p1, e1] = std::from_chars(file.data(), file.data() + file.size(), out.partition);
  if (e1 != std::errc() || p1 == file.data() + file.size() || *p1 != '-') return std::nullopt;
  const char* end = file.data() + file.size();
  auto [p2, e2] = std::from_chars(p1 + 1, end, out.first);
  if (e2 != std::errc() || p2 == end || *p2 != '-') return std::nullopt;
  auto [p3, e3] = std::from_chars(p2 + 1, end, out.last);
  if (e3 != std::errc() || p3 != end || out.last < out.first) return std::nullopt;
  return out;
}

RawArchiver::~RawArchiver() { Stop(); }

Result<std::unique_ptr<RawArchiver>> RawArchiver::Create(RawArchiverOptions options) {
  if (options.stream == nullptr || options.store == nullptr) {
    return Err(InvalidArgument("a raw archiver needs a stream and a store"));
  }
  if (!ValidName(options.name)) {
    return Err(InvalidArgument("raw zone name " + options.name + ": must match [a-z][a-z0-9_]{0,62}"));
  }
  auto archiver = std::unique_ptr<RawArchiver>(new RawArchiver(std::move(options)));
  if (MetricsRegistry* m = archiver->options_.metrics) {
    const MetricLabels labels = {{"zone", "raw." + archiver->options_.name}};
    archiver->events_ = &m->GetCounter("eventlake_raw_events_total",
                                       "Events written to the raw zone.", labels);
    archiver->files_ = &m->GetCounter("eventlake_raw_files_total",
                                      "Files written to the raw zone.", labels);
    archiver->bytes_ = &m->GetCounter("eventlake_raw_bytes_total",
                                      "Compressed bytes written to the raw zone.", labels);
  }
  EL_RETURN_IF_ERROR(archiver->Resume());
  return archiver;
}

Status RawArchiver::Resume() {
  const log::Stream& stream = *options_.stream;
  next_.assign(stream.partition_count(), 0);
  for (uint32_t p = 0; p < stream.partition_count(); ++p) {
    next_[p] = stream.partition(p).StartOffset();
  }
  EL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> files,
                      options_.store->List("raw/" + options_.name + "/"));
  for (const ObjectInfo& f : files) {
    auto parsed = ParseRawFileKey(f.key);
    if (!parsed.has_value() || parsed->partition >= next_.size()) continue;
    next_[parsed->partition] = std::max(next_[parsed->partition], parsed->last + 1);
  }
  buffers_.clear();
  buffered_bytes_ = 0;
  return Status::Ok();
}

Status RawArchiver::WriteFile(const Buffer& buffer) {
  std::string compressed(ZSTD_compressBound(buffer.lines.size()), '\0');
  const size_t size = ZSTD_compress(compressed.data(), compressed.size(), buffer.lines.data(),
                                    buffer.lines.size(), options_.zstd_level);
  if (ZSTD_isError(size)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(size));
  compressed.resize(size);
  const std::string key =
      RawFileKey(options_.name, buffer.partition, buffer.first, buffer.last, buffer.append_micros);
  const std::string staged = options_.store->StagingDirectory() + "/raw-" + NewEventId();
  FILE* f = std::fopen(staged.c_str(), "wb");
  if (f == nullptr) return IOError("cannot create " + staged);
  const bool written = std::fwrite(compressed.data(), 1, compressed.size(), f) == compressed.size();
  if (std::fclose(f) != 0 || !written) {
    std::remove(staged.c_str());
    return IOError("cannot write " + staged);
  }
  Status put = options_.store->PutFile(key, staged);
  if (!put.ok()) {
    std::remove(staged.c_str());
    return put;
  }
  if (files_ != nullptr) {
    files_->Increment();
    bytes_->Increment(compressed.size());
    events_->Increment(buffer.last - buffer.first + 1);
  }
  return Status::Ok();
}

Status RawArchiver::WriteAll() {
  // Opened in order, so per partition in ascending offsets: a crash part way
  // leaves a prefix of them, which Resume() continues after.
  for (const Buffer& buffer : buffers_) EL_RETURN_IF_ERROR(WriteFile(buffer));
  buffers_.clear();
  buffered_bytes_ = 0;
  return Status::Ok();
}

Status RawArchiver::Take(uint32_t p, const log::LogRecord& r) {
  Buffer* buffer = nullptr;
  for (auto it = buffers_.rbegin(); it != buffers_.rend(); ++it) {
    if (it->partition == p) {
      if (HourOf(it->append_micros) == HourOf(r.append_time)) buffer = &*it;
      break;  // only the partition's newest buffer may take more
    }
  }
  if (buffer == nullptr) {
    buffers_.push_back(
        {.partition = p, .first = r.offset, .last = r.offset, .append_micros = r.append_time});
    buffer = &buffers_.back();
  }
  const size_t before = buffer->lines.size();
  ingest::AppendStructuredJson(r.event, &buffer->lines);
  buffer->lines += '\n';
  buffer->last = r.offset;
  if (buffered_bytes_ == 0) oldest_micros_ = options_.clock->NowMicros();
  buffered_bytes_ += buffer->lines.size() - before;
  return Status::Ok();
}

Result<uint64_t> RawArchiver::RunOnce(bool force) {
  Status failed;
  auto taken = ReadEveryPartition(*options_.stream, next_, options_.max_poll_records,
                                  [this](uint32_t p, const log::LogRecord& r) { return Take(p, r); });
  const uint64_t read = taken.value_or(0);
  if (!taken.has_value()) failed = taken.error();
  const bool due = buffered_bytes_ >= options_.max_bytes ||
                   (buffered_bytes_ > 0 &&
                    options_.clock->NowMicros() - oldest_micros_ >=
                        std::chrono::duration_cast<std::chrono::microseconds>(options_.max_age)
                            .count());
  if (failed.ok() && (force || due) && !buffers_.empty()) failed = WriteAll();
  if (!failed.ok()) {
    Status resumed = Resume();  // read again what is not in a file
    if (!resumed.ok()) return Err(resumed);
    return Err(failed);
  }
  return read;
}

Status RawArchiver::Start() {
  if (thread_.joinable()) return FailedPrecondition("raw archiver started twice");
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void RawArchiver::Run() {
  RunRounds(stopping_, options_.idle_wait, [this] { return RunOnce(false); },
            "raw zone round failed; retrying from what is archived", "zone", "raw." + options_.name);
  if (!buffers_.empty()) {
    Status s = WriteAll();
    if (!s.ok()) {
      LogWarn(kComponent, "final raw write failed; the events are archived at the next start",
              {{"zone", "raw." + options_.name}, {"error", s.ToString()}});
    }
  }
}

void RawArchiver::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace eventlake::lake
