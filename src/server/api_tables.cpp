// Tables of the lake: list, describe (schema, partitions, files, sizes,
// versions, loaded offsets) at the latest or any version, and history.
// Reads go to the table's Delta log in the store (a few small files per
// request; the query room will keep snapshots cached).
#include <charconv>
#include <map>

#include <nlohmann/json.hpp>

#include "core/config_table.h"
#include "server/api.h"
#include "server/api_json.h"
#include "server/problem.h"

namespace eventlake::server {
namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;

namespace {

Json MillisTime(int64_t millis) {
  return millis <= 0 ? Json(nullptr) : Json(FormatRfc3339(millis * 1000));
}

uint64_t RowsOf(const lake::AddAction& add) {
  const Json stats = Json::parse(add.stats, nullptr, false);
  if (stats.is_object() && stats.contains("numRecords") && stats["numRecords"].is_number()) {
    return stats["numRecords"].get<uint64_t>();
  }
  return 0;
}

Json Summary(const std::string& name, const lake::TableSnapshot& s) {
  return {{"name", name},
          {"version", s.version},
          {"files", s.files.size()},
          {"rows", s.RowCount()},
          {"size_bytes", s.SizeBytes()},
          {"partition_columns", s.schema.partition_columns},
          {"updated", MillisTime(s.timestamp)}};
}

Json Describe(const std::string& name, const lake::TableSnapshot& s) {
  Json out = Summary(name, s);
  Json columns = Json::array();
  for (const lake::Column& c : s.schema.columns) {
    columns.push_back({{"name", c.name},
                       {"type", lake::ColumnTypeName(c.type)},
                       {"partition", s.schema.IsPartitionColumn(c.name)}});
  }
  out["columns"] = std::move(columns);
  struct Part {
    uint64_t files = 0, rows = 0, bytes = 0;
  };
  std::map<std::string, Part> parts;
  for (const auto& [path, add] : s.files) {
    const size_t slash = path.rfind('/');
    Part& p = parts[slash == std::string::npos ? "" : path.substr(0, slash)];
    ++p.files;
    p.rows += RowsOf(add);
    p.bytes += static_cast<uint64_t>(add.size);
  }
  Json partitions = Json::array();
  for (const auto& [dir, p] : parts) {
    partitions.push_back({{"path", dir}, {"files", p.files}, {"rows", p.rows}, {"size_bytes", p.bytes}});
  }
  out["partitions"] = std::move(partitions);
  Json txns = Json::object();
  for (const auto& [app, version] : s.txns) txns[app] = version;
  out["loaded_offsets"] = std::move(txns);
  out["table_id"] = s.metadata.id;
  out["created"] = MillisTime(s.metadata.created_time);
  return out;
}

HttpResponse ListTables(const ApiContext& context) {
  auto names = context.lake->ListTables();
  if (!names) return ProblemResponse(names.error());
  Json tables = Json::array();
  for (const std::string& name : *names) {
    auto snapshot = context.lake->Snapshot(name);
    if (!snapshot) return ProblemResponse(snapshot.error());
    tables.push_back(Summary(name, **snapshot));
  }
  return JsonResponse(Dump(Json{{"tables", std::move(tables)}}));
}

// The live files, for ?files=true.
Json Files(const lake::TableSnapshot& s) {
  Json files = Json::array();
  for (const auto& [path, add] : s.files) {
    files.push_back({{"path", path}, {"size_bytes", add.size}, {"rows", RowsOf(add)}});
  }
  return files;
}

HttpResponse DescribeTable(const ApiContext& context, const Request& request) {
  std::optional<int64_t> version;
  if (auto text = request.Query("version")) {
    int64_t v = -1;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < 0) {
      return ProblemResponse(InvalidArgument("version must be a non-negative integer"));
    }
    version = v;
  }
  const std::string name(request.Param("name"));
  auto snapshot = context.lake->Snapshot(name, version);
  if (!snapshot) return ProblemResponse(snapshot.error());
  Json out = Describe(name, **snapshot);
  if (request.Query("files") == "true") out["file_list"] = Files(**snapshot);
  return JsonResponse(Dump(out));
}

HttpResponse TableHistory(const ApiContext& context, const Request& request) {
  auto history = context.lake->History(request.Param("name"));
  if (!history) return ProblemResponse(history.error());
  Json commits = Json::array();
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    Json parameters = Json::object();
    for (const auto& [k, v] : it->info.parameters) parameters[k] = v;
    commits.push_back({{"version", it->version},
                       {"timestamp", MillisTime(it->info.timestamp)},
                       {"operation", it->info.operation},
                       {"parameters", std::move(parameters)},
                       {"files_added", it->adds},
                       {"files_removed", it->removes}});
  }
  return JsonResponse(Dump(Json{{"name", request.Param("name")}, {"commits", std::move(commits)}}));
}

