// The lake's maintenance thread: queued compactions and vacuums, and the
// declared tables' background ones on their intervals.
#include "core/logging.h"
#include "lake/lake.h"
#include "lake/lifecycle.h"

namespace eventlake::lake {
namespace {

constexpr std::string_view kComponent = "lake";

}  // namespace

TableConfig Lake::ConfigOf(const std::string& name) const {
  for (const TableConfig& t : options_.tables) {
    if (t.name == name) return t;
  }
  TableConfig defaults;
  defaults.name = name;
  return defaults;
}

Result<CompactionResult> Lake::CompactNow(const std::string& name) {
  const TableConfig config = ConfigOf(name);
  auto result = CompactTable(store_.get(), db_.get(), name,
                             {.target_file_bytes = config.target_file_size,
                              .min_files = config.compact_min_files,
                              .concatenate_min_rows_per_row_group = config.compact_concat_min_rows},
                             options_.clock);
  if (!result.has_value()) {
    if (maintenance_errors_ != nullptr) maintenance_errors_->Increment();
    return result;
  }
  if (result->version >= 0) {
    if (compactions_ != nullptr) {
      compactions_->Increment();
      compacted_rows_->Increment(result->rows);
    }
    LogInfo(kComponent, "compacted",
            {{"table", name},
             {"version", result->version},
             {"files_removed", static_cast<uint64_t>(result->files_removed)},
             {"files_added", static_cast<uint64_t>(result->files_added)},
             {"files_concatenated", static_cast<uint64_t>(result->files_concatenated)},
             {"rows", result->rows}});
  }
  return result;
}

Result<VacuumResult> Lake::VacuumNow(const std::string& name, const VacuumOptions& options) {
  auto result = VacuumTable(store_.get(), db_.get(), name, options, options_.clock);
  if (!result.has_value()) {
    if (maintenance_errors_ != nullptr) maintenance_errors_->Increment();
    return result;
  }
  if (!options.dry_run && !result->deleted.empty()) {
    if (vacuumed_files_ != nullptr) vacuumed_files_->Increment(result->deleted.size());
    LogInfo(kComponent, "vacuumed",
            {{"table", name},
             {"files", static_cast<uint64_t>(result->deleted.size())},
             {"bytes", result->bytes}});
  }
  return result;
}

void Lake::Compact(std::string name, std::function<void(Result<CompactionResult>)> done) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    done(Err(Unavailable("the lake is stopping")));
    return;
  }
  jobs_.push_back([this, name = std::move(name), done = std::move(done)](bool run) {
    done(run ? CompactNow(name) : Err(Unavailable("the lake is stopping")));
  });
  wake_.notify_all();
}

void Lake::Vacuum(std::string name, VacuumOptions options,
                  std::function<void(Result<VacuumResult>)> done) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    done(Err(Unavailable("the lake is stopping")));
    return;
  }
  jobs_.push_back([this, name = std::move(name), options, done = std::move(done)](bool run) {
    done(run ? VacuumNow(name, options) : Err(Unavailable("the lake is stopping")));
  });
  wake_.notify_all();
}

void Lake::RunLifecycle(const TableConfig& table) {
  if (table.archive_after.count() > 0) {
    auto archived = ArchiveTable(store_.get(), db_.get(), table.name, table.ArchiveTable(),
                                 table.archive_after, options_.clock);
    if (!archived.has_value()) {
      if (maintenance_errors_ != nullptr) maintenance_errors_->Increment();
      LogWarn(kComponent, "archiving failed",
              {{"table", table.name}, {"error", archived.error().ToString()}});
    } else if (archived->files > 0) {
      if (archived_files_ != nullptr) archived_files_->Increment(archived->files);
      LogInfo(kComponent, "archived",
              {{"table", table.name},
               {"archive", table.ArchiveTable()},
               {"files", static_cast<uint64_t>(archived->files)},
               {"rows", archived->rows}});
    }
  }
  if (table.expire_after.count() == 0) return;
  std::vector<std::string> expiring = {table.name};
  if (table.archive_after.count() > 0) expiring.push_back(table.ArchiveTable());
  for (const std::string& name : expiring) {
    if (!Exists(name)) continue;  // no archive yet
    auto expired = ExpireTable(store_.get(), db_.get(), name, table.expire_after, options_.clock);
    if (!expired.has_value()) {
      if (maintenance_errors_ != nullptr) maintenance_errors_->Increment();
      LogWarn(kComponent, "expiry failed", {{"table", name}, {"error", expired.error().ToString()}});
    } else if (expired->files > 0) {
      if (expired_files_ != nullptr) expired_files_->Increment(expired->files);
      LogInfo(kComponent, "expired",
              {{"table", name},
               {"files", static_cast<uint64_t>(expired->files)},
               {"rows", expired->rows}});
    }
  }
}

void Lake::RunDueMaintenance(std::chrono::steady_clock::time_point now) {
  for (const TableConfig& table : options_.tables) {
    if (table.compact_interval.count() > 0) {
      auto [it, fresh] = next_compact_.try_emplace(table.name, now + table.compact_interval);
      if (!fresh && now >= it->second) {
        it->second = now + table.compact_interval;
        auto r = CompactNow(table.name);
        if (!r.has_value() && r.error().code() != StatusCode::kConflict) {
          LogWarn(kComponent, "background compaction failed",
                  {{"table", table.name}, {"error", r.error().ToString()}});
        }
      }
    }
    if (table.vacuum_interval.count() > 0) {
      auto [it, fresh] = next_vacuum_.try_emplace(table.name, now + table.vacuum_interval);
      if (!fresh && now >= it->second) {
        it->second = now + table.vacuum_interval;
        RunLifecycle(table);
        std::vector<std::string> vacuumed = {table.name};
        if (table.archive_after.count() > 0) vacuumed.push_back(table.ArchiveTable());
        for (const std::string& name : vacuumed) {
          if (!Exists(name)) continue;  // no archive yet
          auto r = VacuumNow(name, {.retention = table.vacuum_retention});
          if (!r.has_value()) {
            LogWarn(kComponent, "background vacuum failed",
                    {{"table", name}, {"error", r.error().ToString()}});
          }
        }
      }
    }
  }
}

void Lake::MaintenanceLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job(true);
      lock.lock();
      continue;
    }
    lock.unlock();
    RunDueMaintenance(std::chrono::steady_clock::now());
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !jobs_.empty(); });
  }
}

}  // namespace eventlake::lake
