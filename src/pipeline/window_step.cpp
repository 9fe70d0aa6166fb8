// WindowStep: events held per window, windows closed by the watermark,
// every change journaled before the batch's answer.
#include "pipeline/window_step.h"

#include <cstring>
#include <unordered_map>

#include "log/event_codec.h"

namespace eventlake::pipeline {
namespace {

// Journal entries (docs/formats/window.md); integers little-endian.
constexpr char kAdd = 'A';     // start, id, appended, event length, event
constexpr char kClose = 'C';   // start, id of the record it closed on
constexpr char kDrop = 'D';    // start: closed and committed, forgotten
constexpr char kFailed = 'F';  // id, verdict
constexpr char kNewest = 'N';  // the newest event time
constexpr char kRead = 'R';    // partition, the offset after the last record read

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return at_ == data_.size(); }
  template <typename T>
  bool Get(T* value) {
    if (data_.size() - at_ < sizeof(T)) return false;
    std::memcpy(value, data_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (data_.size() - at_ < n) return false;
    *out = data_.substr(at_, n);
    at_ += n;
    return true;
  }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

TimestampMicros WindowStart(TimestampMicros time, int64_t size) {
  const int64_t into = ((time % size) + size) % size;  // also before the epoch
  return time - into;
}

std::string Bounds(TimestampMicros start, int64_t size) {
  return "[" + FormatRfc3339(start) + ", " + FormatRfc3339(start + size) + ")";
}

}  // namespace

Status CheckWindowOptions(const WindowOptions& window) {
  if (window.size <= std::chrono::microseconds::zero()) return InvalidArgument("window.size must be > 0");
  if (window.allowed_lateness < std::chrono::microseconds::zero()) {
    return InvalidArgument("window.allowed_lateness must be >= 0");
  }
  if (window.max_events == 0) return InvalidArgument("window.max_events must be >= 1");
  return Status::Ok();
}

size_t WindowStep::RecordIdHash::operator()(const RecordId& r) const {
  uint64_t h = r.event ^ (r.offset * 0x9E3779B97F4A7C15ull);
  h ^= (uint64_t{r.partition} << 1 | static_cast<uint64_t>(r.redriven)) * 0xC2B2AE3D27D4EB4Full;
  return static_cast<size_t>(h ^ (h >> 29));
}

WindowStep::RecordId WindowStep::IdOf(const BatchRecord& r) {
  uint64_t h = Fnv1a(0xcbf29ce484222325ull, r.event.source);
  h = Fnv1a(h * 31 + 1, r.event.id);
  return {.partition = r.partition, .offset = r.offset, .redriven = r.redriven, .event = h};
}

void WindowStep::PutId(std::string& out, const RecordId& id) {
  Put(out, id.partition);
  Put(out, id.offset);
  Put(out, static_cast<uint8_t>(id.redriven));
  Put(out, id.event);
}

void WindowStep::PutAdd(std::string& out, TimestampMicros start, const RecordId& id, const BatchRecord& record) {
  out += kAdd;
  Put(out, start);
  PutId(out, id);
  Put(out, record.appended_micros);
  const size_t at = out.size();
  Put(out, uint32_t{0});
  log::EncodeEvent(record.event, &out);
  const uint32_t length = static_cast<uint32_t>(out.size() - at - sizeof(uint32_t));
  std::memcpy(out.data() + at, &length, sizeof length);
}

Result<std::unique_ptr<WindowStep>> WindowStep::Create(WindowStepOptions options, std::unique_ptr<SqlStep> sql) {
  EL_RETURN_IF_ERROR(CheckWindowOptions(options.window));
  if (sql == nullptr) return Err(InvalidArgument("window: no statement"));
  if (options.journal_path.empty()) return Err(InvalidArgument("window: no journal path (no state directory)"));
  std::vector<std::string> frames;
  EL_ASSIGN_OR_RETURN(std::unique_ptr<StateJournal> journal, StateJournal::Open(options.journal_path, &frames));
  auto step = std::unique_ptr<WindowStep>(new WindowStep(std::move(options), std::move(sql), std::move(journal)));
  for (const std::string& frame : frames) {
    Status applied = step->Apply(frame);
    if (!applied.ok()) return Err(applied.WithContext("window journal " + step->options_.journal_path));
  }
  return step;
}

WindowStep::WindowStep(WindowStepOptions options, std::unique_ptr<SqlStep> sql, std::unique_ptr<StateJournal> journal)
    : options_(std::move(options)), sql_(std::move(sql)), journal_(std::move(journal)) {
  if (MetricsRegistry* m = options_.metrics) {
    const MetricLabels labels = {{"pipeline", options_.pipeline}};
    closed_ = &m->GetCounter("eventlake_pipeline_windows_closed_total",
                             "Windows of a windowed sql step closed (their statement run)", labels);
    late_events_ = &m->GetCounter("eventlake_pipeline_window_late_events_total",
                                  "Events that came after their window was closed", labels);
    failed_windows_ = &m->GetCounter("eventlake_pipeline_windows_failed_total",
                                     "Windows whose statement failed (their events dead-lettered)", labels);
  }
}

size_t WindowStep::held_events() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

size_t WindowStep::open_windows() const {
  std::lock_guard lock(mu_);
  size_t open = 0;
  for (const auto& [start, w] : windows_) open += !w.closed_by.has_value();
  return open;
}

Status WindowStep::Apply(std::string_view frame) {
  Reader in(frame);
  const auto corrupt = [] { return Corruption("a window journal entry is cut short"); };
  auto get_id = [&in](RecordId* id) {
    uint8_t redriven = 0;
    if (!in.Get(&id->partition) || !in.Get(&id->offset) || !in.Get(&redriven) || !in.Get(&id->event)) return false;
    id->redriven = redriven != 0;
    return true;
  };
  while (!in.done()) {
    char kind = 0;
    if (!in.Get(&kind)) return corrupt();
    TimestampMicros start = 0;
    RecordId id;
    switch (kind) {
      case kAdd: {
        TimestampMicros appended = 0;
        uint32_t length = 0;
        std::string_view bytes;
        if (!in.Get(&start) || !get_id(&id) || !in.Get(&appended) || !in.Get(&length) || !in.Bytes(length, &bytes)) {
          return corrupt();
        }
        EL_ASSIGN_OR_RETURN(CloudEvent event, log::DecodeEvent(bytes));
        Hold(start, id, {std::move(event), appended, id.offset, id.partition, id.redriven});
        break;
      }
      case kClose:
        if (!in.Get(&start) || !get_id(&id)) return corrupt();
        windows_[start].closed_by = id;
        break;
      case kDrop: {
        if (!in.Get(&start)) return corrupt();
        if (auto it = windows_.find(start); it != windows_.end()) Forget(it);
        break;
      }
      case kFailed: {
        uint8_t verdict = 0;
        if (!get_id(&id) || !in.Get(&verdict)) return corrupt();
        if (verdict < 1 || verdict > 3) return Corruption("a window journal's verdict " + std::to_string(verdict));
        failed_[id] = static_cast<Verdict>(verdict);
        break;
      }
      case kNewest: {
        TimestampMicros newest = 0;
        if (!in.Get(&newest)) return corrupt();
        newest_ = newest_.has_value() ? std::max(*newest_, newest) : newest;
        break;
      }
      case kRead: {
        uint32_t partition = 0;
        uint64_t read = 0;
        if (!in.Get(&partition) || !in.Get(&read)) return corrupt();
        if (partition >= 1u << 20) return Corruption("a window journal names partition " + std::to_string(partition));
        if (read_.size() <= partition) read_.resize(partition + 1, 0);
        read_[partition] = std::max(read_[partition], read);
        break;
      }
      default:
        return Corruption("a window journal entry of unknown kind " + std::to_string(static_cast<int>(kind)));
    }
  }
  return Status::Ok();
}

namespace {

// What holding an event costs, roughly (for the journal's compaction rule).
size_t Footprint(const BatchRecord& r) { return r.event.data.size() + 64; }

}  // namespace

bool WindowStep::Hold(TimestampMicros start, const RecordId& id, BatchRecord record) {
  if (!held_.insert(id).second) return false;
  held_bytes_ += Footprint(record);
  Window& window = windows_[start];
  window.ids.push_back(id);
  window.records.push_back(std::move(record));
  return true;
}

WindowStep::Windows::iterator WindowStep::Forget(Windows::iterator window) {
  for (const RecordId& id : window->second.ids) held_.erase(id);
  for (const BatchRecord& r : window->second.records) held_bytes_ -= std::min(held_bytes_, Footprint(r));
  return windows_.erase(window);
}

void WindowStep::Settle(const std::vector<uint64_t>& committed, std::string& changes) {
  const auto past = [&committed](const RecordId& id) {
    return id.redriven || (id.partition < committed.size() && committed[id.partition] > id.offset);
  };
  for (auto it = windows_.begin(); it != windows_.end();) {
    Window& w = it->second;
    bool settled = w.closed_by.has_value() && past(*w.closed_by);
    for (size_t i = 0; settled && i < w.ids.size(); ++i) settled = past(w.ids[i]);
    if (!settled) {
      ++it;
      continue;
    }
    changes += kDrop;
    Put(changes, it->first);
    it = Forget(it);
  }
  std::erase_if(failed_, [&past](const auto& f) { return past(f.first); });
}

void WindowStep::Fail(Verdict verdict, size_t index, const BatchRecord& record,
                      std::optional<TimestampMicros> watermark, StepResult& result) {
  const int64_t size = options_.window.size.count();
  switch (verdict) {
    case Verdict::kNoTime:
      result.failed.push_back({index, InvalidArgument("window: the event has no time"), false});
      return;
    case Verdict::kFull:
      result.failed.push_back({index,
                               ResourceExhausted("window: " + std::to_string(options_.window.max_events) +
                                                 " events (max_events) are held in open windows"),
                               false});
      return;
    case Verdict::kLate: {
      if (late_events_ != nullptr) late_events_->Increment();
      if (options_.window.late == LateEvents::kDrop) return;
      const TimestampMicros start = WindowStart(record.event.time.value_or(0), size);
      std::string why = "window: the event is late: its window " + Bounds(start, size) + " was closed";
      if (watermark.has_value()) why += " (watermark " + FormatRfc3339(*watermark) + ")";
      result.failed.push_back({index, FailedPrecondition(why), false});
      return;
    }
  }
}

void WindowStep::Close(TimestampMicros start, const Window& window, size_t closing, StepResult& result) {
  const int64_t size = options_.window.size.count();
  auto rows = sql_->RunWindow(window.records, {.start = start, .end = start + size});
  if (rows.has_value()) {
    for (CloudEvent& e : *rows) result.Emit(closing, std::move(e));
    if (closed_ != nullptr) closed_->Increment();
    return;
  }
  // Closed all the same: a window whose statement fails must not stop the stream.
  if (failed_windows_ != nullptr) failed_windows_->Increment();
  const Status error = rows.error().WithContext("window " + Bounds(start, size));
  for (const BatchRecord& r : window.records) {
    result.dead_letters.push_back({.record = r, .step = "sql", .error = error, .attempts = 1});
  }
}

std::string WindowStep::Snapshot() const {
  std::string out;
  for (const auto& [start, w] : windows_) {
    for (size_t i = 0; i < w.ids.size(); ++i) PutAdd(out, start, w.ids[i], w.records[i]);
    if (w.closed_by.has_value()) {
      out += kClose;
      Put(out, start);
      PutId(out, *w.closed_by);
    }
  }
  for (const auto& [id, verdict] : failed_) {
    out += kFailed;
    PutId(out, id);
    Put(out, static_cast<uint8_t>(verdict));
  }
  if (newest_.has_value()) {
    out += kNewest;
    Put(out, *newest_);
  }
  for (uint32_t p = 0; p < read_.size(); ++p) {
    out += kRead;
    Put(out, p);
    Put(out, read_[p]);
  }
  return out;
}

Status WindowStep::Persist(const std::string& changes) {
  if (journal_broken_ || journal_->size() > 2 * held_bytes_ + (4u << 20)) {
    journal_broken_ = true;
    EL_RETURN_IF_ERROR(journal_->Rewrite(Snapshot()));
    journal_broken_ = false;
    return Status::Ok();
  }
  if (changes.empty()) return Status::Ok();
  Status written = journal_->Append(changes);
  journal_broken_ = !written.ok();
  return written;
}

StepResult WindowStep::Run(std::span<const BatchRecord> batch) {
  StepResult result;
  if (batch.empty()) return result;
  std::vector<RecordId> ids;
  ids.reserve(batch.size());
  for (const BatchRecord& r : batch) ids.push_back(IdOf(r));
  std::optional<std::vector<uint64_t>> committed;
  if (options_.committed) {
    auto offsets = options_.committed();
    if (offsets.has_value()) committed = std::move(*offsets);  // unknown now: nothing settles
  }

  std::lock_guard lock(mu_);
  std::string changes;
  if (committed.has_value()) Settle(*committed, changes);
  const int64_t size = options_.window.size.count();
  const int64_t lateness = options_.window.allowed_lateness.count();
  const std::optional<TimestampMicros> watermark_before =
      newest_.has_value() ? std::optional(*newest_ - lateness) : std::nullopt;
  // The records windows were closed on: seen again, they close them again.
  std::unordered_map<RecordId, std::vector<TimestampMicros>, RecordIdHash> closers;
  for (const auto& [start, w] : windows_) {
    if (w.closed_by.has_value()) closers[*w.closed_by].push_back(start);
  }
  std::vector<TimestampMicros> reclose;
  std::vector<uint64_t> read = read_;
  const std::optional<TimestampMicros> newest_before = newest_;
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchRecord& r = batch[i];
    const RecordId& id = ids[i];
    if (auto c = closers.find(id); c != closers.end()) {
      for (TimestampMicros start : c->second) reclose.push_back(start);
    }
    if (held_.contains(id)) continue;  // in its window already: this batch runs again
    const auto before = failed_.find(id);
    const bool failed_before = before != failed_.end();
    const bool replayed = !r.redriven && r.partition < read_.size() && r.offset < read_[r.partition];
    if (replayed && !failed_before) continue;  // read before, and its window is in the sinks
    if (!r.redriven) {
      if (read.size() <= r.partition) read.resize(r.partition + 1, 0);
      read[r.partition] = std::max(read[r.partition], r.offset + 1);
    }
    std::optional<Verdict> verdict;
    TimestampMicros start = 0;
    if (failed_before) {
      verdict = before->second;
    } else if (!r.event.time.has_value()) {
      verdict = Verdict::kNoTime;
    } else {
      start = WindowStart(*r.event.time, size);
      auto w = windows_.find(start);
      const bool late = w != windows_.end() ? w->second.closed_by.has_value()
                                            : watermark_before.has_value() && start + size <= *watermark_before;
      if (late) {
        verdict = Verdict::kLate;
      } else if (held_.size() >= options_.window.max_events) {
        verdict = Verdict::kFull;
      }
    }
    if (verdict.has_value()) {
      if (!failed_before && !r.redriven) {
        failed_[id] = *verdict;
        changes += kFailed;
        PutId(changes, id);
        Put(changes, static_cast<uint8_t>(*verdict));
      }
      Fail(*verdict, i, r, watermark_before, result);
      continue;
    }
    Hold(start, id, r);
    PutAdd(changes, start, id, r);
    newest_ = newest_.has_value() ? std::max(*newest_, *r.event.time) : *r.event.time;
  }
  if (newest_ != newest_before) {
    changes += kNewest;
    Put(changes, *newest_);
  }
  for (uint32_t p = 0; p < read.size(); ++p) {
    if (p < read_.size() && read[p] == read_[p]) continue;
    changes += kRead;
    Put(changes, p);
    Put(changes, read[p]);
  }
  read_ = std::move(read);

  // Windows closed on a record of this batch before (it runs again), then
  // the ones the watermark has passed now, on this batch's last record.
  const size_t closing = batch.size() - 1;
  for (TimestampMicros start : reclose) {
    auto w = windows_.find(start);
    if (w != windows_.end()) Close(start, w->second, closing, result);
  }
  if (newest_.has_value()) {
    const TimestampMicros watermark = *newest_ - lateness;
    for (auto& [start, w] : windows_) {
      if (start + size > watermark) break;  // by start: the rest end later
      if (w.closed_by.has_value()) continue;
      w.closed_by = ids[closing];
      changes += kClose;
      Put(changes, start);
      PutId(changes, ids[closing]);
      Close(start, w, closing, result);
    }
  }
  Status persisted = Persist(changes);
  if (!persisted.ok()) return {persisted.WithContext("window"), {}, {}};
  return result;
}

}  // namespace eventlake::pipeline
