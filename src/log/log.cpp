// The set of streams under data/log and the maintenance thread.
#include "log/log.h"

#include "core/file.h"
#include "core/logging.h"
#include "log/stream_options_table.h"

namespace eventlake::log {

Log::Log(LogOptions options) : options_(std::move(options)) {}

Log::~Log() {
  {
    std::lock_guard lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

Result<std::unique_ptr<Log>> Log::Open(LogOptions options) {
  EL_RETURN_IF_ERROR(CreateDirectories(options.dir));
  std::unique_ptr<Log> log(new Log(std::move(options)));
  EL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(log->options_.dir));
  for (const std::string& name : names) {
    std::string meta = log->options_.dir + "/" + name + "/stream.json";
    if (!PathExists(meta)) continue;  // not a stream (or one never fully created)
    EL_ASSIGN_OR_RETURN(std::string json, ReadFile(meta));
    Result<StreamOptions> stream_options = StreamOptionsFromJson(json);
    if (!stream_options.has_value()) {
      return Err(stream_options.error().WithContext("reading " + meta));
    }
    if (stream_options->name != name) {
      return Err(Corruption(meta + " names stream " + stream_options->name));
    }
    EL_RETURN_IF_ERROR(log->OpenStream(*stream_options));
  }
  return log;
}

Result<Stream*> Log::OpenStream(const StreamOptions& options) {
  EL_ASSIGN_OR_RETURN(
      std::unique_ptr<Stream> stream,
      Stream::Open(options_.dir + "/" + options.name, options, options_.clock, options_.metrics));
  Stream* raw = stream.get();
  std::lock_guard lock(mu_);
  streams_[options.name] = std::move(stream);
  return raw;
}

Result<Stream*> Log::CreateStream(const StreamOptions& options) {
  EL_RETURN_IF_ERROR(ValidateStreamOptions(options));
  std::lock_guard create(create_mu_);
  if (FindStream(options.name) != nullptr) {
    return Err(AlreadyExists("stream " + options.name + " already exists"));
  }
  Result<Stream*> stream = OpenStream(options);
  if (stream.has_value()) LogInfo("log", "stream created", {{"stream", options.name}});
  return stream;
}

Result<Stream*> Log::EnsureStream(const StreamOptions& options) {
  EL_RETURN_IF_ERROR(ValidateStreamOptions(options));
  std::lock_guard create(create_mu_);
  Stream* existing = FindStream(options.name);
  if (existing != nullptr && StreamOptionsToJson(existing->options()) ==
                                 StreamOptionsToJson(options)) {
    return existing;
  }
  if (existing != nullptr) {
    // Reopen with the declared options (Stream::Open refuses fewer partitions).
    // Only done at start, before anything holds the stream.
    std::unique_ptr<Stream> old;
    {
      std::lock_guard lock(mu_);
      old = std::move(streams_[options.name]);
      streams_.erase(options.name);
    }
    old.reset();
    Result<Stream*> reopened = OpenStream(options);
    if (!reopened.has_value()) {
      // Put the stream back as it was rather than lose it.
      EL_RETURN_IF_ERROR(OpenStream(ReadBackOptions(options.name)));
      return Err(reopened.error());
    }
    LogInfo("log", "stream options changed", {{"stream", options.name}});
    return reopened;
  }
  return OpenStream(options);
}

StreamOptions Log::ReadBackOptions(const std::string& name) const {
  Result<std::string> json = ReadFile(options_.dir + "/" + name + "/stream.json");
  if (json.has_value()) {
    Result<StreamOptions> parsed = StreamOptionsFromJson(*json);
    if (parsed.has_value()) return *parsed;
  }
  StreamOptions fallback;
  fallback.name = name;
  return fallback;
}

Stream* Log::FindStream(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

std::vector<Stream*> Log::Streams() const {
  std::lock_guard lock(mu_);
  std::vector<Stream*> out;
  for (const auto& [name, stream] : streams_) out.push_back(stream.get());
  return out;
}

Status Log::Maintain() {
  Status first_error;
  for (Stream* stream : Streams()) {
    Status s = stream->Maintain();
    if (!s.ok()) {
      LogError("log", "maintenance failed", {{"stream", stream->name()}, {"error", s.ToString()}});
      if (first_error.ok()) first_error = s;
    }
  }
  return first_error;
}

void Log::StartMaintenance() {
  maintenance_ = std::thread([this] {
    std::unique_lock lock(maintenance_mu_);
    while (!maintenance_cv_.wait_for(lock, options_.maintenance_interval,
                                     [this] { return stopping_; })) {
      lock.unlock();
      (void)Maintain();  // failures are logged per stream
      lock.lock();
    }
  });
}

}  // namespace eventlake::log
