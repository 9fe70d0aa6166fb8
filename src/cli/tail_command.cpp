// `eventlake tail` (see tail_command.h).
//
// The loop polls each partition in turn. A round that found nothing anywhere
// makes the next round long-poll (wait_ms): a single partition waits long, so
// a new record shows at once; several partitions wait briefly each, so none
// is starved while another is idle. SIGINT sets a flag that the HTTP client
// checks while it waits, so a long poll ends within a fraction of a second.
#include "cli/tail_command.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "cli/cli_support.h"
#include "cli/http_client.h"
#include "core/cloud_event.h"

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

// Records asked for per request (the server allows up to 10000).
constexpr uint64_t kBatch = 1000;
// Long-poll waits: one partition, or each of several.
constexpr int kSingleWaitMs = 10000;
constexpr int kSharedWaitMs = 250;

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true); }

void InstallInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

struct TailArgs {
  std::string stream;
  std::string from;
  std::optional<uint32_t> partition;
  uint64_t limit = 0;  // 0: no limit
  bool follow = false;
};

struct Cursor {
  uint32_t partition = 0;
  std::string query;  // where the next read starts
  bool done = false;  // nothing more to read (without --follow)
};

class Tailer {
 public:
  Tailer(const CLI::App& command, const TailArgs& args)
      : args_(args), remaining_(args.limit), client_(ClientOrExit(command, ClientOptions())) {}

  // Returns the exit code.
  int Run(const StartPosition& start);

 private:
  static HttpClientOptions ClientOptions() {
    HttpClientOptions options;
    options.cancel = &g_interrupted;
    return options;
  }
  Result<uint32_t> PartitionCount();
  // Reads one batch of `cursor`'s partition; sets *got when it printed any.
  Status Poll(Cursor& cursor, int wait_ms, bool* got);
  bool Finished() const { return stdout_closed_ || (args_.limit > 0 && remaining_ == 0); }

  const TailArgs& args_;
  uint64_t remaining_;
  std::unique_ptr<HttpClient> client_;
  bool stdout_closed_ = false;
};

Result<uint32_t> Tailer::PartitionCount() {
  std::string path = "/v1/streams/" + UrlEncode(args_.stream);
  EL_ASSIGN_OR_RETURN(HttpResponse response, client_->Get(path));
  EL_ASSIGN_OR_RETURN(Json description, ParseJson(response.body, "GET " + path));
  auto partitions = description.find("partitions");
  if (partitions == description.end() || !partitions->is_array()) {
    return Err(
        InvalidArgument("the server's description of '" + args_.stream + "' lists no partitions"));
  }
  return static_cast<uint32_t>(partitions->size());
}

Status Tailer::Poll(Cursor& cursor, int wait_ms, bool* got) {
  uint64_t limit = args_.limit > 0 ? std::min(remaining_, kBatch) : kBatch;
  std::string path = "/v1/streams/" + UrlEncode(args_.stream) +
                     "/records?partition=" + std::to_string(cursor.partition) + "&" + cursor.query +
                     "&limit=" + std::to_string(limit) + "&wait_ms=" + std::to_string(wait_ms);
  auto timeout = std::chrono::milliseconds(wait_ms) + std::chrono::seconds(30);
  EL_ASSIGN_OR_RETURN(HttpResponse response, client_->Get(path, timeout));
  EL_ASSIGN_OR_RETURN(Json batch, ParseJson(response.body, "GET " + path));
  const Json records = batch.value("records", Json::array());
  std::string out;
  for (const Json& record : records) {
    if (args_.limit > 0 && remaining_ == 0) break;
    out += FormatRecordLine(cursor.partition, record) + "\n";
    --remaining_;
  }
  *got = !records.empty();
  if (!out.empty()) {
    std::cout << out << std::flush;
    stdout_closed_ = !std::cout.good();  // e.g. `| head` exited: stop quietly
  }
  uint64_t next = JsonUint(batch, "next_offset");
  cursor.query = "offset=" + std::to_string(next);
  if (!args_.follow && (records.empty() || next >= JsonUint(batch, "end_offset"))) {
    cursor.done = true;
  }
  return Status::Ok();
}

