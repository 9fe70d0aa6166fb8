// The JSON Schemas of one source, by CloudEvents type: compiled once at
// start (inline text or a file) and looked up per event.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "ingest/json_schema.h"
#include "ingest/source_options.h"

namespace eventlake::ingest {

class SchemaSet {
 public:
  SchemaSet() = default;  // no schemas: every event's data is accepted

  // Reads schema files and compiles every schema; errors name the entry
  // ("schemas[1] (type page.viewed): json schema at \"/properties\": ...").
  static Result<SchemaSet> Load(std::span<const SchemaOptions> schemas,
                                const SchemaLimits& limits = {});

  // The schema of events of `type`: its own, else the "*" one, else nullptr.
  const JsonSchema* For(std::string_view type) const;
  bool empty() const { return by_type_.empty() && !any_.has_value(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, JsonSchema, Hash, std::equal_to<>> by_type_;
  std::optional<JsonSchema> any_;
};

}  // namespace eventlake::ingest
