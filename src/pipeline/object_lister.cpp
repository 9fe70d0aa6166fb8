// The object-created trigger's lister: listings compared with the
// persisted seen-set, new objects appended as events, then the state.
#include "pipeline/object_lister.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/logging.h"
#include "security/api_key.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

}  // namespace

CloudEvent ObjectCreatedEvent(const ListedObject& object, const std::string& bucket) {
  CloudEvent e;
  // One id per object version: an append made again (a crash before the
  // state was written) carries the same id.
  e.id = "obj-" + security::HexOf(security::Sha256(object.key + '\0' + object.etag + '\0' +
                                                   std::to_string(object.size)))
                      .substr(0, 32);
  e.source = "/eventlake/objects/" + bucket;
  e.type = std::string(kObjectCreatedType);
  e.subject = object.key;
  e.time = object.modified;
  e.data_content_type = "application/json";
  e.data = json{{"bucket", bucket},
                {"key", object.key},
                {"size", object.size},
                {"etag", object.etag},
                {"time", FormatRfc3339(object.modified)}}
               .dump(-1, ' ', false, json::error_handler_t::replace);
  return e;
}

ObjectLister::ObjectLister(ObjectListerOptions options) : options_(std::move(options)) {
  if (MetricsRegistry* m = options_.metrics) {
    const MetricLabels labels = {{"pipeline", options_.pipeline}};
    emitted_ = &m->GetCounter("eventlake_pipeline_objects_created_total",
                              "Object-created events the objects trigger appended.", labels);
    dropped_ =
        &m->GetCounter("eventlake_pipeline_objects_dropped_total",
                       "Objects the objects trigger skipped (a key over max_key_length).", labels);
    errors_ = &m->GetCounter(
        "eventlake_pipeline_objects_errors_total",
        "Listings or appends of the objects trigger that failed (tried again next poll).", labels);
  }
}

ObjectLister::~ObjectLister() { Stop(); }

Result<std::unique_ptr<ObjectLister>> ObjectLister::Open(ObjectListerOptions options) {
  if (options.stream == nullptr || !options.list) {
    return Err(InvalidArgument("the objects trigger needs a stream and a list function"));
  }
  auto lister = std::unique_ptr<ObjectLister>(new ObjectLister(std::move(options)));
  EL_RETURN_IF_ERROR(lister->LoadState());
  return lister;
}

std::string ObjectLister::Fingerprint(std::string_view etag, uint64_t size) {
  return std::string(etag) + ":" + std::to_string(size);
}

Status ObjectLister::LoadState() {
  if (PathExists(options_.state_path)) {
    EL_ASSIGN_OR_RETURN(std::string text, ReadFile(options_.state_path));
    const json state = json::parse(text, nullptr, false);
    if (!state.is_object() || state.value("version", 0) != kStateVersion ||
        !state.contains("objects") || !state.at("objects").is_object() ||
        !state.contains("next_offset") || !state.at("next_offset").is_number_unsigned()) {
      return Corruption(options_.state_path + ": not an objects trigger state");
    }
    if (state.value("prefix", std::string()) == options_.prefix) {
      for (const auto& [key, fingerprint] : state.at("objects").items()) {
        if (!fingerprint.is_string())
          return Corruption(options_.state_path + ": a fingerprint is not a string");
        seen_[key] = fingerprint.get<std::string>();
      }
      return Recover(state.at("next_offset").get<uint64_t>());
    }
    // Another prefix: its objects are a first start's.
    LogInfo("pipeline", "an objects trigger's prefix changed; it starts again from a first listing",
            {{"pipeline", options_.pipeline}, {"prefix", options_.prefix}});
  }
  // First start: the baseline is what is there now, unless those are events too.
  if (!options_.existing) {
    EL_ASSIGN_OR_RETURN(std::vector<ListedObject> objects, options_.list(options_.prefix));
    for (const ListedObject& o : objects) seen_[o.key] = Fingerprint(o.etag, o.size);
  }
  // Records already in the stream (its state file was lost) are seen.
  EL_RETURN_IF_ERROR(Recover(0));
  return SaveState();
}

Status ObjectLister::Recover(uint64_t from) {
  const log::Partition& partition = options_.stream->partition(0);
  from = std::max(from, partition.StartOffset());  // older records are gone (retention)
  while (from < partition.EndOffset()) {
    EL_ASSIGN_OR_RETURN(std::vector<log::LogRecord> records, partition.Read(from, {}));
    if (records.empty()) break;
    for (const log::LogRecord& r : records) {
      const json data = json::parse(r.event.data, nullptr, false);
      if (r.event.type != kObjectCreatedType || !data.is_object() || !data["key"].is_string())
        continue;
      seen_[data["key"].get<std::string>()] =
          Fingerprint(data.value("etag", std::string()), data.value("size", uint64_t{0}));
    }
    from = records.back().offset + 1;
  }
  return Status::Ok();
}

Status ObjectLister::SaveState() {
  json objects = json::object();
  for (const auto& [key, fingerprint] : seen_) objects[key] = fingerprint;
  const json state = {{"version", kStateVersion},
                      {"prefix", options_.prefix},
                      {"next_offset", options_.stream->partition(0).EndOffset()},
                      {"objects", std::move(objects)}};
  const std::string dir = std::filesystem::path(options_.state_path).parent_path().string();
  if (!dir.empty()) EL_RETURN_IF_ERROR(CreateDirectories(dir));
  return WriteFileAtomically(options_.state_path,
                             state.dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<size_t> ObjectLister::PollOnce() {
  std::lock_guard lock(poll_mu_);
  EL_ASSIGN_OR_RETURN(std::vector<ListedObject> objects, options_.list(options_.prefix));
  std::map<std::string, std::string> listed;
  std::vector<CloudEvent> events;
  for (const ListedObject& o : objects) {
    if (o.key.size() > options_.max_key_length) {
      if (!seen_.contains(o.key) && dropped_ != nullptr) dropped_->Increment();
      listed[o.key] = "";  // counted once, never an event
      continue;
    }
    std::string fingerprint = Fingerprint(o.etag, o.size);
    auto it = seen_.find(o.key);
    if (it == seen_.end() || it->second != fingerprint) {
      // Over the limit: not seen yet, so new again at the next poll.
      if (events.size() >= options_.max_objects) continue;
      events.push_back(ObjectCreatedEvent(o, options_.bucket));
    }
    listed[o.key] = std::move(fingerprint);
  }
  if (!events.empty()) {
    for (Result<log::RecordPosition>& r : options_.stream->AppendAndWait(events)) {
      // What was appended before the failure is recovered from the stream at the next start.
      if (!r.has_value())
        return Err(r.error().WithContext("objects trigger of " + options_.pipeline));
    }
  }
  if (events.empty() && listed == seen_) return size_t{0};
  seen_ = std::move(listed);  // deleted objects are forgotten: created again, they are new
  EL_RETURN_IF_ERROR(SaveState());
  if (emitted_ != nullptr) emitted_->Increment(events.size());
  return events.size();
}

void ObjectLister::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      Result<size_t> polled = PollOnce();
      if (!polled.has_value()) {
        if (errors_ != nullptr) errors_->Increment();
        LogWarn("pipeline", "an objects trigger's poll failed; it runs again",
                {{"pipeline", options_.pipeline}, {"error", polled.error().ToString()}});
      }
      lock.lock();
      wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
    }
  });
}

void ObjectLister::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace eventlake::pipeline
