// Snapshot replay and optimistic commits over put-if-absent.
#include "lake/delta_log.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "lake/delta_checkpoint.h"

namespace eventlake::lake {

uint64_t NumRecords(const AddAction& add) {
  if (add.stats.empty()) return 0;
  const nlohmann::json stats = nlohmann::json::parse(add.stats, nullptr, false);
  if (stats.is_object() && stats.contains("numRecords") && stats["numRecords"].is_number_unsigned()) {
    return stats["numRecords"].get<uint64_t>();
  }
  return 0;
}

uint64_t TableSnapshot::RowCount() const {
  uint64_t rows = 0;
  for (const auto& [path, add] : files) rows += NumRecords(add);
  return rows;
}

uint64_t TableSnapshot::SizeBytes() const {
  uint64_t bytes = 0;
  for (const auto& [path, add] : files) bytes += static_cast<uint64_t>(add.size);
  return bytes;
}

DeltaLog::DeltaLog(ObjectStore* store, std::string table_prefix, engine::Database* checkpoints)
    : store_(store), prefix_(std::move(table_prefix)), checkpoints_(checkpoints) {}

std::shared_ptr<TableSnapshot> DeltaLog::FromCheckpoint(std::optional<int64_t> version) const {
  if (checkpoints_ == nullptr) return nullptr;
  const std::optional<int64_t> last = LastCheckpointVersion(*store_, prefix_);
  if (!last.has_value() || (version.has_value() && *version < *last)) return nullptr;
  auto connection = checkpoints_->Connect();
  if (!connection.has_value()) return nullptr;
  auto commit = ReadCheckpoint(*store_, connection->get(), prefix_, *last);
  auto snapshot = std::make_shared<TableSnapshot>();
  snapshot->version = *last - 1;
  if (!commit.has_value() || !Apply(*snapshot, *commit, *last).ok()) {
    LogWarn("lake", "checkpoint unreadable; replaying the commits instead",
            {{"table", prefix_},
             {"version", *last},
             {"error", commit.has_value() ? "apply failed" : commit.error().ToString()}});
    return nullptr;
  }
  // A checkpoint has no commitInfo: the time is that of its commit.
  if (auto at = ReadCommit(*last); at.has_value() && at->info.has_value()) {
    snapshot->timestamp = at->info->timestamp;
  }
  return snapshot;
}

Result<std::vector<int64_t>> DeltaLog::Versions() const {
  EL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_->List(prefix_ + "/_delta_log/"));
  std::vector<int64_t> versions;
  for (const ObjectInfo& o : objects) {
    if (auto v = CommitVersionOfKey(o.key)) versions.push_back(*v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

Result<DeltaCommit> DeltaLog::ReadCommit(int64_t version) const {
  EL_ASSIGN_OR_RETURN(std::string text, store_->Get(CommitKey(prefix_, version)));
  auto commit = ParseCommit(text);
  if (!commit.has_value()) {
    return Err(commit.error().WithContext(prefix_ + " version " + std::to_string(version)));
  }
  return commit;
}

Status DeltaLog::Apply(TableSnapshot& s, const DeltaCommit& c, int64_t version) {
  if (version != s.version + 1) {
    return Corruption("version " + std::to_string(version) + " follows " +
                      std::to_string(s.version) + ": the log has a gap");
  }
  if (s.version < 0 && (!c.protocol.has_value() || !c.metadata.has_value())) {
    return Corruption("commit 0 lacks protocol or metaData");
  }
  if (c.protocol.has_value()) {
    if (c.protocol->min_reader_version > 1) {
      return FailedPrecondition("the table needs Delta reader version " +
                                std::to_string(c.protocol->min_reader_version) +
                                "; eventlake reads version 1");
    }
    s.protocol = *c.protocol;
  }
  if (c.metadata.has_value()) {
    EL_ASSIGN_OR_RETURN(std::vector<Column> columns,
                        ParseDeltaSchemaString(c.metadata->schema_string));
    s.metadata = *c.metadata;
    s.schema.columns = std::move(columns);
    s.schema.partition_columns = c.metadata->partition_columns;
  }
  for (const RemoveAction& r : c.removes) s.files.erase(r.path);
  for (const AddAction& a : c.adds) s.files[a.path] = a;
  for (const TxnAction& t : c.txns) s.txns[t.app_id] = t.version;
  if (c.info.has_value() && c.info->timestamp > 0) s.timestamp = c.info->timestamp;
  s.version = version;
  return Status::Ok();
}

Result<std::shared_ptr<const TableSnapshot>> DeltaLog::Load(std::optional<int64_t> version) const {
  if (auto checkpoint = FromCheckpoint(version)) {
    if (version.has_value() && checkpoint->version == *version) {
      return std::shared_ptr<const TableSnapshot>(std::move(checkpoint));
    }
    EL_ASSIGN_OR_RETURN(auto latest, Refresh(std::move(checkpoint)));
    if (!version.has_value()) return latest;
    if (latest->version >= *version) {
      // Replay only up to `version`: from the checkpoint again, commit by commit.
      auto at = FromCheckpoint(version);
      if (at == nullptr) return Err(Internal("checkpoint vanished while reading " + prefix_));
      for (int64_t v = at->version + 1; v <= *version; ++v) {
        EL_ASSIGN_OR_RETURN(DeltaCommit commit, ReadCommit(v));
        EL_RETURN_IF_ERROR(Apply(*at, commit, v));
      }
      return std::shared_ptr<const TableSnapshot>(std::move(at));
    }
    return Err(NotFound(prefix_ + " has no version " + std::to_string(*version)));
  }
  EL_ASSIGN_OR_RETURN(std::vector<int64_t> versions, Versions());
  auto snapshot = std::make_shared<TableSnapshot>();
  if (version.has_value() &&
      !std::binary_search(versions.begin(), versions.end(), *version)) {
    return Err(NotFound(prefix_ + " has no version " + std::to_string(*version)));
  }
  for (int64_t v : versions) {
    if (version.has_value() && v > *version) break;
    EL_ASSIGN_OR_RETURN(DeltaCommit commit, ReadCommit(v));
    EL_RETURN_IF_ERROR(Apply(*snapshot, commit, v));
  }
  return std::shared_ptr<const TableSnapshot>(std::move(snapshot));
}

Result<std::shared_ptr<const TableSnapshot>> DeltaLog::LoadAsOf(int64_t millis) const {
  EL_ASSIGN_OR_RETURN(std::vector<int64_t> versions, Versions());
  auto snapshot = std::make_shared<TableSnapshot>();
  for (int64_t v : versions) {
    EL_ASSIGN_OR_RETURN(DeltaCommit commit, ReadCommit(v));
    const int64_t at = commit.info.has_value() ? commit.info->timestamp : 0;
    if (at > millis) break;
    EL_RETURN_IF_ERROR(Apply(*snapshot, commit, v));
  }
  if (!snapshot->exists()) {
    return Err(NotFound(prefix_ + " has no version at or before that time"));
  }
  return std::shared_ptr<const TableSnapshot>(std::move(snapshot));
}

Result<std::shared_ptr<const TableSnapshot>> DeltaLog::Refresh(
    std::shared_ptr<const TableSnapshot> base) const {
  std::shared_ptr<TableSnapshot> next;
  for (int64_t v = base->version + 1;; ++v) {
    auto commit = ReadCommit(v);
    if (!commit.has_value()) {
      if (commit.error().code() == StatusCode::kNotFound) break;
      return Err(commit.error());
    }
    if (next == nullptr) next = std::make_shared<TableSnapshot>(*base);
    EL_RETURN_IF_ERROR(Apply(*next, *commit, v));
  }
  if (next == nullptr) return base;
  return std::shared_ptr<const TableSnapshot>(std::move(next));
}

Status DeltaLog::CheckConflict(const DeltaCommit& ours, const DeltaCommit& winner,
                               int64_t winner_version) {
  const std::string at = "version " + std::to_string(winner_version) + " was committed first";
  if (winner.protocol.has_value()) return Conflict(at + " and changes the protocol");
  if (winner.metadata.has_value() && ours.metadata.has_value()) {
    return Conflict(at + " and changes the schema too");
  }
  for (const TxnAction& mine : ours.txns) {
    for (const TxnAction& theirs : winner.txns) {
      if (theirs.app_id == mine.app_id) {
        return Conflict(at + " by another writer of " + mine.app_id +
                        ": two loaders are reading the same log partition");
      }
    }
  }
  // An overwrite removes every file it read: one added since would stay.
  const bool overwrite = ours.info.has_value() &&
                         std::find(ours.info->parameters.begin(), ours.info->parameters.end(),
                                   std::pair<std::string, std::string>("mode", "Overwrite")) !=
                             ours.info->parameters.end();
  if (overwrite && !winner.adds.empty()) return Conflict(at + " and adds files an overwrite did not read");
  for (const RemoveAction& mine : ours.removes) {
    for (const RemoveAction& theirs : winner.removes) {
      if (theirs.path == mine.path) return Conflict(at + " and removes " + mine.path + " too");
    }
  }
  return Status::Ok();
}

Result<DeltaCommit> DeltaLog::ReadWinner(int64_t version) const {
  // An S3-compatible server may refuse a conditional PUT (412) while the
  // winner's own PUT is still being written (versitygw does, under four
  // racing writers): its commit is then not found for a moment.
  auto wait = std::chrono::milliseconds(5);
  for (int attempt = 1;; ++attempt) {
    Result<DeltaCommit> winner = ReadCommit(version);
    if (winner.has_value() || winner.error().code() != StatusCode::kNotFound || attempt == 10) return winner;
    std::this_thread::sleep_for(wait);
    wait *= 2;  // 5 ms to 2.5 s: about 5 s in all
  }
}

Result<std::shared_ptr<const TableSnapshot>> DeltaLog::Commit(
    std::shared_ptr<const TableSnapshot> base, DeltaCommit commit) const {
  if (!base->exists() && (!commit.protocol.has_value() || !commit.metadata.has_value())) {
    return Err(InvalidArgument("the first commit of " + prefix_ + " needs protocol and metaData"));
  }
  if (!commit.info.has_value()) commit.info = CommitInfoAction{.operation = "WRITE"};
  for (int64_t version = base->version + 1;; ++version) {
    commit.info->read_version = version - 1;
    // Files to remove must still be live in what we build on.
    for (const RemoveAction& r : commit.removes) {
      if (!base->files.contains(r.path)) {
        return Err(Conflict(r.path + " is no longer in " + prefix_));
      }
    }
    auto candidate = std::make_shared<TableSnapshot>(*base);
    EL_RETURN_IF_ERROR(Apply(*candidate, commit, version));
    Status put = store_->PutIfAbsent(CommitKey(prefix_, version), SerializeCommit(commit));
    if (put.ok()) return std::shared_ptr<const TableSnapshot>(std::move(candidate));
    if (put.code() != StatusCode::kAlreadyExists) return Err(put);
    // Lost the race for `version`: build on the winner if it allows.
    EL_ASSIGN_OR_RETURN(DeltaCommit winner, ReadWinner(version));
    EL_RETURN_IF_ERROR(CheckConflict(commit, winner, version));
    auto rebased = std::make_shared<TableSnapshot>(*base);
    EL_RETURN_IF_ERROR(Apply(*rebased, winner, version));
    base = std::move(rebased);
  }
}

Result<std::vector<CommitSummary>> DeltaLog::History() const {
  EL_ASSIGN_OR_RETURN(std::vector<int64_t> versions, Versions());
  std::vector<CommitSummary> out;
  for (int64_t v : versions) {
    EL_ASSIGN_OR_RETURN(DeltaCommit commit, ReadCommit(v));
    CommitSummary summary{.version = v, .adds = commit.adds.size(), .removes = commit.removes.size()};
    if (commit.info.has_value()) summary.info = *commit.info;
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace eventlake::lake
