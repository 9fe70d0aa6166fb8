// Test-only: a batch of records from their data, for the steps' unit tests
// (ids e0, e1, ...; source /t; type t).
#pragma once

#include <initializer_list>
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

}  // namespace eventlake::pipeline
