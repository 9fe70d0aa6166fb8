// `eventlake pipelines`, `apply`, `dlq` and `replay` (see pipelines_command.h).
#include "cli/pipelines_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "cli/cli_support.h"
#include "core/config_table.h"
#include "core/file.h"

namespace eventlake::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Joined(const Json& list, bool sinks) {
  std::string out;
  for (const Json& item : list.is_array() ? list : Json::array()) {
    std::string text = item.is_string() ? item.get<std::string>() : "";
    if (sinks && item.is_object() && !item.empty()) {
      // `- table: name`, or a map whose url (webhook) or topic (kafka) names the target.
      const Json& spec = *item.begin();
      const Json target = spec.is_object() ? spec.value("url", spec.value("topic", Json())) : spec;
      text = item.begin().key() + ":" + (target.is_string() ? target.get<std::string>() : "");
    }
    out += (out.empty() ? "" : ",") + text;
  }
  return out.empty() ? "-" : out;
}

std::string PipelinePath(const std::string& name) { return "/v1/pipelines/" + UrlEncode(name); }

// The dead letters of `pipeline`, oldest first, at most `limit`.
Json DeadLetters(const CLI::App& command, const std::string& pipeline, uint64_t limit) {
  const Json described = GetJsonOrExit(command, PipelinePath(pipeline));
  const std::string stream = JsonText(described, "dead_letter_stream");
  auto client = ClientOrExit(command);
  Json records = Json::array();
  if (!client->Get("/v1/streams/" + UrlEncode(stream)).has_value()) return records;  // none yet
  const Json info = GetJsonOrExit(command, "/v1/streams/" + UrlEncode(stream));
  for (const Json& p : info.value("partitions", Json::array())) {
    uint64_t offset = JsonUint(p, "start_offset");
    while (records.size() < limit) {
      const Json page = GetJsonOrExit(command, "/v1/streams/" + UrlEncode(stream) + "/records?partition=" +
                                                   JsonText(p, "partition") + "&offset=" + std::to_string(offset));
      for (const Json& r : page.value("records", Json::array())) {
        if (records.size() < limit) records.push_back(r);
      }
      if (JsonUint(page, "next_offset") >= JsonUint(page, "end_offset")) break;
      offset = JsonUint(page, "next_offset");
    }
  }
  return records;
}

Json LetterData(const Json& record) {
  const Json& data = record.contains("event") ? record["event"].value("data", Json()) : Json();
  if (data.is_string()) return Json::parse(data.get<std::string>(), nullptr, false);
  return data;
}

void AddPipelines(CLI::App& app) {
  CLI::App* pipelines = app.add_subcommand("pipelines", "List and describe a running server's pipelines");
  auto json = std::make_shared<bool>(false);
  pipelines->add_flag("--json", *json, "Print the server's JSON");
  pipelines->callback([pipelines, json] {
    if (!pipelines->get_subcommands().empty()) return;
    Json list = GetJsonOrExit(*pipelines, "/v1/pipelines");
    std::cout << (*json ? list.dump(2) + "\n" : RenderPipelineList(list)) << std::flush;
  });
  pipelines->add_subcommand("list", "List the pipelines")->callback([pipelines, json] {
    Json list = GetJsonOrExit(*pipelines, "/v1/pipelines");
    std::cout << (*json ? list.dump(2) + "\n" : RenderPipelineList(list)) << std::flush;
  });
  auto name = std::make_shared<std::string>();
  CLI::App* describe = pipelines->add_subcommand("describe", "One pipeline: trigger, lag, steps, sinks, redrive");
  describe->add_option("pipeline", *name, "Pipeline name")->required();
  describe->callback([describe, name] { std::cout << GetJsonOrExit(*describe, PipelinePath(*name)).dump(2) << "\n"; });
}

struct DlqArgs {
  std::string pipeline;
  uint64_t limit = 100;
  uint64_t offset = 0;
  double rate = 0;
  bool json = false;
  bool no_wait = false;
};

