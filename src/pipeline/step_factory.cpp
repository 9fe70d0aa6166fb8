// Step specs read and built: one reader per built-in kind.
#include "pipeline/step_factory.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "core/config_table.h"
#include "core/file.h"
#include "pipeline/dedup_step.h"
#include "pipeline/enrich_step.h"
#include "pipeline/function_options.h"
#include "pipeline/function_step.h"
#include "pipeline/json_path.h"
#include "pipeline/lua_step.h"
#include "pipeline/map_step.h"
#include "pipeline/mask_step.h"
#include "pipeline/route_step.h"
#include "pipeline/sql_step.h"
#include "pipeline/validate_step.h"
#include "pipeline/window_step.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;

Status Expect(bool ok, const std::string& path, std::string_view what) {
  return ok ? Status::Ok() : InvalidArgument(path + ": expected " + std::string(what));
}

Status OnlyKeys(const json& spec, const std::string& path, std::initializer_list<std::string_view> keys) {
  EL_RETURN_IF_ERROR(Expect(spec.is_object(), path, "a map"));
  for (const auto& [key, value] : spec.items()) {
    bool known = false;
    for (std::string_view k : keys) known = known || k == key;
    if (!known) return InvalidArgument(path + "." + key + ": unknown key");
  }
  return Status::Ok();
}

// {name: value} as pairs, each value a string.
Result<std::vector<std::pair<std::string, std::string>>> StringMap(const json& spec, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (spec.is_null()) return out;
  EL_RETURN_IF_ERROR(Expect(spec.is_object(), path, "a map of names"));
  for (const auto& [key, value] : spec.items()) {
    EL_RETURN_IF_ERROR(Expect(value.is_string(), path + "." + key, "a string"));
    out.emplace_back(key, value.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> StringList(const json& spec, const std::string& path) {
  std::vector<std::string> out;
  if (spec.is_null()) return out;
  EL_RETURN_IF_ERROR(Expect(spec.is_array(), path, "a list of names"));
  for (size_t i = 0; i < spec.size(); ++i) {
    EL_RETURN_IF_ERROR(Expect(spec[i].is_string(), path + "[" + std::to_string(i) + "]", "a string"));
    out.push_back(spec[i].get<std::string>());
  }
  return out;
}

const json& Member(const json& spec, const char* key) {
  static const json kNull;
  auto it = spec.find(key);
  return it == spec.end() ? kNull : *it;
}

// validate: the schema's JSON text.
Result<std::string> ValidateSchemaText(const StepSpec& s, bool read_files) {
  std::string file;
  if (s.spec.is_string()) {
    file = s.spec.get<std::string>();
  } else {
    EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"file", "schema"}));
    if (s.spec.contains("schema") == s.spec.contains("file")) {
      return Err(InvalidArgument(s.path + ": give one of file and schema"));
    }
    if (s.spec.contains("schema")) {
      EL_RETURN_IF_ERROR(Expect(s.spec["schema"].is_object(), s.path + ".schema", "a JSON Schema (a map)"));
      return s.spec["schema"].dump();
    }
    EL_RETURN_IF_ERROR(Expect(s.spec["file"].is_string(), s.path + ".file", "a file name"));
    file = s.spec["file"].get<std::string>();
  }
  if (!read_files) return std::string();
  auto text = ReadFile(file);
  if (!text.has_value()) return Err(text.error().WithContext(s.path));
  return std::move(*text);
}

Result<std::chrono::microseconds> DurationOf(const json& spec, const std::string& path) {
  EL_RETURN_IF_ERROR(Expect(spec.is_string(), path, "a duration (1m, 30s)"));
  auto parsed = config::ParseDuration(spec.get<std::string>());
  if (!parsed.has_value()) return Err(parsed.error().WithContext(path));
  return std::chrono::microseconds(*parsed);
}

