// Loading and lookup of a source's schemas.
#include "ingest/schema_set.h"

#include "core/file.h"

namespace eventlake::ingest {

Result<SchemaSet> SchemaSet::Load(std::span<const SchemaOptions> schemas,
                                  const SchemaLimits& limits) {
  SchemaSet set;
  for (size_t i = 0; i < schemas.size(); ++i) {
    const SchemaOptions& options = schemas[i];
    std::string where = "schemas[" + std::to_string(i) + "] (type " + options.type + ")";
    std::string text = options.schema;
    if (!options.schema_file.empty()) {
      auto file = ReadFile(options.schema_file);
      if (!file) return Err(file.error().WithContext(where));
      text = std::move(*file);
    }
    auto compiled = JsonSchema::Compile(text, limits);
    if (!compiled) return Err(compiled.error().WithContext(where));
    if (options.type == "*") {
      set.any_ = std::move(*compiled);
    } else {
      set.by_type_.insert_or_assign(options.type, std::move(*compiled));
    }
  }
  return set;
}

const JsonSchema* SchemaSet::For(std::string_view type) const {
  auto it = by_type_.find(type);
  if (it != by_type_.end()) return &it->second;
  return any_.has_value() ? &*any_ : nullptr;
}

}  // namespace eventlake::ingest
