// EnrichStep: the lookup loaded at Create, checked for changes from Run at
// most every `reload` (by whichever partition gets there first, the others
// not waiting), and each event's data joined with the snapshot its batch
// started with.
#include "pipeline/enrich_step.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>

#include "core/logging.h"
#include "pipeline/json_path.h"

namespace eventlake::pipeline {

using Json = nlohmann::ordered_json;

struct EnrichStep::Metrics {
  Counter* matched;
  Counter* kept;
  Counter* dropped;
  Counter* failed;
  Counter* reloads_ok;
  Counter* reloads_failed;
  Gauge* rows;
};

Result<std::unique_ptr<EnrichStep>> EnrichStep::Create(EnrichOptions options,
                                                       EnrichEnvironment environment) {
  if (options.file.empty() == options.table.empty()) {
    return Err(InvalidArgument("enrich: give one of file and table"));
  }
  if (!options.table.empty() && !environment.lake_files) {
    return Err(
        InvalidArgument("enrich: table " + options.table + ": lake tables are not available here"));
  }
  if (options.columns.key.empty()) return Err(InvalidArgument("enrich: the key column is missing"));
  if (options.on.empty()) options.on = options.columns.key;
  EL_RETURN_IF_ERROR(CheckMemberPath("enrich", options.on));
  if (!options.into.empty()) EL_RETURN_IF_ERROR(CheckMemberPath("enrich", options.into));
  auto step =
      std::unique_ptr<EnrichStep>(new EnrichStep(std::move(options), std::move(environment)));
  auto probe = step->Probe();
  if (!probe.has_value()) return Err(probe.error().WithContext("enrich"));
  EL_RETURN_IF_ERROR(step->Load(probe->first, probe->second));
  step->next_check_ = step->environment_.clock->MonotonicNanos() +
                      std::chrono::nanoseconds(step->options_.reload).count();
  return step;
}

EnrichStep::EnrichStep(EnrichOptions options, EnrichEnvironment environment)
    : options_(std::move(options)),
      environment_(std::move(environment)),
      name_(options_.file.empty() ? options_.table : options_.file) {
  if (MetricsRegistry* m = environment_.metrics) {
    const MetricLabels labels = {{"pipeline", environment_.pipeline}, {"lookup", name_}};
    auto counter = [&](std::string_view name, std::string_view help, const char* result) {
      MetricLabels l = labels;
      l.emplace_back("result", result);
      return &m->GetCounter(name, help, l);
    };
    auto events = [&](const char* result) {
      return counter(
          "eventlake_enrich_events_total",
          "Events of enrich steps: matched, or no row matched and kept, dropped or failed.",
          result);
    };
    auto reloads = [&](const char* result) {
      return counter("eventlake_enrich_reloads_total", "Loads of enrich lookups after a change.",
                     result);
    };
    metrics_ = std::make_unique<Metrics>(
        Metrics{.matched = events("matched"),
                .kept = events("kept"),
                .dropped = events("dropped"),
                .failed = events("failed"),
                .reloads_ok = reloads("ok"),
                .reloads_failed = reloads("error"),
                .rows = &m->GetGauge("eventlake_enrich_lookup_rows",
                                     "Rows of the enrich lookup in use.", labels)});
  }
}

EnrichStep::~EnrichStep() = default;

Result<std::pair<std::vector<std::string>, EnrichStep::Stamp>> EnrichStep::Probe() const {
  if (!options_.table.empty()) {
    EL_ASSIGN_OR_RETURN(LookupFiles files, environment_.lake_files(options_.table));
    return std::pair{std::move(files.paths), Stamp{.mtime_or_version = files.version}};
  }
  struct stat st {};
  if (::stat(options_.file.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ENOENT) return Err(NotFound(options_.file + ": no such file"));
    return Err(ErrnoError("stat " + options_.file, error));
  }
  const int64_t mtime =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return std::pair{std::vector<std::string>{options_.file},
                   Stamp{.mtime_or_version = mtime, .size = static_cast<uint64_t>(st.st_size)}};
}

Status EnrichStep::Load(const std::vector<std::string>& files, const Stamp& stamp) {
  auto table = LookupTable::Load(files, options_.format, options_.columns, name_);
  if (!table.has_value()) return table.error().WithContext("enrich: loading " + name_);
  if (metrics_ != nullptr) metrics_->rows->Set(static_cast<double>((*table)->size()));
  {
    std::lock_guard lock(table_mu_);
    table_ = std::move(*table);
  }
  loaded_ = stamp;
  return Status::Ok();
}

void EnrichStep::MaybeReload() {
  const int64_t now = environment_.clock->MonotonicNanos();
  if (now < next_check_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(reload_mu_, std::try_to_lock);
  if (!lock.owns_lock() || now < next_check_.load()) return;  // another partition checks
  next_check_.store(now + std::chrono::nanoseconds(options_.reload).count());
  auto probe = Probe();
  // A file that cannot be looked at counts as one more stamp that failed.
  const Stamp stamp = probe.has_value() ? probe->second : Stamp{.mtime_or_version = -1};
  if (stamp == loaded_) {
    failed_.reset();
    return;
  }
  if (stamp == failed_) return;  // said once already
  Status loaded =
      probe.has_value() ? Load(probe->first, stamp) : probe.error().WithContext("enrich");
  if (loaded.ok()) {
    failed_.reset();
    if (metrics_ != nullptr) metrics_->reloads_ok->Increment();
    LogInfo("pipeline", "enrich lookup reloaded",
            {{"pipeline", environment_.pipeline}, {"lookup", name_}, {"rows", rows()}});
    return;
  }
  failed_ = stamp;
  if (metrics_ != nullptr) metrics_->reloads_failed->Increment();
  LogWarn("pipeline", "enrich lookup reload failed; the last table stays in use",
          {{"pipeline", environment_.pipeline}, {"lookup", name_}, {"error", loaded.ToString()}});
}

std::shared_ptr<const LookupTable> EnrichStep::Current() const {
  std::lock_guard lock(table_mu_);
  return table_;
}

Result<std::optional<std::string>> EnrichStep::EnrichData(const LookupTable& table,
                                                          std::string_view data) const {
  Json root = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object())
    return Err(InvalidArgument("enrich: the event's data is not a JSON object"));
  std::string last;
  const Json* parent = MemberParent(root, options_.on, &last, false);
  if (parent == nullptr) return std::nullopt;
  auto member = parent->find(last);
  if (member == parent->end()) return std::nullopt;
  const LookupTable::Row* row = nullptr;
  if (member->is_string()) {
    row = table.Find(member->get_ref<const std::string&>());
  } else if (member->is_number() || member->is_boolean()) {
    row = table.Find(member->dump());
  }
  if (row == nullptr) return std::nullopt;
  Json* target = &root;
  if (!options_.into.empty()) {
    Json* holder = MemberParent(root, options_.into, &last, true);
    if (holder == nullptr)
      return Err(InvalidArgument("enrich: into " + options_.into + ": not inside an object"));
    target = &(*holder)[last];
    if (target->is_null()) *target = Json::object();
    if (!target->is_object())
      return Err(InvalidArgument("enrich: into " + options_.into + ": not an object"));
  }
  const std::vector<std::string>& fields = table.fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    if (!(*row)[f].is_null()) (*target)[fields[f]] = (*row)[f];
  }
  return root.dump();
}

StepResult EnrichStep::Run(std::span<const BatchRecord> batch) {
  MaybeReload();
  const std::shared_ptr<const LookupTable> table = Current();
  StepResult result;
  result.out.reserve(batch.size());
  uint64_t matched = 0, kept = 0, dropped = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto data = EnrichData(*table, batch[i].event.data);
    if (!data.has_value()) {
      result.failed.push_back({i, data.error()});
    } else if (data->has_value()) {
      ++matched;
      CloudEvent e = batch[i].event;
      e.data = std::move(**data);
      e.data_content_type = "application/json";
      e.data_is_binary = false;
      result.Emit(i, std::move(e));
    } else if (options_.on_missing == OnMissing::kKeep) {
      ++kept;
      result.Keep(i);
    } else if (options_.on_missing == OnMissing::kDrop) {
      ++dropped;
    } else {
      result.failed.push_back(
          {i, NotFound("enrich: no row of " + name_ + " matches the event's " + options_.on)});
    }
  }
  if (metrics_ != nullptr) {
    metrics_->matched->Increment(matched);
    metrics_->kept->Increment(kept);
    metrics_->dropped->Increment(dropped);
    metrics_->failed->Increment(result.failed.size());
  }
  return result;
}

}  // namespace eventlake::pipeline
