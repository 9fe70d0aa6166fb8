// Test-only: a batch of records from their data, for the steps' unit tests
// (ids e0, e1, ...; source /t; type t), and what a step passed on.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

inline std::vector<BatchRecord> TestBatch(std::initializer_list<std::string> data) {
  std::vector<BatchRecord> batch;
  for (const std::string& d : data) {
    BatchRecord r;
    r.event.id = "e" + std::to_string(batch.size());
    r.event.source = "/t";
    r.event.type = "t";
    r.event.data = d;
    batch.push_back(std::move(r));
  }
  return batch;
}

// The events a step's result passes on, the records it kept as they are
// included (StepResult::Keep).
inline std::vector<CloudEvent> OutEvents(const StepResult& r, std::span<const BatchRecord> batch) {
  std::vector<CloudEvent> events;
  for (size_t i = 0; i < r.out.size(); ++i) events.push_back(r.Event(i, batch));
  return events;
}

}  // namespace eventlake::pipeline