void AddDlq(CLI::App& app) {
  CLI::App* dlq = app.add_subcommand("dlq", "A pipeline's dead letters: list, show, redrive");
  dlq->require_subcommand(1);
  auto args = std::make_shared<DlqArgs>();

  CLI::App* list = dlq->add_subcommand("list", "The dead letters, oldest first");
  list->add_option("pipeline", args->pipeline, "Pipeline name")->required();
  list->add_option("--limit", args->limit, "At most this many (default 100)");
  list->add_flag("--json", args->json, "Print the records as JSON");
  list->callback([list, args] {
    Json records = DeadLetters(*list, args->pipeline, args->limit);
    std::cout << (args->json ? records.dump(2) + "\n" : RenderDeadLetters(records)) << std::flush;
  });

  CLI::App* show = dlq->add_subcommand("show", "One dead letter: the error, the step, the original event");
  show->add_option("pipeline", args->pipeline, "Pipeline name")->required();
  show->add_option("offset", args->offset, "Its offset (from dlq list)")->required();
  show->callback([show, args] {
    for (const Json& r : DeadLetters(*show, args->pipeline, UINT64_MAX)) {
      if (JsonUint(r, "offset") == args->offset) {
        std::cout << LetterData(r).dump(2) << "\n";
        return;
      }
    }
    ExitWith(ReportFailure(NotFound("pipeline " + args->pipeline + " has no dead letter at offset " +
                                    std::to_string(args->offset))));
  });

  CLI::App* redrive = dlq->add_subcommand("redrive", "Run the dead letters again through the current pipeline");
  redrive->add_option("pipeline", args->pipeline, "Pipeline name")->required();
  redrive->add_option("--rate", args->rate, "At most this many dead letters per second (default: no limit)")
      ->check(CLI::NonNegativeNumber);
  redrive->add_flag("--no-wait", args->no_wait, "Return once it started");
  redrive->callback([redrive, args] {
    Json started = PostJsonOrExit(*redrive, PipelinePath(args->pipeline) + "/dlq/redrive", {{"rate", args->rate}});
    Json status = started.value("redrive", Json::object());
    while (!args->no_wait && status.value("running", false)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      status = GetJsonOrExit(*redrive, PipelinePath(args->pipeline)).value("redrive", Json::object());
    }
    if (status.contains("error")) ExitWith(ReportFailure(JsonText(status, "error")));
    if (args->no_wait) {
      std::cout << "redrive of " << args->pipeline << " started\n";
      return;
    }
    const Json last = status.value("last", Json::object());
    std::cout << "redrove " << JsonText(last, "redriven") << " dead letter(s) of " << args->pipeline << ": "
              << JsonText(last, "delivered") << " event(s) delivered, " << JsonText(last, "dead_letters")
              << " failed again\n";
  });
}

struct ReplayArgs {
  std::string pipeline;
  std::optional<std::string> from;
  std::optional<uint64_t> offset;
  bool earliest = false;
  bool latest = false;
};

void AddReplay(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* replay = app.add_subcommand("replay", "Move a pipeline's group back (or forward) and run again from there");
  replay->add_option("pipeline", args->pipeline, "Pipeline name")->required();
  CLI::Option* from = replay->add_option("--from", args->from, "From the first record appended at or after this RFC 3339 time");
  CLI::Option* offset = replay->add_option("--offset", args->offset, "From this offset in every partition");
  CLI::Option* earliest = replay->add_flag("--earliest", args->earliest, "From the start of the stream");
  CLI::Option* latest = replay->add_flag("--latest", args->latest, "Skip to the end");
  from->excludes(offset)->excludes(earliest)->excludes(latest);
  offset->excludes(earliest)->excludes(latest);
  earliest->excludes(latest);
  replay->callback([replay, args] {
    Json body;
    if (args->from) body = {{"time", *args->from}};
    else if (args->offset) body = {{"offset", *args->offset}};
    else if (args->earliest) body = {{"position", "earliest"}};
    else if (args->latest) body = {{"position", "latest"}};
    else ExitWith(ReportFailure(InvalidArgument("give --from, --offset, --earliest or --latest")));
    Json answer = PostJsonOrExit(*replay, PipelinePath(args->pipeline) + "/replay", body);
    std::string offsets;
    for (const Json& o : answer.value("committed", Json::array())) offsets += (offsets.empty() ? "" : ",") + o.dump();
    std::cout << "pipeline " << args->pipeline << " goes on from offsets " << offsets << "\n";
  });
}

}  // namespace

