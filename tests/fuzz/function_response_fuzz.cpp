// Fuzzes what an external function answers (src/pipeline/sqs_event.h,
// function_error.h): the response body of a `function` or `http` step is
// outside input. Every body must become a step result — the whole batch
// failed with a message, or each record either failed or passed — and the
// error document of /error must be described in bounded text.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pipeline/function_error.h"
#include "pipeline/sqs_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventlake::pipeline;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<BatchRecord> batch(3);
  const char* ids[] = {"a", "b", "a"};
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].event.id = ids[i];
    batch[i].event.source = "/fuzz";
    batch[i].event.type = "t";
    batch[i].event.data = "{}";
  }
  StepResult r = ApplyBatchResponse(batch, text, "fuzz");
  if (!r.status.ok()) {
    if (r.status.message().empty()) __builtin_trap();
  } else {
    for (const FailedItem& f : r.failed) {
      if (f.index >= batch.size()) __builtin_trap();
    }
    if (r.failed.size() > batch.size()) __builtin_trap();
  }
  if (DescribeFunctionError(text, "Unhandled").size() > 500) __builtin_trap();
  return 0;
}
