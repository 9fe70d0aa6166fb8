// ObjectLister: the object-created trigger's source (issue 6). Every
// `poll` it lists the objects under a prefix (through a function the server
// gives: this room cannot include the lake) and appends one
// `eventlake.object.created` CloudEvent per new object to the pipeline's
// internal stream `<pipeline>.objects`, which the pipeline then reads as a
// stream trigger (retries, dead letters, replay and exactly-once table
// sinks as for any stream).
//
// New means: a key not in the last listing, or listed again with another
// etag or size (rewritten). The last listing (key -> etag and size) is the
// seen-set, bounded by what is under the prefix; it is written to
// `state_path` (atomically) after each append, with the stream's end
// offset then. On open, the records of the stream after that offset (an
// append whose state was not written: a crash between the two) are added
// to the seen-set, so that an object becomes exactly one event, across
// restarts too. The event's id is a digest of (key, etag, size): the same
// object version has the same id.
//
// The first time (no state file, or one of another prefix), the objects
// already there are events only with `existing`; otherwise they are the
// baseline, listed in Open.
//
// Threads: Start() runs one polling thread; Stop() joins it. PollOnce() is
// for tests, without Start().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "log/stream.h"

namespace eventlake::pipeline {

inline constexpr std::string_view kObjectCreatedType = "eventlake.object.created";

// One object as the store lists it.
struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // the store's, or a digest of size and modification time
  TimestampMicros modified = 0;
};

// Every object whose key starts with the prefix, sorted by key.
using ListObjectsFunction =
    std::function<Result<std::vector<ListedObject>>(std::string_view prefix)>;

struct ObjectListerOptions {
  std::string pipeline;  // for metrics and logs
  std::string bucket;    // the events' bucket (s3.bucket.name)
  std::string prefix;    // "" lists everything
  std::chrono::milliseconds poll{1000};
  bool existing = false;           // the objects there at the first listing are events too
  uint32_t max_objects = 1000;     // new objects per poll at most; the rest wait for the next
  uint32_t max_key_length = 1024;  // longer keys are skipped (counted as dropped)
  std::string state_path;  // the seen-set's file (<data_dir>/state/pipelines/<name>/objects.json)
  ListObjectsFunction list;
  log::Stream* stream = nullptr;  // the internal stream; must outlive the lister
  Clock* clock = &SystemClock();
  MetricsRegistry* metrics = nullptr;
};

// The object-created event of `object` (data {bucket, key, size, etag, time}).
CloudEvent ObjectCreatedEvent(const ListedObject& object, const std::string& bucket);

class ObjectLister {
 public:
  // Reads the state (or lists the baseline when there is none) and the
  // stream's records after it.
  static Result<std::unique_ptr<ObjectLister>> Open(ObjectListerOptions options);
  ~ObjectLister();  // Stop()
  ObjectLister(const ObjectLister&) = delete;
  ObjectLister& operator=(const ObjectLister&) = delete;

  // One listing: the new objects appended, then the state written; how
  // many were appended.
  Result<size_t> PollOnce();

  void Start();
  void Stop();

 private:
  explicit ObjectLister(ObjectListerOptions options);
  Status LoadState();
  Status SaveState();
  // The records of the stream from `from` on, into the seen-set.
  Status Recover(uint64_t from);
  static std::string Fingerprint(std::string_view etag, uint64_t size);

  ObjectListerOptions options_;
  std::mutex poll_mu_;                       // one PollOnce at a time
  std::map<std::string, std::string> seen_;  // guarded by poll_mu_: key -> Fingerprint
  Counter* emitted_ = nullptr;
  Counter* dropped_ = nullptr;
  Counter* errors_ = nullptr;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace eventlake::pipeline
