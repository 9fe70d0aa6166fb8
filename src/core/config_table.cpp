// The non-template half of config tables: value syntax (durations, byte
// sizes, numbers), error messages and the Markdown reference.
//
// Scalars are read from their text with std::from_chars rather than yaml-cpp's
// conversions, which accept YAML 1.1 spellings ("yes", "on", "0x10") and would
// let a typo through. A quoted number ("4") is accepted: YAML users quote
// freely, and the value is still checked.
#include "core/config_table.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace eventlake::config {
namespace {

using std::chrono::milliseconds;

struct Unit {
  std::string_view name;
  uint64_t factor;
};

// Largest first: FormatDuration picks the first exact one.
constexpr Unit kDurationUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};

// Largest first, binary before decimal of the same rank.
constexpr Unit kByteUnits[] = {{"TiB", 1ull << 40}, {"TB", 1'000'000'000'000},
                               {"GiB", 1ull << 30}, {"GB", 1'000'000'000},
                               {"MiB", 1ull << 20}, {"MB", 1'000'000},
                               {"KiB", 1ull << 10}, {"KB", 1000},
                               {"kB", 1000},        {"B", 1}};

// Leading decimal digits of `text` (consumed) as a number; false if there are
// none or they overflow.
bool TakeNumber(std::string_view* text, uint64_t* value) {
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *value);
  if (ec != std::errc() || end == text->data()) return false;
  text->remove_prefix(static_cast<size_t>(end - text->data()));
  return true;
}

// value * factor, false on overflow past `limit`.
bool Scale(uint64_t value, uint64_t factor, uint64_t limit, uint64_t* out) {
  if (factor != 0 && value > limit / factor) return false;
  *out = value * factor;
  return true;
}

std::string Quote(std::string_view raw) {
  std::string out = "\"";
  out.append(raw.substr(0, 64));
  if (raw.size() > 64) out.append("...");
  return out + "\"";
}

// "<path>: <problem>", with ", got <raw>" unless the field is secret.
Status ValueError(const std::string& path, const FieldOptions& o, std::string_view problem,
                  std::string_view got) {
  std::string message = path + ": " + std::string(problem);
  if (!o.secret && !got.empty()) message += ", got " + std::string(got);
  return InvalidArgument(std::move(message));
}

// The node's text, which lives as long as the node.
Result<std::string_view> ScalarText(const YAML::Node& n, const std::string& path,
                                    std::string_view expected) {
  if (n.IsScalar()) return std::string_view(n.Scalar());
  return Err(InvalidArgument(path + ": expected " + std::string(expected) + ", got " +
                             std::string(internal::Describe(n))));
}

std::string FormatNumber(double v) {
  char buffer[64];
  auto r = std::to_chars(buffer, buffer + sizeof(buffer), v);
  return std::string(buffer, r.ptr);
}

std::string FormatBound(internal::Kind kind, double v) {
  switch (kind) {
    case internal::Kind::kByteSize:
      return FormatByteSize(static_cast<uint64_t>(v));
    case internal::Kind::kDuration:
      return FormatDuration(milliseconds(static_cast<int64_t>(v)));
    default:
      return FormatNumber(v);
  }
}

// "between 1 and 1024", "at least 1", "at most 9", or "" without bounds.
std::string BoundsText(internal::Kind kind, const FieldOptions& o) {
  if (o.min && o.max) {
    return "between " + FormatBound(kind, *o.min) + " and " + FormatBound(kind, *o.max);
  }
  if (o.min) return "at least " + FormatBound(kind, *o.min);
  if (o.max) return "at most " + FormatBound(kind, *o.max);
  return "";
}

Status CheckBounds(long double value, std::string_view raw, internal::Kind kind,
                   const std::string& path, const FieldOptions& o) {
  // long double holds every int64 and uint64 exactly, so edges compare right.
  if ((o.min && value < static_cast<long double>(*o.min)) ||
      (o.max && value > static_cast<long double>(*o.max))) {
    return ValueError(path, o, "must be " + BoundsText(kind, o), raw);
  }
  return Status::Ok();
}

