// CloudEvents JSON format: nlohmann's ordered DOM for parsing (so extensions
// and data keep their arrival order), a hand-written writer for output (reads
// of the log render many events and should not build a DOM per event).
#include "ingest/cloudevent_json.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "ingest/base64.h"
#include "ingest/json_text.h"

namespace eventlake::ingest {
namespace {

using Json = nlohmann::ordered_json;

// nlohmann messages start with "[json.exception.parse_error.101] "; keep the rest.
std::string StripNlohmannPrefix(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return std::string(what);
}

Result<Json> ParseJson(std::string_view json, const JsonLimits& limits) {
  EL_RETURN_IF_ERROR(CheckJsonLimits(json, limits));
  try {
    return Json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return Err(InvalidArgument("malformed JSON: " + StripNlohmannPrefix(e.what())));
  }
}

Status BadAttribute(std::string_view name, std::string_view what) {
  return InvalidArgument("attribute '" + std::string(name) + "' " + std::string(what));
}

Result<std::string> NonEmptyString(const Json& value, std::string_view name) {
  if (!value.is_string()) return Err(BadAttribute(name, "must be a string"));
  const auto& s = value.get_ref<const std::string&>();
  if (s.empty()) return Err(BadAttribute(name, "must not be empty"));
  return s;
}

Result<ExtensionValue> ExtensionFromJson(const Json& value, std::string_view name) {
  if (value.is_string()) return ExtensionValue(value.get<std::string>());
  if (value.is_boolean()) return ExtensionValue(value.get<bool>());
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Err(BadAttribute(name, "is an integer out of range"));
    }
    return ExtensionValue(value.get<int64_t>());
  }
  return Err(BadAttribute(name, "must be a string, an integer or a boolean"));
}

// Fills `event`'s data from the `data` member, per the content type.
void SetDataFromJson(const Json& data, CloudEvent* event) {
  if (data.is_null()) return;
  const auto& type = event->data_content_type;
  if (data.is_string() && type.has_value() && !IsJsonContentType(*type)) {
    event->data = data.get<std::string>();
  } else {
    event->data = data.dump();
  }
}

// One member of the event object that is a context attribute or an extension.
Status SetAttribute(const std::string& name, const Json& value, CloudEvent* event) {
  if (name == "id") {
    EL_ASSIGN_OR_RETURN(event->id, NonEmptyString(value, name));
  } else if (name == "source") {
    EL_ASSIGN_OR_RETURN(event->source, NonEmptyString(value, name));
  } else if (name == "type") {
    EL_ASSIGN_OR_RETURN(event->type, NonEmptyString(value, name));
  } else if (name == "specversion") {
    if (!value.is_string() || value.get_ref<const std::string&>() != "1.0") {
      return BadAttribute(name, "must be \"1.0\"");
    }
    event->spec_version = "1.0";
  } else if (value.is_null()) {
    return Status::Ok();  // optional attributes and extensions: null is absent
  } else if (name == "datacontenttype") {
    EL_ASSIGN_OR_RETURN(event->data_content_type, NonEmptyString(value, name));
  } else if (name == "dataschema") {
    EL_ASSIGN_OR_RETURN(event->data_schema, NonEmptyString(value, name));
  } else if (name == "subject") {
    EL_ASSIGN_OR_RETURN(event->subject, NonEmptyString(value, name));
  } else if (name == "time") {
    EL_ASSIGN_OR_RETURN(std::string text, NonEmptyString(value, name));
    auto time = ParseRfc3339(text);
    if (!time) return BadAttribute(name, "is not an RFC 3339 timestamp: " + time.error().message());
    event->time = *time;
  } else {
    if (!IsValidExtensionName(name)) {
      return InvalidArgument("extension attribute name '" + name +
                             "' is invalid: use 1..20 characters of a-z and 0-9");
    }
    EL_ASSIGN_OR_RETURN(ExtensionValue ext, ExtensionFromJson(value, name));
    event->extensions.push_back({name, std::move(ext)});
  }
  return Status::Ok();
}

Result<CloudEvent> EventFromJson(const Json& object) {
  if (!object.is_object()) return Err(InvalidArgument("a CloudEvent must be a JSON object"));
  CloudEvent event;
  event.spec_version.clear();
  const Json* data = nullptr;
  const Json* data_base64 = nullptr;
  for (const auto& [name, value] : object.items()) {
    if (name == "data") {
      data = &value;
    } else if (name == "data_base64") {
      data_base64 = &value;
    } else {
      EL_RETURN_IF_ERROR(SetAttribute(name, value, &event));
    }
  }
  for (const char* required : {"specversion", "id", "source", "type"}) {
    if (!object.contains(required)) return Err(BadAttribute(required, "is required"));
  }
  if (data != nullptr && data_base64 != nullptr) {
    return Err(InvalidArgument("'data' and 'data_base64' are mutually exclusive"));
  }
  if (data_base64 != nullptr && !data_base64->is_null()) {
    if (!data_base64->is_string()) return Err(BadAttribute("data_base64", "must be a string"));
    auto bytes = DecodeBase64(data_base64->get_ref<const std::string&>());
    if (!bytes) return Err(BadAttribute("data_base64", "is not valid: " + bytes.error().message()));
    event.data = std::move(*bytes);
    event.data_is_binary = true;
  } else if (data != nullptr) {
    SetDataFromJson(*data, &event);
  }
  return event;
}

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
  bool json_type = !event.data_content_type || IsJsonContentType(*event.data_content_type);
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

Result<CloudEvent> ParseStructuredEvent(std::string_view json, const JsonLimits& limits) {
  try {
    EL_ASSIGN_OR_RETURN(Json object, ParseJson(json, limits));
    return EventFromJson(object);
  } catch (const nlohmann::json::exception& e) {
    return Err(InvalidArgument("bad CloudEvent: " + StripNlohmannPrefix(e.what())));
  }
}

Result<std::vector<CloudEvent>> ParseBatch(std::string_view json, const JsonLimits& limits) {
  try {
    EL_ASSIGN_OR_RETURN(Json array, ParseJson(json, limits));
    if (!array.is_array()) return Err(InvalidArgument("a batch must be a JSON array of events"));
    if (array.size() > limits.max_events) {
      return Err(InvalidArgument("a batch holds at most " + std::to_string(limits.max_events) +
                                 " events, got " + std::to_string(array.size())));
    }
    std::vector<CloudEvent> events;
    events.reserve(array.size());
    for (size_t i = 0; i < array.size(); ++i) {
      auto event = EventFromJson(array[i]);
      if (!event) return Err(event.error().WithContext("event [" + std::to_string(i) + "]"));
      events.push_back(std::move(*event));
    }
    return events;
  } catch (const nlohmann::json::exception& e) {
    return Err(InvalidArgument("bad CloudEvents batch: " + StripNlohmannPrefix(e.what())));
  }
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

bool IsJsonContentType(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  if (semicolon != std::string_view::npos) content_type = content_type.substr(0, semicolon);
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t')) {
    content_type.remove_suffix(1);
  }
  std::string lower;
  lower.reserve(content_type.size());
  for (char c : content_type) lower.push_back(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  return lower == "application/json" || lower == "text/json" || lower.ends_with("+json");
}

bool IsValidExtensionName(std::string_view name) {
  if (name.empty() || name.size() > 20) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace eventlake::ingest