int Tailer::Run(const StartPosition& start) {
  std::vector<Cursor> cursors;
  if (args_.partition) {
    cursors.push_back({*args_.partition, StartQuery(start)});
  } else {
    auto count = PartitionCount();
    if (!count.has_value()) return g_interrupted ? kExitOk : ReportFailure(count.error());
    for (uint32_t p = 0; p < *count; ++p) cursors.push_back({p, StartQuery(start)});
  }
  bool idle = false;
  while (!Finished() && !g_interrupted) {
    int wait_ms = !args_.follow || !idle ? 0 : cursors.size() == 1 ? kSingleWaitMs : kSharedWaitMs;
    bool any = false, all_done = true;
    for (Cursor& cursor : cursors) {
      if (cursor.done || Finished() || g_interrupted) continue;
      bool got = false;
      Status status = Poll(cursor, wait_ms, &got);
      if (!status.ok()) return g_interrupted ? kExitOk : ReportFailure(status);
      any |= got;
      all_done &= cursor.done;
    }
    if (all_done) break;
    idle = !any;
  }
  return kExitOk;
}

void RunTail(const CLI::App& command, TailArgs args) {
  if (args.from.empty()) args.from = args.follow ? "latest" : "earliest";
  auto start = ParseStartPosition(args.from);
  if (!start.has_value()) throw CLI::ValidationError("--from", start.error().message());
  InstallInterruptHandlers();
  Tailer tailer(command, args);
  ExitWith(tailer.Run(*start));
}

}  // namespace

Result<StartPosition> ParseStartPosition(std::string_view text) {
  StartPosition start;
  if (text == "earliest") return start;
  if (text == "latest") {
    start.kind = StartPosition::Kind::kLatest;
    return start;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), start.offset);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    start.kind = StartPosition::Kind::kOffset;
    return start;
  }
  if (auto time = ParseRfc3339(text); time.has_value()) {
    start.kind = StartPosition::Kind::kTime;
    start.time = std::string(text);
    return start;
  }
  return Err(InvalidArgument("'" + std::string(text) +
                             "' is not earliest, latest, an offset or an RFC 3339 time "
                             "(like 2026-11-25T02:06:55Z)"));
}

std::string StartQuery(const StartPosition& start) {
  switch (start.kind) {
    case StartPosition::Kind::kEarliest:
      return "offset=earliest";
    case StartPosition::Kind::kLatest:
      return "offset=latest";
    case StartPosition::Kind::kOffset:
      return "offset=" + std::to_string(start.offset);
    case StartPosition::Kind::kTime:
      return "time=" + UrlEncode(start.time);
  }
  return "offset=earliest";
}

std::string FormatRecordLine(uint32_t partition, const Json& record) {
  Json line = {{"partition", partition},
               {"offset", record.value("offset", Json())},
               {"append_time", record.value("append_time", Json())},
               {"event", record.value("event", Json())}};
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void AddTailCommand(CLI::App& app) {
  auto args = std::make_shared<TailArgs>();
  CLI::App* tail = app.add_subcommand("tail", "Print a stream's records as JSON lines");
  tail->add_option("stream", args->stream, "Stream name")->required();
  tail->add_option("--from", args->from,
                   "earliest, latest, an offset or an RFC 3339 time "
                   "(default: earliest, or latest with --follow)");
  tail->add_option("--partition", args->partition, "Read only this partition");
  tail->add_option("--limit", args->limit, "Stop after this many records (default: no limit)");
  tail->add_flag("--follow,-f", args->follow, "Keep waiting for new records");
  tail->callback([tail, args] { RunTail(*tail, *args); });
}

}  // namespace eventlake::cli
