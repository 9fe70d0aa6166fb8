// The loop of the steps that rewrite each event's data on its own (map,
// mask): an event whose data cannot be rewritten fails alone, with the
// reason, and the others go on.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

// Each event with its data replaced by `rewrite(data)` (JSON); a failed
// rewrite is that record's FailedItem.
StepResult RewriteEachData(std::span<const BatchRecord> batch,
                           const std::function<Result<std::string>(std::string_view data)>& rewrite);

}  // namespace eventlake::pipeline
