// Test-only: a function directory with a bash + curl `bootstrap` (the
// plain custom runtime of the Lambda docs), metric values from the
// registry's text, and a one-request HTTP client for raw Runtime API calls.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "core/metrics.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline::testing_util {

// Each GET /next appends the instance's pid to ./pids; the event decides:
// "slow" sleeps 5 s, "crash" exits 3, "raise" posts /error, "hog" makes
// `tail` hold 300 MB (beyond a small memory limit); otherwise FAIL_ID set
// answers batchItemFailures for it, and the event is echoed back.
// INIT_ERROR set posts /init/error and exits.
inline constexpr std::string_view kBootstrap = R"(#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
if [ -n "${INIT_ERROR:-}" ]; then
  curl -sS -X POST "$API/init/error" -H 'Lambda-Runtime-Function-Error-Type: Runtime.InitError' \
    -d '{"errorMessage":"cannot load the handler","errorType":"Runtime.InitError"}' >/dev/null
  exit 1
fi
echo $$ >> pids
HEADERS=$(mktemp)
while true; do
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\r\n')
  case "$EVENT" in
    *slow*) sleep 5 ;;
    *crash*) exit 3 ;;
    *hog*) head -c 300000000 /dev/zero | tail -n 1 >/dev/null ;;
    *raise*)
      curl -sS -X POST "$API/invocation/$ID/error" -H 'Lambda-Runtime-Function-Error-Type: Unhandled' \
        -d '{"errorMessage":"it went wrong","errorType":"ValueError","stackTrace":[]}' >/dev/null
      continue ;;
  esac
  if [ -n "${FAIL_ID:-}" ]; then
    RESPONSE="{\"batchItemFailures\":[{\"itemIdentifier\":\"$FAIL_ID\"}]}"
  else
    RESPONSE="$EVENT"
  fi
  curl -sS -X POST "$API/invocation/$ID/response" --data-binary "$RESPONSE" >/dev/null
done
)";

// A fresh directory under the test temp dir, named after the test.
inline std::string FreshDir(std::string_view what) {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = testing::TempDir() + "/" + std::string(what) + "-" + info->test_suite_name() +
                    "-" + info->name();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void WriteFile(const std::string& path, std::string_view text, bool executable = false) {
  std::ofstream(path) << text;
  if (executable) {
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read,
        std::filesystem::perm_options::replace);
  }
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline size_t CountLines(const std::string& path) {
  std::string text = ReadFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The value of the sample `name{labels}` exactly as rendered; -1 when absent.
inline double MetricValue(const MetricsRegistry& metrics, std::string_view sample) {
  std::string text = metrics.RenderPrometheus();
  std::string key = std::string(sample) + " ";
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + key.size()));
  }
  return -1;
}

inline BatchRecord Record(std::string id, std::string data) {
  BatchRecord r;
  r.event.id = std::move(id);
  r.event.source = "/test";
  r.event.type = "test.event";
  r.event.data_content_type = "application/json";
  r.event.data = std::move(data);
  r.appended_micros = 1'700'000'000'000'000;
  return r;
}

// One HTTP/1.1 request on a new connection to 127.0.0.1:port; the raw answer.
inline std::string RawRequest(uint16_t port, std::string_view request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

}  // namespace eventlake::pipeline::testing_util
