// RouteStep: the conditions in one query per batch, the sinks as an extension.
#include "pipeline/route_step.h"

#include <algorithm>

namespace eventlake::pipeline {
namespace {

void AddOnce(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

std::vector<std::string> RouteTargets(const RouteSpec& spec) {
  std::vector<std::string> names;
  for (const RouteRule& rule : spec.rules) {
    for (const std::string& n : rule.to) AddOnce(names, n);
  }
  for (const std::string& n : spec.otherwise) AddOnce(names, n);
  return names;
}

std::optional<std::vector<std::string_view>> RoutedSinks(const CloudEvent& event) {
  const ExtensionValue* value = event.FindExtension(kRouteExtension);
  if (value == nullptr) return std::nullopt;
  std::vector<std::string_view> sinks;
  const std::string* text = std::get_if<std::string>(value);
  if (text == nullptr) return sinks;  // not a list of names: routed nowhere
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (comma != 0) sinks.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return sinks;
}

Result<std::unique_ptr<RouteStep>> RouteStep::Create(RouteSpec spec) {
  if (spec.rules.empty()) return Err(InvalidArgument("a route needs at least one rule"));
  SqlStepOptions options;
  for (const RouteRule& rule : spec.rules) {
    if (rule.when.empty()) return Err(InvalidArgument("a route's rule needs a condition (when)"));
    for (const std::string& name : rule.to) {
      if (name.empty() || name.find(',') != std::string::npos) {
        return Err(InvalidArgument("a route names sinks without commas: " + name));
      }
    }
    options.conditions.push_back(rule.when);
  }
  EL_ASSIGN_OR_RETURN(std::unique_ptr<SqlStep> conditions, SqlStep::Create(std::move(options)));
  return std::unique_ptr<RouteStep>(new RouteStep(std::move(spec), std::move(conditions)));
}

StepResult RouteStep::Run(std::span<const BatchRecord> batch) {
  auto truths = conditions_->Conditions(batch);
  if (!truths.has_value()) return {truths.error(), {}, {}};
  // The names of each combination of rules once: batches repeat a few.
  std::vector<std::pair<uint64_t, std::string>> names;
  StepResult result;
  result.out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const uint64_t mask = (*truths)[i];
    auto known = std::find_if(names.begin(), names.end(), [mask](const auto& n) { return n.first == mask; });
    if (known == names.end()) {
      std::vector<std::string> sinks;
      for (size_t r = 0; r < spec_.rules.size(); ++r) {
        if (mask & (uint64_t{1} << r)) {
          for (const std::string& n : spec_.rules[r].to) AddOnce(sinks, n);
        }
      }
      names.emplace_back(mask, Joined(mask == 0 ? spec_.otherwise : sinks));
      known = names.end() - 1;
    }
    CloudEvent e = batch[i].event;
    e.SetExtension(std::string(kRouteExtension), known->second);
    result.Emit(i, std::move(e));
  }
  return result;
}

}  // namespace eventlake::pipeline
