// Helpers shared by the log's unit tests: a temporary directory and events.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "core/cloud_event.h"

namespace eventlake::log::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "eventlake-test-XXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An event whose every attribute depends on `n`, so a mix-up shows.
inline CloudEvent MakeEvent(int n, size_t data_bytes = 40) {
  CloudEvent e;
  e.id = "event-" + std::to_string(n);
  e.source = "/tests/log";
  e.type = "test.event";
  e.subject = "subject-" + std::to_string(n % 7);
  e.time = 1'700'000'000'000'000 + n;
  e.data_content_type = "application/json";
  std::string data = "{\"n\":" + std::to_string(n) + ",\"pad\":\"";
  while (data.size() + 2 < data_bytes) data.push_back(static_cast<char>('a' + n % 26));
  e.data = data + "\"}";
  e.SetExtension("seq", static_cast<int64_t>(n));
  return e;
}

}  // namespace eventlake::log::testing