std::string RenderPipelineList(const Json& list) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "TRIGGER", "STEPS", "SINKS", "LAG"}};
  for (const Json& p : list.value("pipelines", Json::array())) {
    const Json trigger = p.value("trigger", Json::object());
    rows.push_back({JsonText(p, "name"), JsonText(trigger, "stream"), Joined(p.value("steps", Json()), false),
                    Joined(p.value("sinks", Json()), true), JsonText(trigger, "lag")});
  }
  return FormatTable(rows);
}

std::string RenderDeadLetters(const Json& records) {
  if (!records.is_array() || records.empty()) return "no dead letters\n";
  std::vector<std::vector<std::string>> rows = {{"OFFSET", "TIME", "STEP", "EVENT", "ATTEMPTS", "PROBLEM"}};
  for (const Json& r : records) {
    const Json data = LetterData(r);
    const Json event = data.is_object() ? data.value("event", Json::object()) : Json::object();
    const Json problem = data.is_object() ? data.value("problem", Json::object()) : Json::object();
    std::string detail = JsonText(problem, "detail");
    if (detail.size() > 60) detail = detail.substr(0, 57) + "...";
    rows.push_back({JsonText(r, "offset"), r.contains("event") ? JsonText(r["event"], "time") : "-",
                    data.is_object() ? JsonText(data, "step") : "-", JsonText(event, "id"),
                    data.is_object() ? JsonText(data, "attempts") : "-", detail});
  }
  return FormatTable(rows);
}

// `eventlake apply FILE`: the file's `pipelines:` to POST /v1/pipelines.
void AddApply(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto prune = std::make_shared<bool>(false);
  CLI::App* apply = app.add_subcommand("apply", "Add and change (with --prune: remove) pipelines of a running server");
  apply->add_option("file", *file, "A YAML file with a `pipelines:` list, as in eventlake.yaml")->required();
  apply->add_flag("--prune", *prune, "Remove the running pipelines the file does not have");
  apply->callback([apply, file, prune] {
    auto text = ReadFile(*file);
    if (!text.has_value()) ExitWith(ReportFailure(text.error()));
    nlohmann::json pipelines;
    try {
      const YAML::Node root = YAML::Load(*text);
      Status parsed = config::internal::ParseYaml(root["pipelines"], "pipelines", &pipelines);
      if (!parsed.ok()) ExitWith(ReportFailure(parsed.WithContext(*file)));
    } catch (const std::exception& e) {
      ExitWith(ReportFailure(InvalidArgument(*file + ": " + e.what())));
    }
    if (!pipelines.is_array()) ExitWith(ReportFailure(InvalidArgument(*file + ": expected a `pipelines:` list")));
    const Json answer = PostJsonOrExit(*apply, "/v1/pipelines", {{"pipelines", pipelines}, {"prune", *prune}});
    for (const Json& c : answer.value("changes", Json::array())) {
      std::cout << JsonText(c, "name") << ": " << JsonText(c, "change");
      if (c.value("version", 0) > 0) std::cout << " (version " << JsonText(c, "version") << ")";
      std::cout << "\n";
    }
  });
}

void AddPipelineCommands(CLI::App& app) {
  AddPipelines(app);
  AddApply(app);
  AddDlq(app);
  AddReplay(app);
}

}  // namespace eventlake::cli
