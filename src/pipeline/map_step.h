// The `map` step (issue 6): changes to the members of each event's JSON
// data object, as Kafka Connect's InsertField, ReplaceField and Cast do,
// applied in this order:
//
//   rename: {from: to}      a member under a new name (absent: nothing)
//   drop:   [name, ...]     members removed
//   set:    {name: value}   members set to a JSON value
//   cast:   {name: type}    a member as string, integer, double or boolean
//
// Names are top-level members; "a.b" reaches into the object `a`. Members
// not named keep their values and their order. An event whose data is not a
// JSON object, or whose member cannot be cast ("abc" as an integer), fails
// on its own (a partial batch response): the batch runner retries it alone
// and dead-letters it; the others go on.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

enum class CastType { kString, kInteger, kDouble, kBoolean };

struct MapSpec {
  std::vector<std::pair<std::string, std::string>> rename;
  std::vector<std::string> drop;
  std::vector<std::pair<std::string, std::string>> set;  // name -> JSON text of the value
  std::vector<std::pair<std::string, CastType>> cast;
};

// "string", "integer", "double", "boolean"; InvalidArgument otherwise.
Result<CastType> ParseCastType(std::string_view name);

class MapStep {
 public:
  // InvalidArgument for an empty name or a `set` value that is not JSON.
  static Result<MapStep> Create(MapSpec spec);

  StepResult Run(std::span<const BatchRecord> batch) const;
  // One event's data; InvalidArgument when it cannot be mapped.
  Result<std::string> MapData(std::string_view data) const;

 private:
  explicit MapStep(MapSpec spec) : spec_(std::move(spec)) {}
  MapSpec spec_;
};

}  // namespace eventlake::pipeline
