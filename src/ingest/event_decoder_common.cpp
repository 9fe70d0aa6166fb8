// Shared pieces of EventDecoder: attribute rules of the core spec applied to
// string values (structured members and binary headers alike), pointers,
// problems from simdjson errors, and the string-length walk.
#include <algorithm>

#include "ingest/attribute_rules.h"
#include "ingest/event_decoder_internal.h"

namespace eventlake::ingest::decoder_internal {
namespace {

// The instants FormatRfc3339 can write back: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999Z. An offset can move a valid local time outside.
constexpr TimestampMicros kMinTime = -62'135'596'800'000'000;
constexpr TimestampMicros kMaxTime = 253'402'300'799'999'999;

constexpr std::string_view kAttributeNames[] = {
    "specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time",
};

std::optional<IngestProblem> Bad(std::string_view name, std::string_view what,
                                 std::string_view prefix) {
  return BadAttribute(name, what, prefix);
}

// True when a string or key under `element` is longer than `max_bytes`; then
// *path holds the pointer tokens leading to it, innermost first.
bool FindLongString(simdjson::dom::element element, size_t max_bytes,
                    std::vector<std::string>* path, bool* is_key) {
  switch (element.type()) {
    case simdjson::dom::element_type::STRING:
      return element.get_string_length().value_unsafe() > max_bytes;
    case simdjson::dom::element_type::ARRAY: {
      size_t i = 0;
      simdjson::dom::array array = element.get_array().value_unsafe();
      for (simdjson::dom::element child : array) {
        if (FindLongString(child, max_bytes, path, is_key)) {
          path->push_back(std::to_string(i));
          return true;
        }
        ++i;
      }
      return false;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object object = element.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair field : object) {
        *is_key = field.key.size() > max_bytes;
        if (*is_key || FindLongString(field.value, max_bytes, path, is_key)) {
          path->push_back(std::string(field.key));
          return true;
        }
      }
      return false;
    }
    default:
      return false;
  }
}

}  // namespace

