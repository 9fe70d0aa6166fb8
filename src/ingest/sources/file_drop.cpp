// file_drop: scanning the landing directory, deciding when a file is
// complete, reading and checking it, and moving it when its events are done.
#include "ingest/sources/file_drop.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <cstdio>

#include "core/file.h"
#include "core/logging.h"
#include "security/api_key.h"

namespace eventlake::ingest {
namespace {

constexpr std::string_view kComponent = "file_drop";
constexpr char kProcessed[] = "processed";
constexpr char kFailed[] = "failed";

std::string Hex(const security::Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

int64_t MtimeMicros(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1'000'000 + st.st_mtim.tv_nsec / 1000;
}

// `name` in `dir`, or name.1, name.2, ... when taken (also by a reason file).
std::string FreeName(const std::string& dir, const std::string& name) {
  std::string candidate = name;
  for (int k = 1;
       PathExists(dir + "/" + candidate) || PathExists(dir + "/" + candidate + ".reason"); ++k) {
    candidate = name + "." + std::to_string(k);
  }
  return candidate;
}

}  // namespace

Result<std::unique_ptr<FileDrop>> FileDrop::Create(FileDropOptions options, EventSink& sink,
                                                   MetricsRegistry& metrics, Clock& clock) {
  EL_RETURN_IF_ERROR(ValidateFileDropOptions(options));
  return std::unique_ptr<FileDrop>(new FileDrop(std::move(options), sink, metrics, clock));
}

FileDrop::FileDrop(FileDropOptions options, EventSink& sink, MetricsRegistry& metrics, Clock& clock)
    : options_(std::move(options)),
      source_("/eventlake/sources/" + options_.name),
      sink_(sink),
      metrics_(metrics),
      clock_(clock),
      files_processed_(metrics.GetCounter("eventlake_file_drop_files_processed_total",
                                          "Files whose events were all accepted (moved to "
                                          "processed/).",
                                          {{"source", options_.name}})),
      records_delivered_(metrics.GetCounter("eventlake_file_drop_records_delivered_total",
                                            "Records of dropped files accepted by the stream.",
                                            {{"source", options_.name}})),
      records_rejected_(metrics.GetCounter("eventlake_file_drop_records_rejected_total",
                                           "Records of dropped files rejected by the source's "
                                           "checks.",
                                           {{"source", options_.name}})),
      delivery_retries_(metrics.GetCounter("eventlake_file_drop_delivery_retries_total",
                                           "Events delivered again after a retryable answer.",
                                           {{"source", options_.name}})),
      bytes_read_(metrics.GetCounter("eventlake_file_drop_bytes_read_total",
                                     "Bytes of dropped files read.", {{"source", options_.name}})) {
}

FileDrop::~FileDrop() { Stop(); }

Status FileDrop::Prepare() {
  if (prepared_) return Status::Ok();
  for (const std::string& dir : {options_.directory, options_.directory + "/" + kProcessed,
                                 options_.directory + "/" + kFailed}) {
    EL_RETURN_IF_ERROR(CreateDirectories(dir));
  }
  prepared_ = true;
  return Status::Ok();
}

Status FileDrop::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return FailedPrecondition("file_drop " + options_.name + " was started before");
    started_ = true;
  }
  EL_RETURN_IF_ERROR(Prepare());
  LogInfo(kComponent, "watching", {{"source", options_.name}, {"directory", options_.directory}});
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void FileDrop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool FileDrop::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool FileDrop::WaitUnlessStopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void FileDrop::Run() {
  do {
    Result<size_t> moved = PollOnce();
    std::string error = moved.has_value() ? "" : moved.error().ToString();
    if (error != last_scan_error_ && !error.empty()) {  // once per distinct problem
      LogWarn(kComponent, "cannot scan the directory",
              {{"source", options_.name}, {"error", error}});
    }
    last_scan_error_ = error;
  } while (WaitUnlessStopping(options_.poll_interval));
}

bool FileDrop::IsCandidate(const std::string& name) const {
  if (name.empty() || name.front() == '.' || name.ends_with(".tmp") || name.ends_with(".part")) {
    return false;
  }
  if (!ResolveFileFormat(options_.format, name).has_value()) return false;
  return ::fnmatch(options_.pattern.c_str(), name.c_str(), 0) == 0;
}

bool FileDrop::Settled(const Observation& seen) const {
  const int64_t settle_micros = options_.settle_time.count() * 1000;
  const int64_t unchanged_micros = (clock_.MonotonicNanos() - seen.unchanged_since_nanos) / 1000;
  return unchanged_micros >= settle_micros &&
         clock_.NowMicros() - seen.mtime_micros >= settle_micros;
}

Result<size_t> FileDrop::PollOnce() {
  EL_RETURN_IF_ERROR(Prepare());
  EL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(options_.directory));
  std::map<std::string, Observation> next;
  size_t moved = 0;
  for (const std::string& name : names) {
    if (!IsCandidate(name)) continue;
    struct stat st {};
    if (::lstat((options_.directory + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    Observation seen{static_cast<uint64_t>(st.st_size), MtimeMicros(st), clock_.MonotonicNanos()};
    auto old = seen_.find(name);
    if (old != seen_.end() && SameFile(old->second, seen)) seen = old->second;
    next[name] = seen;
    if (seen.stuck || !Settled(seen) || Stopping()) continue;
    Taken taken = Take(name, seen);
    if (taken == Taken::kMoved) {
      next.erase(name);
      ++moved;
    } else if (taken == Taken::kStuck) {
      next[name].stuck = true;
    }
  }
  seen_ = std::move(next);
  return moved;
}

Result<std::optional<std::string>> FileDrop::ReadContents(const DroppedFile& file) const {
  EL_ASSIGN_OR_RETURN(FileHandle handle, OpenFile(file.path, O_RDONLY | O_NOFOLLOW));
  std::string contents(file.size, '\0');
  size_t done = 0;
  while (done < contents.size()) {
    EL_ASSIGN_OR_RETURN(size_t n, PReadUpTo(handle.fd(), contents.data() + done,
                                            contents.size() - done, done, file.path));
    if (n == 0) return std::optional<std::string>();  // shrank: still being written
    done += n;
  }
  struct stat st {};
  if (::fstat(handle.fd(), &st) != 0) return Err(ErrnoError("fstat " + file.path, errno));
  if (static_cast<uint64_t>(st.st_size) != file.size || MtimeMicros(st) != file.mtime_micros) {
    return std::optional<std::string>();  // changed while we read it
  }
  return std::optional<std::string>(std::move(contents));
}

FileDrop::Taken FileDrop::Take(const std::string& name, const Observation& seen) {
  DroppedFile file{.name = name,
                   .path = options_.directory + "/" + name,
                   .size = seen.size,
                   .mtime_micros = seen.mtime_micros,
                   .format = *ResolveFileFormat(options_.format, name)};
  if (file.size > options_.max_file_bytes) {
    return MoveToFailed(file, "too_large",
                        "the file is " + std::to_string(file.size) +
                            " bytes, more than max_file_bytes (" +
                            std::to_string(options_.max_file_bytes) + "); nothing was delivered.");
  }
  Result<std::optional<std::string>> contents = ReadContents(file);
  if (!contents.has_value()) {
    return MoveToFailed(
        file, "unreadable",
        "the file could not be read: " + contents.error().ToString() + "; nothing was delivered.");
  }
  if (!contents->has_value()) return Taken::kLeft;  // changed: settle again
  file.contents = std::move(**contents);
  bytes_read_.Increment(file.size);
  file.sha256 = Hex(security::Sha256(file.contents));
  Result<size_t> records = CountFileRecords(file.contents, file.format, limits_);
  if (!records.has_value()) {
    return MoveToFailed(file, "parse",
                        "the file is not valid " + std::string(FileFormatName(file.format)) +
                            "; nothing was delivered.\n" + records.error().message());
  }
  Outcome outcome = Deliver(file, *records);
  return Finish(file, *records, outcome);
}

FileDrop::Taken FileDrop::Finish(const DroppedFile& file, size_t records, const Outcome& outcome) {
  if (outcome.abandoned) {
    LogInfo(kComponent, "stopped while delivering a file; it is delivered again at the next start",
            {{"source", options_.name}, {"file", file.name}});
    return Taken::kLeft;
  }
  if (outcome.rejected == 0) {
    Taken taken = MoveTo(file, kProcessed, std::nullopt);
    if (taken == Taken::kMoved) {
      files_processed_.Increment();
      LogInfo(kComponent, "file processed",
              {{"source", options_.name}, {"file", file.name}, {"records", records}});
    }
    return taken;
  }
  std::string reason = std::to_string(outcome.rejected) + " of " + std::to_string(records + 1) +
                       " events were rejected; the " + std::to_string(outcome.accepted) +
                       " accepted ones were appended to the stream and stay there.\n";
  for (const std::string& line : outcome.listed) reason += line + "\n";
  if (outcome.listed.size() < outcome.rejected) {
    reason += "... and " + std::to_string(outcome.rejected - outcome.listed.size()) +
              " more rejected records not listed\n";
  }
  return MoveToFailed(file, "rejected", reason);
}

std::string FileDrop::ReasonHeader(const DroppedFile& file) const {
  std::string header = "file: " + file.name + "\nsize: " + std::to_string(file.size) + " bytes\n";
  if (!file.sha256.empty()) header += "sha256: " + file.sha256 + "\n";
  header += "format: " + std::string(FileFormatName(file.format)) + "\n";
  header += "failed_at: " + FormatRfc3339(clock_.NowMicros()) + "\n";
  return header;
}

FileDrop::Taken FileDrop::MoveToFailed(const DroppedFile& file, std::string_view kind,
                                       const std::string& reason) {
  Taken taken =
      MoveTo(file, kFailed,
             ReasonHeader(file) + "reason: " + reason + (reason.ends_with('\n') ? "" : "\n"));
  if (taken == Taken::kMoved) {
    metrics_
        .GetCounter("eventlake_file_drop_files_failed_total",
                    "Dropped files moved to failed/, by reason.",
                    {{"source", options_.name}, {"reason", std::string(kind)}})
        .Increment();
    LogWarn(kComponent, "file failed",
            {{"source", options_.name}, {"file", file.name}, {"reason", kind}});
  }
  return taken;
}

FileDrop::Taken FileDrop::MoveTo(const DroppedFile& file, const std::string& subdirectory,
                                 std::optional<std::string> reason) {
  const std::string dir = options_.directory + "/" + subdirectory;
  const std::string target = FreeName(dir, file.name);
  Status s;
  // The reason goes first: a crash between the two leaves the file in place,
  // to be taken again, rather than a failed file without its reason.
  if (reason) s = WriteFileAtomically(dir + "/" + target + ".reason", *reason);
  if (s.ok()) s = RenameDurably(file.path, dir + "/" + target);
  if (s.ok()) s = SyncDirectory(options_.directory);
  if (s.ok()) return Taken::kMoved;
  LogError(kComponent, "cannot move a file; it is skipped until it changes",
           {{"source", options_.name}, {"file", file.name}, {"error", s.ToString()}});
  return Taken::kStuck;
}

}  // namespace eventlake::ingest