// window: {size: 1m, allowed_lateness: 30s, late: dead_letter|drop, max_events: 1000000}
Result<WindowOptions> WindowSpec(const json& spec, const std::string& path) {
  EL_RETURN_IF_ERROR(OnlyKeys(spec, path, {"size", "allowed_lateness", "late", "max_events"}));
  WindowOptions window;
  EL_RETURN_IF_ERROR(Expect(spec.contains("size"), path + ".size", "the windows' length (1m)"));
  EL_ASSIGN_OR_RETURN(window.size, DurationOf(spec["size"], path + ".size"));
  if (const json& lateness = Member(spec, "allowed_lateness"); !lateness.is_null()) {
    EL_ASSIGN_OR_RETURN(window.allowed_lateness, DurationOf(lateness, path + ".allowed_lateness"));
  }
  if (const json& late = Member(spec, "late"); !late.is_null()) {
    const bool known = late.is_string() && (late == "dead_letter" || late == "drop");
    EL_RETURN_IF_ERROR(Expect(known, path + ".late", "dead_letter or drop"));
    window.late = late == "drop" ? LateEvents::kDrop : LateEvents::kDeadLetter;
  }
  if (const json& max = Member(spec, "max_events"); !max.is_null()) {
    EL_RETURN_IF_ERROR(Expect(max.is_number_unsigned() && max.get<uint64_t>() > 0, path + ".max_events",
                              "a count >= 1"));
    window.max_events = max.get<size_t>();
  }
  Status valid = CheckWindowOptions(window);
  if (!valid.ok()) return Err(valid.WithContext(path));
  return window;
}

struct SqlSpec {
  SqlStepOptions options;
  std::optional<WindowOptions> window;  // a windowed statement (window_step.h)
};

Result<SqlSpec> SqlOptions(const StepSpec& s) {
  SqlSpec spec;
  SqlStepOptions& options = spec.options;
  if (s.kind == "filter") {
    EL_RETURN_IF_ERROR(Expect(s.spec.is_string(), s.path, "an SQL expression"));
    options.filter = s.spec.get<std::string>();
    return spec;
  }
  if (s.spec.is_string()) {
    options.sql = s.spec.get<std::string>();
    return spec;
  }
  EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"sql", "memory_limit", "window"}));
  EL_RETURN_IF_ERROR(Expect(Member(s.spec, "sql").is_string(), s.path + ".sql", "an SQL statement"));
  options.sql = s.spec["sql"].get<std::string>();
  if (s.spec.contains("memory_limit")) {
    EL_RETURN_IF_ERROR(Expect(s.spec["memory_limit"].is_string(), s.path + ".memory_limit", "a size (256MB)"));
    options.memory_limit = s.spec["memory_limit"].get<std::string>();
  }
  if (const json& window = Member(s.spec, "window"); !window.is_null()) {
    EL_ASSIGN_OR_RETURN(spec.window, WindowSpec(window, s.path + ".window"));
    options.window_columns = true;
  }
  return spec;
}

Result<MapSpec> MapOptions(const StepSpec& s) {
  EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"rename", "drop", "set", "cast"}));
  MapSpec spec;
  EL_ASSIGN_OR_RETURN(spec.rename, StringMap(Member(s.spec, "rename"), s.path + ".rename"));
  EL_ASSIGN_OR_RETURN(spec.drop, StringList(Member(s.spec, "drop"), s.path + ".drop"));
  const json& set = Member(s.spec, "set");
  if (!set.is_null()) {
    EL_RETURN_IF_ERROR(Expect(set.is_object(), s.path + ".set", "a map of names to values"));
    for (const auto& [key, value] : set.items()) spec.set.emplace_back(key, value.dump());
  }
  EL_ASSIGN_OR_RETURN(auto casts, StringMap(Member(s.spec, "cast"), s.path + ".cast"));
  for (const auto& [name, type] : casts) {
    auto cast = ParseCastType(type);
    if (!cast.has_value()) return Err(cast.error().WithContext(s.path + ".cast." + name));
    spec.cast.emplace_back(name, *cast);
  }
  return spec;
}

