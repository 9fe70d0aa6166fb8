// `eventlake send` (see send_command.h): the command line, the real
// environment of the Sender (HTTP client, sleeping, randomness), and the loop
// over the inputs.
//
// SIGINT and SIGTERM set a flag that the HTTP client and the backoff sleep
// look at, so Ctrl-C stops within a fraction of a second and still prints
// the summary of what was accepted.
#include "cli/send_command.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "cli/cli_support.h"
#include "cli/send_sender.h"
#include "core/config_table.h"
#include "core/id.h"

namespace eventlake::cli {
namespace {

constexpr std::chrono::milliseconds kSleepSlice{100};

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true); }

void InstallInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

struct SendArgs {
  std::vector<std::string> files;
  std::string source;
  std::string format = "auto";
  std::optional<std::string> type;
  size_t batch_size = 500;
  std::string batch_bytes = "1MiB";
  int max_retries = 10;
  bool no_progress = false;
};

// The options, or a usage error (CLI::ValidationError, exit 2).
SendOptions OptionsOrThrow(const SendArgs& args, InputFormat* format) {
  auto parsed = ParseInputFormat(args.format);
  if (!parsed) throw CLI::ValidationError("--format", parsed.error().message());
  *format = *parsed;
  auto bytes = config::ParseByteSize(args.batch_bytes);
  if (!bytes || *bytes == 0) {
    throw CLI::ValidationError(
        "--batch-bytes", "'" + args.batch_bytes + "' is not a positive size like 1MiB or 65536");
  }
  if (args.type && args.type->empty()) throw CLI::ValidationError("--type", "must not be empty");
  if (args.source.empty()) throw CLI::ValidationError("--source", "must not be empty");
  SendOptions options;
  options.source = args.source;
  options.type = args.type;
  options.batch_size = args.batch_size;
  options.batch_bytes = *bytes;
  options.max_retries = args.max_retries;
  return options;
}

// Sleeps in slices; false when interrupted.
bool SleepInterruptibly(std::chrono::milliseconds delay) {
  auto end = std::chrono::steady_clock::now() + delay;
  while (!g_interrupted.load()) {
    auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) return true;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(left, kSleepSlice));
  }
  return false;
}

SendEnvironment RealEnvironment(HttpClient& client, ProgressLine& progress) {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  SendEnvironment env;
  env.post = [&client](std::string_view path, std::string_view body, std::string_view type,
                       const HttpHeaders& headers) {
    return client.Send("POST", path, body, type, std::chrono::milliseconds(0), headers);
  };
  env.sleep = SleepInterruptibly;
  env.random = [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
  env.new_key = [] { return NewEventId(); };
  env.now = [] { return std::chrono::system_clock::now(); };
  env.messages = &std::cerr;
  env.progress = &progress;
  return env;
}

// Sends one input ("-" is stdin) through `sender`.
Status SendInput(Sender& sender, const std::string& path, InputFormat format) {
  if (path == "-") {
    auto reader = OpenRecordReader(std::cin, format);
    return sender.SendAll(*reader, "<stdin>");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return ErrnoError("cannot open " + path, errno);
  if (format == InputFormat::kAuto) format = FormatFromExtension(path);
  auto reader = OpenRecordReader(file, format);
  return sender.SendAll(*reader, path);
}

// Every input must be a readable file before anything is sent.
void CheckInputsOrExit(const std::vector<std::string>& files) {
  for (const std::string& path : files) {
    if (path == "-") continue;
    if (::access(path.c_str(), R_OK) != 0) {
      ExitWith(ReportFailure("cannot read " + path + ": " + std::strerror(errno)));
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) ExitWith(ReportFailure(path + " is a directory"));
  }
}

void RunSend(const CLI::App& command, SendArgs args) {
  InputFormat format = InputFormat::kAuto;
  SendOptions options = OptionsOrThrow(args, &format);
  if (args.files.empty()) args.files.push_back("-");
  CheckInputsOrExit(args.files);
  InstallInterruptHandlers();
  HttpClientOptions client_options;
  client_options.cancel = &g_interrupted;
  auto client = ClientOrExit(command, client_options);
  ProgressLine progress(std::cerr, !args.no_progress && ::isatty(STDERR_FILENO) == 1,
                        SystemClock());
  Sender sender(options, RealEnvironment(*client, progress));
  Status status;
  for (const std::string& path : args.files) {
    status = SendInput(sender, path, format);
    if (!status.ok()) break;
  }
  if (status.ok()) status = sender.Finish();
  progress.Clear();
  std::cerr << FormatSummary(sender.stats(), progress.Elapsed()) << std::endl;
  if (!status.ok()) ExitWith(ReportFailure(status));
  if (sender.stats().rejected > 0) {
    ExitWith(ReportFailure(std::to_string(sender.stats().rejected) +
                           " event(s) rejected by the server (listed above)"));
  }
}

}  // namespace

void AddSendCommand(CLI::App& app) {
  auto args = std::make_shared<SendArgs>();
  CLI::App* send = app.add_subcommand("send", "Send events from files or stdin to a source");
  send->add_option("files", args->files,
                   "JSON, NDJSON or CSV files to send, in order; '-' or none: stdin");
  send->add_option("--source", args->source, "The eventlake source to send to")->required();
  send->add_option("--format", args->format,
                   "auto (by extension, else sniffed), json, ndjson, csv or cloudevents")
      ->check(CLI::IsMember({"auto", "json", "ndjson", "csv", "cloudevents"}));
  send->add_option("--type", args->type,
                   "CloudEvents type of plain objects (default: the server's, eventlake.event)");
  send->add_option("--batch-size", args->batch_size, "Events per request, at most (default 500)")
      ->check(CLI::PositiveNumber);
  send->add_option("--batch-bytes", args->batch_bytes,
                   "Request body size, at most, e.g. 1MiB (the default) or 256KiB");
  send->add_option("--max-retries", args->max_retries,
                   "Retries of one batch on 429, 503 or 504 (default 10)")
      ->check(CLI::NonNegativeNumber);
  send->add_flag("--no-progress", args->no_progress, "Do not draw progress on a terminal");
  send->callback([send, args] { RunSend(*send, *args); });
}

}  // namespace eventlake::cli
