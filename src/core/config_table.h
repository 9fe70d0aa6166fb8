// Typed option tables: each component declares its options once, in one
// table (key, type, default, bounds, description, secret), and gets from it
// the YAML parser with errors that name the key's full path and the Markdown
// reference for docs/configuration.md. Defaults are the struct's member
// initialisers, so the documentation cannot drift from the code.
//
// Usage:
//
//   struct ServerOptions {                      // defaults live here
//     std::string listen = "127.0.0.1:8080";
//     uint64_t max_body_bytes = 8 << 20;
//     std::chrono::milliseconds idle_timeout{60'000};
//     Mode mode = Mode::kFast;
//     TlsOptions tls;
//     std::vector<SourceOptions> sources;
//   };
//
//   const config::Table<ServerOptions>& ServerOptionsTable() {
//     static const auto& table =
//         (new config::Table<ServerOptions>("server", "The HTTP listener."))
//             ->Field("listen", &ServerOptions::listen, "host:port to listen on.")
//             .Field("max_body_bytes", &ServerOptions::max_body_bytes, "Largest body.",
//                    {.min = 1024, .bytes = true})
//             .Field("idle_timeout", &ServerOptions::idle_timeout, "Idle keep-alive.",
//                    {.min = 1})                       // durations: bounds in ms
//             .Enum("mode", &ServerOptions::mode, "How to run.",
//                   {{"fast", Mode::kFast}, {"safe", Mode::kSafe}})
//             .Section("tls", &ServerOptions::tls, TlsOptionsTable())
//             .List("sources", &ServerOptions::sources, SourceOptionsTable())
//             .Check(&ValidateServerOptions);       // cross-field rules, after parsing
//     return table;
//   }
//
//   ServerOptions options;  // starts from the defaults
//   EL_RETURN_IF_ERROR(ServerOptionsTable().Parse(root["server"], "server", &options));
//   std::string markdown = ServerOptionsTable().Reference();
//
// Field types: bool, int32_t, uint32_t, int64_t, uint64_t (written as byte
// sizes such as "64MiB" with {.bytes = true}, unsigned only), double,
// std::string (optionally restricted to {.choices = {...}}),
// std::vector<std::string>, std::chrono::milliseconds (written "250ms", "10s",
// "5m", "2h", "7d", "1h30m" or "0"), enums via Enum(), nested structs via
// Section(), lists of structs via List(), and any subtree as nlohmann::json
// via Yaml() (the struct's header includes <nlohmann/json.hpp>). FieldOptions must be written in
// declaration order (C++ designated initialisers): required, secret, min, max,
// bytes, choices.
//
// Tables are built once (usually function-local statics that are never
// destroyed) and are immutable and thread-safe afterwards. A table given to
// Section() or List() must outlive the table that refers to it. Declaring a
// key twice, or {.bytes = true} on a field that is not unsigned, aborts: it is
// a programmer error.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/status.h"