std::string EscapeCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Err(InvalidArgument("invalid duration " + Quote(text) +
                               ": expected a whole number and a unit (ms, s, m, h, d), such as "
                               "250ms, 10s, 7d or 1h30m"));
  };
  if (text == "0") return milliseconds(0);
  if (text.empty()) return bad();
  uint64_t total = 0;
  constexpr auto kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  std::string_view rest = text;
  while (!rest.empty()) {
    uint64_t value = 0;
    if (!TakeNumber(&rest, &value)) return bad();
    size_t unit_length = 0;
    while (unit_length < rest.size() && rest[unit_length] >= 'a' && rest[unit_length] <= 'z') {
      ++unit_length;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kDurationUnits) {
      if (u.name == rest.substr(0, unit_length)) unit = &u;
    }
    uint64_t part = 0;
    if (unit == nullptr || !Scale(value, unit->factor, kLimit, &part) || part > kLimit - total) {
      return bad();
    }
    total += part;
    rest.remove_prefix(unit_length);
  }
  return milliseconds(static_cast<int64_t>(total));
}

std::string FormatDuration(milliseconds duration) {
  int64_t ms = duration.count();
  if (ms == 0) return "0";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t magnitude = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  for (const Unit& u : kDurationUnits) {
    if (magnitude % u.factor == 0) {
      return sign + std::to_string(magnitude / u.factor) + std::string(u.name);
    }
  }
  return sign + std::to_string(magnitude) + "ms";  // unreachable: ms divides everything
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  std::string_view rest = text;
  uint64_t value = 0;
  if (TakeNumber(&rest, &value)) {
    if (rest.empty()) return value;
    for (const Unit& u : kByteUnits) {
      uint64_t bytes = 0;
      if (u.name == rest && Scale(value, u.factor, UINT64_MAX, &bytes)) return bytes;
    }
  }
  return Err(InvalidArgument("invalid byte size " + Quote(text) +
                             ": expected a whole number, optionally followed by B, KB, MB, GB, "
                             "TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)"));
}

std::string FormatByteSize(uint64_t bytes) {
  if (bytes == 0) return "0";
  for (const Unit& u : kByteUnits) {
    if (u.factor > 1 && bytes % u.factor == 0) {
      return std::to_string(bytes / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(bytes);
}

Result<YAML::Node> LoadYaml(std::string_view text, std::string_view source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    char where[32];
    std::snprintf(where, sizeof(where), ":%d:%d: ", e.mark.line + 1, e.mark.column + 1);
    return Err(InvalidArgument(std::string(source) + where + e.msg));
  } catch (const std::exception& e) {
    return Err(InvalidArgument(std::string(source) + ": " + e.what()));
  }
}

namespace internal {

std::string JoinPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string_view Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
  }
  return "something else";
}

void DieMisdeclared(std::string_view table, std::string_view key, std::string_view problem) {
  std::fprintf(stderr, "eventlake: config table %.*s: key %.*s: %.*s\n",
               static_cast<int>(table.size()), table.data(), static_cast<int>(key.size()),
               key.data(), static_cast<int>(problem.size()), problem.data());
  std::abort();
}

Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o, bool* out) {
  EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(n, path, "true or false"));
  if (text == "true" || text == "True" || text == "TRUE") {
    *out = true;
  } else if (text == "false" || text == "False" || text == "FALSE") {
    *out = false;
  } else {
    return ValueError(path, o, "expected true or false", Quote(text));
  }
  return Status::Ok();
}

Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  double* out) {
  EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(n, path, "a number"));
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return ValueError(path, o, "expected a number", Quote(text));
  }
  EL_RETURN_IF_ERROR(CheckBounds(v, text, Kind::kNumber, path, o));
  *out = v;
  return Status::Ok();
}

Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  std::string* out) {
  EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(n, path, "a string"));
  if (!o.choices.empty()) EL_RETURN_IF_ERROR(EnumText(n, path, o.choices));
  out->assign(text);
  return Status::Ok();
}

Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  std::vector<std::string>* out) {
  if (IsAbsent(n)) {
    out->clear();
    return CheckCount(0, path, o);
  }
  if (!n.IsSequence()) {
    return InvalidArgument(path + ": expected a list of strings, got " + std::string(Describe(n)));
  }
  std::vector<std::string> items;
  for (const YAML::Node& item : n) {
    std::string item_path = path + "[" + std::to_string(items.size()) + "]";
    EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(item, item_path, "a string"));
    items.emplace_back(text);
  }
  EL_RETURN_IF_ERROR(CheckCount(items.size(), path, o));
  *out = std::move(items);
  return Status::Ok();
}

Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  milliseconds* out) {
  EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(n, path, "a duration"));
  Result<milliseconds> d = ParseDuration(text);
  if (!d.has_value()) return d.error().WithContext(path);
  EL_RETURN_IF_ERROR(CheckBounds(d->count(), text, Kind::kDuration, path, o));
  *out = *d;
  return Status::Ok();
}