Result<MaskSpec> MaskOptions(const StepSpec& s, bool read_environment) {
  EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"hash", "tokenize", "redact", "key_env"}));
  MaskSpec spec;
  for (auto [key, kind] : {std::pair{"hash", MaskKind::kHash}, std::pair{"tokenize", MaskKind::kTokenize},
                           std::pair{"redact", MaskKind::kRedact}}) {
    EL_ASSIGN_OR_RETURN(std::vector<std::string> names, StringList(Member(s.spec, key), s.path + "." + key));
    for (std::string& name : names) spec.members.emplace_back(std::move(name), kind);
  }
  if (s.spec.contains("tokenize")) {
    const json& env = Member(s.spec, "key_env");
    EL_RETURN_IF_ERROR(Expect(env.is_string(), s.path + ".key_env",
                              "the environment variable that holds the tokenize key"));
    if (read_environment) {
      const char* key = std::getenv(env.get<std::string>().c_str());
      if (key == nullptr) {
        return Err(InvalidArgument(s.path + ".key_env: the environment variable " + env.get<std::string>() +
                                   " is not set"));
      }
      spec.token_key = key;
    }
  }
  return spec;
}

// dedup: a field or {key: field | [fields], window, max_entries}.
Result<DedupStepOptions> DedupOptions(const StepSpec& s) {
  DedupStepOptions options;
  const json* key = &s.spec;
  if (!s.spec.is_string()) {
    EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"key", "window", "max_entries"}));
    key = &Member(s.spec, "key");
    if (const json& window = Member(s.spec, "window"); !window.is_null()) {
      EL_RETURN_IF_ERROR(Expect(window.is_string(), s.path + ".window", "a duration (10m)"));
      auto parsed = config::ParseDuration(window.get<std::string>());
      if (!parsed.has_value()) return Err(parsed.error().WithContext(s.path + ".window"));
      options.window = *parsed;
    }
    if (const json& max = Member(s.spec, "max_entries"); !max.is_null()) {
      EL_RETURN_IF_ERROR(Expect(max.is_number_unsigned() && max.get<uint64_t>() > 0, s.path + ".max_entries",
                                "a count >= 1"));
      options.max_entries = max.get<size_t>();
    }
  }
  if (key->is_string()) {
    options.key = {key->get<std::string>()};
  } else if (!key->is_null()) {
    EL_ASSIGN_OR_RETURN(options.key, StringList(*key, s.path + ".key"));
    EL_RETURN_IF_ERROR(Expect(!options.key.empty(), s.path + ".key", "at least one field"));
  }
  for (const std::string& field : options.key) {
    EL_RETURN_IF_ERROR(CheckDedupKeyField(field).WithContext(s.path + ".key"));
  }
  if (options.window <= std::chrono::microseconds::zero()) return Err(InvalidArgument(s.path + ".window: must be > 0"));
  return options;
}

// A sink name or a list of them.
Result<std::vector<std::string>> SinkNames(const json& spec, const std::string& path) {
  if (spec.is_string()) return std::vector<std::string>{spec.get<std::string>()};
  EL_ASSIGN_OR_RETURN(std::vector<std::string> names, StringList(spec, path));
  EL_RETURN_IF_ERROR(Expect(!names.empty(), path, "at least one sink"));
  return names;
}