namespace eventlake::config {

struct FieldOptions {
  bool required = false;  // the key must be present; documented as "required"
  bool secret = false;    // never echoed in errors; documented as "(secret)"
  // Inclusive bounds in the field's unit: the value for numbers, bytes for byte
  // sizes, milliseconds for durations, the number of entries for lists.
  std::optional<double> min;
  std::optional<double> max;
  bool bytes = false;                // unsigned integers: written as a byte size
  std::vector<std::string> choices;  // std::string: the only values allowed
};

// "250ms", "10s", "5m", "2h", "7d", compounds such as "1h30m", and "0". A unit
// is required: a bare "10" is an error, not ten seconds.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// The largest unit that is exact: 7d, 90m, 1500ms, 0.
std::string FormatDuration(std::chrono::milliseconds duration);

// "512", "512B", "64KiB", "64MiB", "1GiB", "1TiB" (powers of 1024) and "10KB"
// (or "10kB"), "10MB", "1GB", "1TB" (powers of 1000).
Result<uint64_t> ParseByteSize(std::string_view text);
// The largest unit that is exact: 64MiB, 10MB, 1000, 0.
std::string FormatByteSize(uint64_t bytes);

// YAML text to a node; syntax errors become InvalidArgument
// "<source>:<line>:<column>: <problem>". Never throws.
Result<YAML::Node> LoadYaml(std::string_view text, std::string_view source);

namespace internal {

enum class Kind {
  kBool,
  kInteger,
  kNumber,
  kString,
  kStringList,
  kDuration,
  kByteSize,
  kEnum,
  kSection,
  kList,
  kYaml
};

template <typename T>
inline constexpr bool kIsIntegerField = std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t> ||
                                        std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>;

template <typename T>
inline constexpr bool kIsScalarField =
    kIsIntegerField<T> || std::is_same_v<T, bool> || std::is_same_v<T, double> ||
    std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>> ||
    std::is_same_v<T, std::chrono::milliseconds>;

template <typename T>
Kind KindOf(const FieldOptions& options) {
  if constexpr (std::is_same_v<T, bool>) return Kind::kBool;
  if constexpr (kIsIntegerField<T>) return options.bytes ? Kind::kByteSize : Kind::kInteger;
  if constexpr (std::is_same_v<T, double>) return Kind::kNumber;
  if constexpr (std::is_same_v<T, std::string>) return Kind::kString;
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return Kind::kStringList;
  if constexpr (std::is_same_v<T, std::chrono::milliseconds>) return Kind::kDuration;
}

// "a.b" from ("a", "b"); "b" from ("", "b").
std::string JoinPath(std::string_view path, std::string_view key);
// True for a null node (`key:` or `key: ~`) and for a key that is not there:
// both mean "no entries".
inline bool IsAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }
// "a map", "a list", "null", "a scalar": for "expected X, got Y" messages.
std::string_view Describe(const YAML::Node& node);
[[noreturn]] void DieMisdeclared(std::string_view table, std::string_view key,
                                 std::string_view problem);

// Value parsers: check the node's shape, syntax and bounds, then write *out;
// errors are InvalidArgument messages that start with `path`.
Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o, bool* out);
Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o, double* out);
Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  std::string* out);
Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  std::vector<std::string>* out);
Status ParseValue(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                  std::chrono::milliseconds* out);
Status ParseSigned(const YAML::Node& n, const std::string& path, const FieldOptions& o, int64_t lo,
                   int64_t hi, int64_t* out);
Status ParseUnsigned(const YAML::Node& n, const std::string& path, const FieldOptions& o,
                     uint64_t hi, uint64_t* out);
// The scalar text of an enum value, or an error naming the choices.
Result<std::string> EnumText(const YAML::Node& n, const std::string& path,
                             const std::vector<std::string>& names);
// Any YAML subtree as JSON (Table::Yaml); shapes are the caller's to check.
Status ParseYaml(const YAML::Node& n, const std::string& path, nlohmann::json* out);
std::string ShowYaml(const nlohmann::json& v);
// Error unless min <= count <= max.
Status CheckCount(size_t count, const std::string& path, const FieldOptions& o);

template <typename T>
requires kIsIntegerField<T> Status ParseValue(const YAML::Node& n, const std::string& path,
                                              const FieldOptions& o, T* out) {
  if constexpr (std::is_signed_v<T>) {
    int64_t v = 0;
    EL_RETURN_IF_ERROR(
        ParseSigned(n, path, o, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), &v));
    *out = static_cast<T>(v);
  } else {
    uint64_t v = 0;
    EL_RETURN_IF_ERROR(ParseUnsigned(n, path, o, std::numeric_limits<T>::max(), &v));
    *out = static_cast<T>(v);
  }
  return Status::Ok();
}

