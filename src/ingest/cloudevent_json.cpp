// CloudEvents JSON format output, written by hand (reads of the log render
// many events and should not build a DOM per event), and the cheap JSON
// limit pre-check.
#include "ingest/cloudevent_json.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "ingest/attribute_rules.h"
#include "core/base64.h"
#include "ingest/json_text.h"

namespace eventlake::ingest {
namespace {

using Json = nlohmann::ordered_json;

void AppendMember(std::string_view name, std::string_view value, std::string* out) {
  out->push_back(',');
  AppendJsonString(name, out);
  out->push_back(':');
  AppendJsonString(value, out);
}

void AppendData(const CloudEvent& event, std::string* out) {
  if (event.data_is_binary) {
    out->append(",\"data_base64\":\"");
    AppendBase64(event.data, out);
    out->push_back('"');
    return;
  }
  if (event.data.empty()) return;
  bool json_type = !event.data_content_type || IsJsonMediaType(*event.data_content_type);
  if (json_type && Json::accept(event.data)) {
    out->append(",\"data\":");
    out->append(event.data);
  } else if (IsValidUtf8(event.data)) {
    AppendMember("data", event.data, out);
  } else {
    out->append(",\"data_base64\":\"");
    AppendBase64(event.data, out);
    out->push_back('"');
  }
}

}  // namespace

Status CheckJsonLimits(std::string_view json, const JsonLimits& limits) {
  size_t depth = 0;
  size_t string_start = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (i - string_start > limits.max_string) {
          return InvalidArgument("a JSON string is longer than " +
                                 std::to_string(limits.max_string) + " bytes");
        }
      }
    } else if (c == '"') {
      in_string = true;
      string_start = i + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > limits.max_depth) {
        return InvalidArgument("JSON nested deeper than " + std::to_string(limits.max_depth));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  if (in_string && json.size() - string_start > limits.max_string) {
    return InvalidArgument("a JSON string is longer than " + std::to_string(limits.max_string) +
                           " bytes");
  }
  return Status::Ok();
}

void AppendStructuredJson(const CloudEvent& event, std::string* out) {
  out->append("{\"specversion\":");
  AppendJsonString(event.spec_version, out);
  AppendMember("id", event.id, out);
  AppendMember("source", event.source, out);
  AppendMember("type", event.type, out);
  if (event.data_content_type) AppendMember("datacontenttype", *event.data_content_type, out);
  if (event.data_schema) AppendMember("dataschema", *event.data_schema, out);
  if (event.subject) AppendMember("subject", *event.subject, out);
  if (event.time) AppendMember("time", FormatRfc3339(*event.time), out);
  for (const Extension& ext : event.extensions) {
    out->push_back(',');
    AppendJsonString(ext.name, out);
    out->push_back(':');
    if (const auto* s = std::get_if<std::string>(&ext.value)) {
      AppendJsonString(*s, out);
    } else if (const auto* b = std::get_if<bool>(&ext.value)) {
      out->append(*b ? "true" : "false");
    } else {
      out->append(std::to_string(std::get<int64_t>(ext.value)));
    }
  }
  AppendData(event, out);
  out->push_back('}');
}

std::string ToStructuredJson(const CloudEvent& event) {
  std::string out;
  AppendStructuredJson(event, &out);
  return out;
}

}  // namespace eventlake::ingest