// route: [{when, to}] | {rules: [{when, to}], otherwise}.
Result<RouteSpec> RouteOptions(const StepSpec& s) {
  const json* rules = &s.spec;
  std::string rules_path = s.path;
  RouteSpec spec;
  if (s.spec.is_object()) {
    EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"rules", "otherwise"}));
    rules = &Member(s.spec, "rules");
    rules_path += ".rules";
    if (const json& otherwise = Member(s.spec, "otherwise"); !otherwise.is_null()) {
      EL_ASSIGN_OR_RETURN(spec.otherwise, SinkNames(otherwise, s.path + ".otherwise"));
    }
  }
  EL_RETURN_IF_ERROR(Expect(rules->is_array() && !rules->empty() && rules->size() <= 64, rules_path,
                            "a list of 1 to 64 rules {when, to}"));
  for (size_t i = 0; i < rules->size(); ++i) {
    const std::string at = rules_path + "[" + std::to_string(i) + "]";
    const json& rule = (*rules)[i];
    EL_RETURN_IF_ERROR(OnlyKeys(rule, at, {"when", "to"}));
    EL_RETURN_IF_ERROR(Expect(Member(rule, "when").is_string(), at + ".when", "an SQL expression"));
    RouteRule r{.when = rule["when"].get<std::string>(), .to = {}};
    EL_ASSIGN_OR_RETURN(r.to, SinkNames(Member(rule, "to"), at + ".to"));
    spec.rules.push_back(std::move(r));
  }
  return spec;
}

Result<std::string> NonEmptyString(const json& spec, const std::string& path, std::string_view what) {
  EL_RETURN_IF_ERROR(Expect(spec.is_string() && !spec.get<std::string>().empty(), path, what));
  return spec.get<std::string>();
}

Result<std::string> MemberPathAt(const json& spec, const std::string& path) {
  EL_ASSIGN_OR_RETURN(std::string member, NonEmptyString(spec, path, "a member name (a or a.b)"));
  Status checked = CheckMemberPath("enrich", member);
  if (!checked.ok()) return Err(checked.WithContext(path));
  return member;
}

// enrich's lookup: a file (its format by its extension unless given) or a
// lake table (Parquet).
Status EnrichLookup(const StepSpec& s, EnrichOptions* options) {
  if (s.spec.contains("file") == s.spec.contains("table")) {
    return InvalidArgument(s.path + ": give one of file and table");
  }
  if (s.spec.contains("file")) {
    EL_ASSIGN_OR_RETURN(options->file, NonEmptyString(s.spec["file"], s.path + ".file", "a file name"));
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(options->file, ec);
    if (ec) return InvalidArgument(s.path + ".file: " + options->file + ": " + ec.message());
    options->file = absolute.lexically_normal().string();
    if (!s.spec.contains("format")) {
      auto format = LookupFormatOfFile(options->file);
      if (!format.has_value()) return format.error().WithContext(s.path + ".file");
      options->format = *format;
    }
  } else {
    EL_ASSIGN_OR_RETURN(options->table,
                        NonEmptyString(s.spec["table"], s.path + ".table", "a table (zone.name)"));
    options->format = LookupFormat::kParquet;
  }
  if (s.spec.contains("format")) {
    EL_ASSIGN_OR_RETURN(std::string name,
                        NonEmptyString(s.spec["format"], s.path + ".format", "a format"));
    auto format = ParseLookupFormat(name);
    if (!format.has_value()) return format.error().WithContext(s.path + ".format");
    if (!options->table.empty() && *format != LookupFormat::kParquet) {
      return InvalidArgument(s.path + ".format: a table's files are Parquet");
    }
    options->format = *format;
  }
  return Status::Ok();
}