// Default values as the reference shows them.
std::string ShowValue(bool v, const FieldOptions& o);
std::string ShowValue(double v, const FieldOptions& o);
std::string ShowValue(const std::string& v, const FieldOptions& o);
std::string ShowValue(const std::vector<std::string>& v, const FieldOptions& o);
std::string ShowValue(std::chrono::milliseconds v, const FieldOptions& o);
std::string ShowValue(int64_t v, const FieldOptions& o);
std::string ShowValue(uint64_t v, const FieldOptions& o);
inline std::string ShowValue(int32_t v, const FieldOptions& o) { return ShowValue(int64_t{v}, o); }
inline std::string ShowValue(uint32_t v, const FieldOptions& o) {
  return ShowValue(uint64_t{v}, o);
}

// The reference's type column and the constraints appended to a description
// ("Between 1 and 1024.", "One of `a`, `b`.").
std::string TypeName(Kind kind);
std::string Constraints(Kind kind, const FieldOptions& o, const std::vector<std::string>& names);

struct ReferenceRow {
  std::string key;
  std::string type;
  std::string default_value;  // shown as code unless it is "required" or "(secret)"
  bool default_is_code = true;
  std::string description;
};
// A heading for `path`, the table's description and a key|type|default|description table.
std::string RenderReference(std::string_view path, std::string_view description,
                            const std::vector<ReferenceRow>& rows);

}  // namespace internal

// What Section() and List() need from a nested table, whatever its struct.
class TableBase {
 public:
  virtual ~TableBase() = default;
  const std::string& description() const { return description_; }
  // Appends this table's reference, then its nested tables', under `path`.
  virtual void AppendReference(const std::string& path, std::string* out) const = 0;

 protected:
  explicit TableBase(std::string description) : description_(std::move(description)) {}

 private:
  std::string description_;
};

template <typename S>
class Table final : public TableBase {
  static_assert(std::is_default_constructible_v<S>, "defaults come from S's initialisers");

 public:
  // `path` names the table in its standalone Reference() ("streams[]");
  // `description` introduces it there and in a parent's row.
  Table(std::string path, std::string description)
      : TableBase(std::move(description)), path_(std::move(path)) {}
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  template <typename T>
  Table& Field(std::string_view key, T S::*member, std::string_view description,
               const FieldOptions& options = {}) {
    static_assert(internal::kIsScalarField<T>,
                  "unsupported field type: use bool, int32_t, uint32_t, int64_t, uint64_t, double, "
                  "std::string, std::vector<std::string>, std::chrono::milliseconds, or "
                  "Enum()/Section()/List()");
    if (options.bytes && !(internal::kIsIntegerField<T> && std::is_unsigned_v<T>)) {
      internal::DieMisdeclared(path_, key, "{.bytes = true} needs an unsigned integer field");
    }
    internal::Kind kind = internal::KindOf<T>(options);
    return Add({.key = std::string(key),
                .kind = kind,
                .description = WithConstraints(description, kind, options, options.choices),
                .options = options,
                .parse =
                    [member, options](const YAML::Node& n, const std::string& path, S* out) {
                      return internal::ParseValue(n, path, options, &(out->*member));
                    },
                .show = [member,
                         options](const S& s) { return internal::ShowValue(s.*member, options); }});
  }

  template <typename E>
  Table& Enum(std::string_view key, E S::*member, std::string_view description,
              std::vector<std::pair<std::string, E>> choices, const FieldOptions& options = {}) {
    static_assert(std::is_enum_v<E>, "Enum() is for enum members");
    std::vector<std::string> names;
    for (const auto& choice : choices) names.push_back(choice.first);
    return Add({.key = std::string(key),
                .kind = internal::Kind::kEnum,
                .description = WithConstraints(description, internal::Kind::kEnum, options, names),
                .options = options,
                .parse = [member, choices, names](const YAML::Node& n, const std::string& path,
                                                  S* out) -> Status {
                  EL_ASSIGN_OR_RETURN(std::string text, internal::EnumText(n, path, names));
                  for (const auto& [name, value] : choices) {
                    if (name == text) out->*member = value;
                  }
                  return Status::Ok();
                },
                .show = [member, choices](const S& s) -> std::string {
                  for (const auto& [name, value] : choices) {
                    if (value == s.*member) return name;
                  }
                  return "?";
                }});
  }

