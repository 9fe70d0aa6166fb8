// POST /v1/query and DELETE /v1/queries/{id}: SQL over the lake over HTTP
// (docs/http-api.md, "Query"). The query runs on the engine's workers; the
// answer is the result in the format asked for, sent as it comes
// (query_answer.h), or problem+json (with the `position` of a syntax error).
#include <nlohmann/json.hpp>

#include "core/config_table.h"
#include "query/result_format.h"
#include "server/api.h"
#include "server/problem.h"
#include "server/query_answer.h"

namespace eventlake::server {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::json;

constexpr size_t kMaxSqlBytes = 1u << 20;

std::string_view Header(const Request& request, http::field field) {
  const auto value = request.http[field];
  return {value.data(), value.size()};
}

struct ParsedQuery {
  query::QueryRequest request;
  std::optional<query::ResultFormat> format;
};

Result<query::QueryParameter> ParameterOf(const Json& value, size_t index) {
  if (value.is_null()) return query::QueryParameter{};
  if (value.is_boolean()) return query::QueryParameter{value.get<bool>()};
  if (value.is_number_integer() && !value.is_number_unsigned()) return query::QueryParameter{value.get<int64_t>()};
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return query::QueryParameter{std::to_string(value.get<uint64_t>())};
    }
    return query::QueryParameter{static_cast<int64_t>(value.get<uint64_t>())};
  }
  if (value.is_number_float()) return query::QueryParameter{value.get<double>()};
  if (value.is_string()) return query::QueryParameter{value.get<std::string>()};
  return Err(InvalidArgument("parameters[" + std::to_string(index) +
                             "]: a parameter is null, a boolean, a number or a string"));
}

Result<ParsedQuery> ParseQueryRequest(const ApiContext& context, const Request& request) {
  ParsedQuery parsed;
  parsed.request.principal = request.principal;
  const std::string_view body = request.http.body();
  const std::string_view content_type = Header(request, http::field::content_type);
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  if (media == "application/sql" || media == "text/plain") {
    parsed.request.sql = std::string(body);
  } else {
    EL_RETURN_IF_ERROR(ingest::CheckJsonLimits(body, {.max_depth = context.json_limits.max_depth,
                                                      .max_string = kMaxSqlBytes}));
    const Json json = Json::parse(body, nullptr, false);
    if (!json.is_object()) {
      return Err(InvalidArgument("the body is a JSON object {\"sql\": \"SELECT ...\"} (or SQL with "
                                 "Content-Type: application/sql)"));
    }
    for (const auto& [key, value] : json.items()) {
      if (key == "sql" && value.is_string()) {
        parsed.request.sql = value.get<std::string>();
      } else if (key == "parameters" && value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
          EL_ASSIGN_OR_RETURN(query::QueryParameter p, ParameterOf(value[i], i));
          parsed.request.parameters.push_back(std::move(p));
        }
      } else if (key == "format" && value.is_string()) {
        parsed.format = query::ParseResultFormat(value.get<std::string>());
        if (!parsed.format) return Err(InvalidArgument("format: json, ndjson, csv, parquet or arrow"));
      } else if (key == "timeout" && value.is_string()) {
        auto timeout = config::ParseDuration(value.get<std::string>());
        if (!timeout) return Err(timeout.error().WithContext("timeout"));
        parsed.request.timeout = *timeout;
      } else if (key == "max_rows" && value.is_number_unsigned()) {
        parsed.request.max_rows = value.get<uint64_t>();
      } else if (key == "query_id" && value.is_string() && value.get<std::string>().size() <= 128) {
        parsed.request.id = request.principal.name + "/" + value.get<std::string>();
      } else {
        return Err(InvalidArgument("unknown or mistyped member '" + key +
                                   "': the body takes sql, parameters (array), format, timeout "
                                   "(a duration), max_rows and query_id"));
      }
    }
  }
  if (parsed.request.sql.empty()) return Err(InvalidArgument("no SQL: the body's \"sql\" is empty"));
  if (parsed.request.sql.size() > kMaxSqlBytes) {
    return Err(InvalidArgument("the SQL is longer than " + std::to_string(kMaxSqlBytes) + " bytes"));
  }
  if (auto format = request.Query("format")) {
    parsed.format = query::ParseResultFormat(*format);
    if (!parsed.format) return Err(InvalidArgument("format: json, ndjson, csv, parquet or arrow"));
  }
  return parsed;
}

void RunQuery(const ApiContext& context, const Request& request, Responder respond) {
  if (context.query == nullptr) return respond(ProblemResponse(context.query_unavailable));
  auto parsed = ParseQueryRequest(context, request);
  if (!parsed) return respond(ProblemResponse(parsed.error()));
  std::optional<query::ResultFormat> format = parsed->format;
  if (!format) format = query::FormatForAccept(Header(request, http::field::accept));
  if (!format) {
    return respond(ProblemResponse(406, "not_acceptable",
                                   "results come as application/json, application/x-ndjson, text/csv, "
                                   "application/vnd.apache.parquet or application/vnd.apache.arrow.stream"));
  }
  parsed->request.output = *format == query::ResultFormat::kParquet ? query::QueryOutput::kParquet
                           : *format == query::ResultFormat::kArrow ? query::QueryOutput::kArrow
                                                                    : query::QueryOutput::kRows;
  auto answer = std::make_shared<QueryAnswer>(*format, std::move(respond));
  context.query->Submit(std::move(parsed->request), answer.get(),
                        [answer](std::variant<query::QueryStats, query::QueryFailure> outcome) {
                          answer->Done(outcome);
                        });
}

}  // namespace

void RegisterQueryApi(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  // Any authenticated caller may query; the engine checks tables:Select on
  // each table the SQL reads.
  router.Add(http::verb::post, "/v1/query", Permission::Authenticated(),
             [ctx](Request request, Responder respond) { RunQuery(*ctx, request, std::move(respond)); });
  router.Add(http::verb::delete_, "/v1/queries/{id}", Permission::Authenticated(),
             [ctx](Request request, Responder respond) {
               if (ctx->query == nullptr) return respond(ProblemResponse(ctx->query_unavailable));
               // Only the caller's own queries: ids are scoped by principal.
               if (!ctx->query->Cancel(request.principal.name + "/" + std::string(request.Param("id")))) {
                 return respond(ProblemResponse(NotFound("no running query " + std::string(request.Param("id")))));
               }
               HttpResponse response;
               response.status = 204;
               response.content_type.clear();
               respond(std::move(response));
             });
}

}  // namespace eventlake::server