Status ParseSigned(const YAML::Node& n, const std::string& path, const FieldOptions& o, int64_t lo,
                   int64_t hi, int64_t* out) {
  EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(n, path, "an integer"));
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return ValueError(path, o, "expected an integer", Quote(text));
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    return ValueError(path, o,
                      "must be between " + std::to_string(lo) + " and " + std::to_string(hi), text);
  }
  EL_RETURN_IF_ERROR(CheckBounds(v, text, Kind::kInteger, path, o));
  *out = v;
  return Status::Ok();
}

Status ParseUnsigned(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                     uint64_t hi, uint64_t* out) {
  const Kind kind = o.bytes ? Kind::kByteSize : Kind::kInteger;
  EL_ASSIGN_OR_RETURN(std::string_view text,
                      ScalarText(n, path, o.bytes ? "a byte size" : "an integer"));
  uint64_t v = 0;
  bool in_range = true;
  if (o.bytes) {
    Result<uint64_t> size = ParseByteSize(text);
    if (!size.has_value()) return size.error().WithContext(path);
    v = *size;
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::invalid_argument || end != text.data() + text.size()) {
      return ValueError(path, o, "expected a non-negative integer", Quote(text));
    }
    in_range = ec != std::errc::result_out_of_range;
  }
  if (!in_range || v > hi) {
    std::string limit = o.bytes ? FormatByteSize(hi) : std::to_string(hi);
    return ValueError(path, o, "must be between 0 and " + limit, text);
  }
  EL_RETURN_IF_ERROR(CheckBounds(v, text, kind, path, o));
  *out = v;
  return Status::Ok();
}

Result<std::string> EnumText(const YAML::Node& n, const std::string& path,
                             const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  EL_ASSIGN_OR_RETURN(std::string_view text, ScalarText(n, path, "one of " + list));
  for (const std::string& name : names) {
    if (name == text) return name;
  }
  return Err(InvalidArgument(path + ": must be one of " + list + ", got " + Quote(text)));
}

Status CheckCount(size_t count, const std::string& path, const FieldOptions& o) {
  if ((o.min && static_cast<double>(count) < *o.min) ||
      (o.max && static_cast<double>(count) > *o.max)) {
    return InvalidArgument(path + ": must have " + BoundsText(Kind::kList, o) + " entries, got " +
                           std::to_string(count));
  }
  return Status::Ok();
}

std::string ShowValue(bool v, const FieldOptions&) { return v ? "true" : "false"; }
std::string ShowValue(double v, const FieldOptions&) { return FormatNumber(v); }
std::string ShowValue(const std::string& v, const FieldOptions&) { return v.empty() ? "\"\"" : v; }
std::string ShowValue(const std::vector<std::string>& v, const FieldOptions&) {
  std::string out = "[";
  for (const std::string& item : v) out += (out.size() > 1 ? ", " : "") + item;
  return out + "]";
}
std::string ShowValue(milliseconds v, const FieldOptions&) { return FormatDuration(v); }
std::string ShowValue(int64_t v, const FieldOptions&) { return std::to_string(v); }
std::string ShowValue(uint64_t v, const FieldOptions& o) {
  return o.bytes ? FormatByteSize(v) : std::to_string(v);
}

