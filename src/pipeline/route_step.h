// The `route` step (issue 6): chooses each event's sinks by SQL
// expressions over the batch's columns (as the filter step's).
//
//   - route:
//       rules:
//         - { when: "region = 'eu'", to: [curated.clicks_eu] }
//         - { when: "amount > 1000", to: [alerts] }
//       otherwise: [curated.clicks_other]
//
// (`route: [rules...]` is the same without `otherwise`.) An event goes to
// the sinks of every rule whose condition holds for it, or to `otherwise`
// when none does. The sinks a route names receive only the events routed
// to them; the pipeline's other sinks receive every event. Sinks are named
// by what they write: the table ("curated.clicks_eu") or the stream.
//
// The choice travels with the event as the extension attribute `elroute`
// (the sinks' names, comma-separated; "" for none), which the pipeline
// reads and takes off before delivery: a later step keeps it (a Lua step
// may even change it), and a later route step replaces it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/batch_runner.h"
#include "pipeline/sql_step.h"

namespace eventlake::pipeline {

inline constexpr std::string_view kRouteExtension = "elroute";

struct RouteRule {
  std::string when;             // an SQL expression over the batch's columns
  std::vector<std::string> to;  // sink names
};

struct RouteSpec {
  std::vector<RouteRule> rules;  // 1..64
  std::vector<std::string> otherwise;
};

// Every sink name the spec mentions (rules and otherwise), once each.
std::vector<std::string> RouteTargets(const RouteSpec& spec);

// The sinks `event` is routed to; nullopt when no route step set them.
std::optional<std::vector<std::string_view>> RoutedSinks(const CloudEvent& event);

class RouteStep {
 public:
  static Result<std::unique_ptr<RouteStep>> Create(RouteSpec spec);

  StepResult Run(std::span<const BatchRecord> batch);

 private:
  RouteStep(RouteSpec spec, std::unique_ptr<SqlStep> conditions)
      : spec_(std::move(spec)), conditions_(std::move(conditions)) {}

  RouteSpec spec_;
  std::unique_ptr<SqlStep> conditions_;
};

}  // namespace eventlake::pipeline