  // A nested map parsed by `table` into `member`.
  template <typename U>
  Table& Section(std::string_view key, U S::*member, const Table<U>& table,
                 const FieldOptions& options = {}) {
    return Add({.key = std::string(key),
                .kind = internal::Kind::kSection,
                .description = table.description(),
                .options = options,
                .parse = [member, &table](const YAML::Node& n, const std::string& path,
                                          S* out) { return table.Parse(n, path, &(out->*member)); },
                .show = [](const S&) { return std::string(); },
                .nested = &table});
  }

  // A list of maps, each parsed by `table` into a default-constructed U; the
  // list replaces `member`. {.min, .max} bound the number of entries.
  template <typename U>
  Table& List(std::string_view key, std::vector<U> S::*member, const Table<U>& table,
              const FieldOptions& options = {}) {
    return Add(
        {.key = std::string(key),
         .kind = internal::Kind::kList,
         .description =
             table.description() + internal::Constraints(internal::Kind::kList, options, {}),
         .options = options,
         .parse = [member, &table, options](
                      const YAML::Node& n, const std::string& path,
                      S* out) { return ParseList(n, path, options, table, &(out->*member)); },
         .show =
             [member](const S& s) {
               size_t n = (s.*member).size();
               return n == 0 ? std::string("[]") : std::to_string(n) + " entries";
             },
         .nested = &table});
  }

  // Any YAML subtree, kept as JSON (maps as objects, lists as arrays,
  // unquoted true/false/null/numbers as such, everything else as strings)
  // for a component to read itself: the steps and sinks of pipelines,
  // whose keys depend on their kind. At most 32 levels deep.
  Table& Yaml(std::string_view key, nlohmann::json S::*member, std::string_view description,
              const FieldOptions& options = {}) {
    return Add({.key = std::string(key),
                .kind = internal::Kind::kYaml,
                .description = std::string(description),
                .options = options,
                .parse = [member](const YAML::Node& n, const std::string& path,
                                  S* out) { return internal::ParseYaml(n, path, &(out->*member)); },
                .show = [member](const S& s) { return internal::ShowYaml(s.*member); }});
  }

  // A rule over the whole parsed struct (cross-field checks), run after every
  // field; its error is prefixed with the table's path.
  Table& Check(std::function<Status(const S&)> check) {
    checks_.push_back(std::move(check));
    return *this;
  }

  // Parses the map `node` into *out, which keeps the values of absent keys.
  // `path` prefixes every error ("streams[2]"; "" at the top level). A null
  // node is an empty map. Unknown or repeated keys, missing required keys,
  // wrong shapes and out-of-bounds values are InvalidArgument; *out may then
  // be partly updated, so parse into a copy to keep the old values. Never throws.
  Status Parse(const YAML::Node& node, std::string_view path, S* out) const {
    std::string p(path);
    try {
      return ParseMap(node, p, out);
    } catch (const std::exception& e) {  // yaml-cpp reports malformed nodes by throwing
      return InvalidArgument((p.empty() ? "" : p + ": ") + e.what());
    }
  }

  // Markdown for docs/configuration.md: this table under its own path, then
  // its nested tables.
  std::string Reference() const {
    std::string out;
    AppendReference(path_, &out);
    return out;
  }

  void AppendReference(const std::string& path, std::string* out) const override {
    const S defaults{};
    std::vector<internal::ReferenceRow> rows;
    for (const FieldSpec& f : fields_) {
      internal::ReferenceRow row{f.key, internal::TypeName(f.kind), f.show(defaults), true,
                                 f.description};
      if (f.options.required || f.options.secret) {
        row.default_value = f.options.required ? "required" : "(secret)";
        row.default_is_code = false;
      }
      if (f.nested != nullptr) row.description += " See `" + NestedPath(path, f) + "`.";
      rows.push_back(std::move(row));
    }
    out->append(internal::RenderReference(path, description(), rows));
    for (const FieldSpec& f : fields_) {
      if (f.nested != nullptr) f.nested->AppendReference(NestedPath(path, f), out);
    }
  }