// enrich: the lookup, its columns, and what to do with them.
Result<EnrichOptions> EnrichSpec(const StepSpec& s) {
  EL_RETURN_IF_ERROR(OnlyKeys(s.spec, s.path, {"file", "table", "format", "key", "on", "fields",
                                               "into", "on_missing", "max_rows", "reload"}));
  EnrichOptions options;
  EL_RETURN_IF_ERROR(EnrichLookup(s, &options));
  EL_ASSIGN_OR_RETURN(options.columns.key,
                      NonEmptyString(Member(s.spec, "key"), s.path + ".key", "the lookup's key column"));
  options.on = options.columns.key;
  if (s.spec.contains("on")) {
    EL_ASSIGN_OR_RETURN(options.on, MemberPathAt(s.spec["on"], s.path + ".on"));
  }
  if (s.spec.contains("into")) {
    EL_ASSIGN_OR_RETURN(options.into, MemberPathAt(s.spec["into"], s.path + ".into"));
  }
  EL_ASSIGN_OR_RETURN(options.columns.fields,
                      StringList(Member(s.spec, "fields"), s.path + ".fields"));
  if (s.spec.contains("fields") && options.columns.fields.empty()) {
    return Err(InvalidArgument(s.path + ".fields: expected at least one column (or no fields)"));
  }
  if (s.spec.contains("on_missing")) {
    const json& v = s.spec["on_missing"];
    EL_RETURN_IF_ERROR(Expect(v == "keep" || v == "drop" || v == "fail", s.path + ".on_missing",
                              "keep, drop or fail"));
    options.on_missing = v == "keep"   ? OnMissing::kKeep
                         : v == "drop" ? OnMissing::kDrop
                                       : OnMissing::kFail;
  }
  if (s.spec.contains("max_rows")) {
    const json& v = s.spec["max_rows"];
    EL_RETURN_IF_ERROR(Expect(v.is_number_unsigned() && v.get<uint64_t>() > 0, s.path + ".max_rows",
                              "a number of rows (1 or more)"));
    options.columns.max_rows = v.get<uint64_t>();
  }
  if (s.spec.contains("reload")) {
    EL_ASSIGN_OR_RETURN(std::string text,
                        NonEmptyString(s.spec["reload"], s.path + ".reload", "a duration (10s)"));
    auto reload = config::ParseDuration(text);
    if (!reload.has_value()) return Err(reload.error().WithContext(s.path + ".reload"));
    options.reload = *reload;
  }
  return options;
}

// A step object shared by every copy of its function.
template <typename Step>
StepFunction Share(std::shared_ptr<Step> shared) {
  return [shared](std::span<const BatchRecord> batch) { return shared->Run(batch); };
}
template <typename Step>
StepFunction Share(std::unique_ptr<Step> step) {
  return Share(std::shared_ptr<Step>(std::move(step)));
}
template <typename Step>
StepFunction Share(Step step) {
  return Share(std::make_shared<Step>(std::move(step)));
}

}  // namespace

const std::vector<std::string>& StepKinds() {
  static const std::vector<std::string> kinds = {"validate", "filter", "sql",      "map",  "mask", "dedup",
                                                "route",    "lua",    "function", "http", "enrich"};
  return kinds;
}

Status CheckStepSpec(const StepSpec& s) {
  auto status = [](const auto& result) { return result.has_value() ? Status::Ok() : result.error(); };
  if (s.kind == "validate") return status(ValidateSchemaText(s, false));
  if (s.kind == "filter" || s.kind == "sql") return status(SqlOptions(s));
  if (s.kind == "map") return status(MapOptions(s));
  if (s.kind == "mask") return status(MaskOptions(s, false));
  if (s.kind == "dedup") return status(DedupOptions(s));
  if (s.kind == "route") return status(RouteOptions(s));
  if (s.kind == "lua") return status(ParseLuaStepOptions(s.spec, s.path, ""));
  if (s.kind == "function") return status(ParseFunctionStepOptions(s.spec, s.path, std::filesystem::current_path().string()));
  if (s.kind == "http") return status(ParseHttpFunctionOptions(s.spec, s.path));
  if (s.kind == "enrich") return status(EnrichSpec(s));
  std::string kinds;
  for (const std::string& k : StepKinds()) kinds += (kinds.empty() ? "" : ", ") + k;
  return InvalidArgument(s.path + ": unknown step kind (" + kinds + ")");
}

Result<std::vector<std::string>> RouteTargets(std::span<const StepSpec> specs) {
  std::vector<std::string> names;
  for (const StepSpec& s : specs) {
    if (s.kind != "route") continue;
    EL_ASSIGN_OR_RETURN(RouteSpec spec, RouteOptions(s));
    for (std::string& name : RouteTargets(spec)) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    }
  }
  return names;
}

