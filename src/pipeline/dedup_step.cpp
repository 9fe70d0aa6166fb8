// DedupStep: claims by key in ingest's DedupTable, journaled per batch.
#include "pipeline/dedup_step.h"

#include <array>
#include <filesystem>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "pipeline/json_path.h"

namespace eventlake::pipeline {
namespace {

constexpr std::array<std::string_view, 5> kAttributes = {"id", "source", "type", "subject", "time"};
constexpr std::string_view kDataPrefix = "data.";

struct KeyHash {
  size_t operator()(const ingest::DedupKey& k) const { return k.w0 ^ (k.w1 * 0x9E3779B97F4A7C15ull); }
};

// A field's value as JSON text, nullopt when the event has none.
std::optional<std::string> AttributeText(const CloudEvent& e, std::string_view name) {
  const auto quoted = [](std::string_view text) { return nlohmann::json(std::string(text)).dump(); };
  if (name == "id") return quoted(e.id);
  if (name == "source") return quoted(e.source);
  if (name == "type") return quoted(e.type);
  if (name == "subject") return e.subject.has_value() ? std::optional(quoted(*e.subject)) : std::nullopt;
  if (e.time.has_value()) return quoted(FormatRfc3339(*e.time));
  return std::nullopt;
}

}  // namespace

Status CheckDedupKeyField(std::string_view field) {
  for (std::string_view a : kAttributes) {
    if (field == a) return Status::Ok();
  }
  if (field.starts_with(kDataPrefix)) return CheckMemberPath("dedup", field.substr(kDataPrefix.size()));
  return InvalidArgument("dedup: the key field " + std::string(field) +
                         " is neither an attribute (id, source, type, subject, time) nor data.<member>");
}

Result<std::unique_ptr<DedupStep>> DedupStep::Create(DedupStepOptions options) {
  if (options.key.empty()) return Err(InvalidArgument("dedup: the key needs at least one field"));
  for (const std::string& field : options.key) EL_RETURN_IF_ERROR(CheckDedupKeyField(field));
  if (options.window <= std::chrono::microseconds::zero()) return Err(InvalidArgument("dedup: the window must be > 0"));
  if (options.max_entries == 0) return Err(InvalidArgument("dedup: max_entries must be >= 1"));
  if (options.journal_path.empty()) return Err(InvalidArgument("dedup: no journal path (no state directory)"));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.journal_path).parent_path(), ec);
  if (ec) return Err(IOError("dedup: creating the directory of " + options.journal_path + ": " + ec.message()));

  const TimestampMicros now = options.clock->NowMicros();
  ingest::JournalContents contents;
  EL_ASSIGN_OR_RETURN(std::unique_ptr<ingest::DedupJournal> journal,
                      ingest::DedupJournal::Open(options.journal_path, now, &contents));
  const size_t max_entries = options.max_entries;
  auto step = std::unique_ptr<DedupStep>(new DedupStep(std::move(options), std::move(journal), max_entries));
  const TimestampMicros cutoff = now - step->options_.window.count();
  size_t evicted = 0;
  for (const ingest::DedupEntry& e : contents.entries) {
    if (e.time >= cutoff) step->table_.Insert(e, &evicted);
  }
  return step;
}

DedupStep::DedupStep(DedupStepOptions options, std::unique_ptr<ingest::DedupJournal> journal, size_t max_entries)
    : options_(std::move(options)), journal_(std::move(journal)), table_(max_entries) {}

size_t DedupStep::entries() const {
  std::lock_guard lock(mu_);
  return table_.size();
}

Result<ingest::DedupKey> DedupStep::KeyOf(const CloudEvent& event) const {
  std::string text;  // each field's JSON text, length first
  std::optional<nlohmann::ordered_json> data;
  for (const std::string& field : options_.key) {
    std::optional<std::string> value;
    if (!field.starts_with(kDataPrefix)) {
      value = AttributeText(event, field);
    } else {
      if (!data.has_value()) {
        data = nlohmann::ordered_json::parse(event.data, nullptr, /*allow_exceptions=*/false);
      }
      std::string last;
      const nlohmann::ordered_json* parent =
          data->is_object() ? MemberParent(*data, std::string_view(field).substr(kDataPrefix.size()), &last, false)
                            : nullptr;
      if (parent != nullptr) {
        auto it = parent->find(last);
        if (it != parent->end() && !it->is_null()) value = it->dump();
      }
    }
    if (!value.has_value()) return Err(InvalidArgument("dedup: the event has no key field " + field));
    const uint32_t size = static_cast<uint32_t>(value->size());
    text.append(reinterpret_cast<const char*>(&size), sizeof size);
    text += *value;
  }
  return ingest::SipHash13x128(journal_->secret(), text);
}

StepResult DedupStep::Run(std::span<const BatchRecord> batch) {
  StepResult result;
  std::vector<Result<ingest::DedupKey>> keys;  // outside the lock: parsing is the slow part
  keys.reserve(batch.size());
  for (const BatchRecord& r : batch) keys.push_back(KeyOf(r.event));

  std::lock_guard lock(mu_);
  const TimestampMicros now = options_.clock->NowMicros();
  table_.ExpireBefore(now - options_.window.count());
  std::unordered_set<ingest::DedupKey, KeyHash> passed;  // in this batch
  std::vector<ingest::DedupEntry> claims;
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchRecord& r = batch[i];
    if (!keys[i].has_value()) {
      result.failed.push_back({.index = i, .error = keys[i].error()});
      continue;
    }
    const ingest::DedupKey& key = *keys[i];
    if (passed.contains(key)) continue;  // a duplicate within the batch
    const log::RecordPosition claimant{.partition = r.partition, .offset = r.offset};
    if (const ingest::DedupEntry* claim = table_.Find(key)) {
      // Another record's key: a duplicate, unless a redrive runs it again.
      if (!(claim->position == claimant) && !r.redriven) continue;
    } else {
      const ingest::DedupEntry entry{.key = key, .position = claimant, .time = now};
      size_t evicted = 0;
      table_.Insert(entry, &evicted);
      claims.push_back(entry);
    }
    passed.insert(key);
    result.Keep(i);
  }
  if (!claims.empty()) {
    Status persisted = Persist(claims, now);
    if (!persisted.ok()) return {persisted.WithContext("dedup"), {}, {}};
  }
  return result;
}

Status DedupStep::Persist(std::span<const ingest::DedupEntry> claims, TimestampMicros now) {
  // A journal of mostly expired claims, or one a failed write left torn,
  // is rewritten with the live claims (this batch's are in the table).
  if (journal_broken_ || journal_->frames() > 4 * table_.size() + 65'536) {
    journal_broken_ = true;
    EL_ASSIGN_OR_RETURN(ingest::DedupJournal::Rewriter rewriter, journal_->StartRewrite());
    std::vector<ingest::DedupEntry> live;
    live.reserve(table_.size());
    table_.ForEach([&live](const ingest::DedupEntry& e) { live.push_back(e); });
    EL_RETURN_IF_ERROR(rewriter.Add(live));
    EL_RETURN_IF_ERROR(rewriter.Finish(now));  // synced
    journal_broken_ = false;
    return Status::Ok();
  }
  Status written = journal_->Append(claims, now);
  if (written.ok()) written = journal_->Sync();
  journal_broken_ = !written.ok();
  return written;
}

}  // namespace eventlake::pipeline
