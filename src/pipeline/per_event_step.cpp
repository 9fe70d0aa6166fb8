// RewriteEachData.
#include "pipeline/per_event_step.h"

namespace eventlake::pipeline {

StepResult RewriteEachData(std::span<const BatchRecord> batch,
                           const std::function<Result<std::string>(std::string_view data)>& rewrite) {
  StepResult result;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto data = rewrite(batch[i].event.data);
    if (!data.has_value()) {
      result.failed.push_back({i, data.error()});
      continue;
    }
    CloudEvent e = batch[i].event;
    e.data = std::move(*data);
    e.data_content_type = "application/json";
    e.data_is_binary = false;
    result.Emit(i, std::move(e));
  }
  return result;
}

}  // namespace eventlake::pipeline