std::string MemberPointer(std::string_view prefix, std::string_view token) {
  std::string out(prefix);
  out.push_back('/');
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string IndexPointer(std::string_view prefix, size_t index) {
  return std::string(prefix) + "/" + std::to_string(index);
}

std::string Shown(std::string_view text) {
  if (text.size() <= 64) return std::string(text);
  size_t cut = 64;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

IngestProblem JsonErrorProblem(simdjson::error_code error, std::string_view what,
                               std::string pointer) {
  std::string subject(what);
  switch (error) {
    case simdjson::DEPTH_ERROR:
      return MakeProblem(ProblemType::kTooDeep, subject + " nests arrays and objects too deep",
                         std::move(pointer));
    case simdjson::UTF8_ERROR:
      return MakeProblem(ProblemType::kInvalidUtf8, subject + " is not valid UTF-8",
                         std::move(pointer));
    case simdjson::NUMBER_ERROR:
      return MakeProblem(ProblemType::kMalformedJson,
                         subject +
                             " holds a number out of range (integers must fit in 64 "
                             "bits, other numbers in a double)",
                         std::move(pointer));
    case simdjson::CAPACITY:
      return MakeProblem(ProblemType::kBodyTooLarge, subject + " is larger than the parser allows",
                         std::move(pointer));
    case simdjson::EMPTY:
      return MakeProblem(ProblemType::kMalformedJson, subject + " is empty", std::move(pointer));
    default:
      return MakeProblem(ProblemType::kMalformedJson,
                         subject + " is not valid JSON: " + simdjson::error_message(error),
                         std::move(pointer));
  }
}

std::optional<IngestProblem> CheckStringLengths(simdjson::dom::element element, size_t max_bytes,
                                                const std::string& pointer) {
  std::vector<std::string> path;  // tokens from the culprit up, filled only on failure
  bool is_key = false;
  if (!FindLongString(element, max_bytes, &path, &is_key)) return std::nullopt;
  std::string where = pointer;
  for (auto it = path.rbegin(); it != path.rend(); ++it) where = MemberPointer(where, *it);
  return MakeProblem(ProblemType::kStringTooLong,
                     std::string(is_key ? "a key" : "a string") + " is longer than " +
                         std::to_string(max_bytes) + " bytes",
                     std::move(where));
}

Attribute CoreAttribute(std::string_view name) {
  for (size_t i = 0; i < std::size(kAttributeNames); ++i) {
    if (kAttributeNames[i] == name) return static_cast<Attribute>(i);
  }
  return Attribute::kNone;
}

std::string_view AttributeName(Attribute attribute) {
  return kAttributeNames[static_cast<size_t>(attribute)];
}

IngestProblem BadAttribute(std::string_view name, std::string_view what, std::string_view prefix) {
  return InvalidEvent("attribute '" + std::string(name) + "' " + std::string(what),
                      MemberPointer(prefix, name));
}

std::optional<IngestProblem> CheckString(std::string_view name, std::string_view value,
                                         const IngestLimits& limits, std::string_view prefix,
                                         bool allow_empty) {
  if (value.empty() && !allow_empty) return Bad(name, "must not be empty", prefix);
  if (value.size() > limits.max_attribute_bytes) {
    return Bad(name, "is longer than " + std::to_string(limits.max_attribute_bytes) + " bytes",
               prefix);
  }
  if (auto c = FindDisallowedCharacter(value)) {
    return Bad(name, "holds the disallowed character " + CodePointName(*c), prefix);
  }
  return std::nullopt;
}

std::optional<IngestProblem> SetCoreAttribute(Attribute attribute, std::string_view value,
                                              const IngestLimits& limits, std::string_view prefix,
                                              CloudEvent* event) {
  std::string_view name = AttributeName(attribute);
  if (attribute == Attribute::kSpecVersion) {
    if (value != "1.0") return Bad(name, "must be \"1.0\", got \"" + Shown(value) + "\"", prefix);
    event->spec_version = "1.0";
    return std::nullopt;
  }
  if (auto problem = CheckString(name, value, limits, prefix)) return problem;
  switch (attribute) {
    case Attribute::kId:
      event->id = value;
      break;
    case Attribute::kSource:
      event->source = value;
      break;
    case Attribute::kType:
      event->type = value;
      break;
    case Attribute::kDataContentType:
      if (!IsValidMediaType(value)) return Bad(name, "is not a media type (type/subtype)", prefix);
      event->data_content_type = std::string(value);
      break;
    case Attribute::kDataSchema:
      if (!IsAbsoluteUri(value)) return Bad(name, "is not an absolute URI", prefix);
      event->data_schema = std::string(value);
      break;
    case Attribute::kSubject:
      event->subject = std::string(value);
      break;
    case Attribute::kTime: {
      auto time = ParseRfc3339(value);
      if (!time) return Bad(name, "is not an RFC 3339 timestamp: \"" + Shown(value) + "\"", prefix);
      if (*time < kMinTime || *time > kMaxTime) {
        return Bad(name, "is outside the years 0001 to 9999 in UTC", prefix);
      }
      event->time = *time;
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

std::optional<IngestProblem> CheckRequired(uint32_t seen, std::string_view prefix) {
  for (Attribute a :
       {Attribute::kSpecVersion, Attribute::kId, Attribute::kSource, Attribute::kType}) {
    if ((seen & Bit(a)) == 0) {
      return Bad(AttributeName(a), "is required", prefix);
    }
  }
  return std::nullopt;
}

std::optional<std::string> FindDuplicateExtension(const std::vector<Extension>& extensions) {
  if (extensions.size() <= 8) {
    for (size_t i = 0; i < extensions.size(); ++i) {
      for (size_t j = i + 1; j < extensions.size(); ++j) {
        if (extensions[i].name == extensions[j].name) return extensions[i].name;
      }
    }
    return std::nullopt;
  }
  std::vector<std::string_view> names;
  names.reserve(extensions.size());
  for (const Extension& e : extensions) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup == names.end()) return std::nullopt;
  return std::string(*dup);
}

}  // namespace eventlake::ingest::decoder_internal