void CompactTableRequest(const ApiContext& context, const Request& request, Responder respond) {
  const std::string name(request.Param("name"));
  // std::function wants a copyable callback; a Responder is move-only.
  auto responder = std::make_shared<Responder>(std::move(respond));
  context.lake->Compact(name, [name, responder](Result<lake::CompactionResult> result) {
    Responder& respond = *responder;
    if (!result) return respond(ProblemResponse(result.error()));
    respond(JsonResponse(
        Dump(Json{{"name", name},
                  {"version", result->version >= 0 ? Json(result->version) : Json(nullptr)},
                  {"partitions", result->partitions},
                  {"files_removed", result->files_removed},
                  {"files_added", result->files_added},
                  {"files_concatenated", result->files_concatenated},
                  {"files_rewritten", result->files_rewritten},
                  {"rows", result->rows},
                  {"bytes_removed", result->bytes_removed},
                  {"bytes_added", result->bytes_added}})));
  });
}

void VacuumTableRequest(const ApiContext& context, const Request& request, Responder respond) {
  lake::VacuumOptions options;
  const std::string name(request.Param("name"));
  for (const lake::TableConfig& t : context.config->tables) {
    if (t.name == name) options.retention = t.vacuum_retention;
  }
  if (!request.http.body().empty()) {
    Status limited = ingest::CheckJsonLimits(request.http.body(), context.json_limits);
    if (!limited.ok()) return respond(ProblemResponse(limited));
    const Json body = Json::parse(request.http.body(), nullptr, false);
    if (!body.is_object()) {
      return respond(ProblemResponse(InvalidArgument("the body must be a JSON object")));
    }
    for (const auto& [key, value] : body.items()) {
      if (key == "retention" && value.is_string()) {
        auto retention = config::ParseDuration(value.get<std::string>());
        if (!retention) return respond(ProblemResponse(retention.error().WithContext("retention")));
        options.retention = *retention;
      } else if (key == "dry_run" && value.is_boolean()) {
        options.dry_run = value.get<bool>();
      } else {
        return respond(ProblemResponse(InvalidArgument(
            "unknown or mistyped member '" + key +
            "': the body takes \"retention\" (a duration) and \"dry_run\" (a boolean)")));
      }
    }
  }
  auto responder = std::make_shared<Responder>(std::move(respond));
  context.lake->Vacuum(name, options,
                       [name, options, responder](Result<lake::VacuumResult> result) {
                         Responder& respond = *responder;
                         if (!result) return respond(ProblemResponse(result.error()));
                         respond(JsonResponse(Dump(Json{
                             {"name", name},
                             {"dry_run", options.dry_run},
                             {"retention", config::FormatDuration(options.retention)},
                             {"files_deleted", result->deleted.size()},
                             {"bytes_deleted", result->bytes},
                             {"files", result->deleted}})));
                       });
}

}  // namespace

void RegisterTableApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  router.Add(http::verb::get, "/v1/tables", {"tables:List", "table/*"},
             [ctx](Request, Responder respond) { respond(ListTables(*ctx)); });
  router.Add(http::verb::get, "/v1/tables/{name}", {"tables:Describe", "table/{name}"},
             [ctx](Request request, Responder respond) { respond(DescribeTable(*ctx, request)); });
  router.Add(http::verb::get, "/v1/tables/{name}/history", {"tables:Describe", "table/{name}"},
             [ctx](Request request, Responder respond) { respond(TableHistory(*ctx, request)); });
  router.Add(http::verb::post, "/v1/tables/{name}/compact", {"tables:Compact", "table/{name}"},
             [ctx](Request request, Responder respond) {
               CompactTableRequest(*ctx, request, std::move(respond));
             });
  router.Add(http::verb::post, "/v1/tables/{name}/vacuum", {"tables:Vacuum", "table/{name}"},
             [ctx](Request request, Responder respond) {
               VacuumTableRequest(*ctx, request, std::move(respond));
             });
}

}  // namespace eventlake::server