namespace {

constexpr int kMaxYamlDepth = 32;

Status YamlToJson(const YAML::Node& n, const std::string& path, int depth, nlohmann::json* out) {
  if (depth > kMaxYamlDepth) return InvalidArgument(path + ": nested more than 32 levels deep");
  if (!n.IsDefined() || n.IsNull()) {
    *out = nullptr;
  } else if (n.IsMap()) {
    *out = nlohmann::json::object();
    for (const auto& entry : n) {
      if (!entry.first.IsScalar()) return InvalidArgument(path + ": a key that is not a scalar");
      const std::string key = entry.first.Scalar();
      if (out->contains(key)) return InvalidArgument(JoinPath(path, key) + ": given twice");
      EL_RETURN_IF_ERROR(YamlToJson(entry.second, JoinPath(path, key), depth + 1, &(*out)[key]));
    }
  } else if (n.IsSequence()) {
    *out = nlohmann::json::array();
    for (const YAML::Node& item : n) {
      nlohmann::json value;
      EL_RETURN_IF_ERROR(YamlToJson(item, path + "[" + std::to_string(out->size()) + "]", depth + 1, &value));
      out->push_back(std::move(value));
    }
  } else {
    const std::string& text = n.Scalar();
    // A quoted scalar ("5", 'true') is a string; a plain one may be a
    // boolean, an integer or a number as YAML 1.2's core schema reads it.
    if (n.Tag() != "!") {
      if (text == "true" || text == "false") {
        *out = text == "true";
        return Status::Ok();
      }
      int64_t integer = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
      if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
        *out = integer;
        return Status::Ok();
      }
      double number = 0;
      auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (dec == std::errc() && dend == text.data() + text.size() && !text.empty() && text.find_first_of(".eE") != std::string::npos) {
        *out = number;
        return Status::Ok();
      }
    }
    *out = text;
  }
  return Status::Ok();
}

}  // namespace

Status ParseYaml(const YAML::Node& n, const std::string& path, nlohmann::json* out) {
  return YamlToJson(n, path, 0, out);
}

std::string ShowYaml(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_array() && v.empty()) return "[]";
  return v.dump();
}

std::string TypeName(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return "bool";
    case Kind::kInteger:
      return "integer";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kStringList:
      return "list of strings";
    case Kind::kDuration:
      return "duration";
    case Kind::kByteSize:
      return "byte size";
    case Kind::kEnum:
      return "string";
    case Kind::kSection:
      return "map";
    case Kind::kList:
      return "list of maps";
    case Kind::kYaml:
      return "YAML";
  }
  return "?";
}

std::string Constraints(Kind kind, const FieldOptions& o, const std::vector<std::string>& names) {
  std::string out;
  if (!names.empty()) {
    out += " One of ";
    for (size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", `" : "`") + names[i] + "`";
    out += ".";
  }
  std::string bounds = BoundsText(kind, o);
  if (!bounds.empty()) {
    bounds[0] = static_cast<char>(bounds[0] - 'a' + 'A');
    out += " " + bounds + (kind == Kind::kList || kind == Kind::kStringList ? " entries." : ".");
  }
  return out;
}

std::string RenderReference(std::string_view path, std::string_view description,
                            const std::vector<ReferenceRow>& rows) {
  std::string out = path.empty() ? "## Top level\n\n" : "## `" + std::string(path) + "`\n\n";
  if (!description.empty()) out += std::string(description) + "\n\n";
  out += "| key | type | default | description |\n|---|---|---|---|\n";
  for (const ReferenceRow& row : rows) {
    std::string value = EscapeCell(row.default_value);
    if (row.default_is_code && !value.empty()) value = "`" + value + "`";
    out += "| `" + row.key + "` | " + row.type + " | " + value + " | " +
           EscapeCell(row.description) + " |\n";
  }
  return out + "\n";
}

}  // namespace internal
}  // namespace eventlake::config