Result<StepFunction> BuildStep(const StepSpec& s, const StepContext& context) {
  EL_RETURN_IF_ERROR(CheckStepSpec(s));
  // The readers' errors name their paths; what the steps refuse gets the step's.
  auto at = [&s](Status error) { return Err(error.WithContext(s.path)); };
  if (s.kind == "validate") {
    EL_ASSIGN_OR_RETURN(std::string schema, ValidateSchemaText(s, true));
    auto step = ValidateStep::Create(schema);
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  if (s.kind == "filter" || s.kind == "sql") {
    EL_ASSIGN_OR_RETURN(SqlSpec spec, SqlOptions(s));
    auto step = SqlStep::Create(std::move(spec.options));
    if (!step.has_value()) return at(step.error());
    if (!spec.window.has_value()) return Share(std::move(*step));
    if (context.state_dir.empty()) return Err(InvalidArgument(s.path + ": a windowed sql step needs a state directory"));
    if (!context.committed) {
      return Err(InvalidArgument(s.path + ".window: windows need a stream trigger (a schedule's rows have no event time to wait for)"));
    }
    auto windowed = WindowStep::Create(
        {.window = *spec.window,
         .journal_path =
             (std::filesystem::path(context.state_dir) / ("window-" + std::to_string(context.step_index) + ".journal"))
                 .string(),
         .committed = context.committed,
         .metrics = context.metrics,
         .pipeline = context.pipeline},
        std::move(*step));
    if (!windowed.has_value()) return at(windowed.error());
    return Share(std::move(*windowed));
  }
  if (s.kind == "lua") {
    EL_ASSIGN_OR_RETURN(LuaStepOptions options, ParseLuaStepOptions(s.spec, s.path, ""));
    auto step = LuaStep::Create(std::move(options));
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  const SqsEventContext origin{.region = context.region,
                               .stream = context.stream,
                               .shape = context.object_created ? EventShape::kS3 : EventShape::kSqs};
  if (s.kind == "function") {
    EL_ASSIGN_OR_RETURN(FunctionStepOptions options, ParseFunctionStepOptions(s.spec, s.path, std::filesystem::current_path().string()));
    options.region = context.region;
    auto step = FunctionStep::CreateProcess(std::move(options), origin, context.metrics);
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  if (s.kind == "http") {
    EL_ASSIGN_OR_RETURN(HttpFunctionOptions options, ParseHttpFunctionOptions(s.spec, s.path));
    options.region = context.region;
    auto step = FunctionStep::CreateHttp(std::move(options), origin, context.metrics);
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  if (s.kind == "route") {
    EL_ASSIGN_OR_RETURN(RouteSpec spec, RouteOptions(s));
    auto step = RouteStep::Create(std::move(spec));
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  if (s.kind == "dedup") {
    EL_ASSIGN_OR_RETURN(DedupStepOptions options, DedupOptions(s));
    if (context.state_dir.empty()) return Err(InvalidArgument(s.path + ": a dedup step needs a state directory"));
    options.journal_path =
        (std::filesystem::path(context.state_dir) / ("dedup-" + std::to_string(context.step_index) + ".journal"))
            .string();
    auto step = DedupStep::Create(std::move(options));
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  if (s.kind == "enrich") {
    EL_ASSIGN_OR_RETURN(EnrichOptions options, EnrichSpec(s));
    auto step = EnrichStep::Create(std::move(options), {.lake_files = context.lake_files,
                                                        .metrics = context.metrics,
                                                        .pipeline = context.pipeline});
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  if (s.kind == "map") {
    EL_ASSIGN_OR_RETURN(MapSpec spec, MapOptions(s));
    auto step = MapStep::Create(std::move(spec));
    if (!step.has_value()) return at(step.error());
    return Share(std::move(*step));
  }
  EL_ASSIGN_OR_RETURN(MaskSpec spec, MaskOptions(s, true));
  auto step = MaskStep::Create(std::move(spec));
  if (!step.has_value()) return at(step.error());
  return Share(std::move(*step));
}

}  // namespace eventlake::pipeline