  // The keys in declaration order.
  std::vector<std::string> Keys() const {
    std::vector<std::string> keys;
    for (const FieldSpec& f : fields_) keys.push_back(f.key);
    return keys;
  }

  const std::string& path() const { return path_; }

 private:
  struct FieldSpec {
    std::string key;
    internal::Kind kind;
    std::string description;
    FieldOptions options;
    std::function<Status(const YAML::Node&, const std::string& path, S*)> parse;
    std::function<std::string(const S&)> show;  // the default for the reference
    const TableBase* nested = nullptr;          // Section() and List()
  };

  static std::string WithConstraints(std::string_view description, internal::Kind kind,
                                     const FieldOptions& options,
                                     const std::vector<std::string>& names) {
    return std::string(description) + internal::Constraints(kind, options, names);
  }

  static std::string NestedPath(const std::string& path, const FieldSpec& f) {
    return internal::JoinPath(path, f.key) + (f.kind == internal::Kind::kList ? "[]" : "");
  }

  template <typename U>
  static Status ParseList(const YAML::Node& n, const std::string& path, const FieldOptions& options,
                          const Table<U>& table, std::vector<U>* out) {
    if (internal::IsAbsent(n)) {
      out->clear();
      return internal::CheckCount(0, path, options);
    }
    if (!n.IsSequence()) {
      return InvalidArgument(path + ": expected a list, got " + std::string(internal::Describe(n)));
    }
    std::vector<U> items;
    for (const YAML::Node& item_node : n) {
      U item{};
      std::string item_path = path + "[" + std::to_string(items.size()) + "]";
      EL_RETURN_IF_ERROR(table.Parse(item_node, item_path, &item));
      items.push_back(std::move(item));
    }
    EL_RETURN_IF_ERROR(internal::CheckCount(items.size(), path, options));
    *out = std::move(items);
    return Status::Ok();
  }

  Table& Add(FieldSpec spec) {
    for (const FieldSpec& f : fields_) {
      if (f.key == spec.key) internal::DieMisdeclared(path_, spec.key, "declared twice");
    }
    fields_.push_back(std::move(spec));
    return *this;
  }

  Status ParseMap(const YAML::Node& node, const std::string& path, S* out) const {
    const bool absent = internal::IsAbsent(node);
    if (!absent && !node.IsMap()) {
      return InvalidArgument((path.empty() ? "" : path + ": ") + "expected a map, got " +
                             std::string(internal::Describe(node)));
    }
    std::vector<bool> seen(fields_.size());
    if (!absent) {
      for (const auto& entry : node) {
        EL_ASSIGN_OR_RETURN(size_t i, FindKey(entry.first, path));
        std::string key_path = internal::JoinPath(path, fields_[i].key);
        if (seen[i]) return InvalidArgument(key_path + ": duplicate key");
        seen[i] = true;
        EL_RETURN_IF_ERROR(fields_[i].parse(entry.second, key_path, out));
      }
    }
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].options.required && !seen[i]) {
        return InvalidArgument(internal::JoinPath(path, fields_[i].key) + ": required");
      }
    }
    for (const auto& check : checks_) {
      Status s = check(*out);
      if (!s.ok()) return path.empty() ? s : s.WithContext(path);
    }
    return Status::Ok();
  }

  Result<size_t> FindKey(const YAML::Node& key, const std::string& path) const {
    std::string name = key.IsScalar() ? key.Scalar() : std::string();
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].key == name) return i;
    }
    if (name.size() > 64) name = name.substr(0, 64) + "...";
    std::string known;
    for (const FieldSpec& f : fields_) known += (known.empty() ? "" : ", ") + f.key;
    std::string where = key.IsScalar() ? internal::JoinPath(path, name) : path;
    return Err(InvalidArgument((where.empty() ? "" : where + ": ") +
                               "unknown key (known: " + known + ")"));
  }

  std::string path_;
  std::vector<FieldSpec> fields_;
  std::vector<std::function<Status(const S&)>> checks_;
};

}  // namespace eventlake::config
