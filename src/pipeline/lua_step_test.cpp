// LuaStep: record and batch mode, the event's table and back, failures
// that stay with their record, the sandbox, the limits and the pool.
#include "pipeline/lua_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "pipeline/lua_json.h"

namespace eventlake::pipeline {
namespace {

using nlohmann::json;
using testing::HasSubstr;

BatchRecord Event(std::string id, std::string data) {
  BatchRecord r;
  r.event.id = std::move(id);
  r.event.source = "/web";
  r.event.type = "click";
  r.event.data_content_type = "application/json";
  r.event.data = std::move(data);
  return r;
}

std::unique_ptr<LuaStep> Step(std::string code, LuaMode mode = LuaMode::kRecord,
                              std::vector<std::string> allow = {}) {
  auto step = LuaStep::Create(
      {.code = std::move(code), .chunk_name = "test.lua", .mode = mode, .allow = std::move(allow)});
  EXPECT_TRUE(step.has_value()) << step.error().ToString();
  return step.has_value() ? std::move(*step) : nullptr;
}

// The error of running `body` (as the body of process(e)) on one event.
std::string ErrorOf(const std::string& body, std::vector<std::string> allow = {}) {
  auto step = Step("function process(e) " + body + " end", LuaMode::kRecord, std::move(allow));
  if (step == nullptr) return "no step";
  std::vector<BatchRecord> batch{Event("a", "{}")};
  StepResult r = step->Run(batch);
  if (r.failed.size() != 1) return "no error";
  return r.failed[0].error.message();
}

struct ErrorCase {
  const char* body;   // of process(e)
  const char* error;  // a part of the record's error
};

void ExpectErrors(std::span<const ErrorCase> cases) {
  for (const ErrorCase& c : cases) EXPECT_THAT(ErrorOf(c.body), HasSubstr(c.error)) << c.body;
}

TEST(LuaStep, RecordModeChangesTheEventsItReturns) {
  auto step = Step(R"(
    function process(e)
      e.data.price = e.data.price * 2
      e.data.country = string.upper(e.data.country)
      e.subject = "order-" .. e.id
      e.region = "eu"
      e.dataschema = "https://example.com/order.json"
      return e
    end)");
  std::vector<BatchRecord> batch{Event("a", R"({"price": 3, "country": "de"})")};
  batch[0].event.time = 1'796'212'800'000'000;
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.failed.empty()) << r.failed[0].error.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  const CloudEvent& e = r.out[0];
  EXPECT_EQ(e.id, "a");
  EXPECT_EQ(e.source, "/web");
  EXPECT_EQ(e.type, "click");
  EXPECT_EQ(e.subject, "order-a");
  EXPECT_EQ(e.data_schema, "https://example.com/order.json");
  EXPECT_EQ(e.time, 1'796'212'800'000'000);
  EXPECT_EQ(e.data_content_type, "application/json");
  EXPECT_EQ(json::parse(e.data), json::parse(R"({"price": 6, "country": "DE"})"));
  ASSERT_NE(e.FindExtension("region"), nullptr);
  EXPECT_EQ(std::get<std::string>(*e.FindExtension("region")), "eu");
}

TEST(LuaStep, RecordModeDropsWithNilAndFansOutWithAnArray) {
  auto step = Step(R"(
    function process(e)
      if e.data.kind == "noise" then return nil end
      if e.data.kind == "off" then return false end
      if e.data.kind == "pair" then
        return { {data = {n = 1}}, {id = "second", type = "split", data = {n = 2}} }
      end
      return e
    end)");
  std::vector<BatchRecord> batch{
      Event("a", R"({"kind": "noise"})"), Event("b", R"({"kind": "pair"})"),
      Event("c", R"({"kind": "off"})"), Event("d", R"({"kind": "keep"})")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.failed.empty()) << r.failed[0].error.ToString();
  ASSERT_EQ(r.out.size(), 3u);
  EXPECT_EQ(r.out[0].data, R"({"n":1})");
  EXPECT_EQ(r.out[0].id.size(), 36u);  // a new UUIDv7
  EXPECT_EQ(r.out[0].source, "/web");  // the input event's
  EXPECT_EQ(r.out[0].type, "click");
  EXPECT_EQ(r.out[0].data_content_type, "application/json");
  EXPECT_EQ(r.out[1].id, "second");
  EXPECT_EQ(r.out[1].type, "split");
  EXPECT_EQ(r.out[2].id, "d");
}

TEST(LuaStep, AnErrorFailsOnlyItsRecordWithLuasMessage) {
  auto step = Step(
      "function process(e)\n  if e.data.bad then\n    return e.data.missing.x\n  end\n  return "
      "e\nend");
  std::vector<BatchRecord> batch{Event("a", R"({"n": 1})"), Event("b", R"({"bad": true})"),
                                 Event("c", "{}"), Event("d", "not json")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[0].id, "a");
  EXPECT_EQ(r.out[1].id, "c");
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].index, 1u);
  EXPECT_EQ(r.failed[0].error.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.failed[0].error.message(),
              HasSubstr("lua: test.lua:3: attempt to index field 'missing'"));
  EXPECT_EQ(r.failed[1].index, 3u);
  EXPECT_THAT(r.failed[1].error.message(), HasSubstr("the event's data is not JSON"));
}

TEST(LuaStep, ResultsThatAreNotEventsFailTheirRecord) {
  const ErrorCase cases[] = {
      {"return 42", "process's result is a number"},
      {"e.time = 'yesterday' return e", "time:"},
      {"e.specversion = '2.0' return e", "specversion must be 1.0, not 2.0"},
      {"e.subject = 7 return e", "subject must be a string, not a number"},
      {"e.region = 'bad\\255' return e", "region is not valid UTF-8"},
      {"e.Bad_Name = 1 return e", "'Bad_Name' is neither an attribute nor an extension"},
      {"e.ext = 1.5 return e", "the extension ext must be an integer"},
      {"e.data = {1, 2, x = 3} return e", "data: a table with keys 1..2 and others"},
      {"e.data = {f = print or pairs} return e", "data.f: a function is not JSON"},
      {"local t = {} t.t = t e.data = t return e", "nested deeper than 100"},
      {"e.data = {s = '\\255'} return e", "data.s: a string that is not valid UTF-8"},
      {"e.data = {n = 0/0} return e", "NaN"},
  };
  ExpectErrors(cases);
}

TEST(LuaStep, ErrorsInDataSayWhereDownNestedTables) {
  EXPECT_EQ(ErrorOf("e.data = {a = {{}, {b = {1, 2, print or pairs}}}} return e"),
            "lua: process's result: data.a[2].b[3]: a function is not JSON");
  EXPECT_EQ(ErrorOf("e.data = {ok = {1}, bad = {{x = 0/0}}} return e"),
            "lua: process's result: data.bad[1].x: NaN and infinities are not JSON numbers");
  EXPECT_THAT(ErrorOf("json.encode({x = {pairs}})"),
              HasSubstr("json.encode.x[1]: a function is not JSON"));
  std::string cycle = "data";
  for (int depth = 0; depth < kMaxJsonDepth; ++depth) cycle += ".t";
  EXPECT_THAT(ErrorOf("local t = {} t.t = t e.data = t return e"),
              HasSubstr(cycle + ": nested deeper than 100"));
}

TEST(LuaStep, UnicodeNestedDataAndNullRoundTrip) {
  auto step = Step("function process(e) e.data.seen = e.data.list[3] == json.null return e end");
  const std::string data =
      R"({"name":"Zoë 東京 🚀","list":[1,"two",null,{"deep":[[],{}]}],"empty":{},"none":[],"big":12345678901,"f":0.25,"t":true})";
  std::vector<BatchRecord> batch{Event("a", data)};
  StepResult r = step->Run(batch);
  ASSERT_EQ(r.out.size(), 1u) << r.failed[0].error.ToString();
  json expected = json::parse(data);
  expected["seen"] = true;
  EXPECT_EQ(json::parse(r.out[0].data), expected);
}

TEST(LuaStep, DataThatIsNotAnObjectAndNumbersComeBackAsTheyWere) {
  auto step = Step("function process(e) return e end");
  const std::pair<const char*, const char*> cases[] = {
      {"[1,2,[]]", "[1,2,[]]"},
      {R"("just text")", R"("just text")"},
      {"42", "42"},
      {"true", "true"},
      {"null", "null"},
      {"-0.0", "0"},
      {"[1.0,2.50,-3.125,0.001,1e-7,123456.789012]", "[1,2.5,-3.125,0.001,1e-07,123456.789012]"},
      {"[9007199254740993,12345678901234567890,-9223372036854775808]",
       "[9007199254740992,12345678901234567168,-9223372036854775808]"},  // as doubles
      {R"({"a":{"b":{"c":[{"d":[]}, {}]}}})", R"({"a":{"b":{"c":[{"d":[]},{}]}}})"},
  };
  for (const auto& [in, out] : cases) {
    std::vector<BatchRecord> batch{Event("a", in)};
    StepResult r = step->Run(batch);
    ASSERT_EQ(r.out.size(), 1u) << in << ": " << r.failed[0].error.ToString();
    EXPECT_EQ(r.out[0].data, out) << in;
  }
}

TEST(LuaStep, EmptyTablesArraysAndTheJsonFunctions) {
  auto step = Step(R"(
    function process(e)
      local parsed = json.decode('{"a": [1, null], "b": {}}')
      assert(parsed.a[2] == json.null and getmetatable(parsed.a) == json.array)
      e.data = {
        object = {},
        array = setmetatable({}, json.array),
        kept = e.data.none,
        text = json.encode({1, 2.5, "x", true, json.null}),
        parsed = parsed,
      }
      return e
    end)");
  std::vector<BatchRecord> batch{Event("a", R"({"none": []})")};
  StepResult r = step->Run(batch);
  ASSERT_EQ(r.out.size(), 1u) << r.failed[0].error.ToString();
  EXPECT_EQ(json::parse(r.out[0].data), json::parse(R"({"object": {}, "array": [], "kept": [],
      "text": "[1,2.5,\"x\",true,null]", "parsed": {"a": [1, null], "b": {}}})"));
  EXPECT_THAT(ErrorOf("json.decode('{')"), HasSubstr("json.decode: not JSON"));
  EXPECT_THAT(ErrorOf("json.encode(function() end)"),
              HasSubstr("json.encode: a function is not JSON"));
  EXPECT_THAT(ErrorOf("e.data_base64 = 'AA==' return e"),
              HasSubstr("data and data_base64 must not both be present"));
  EXPECT_THAT(ErrorOf("e.data_base64 = '***' return e"), HasSubstr("base64"));
}

TEST(LuaStep, AttributesExtensionsAndOtherDataReachTheScript) {
  auto step = Step(R"(
    function process(e)
      assert(e.specversion == "1.0" and e.time == "2026-12-01T10:00:00.500000Z")
      assert(e.partitionkey == "k" and e.flag == true and e.count == 7)
      e.data = e.data .. "!"
      e.count = e.count + 1
      return e
    end)");
  std::vector<BatchRecord> batch{Event("a", "hello")};
  batch[0].event.data_content_type = "text/plain";
  batch[0].event.time = 1'796'119'200'500'000;
  batch[0].event.extensions = {
      {"partitionkey", std::string("k")}, {"flag", true}, {"count", int64_t{7}}};
  StepResult r = step->Run(batch);
  ASSERT_EQ(r.out.size(), 1u) << r.failed[0].error.ToString();
  EXPECT_EQ(r.out[0].data, "hello!");
  EXPECT_EQ(r.out[0].data_content_type, "text/plain");
  EXPECT_EQ(std::get<int64_t>(*r.out[0].FindExtension("count")), 8);
  EXPECT_EQ(std::get<bool>(*r.out[0].FindExtension("flag")), true);

  auto binary =
      Step("function process(e) assert(e.data == nil) e.data_base64 = 'AAEC' return e end");
  batch[0].event.data_is_binary = true;
  r = binary->Run(batch);
  ASSERT_EQ(r.out.size(), 1u) << r.failed[0].error.ToString();
  EXPECT_TRUE(r.out[0].data_is_binary);
  EXPECT_EQ(r.out[0].data, std::string("\0\1\2", 3));
}

TEST(LuaStep, BatchModeGetsTheBatchAndAnErrorFailsItWhole) {
  auto step = Step(R"(
    function process(events)
      local total = 0
      for _, e in ipairs(events) do
        if e.data.fail then error("bad batch") end
        total = total + e.data.n
      end
      return { {data = {total = total, count = #events}} }
    end)",
                   LuaMode::kBatch);
  std::vector<BatchRecord> batch{Event("a", R"({"n": 2})"), Event("b", R"({"n": 3})")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(json::parse(r.out[0].data), json::parse(R"({"total": 5, "count": 2})"));
  EXPECT_EQ(r.out[0].source, "/eventlake/pipeline");
  EXPECT_EQ(r.out[0].type, "eventlake.pipeline.lua");

  batch.push_back(Event("c", R"({"fail": true})"));
  r = step->Run(batch);
  EXPECT_THAT(r.status.message(), HasSubstr("lua: test.lua:5: bad batch"));
  EXPECT_TRUE(r.out.empty());
}

TEST(LuaStep, BatchModeNamesTheEventsThatFailedAlone) {
  auto step = Step(R"(
    function process(events)
      local out, failed = {}, {}
      for i, e in ipairs(events) do
        if e.data.price < 0 then failed[i] = "negative price" else out[#out + 1] = e end
      end
      return out, failed
    end)",
                   LuaMode::kBatch);
  std::vector<BatchRecord> batch{Event("a", R"({"price": 1})"), Event("b", R"({"price": -1})"),
                                 Event("c", R"({"price": 2})")};
  StepResult r = step->Run(batch);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].index, 1u);
  EXPECT_EQ(r.failed[0].error.message(), "lua: negative price");
  ASSERT_EQ(r.out.size(), 2u);
  // Under the batch runner: the failed event is a dead letter, the others go on.
  for (BatchRecord& record : batch) record.appended_micros = SystemClock().NowMicros();
  BatchRunner runner({.max_attempts = 2}, &SystemClock(), [](std::chrono::microseconds) {});
  BatchOutcome outcome =
      runner.Run("lua", batch, [&](std::span<const BatchRecord> b) { return step->Run(b); });
  ASSERT_EQ(outcome.out.size(), 2u);
  ASSERT_EQ(outcome.dead_letters.size(), 1u);
  EXPECT_EQ(outcome.dead_letters[0].record.event.id, "b");
  EXPECT_EQ(outcome.dead_letters[0].error.message(), "lua: negative price");

  auto bad = Step("function process(es) return es, {[7] = 'x'} end", LuaMode::kBatch);
  EXPECT_THAT(bad->Run(batch).status.message(), HasSubstr("have keys 1..3"));
}

TEST(LuaStep, TheSandboxHasNoWayOut) {
  const ErrorCase cases[] = {
      {"io.open('/etc/passwd')", "global 'io'"},
      {"os.execute('true')", "global 'os'"},
      {"require('ffi')", "global 'require'"},
      {"load('return 1')", "global 'load'"},
      {"loadstring('return 1')", "global 'loadstring'"},
      {"dofile('/etc/passwd')", "global 'dofile'"},
      {"string.dump(process)", "field 'dump'"},
      {"getmetatable('').__index.dump(process)", "field 'dump'"},
      {"debug.getinfo(1)", "global 'debug'"},
      {"jit.on()", "global 'jit'"},
      {"collectgarbage('stop')", "global 'collectgarbage'"},
      {"setfenv(1, {})", "global 'setfenv'"},
      {"package.loadlib('x', 'y')", "global 'package'"},
      {"print('x')", "global 'print'"},
  };
  ExpectErrors(cases);
  // What `allow` adds is there, and only that.
  EXPECT_EQ(
      ErrorOf("assert(os.time() > 0 and os.date('!%Y') >= '2026' and os.clock() >= 0) error('ok')",
              {"os.time", "os.date", "os.clock"}),
      "lua: test.lua:1: ok");
  EXPECT_THAT(ErrorOf("os.execute('true')", {"os.time"}), HasSubstr("field 'execute'"));
  EXPECT_THAT(ErrorOf("debug.getinfo(1)", {"debug.traceback"}), HasSubstr("field 'getinfo'"));
  for (const char* refused :
       {"io.open", "os.execute", "os.getenv", "ffi", "require", "string.dump", "load", "jit"}) {
    auto step = LuaStep::Create({.code = "function process(e) end", .allow = {refused}});
    ASSERT_FALSE(step.has_value()) << refused;
    EXPECT_THAT(step.error().message(), HasSubstr("cannot be allowed")) << refused;
  }
  auto bytecode = LuaStep::Create({.code = "\x1bLJ\x02", .chunk_name = "x"});
  ASSERT_FALSE(bytecode.has_value());
  EXPECT_THAT(bytecode.error().message(), HasSubstr("bytecode"));
}

TEST(LuaStep, CreateRefusesSyntaxErrorsAndAMissingFunction) {
  auto syntax = LuaStep::Create(
      {.code = "function process(e)\n  return e +\nend", .chunk_name = "functions/x.lua"});
  ASSERT_FALSE(syntax.has_value());
  EXPECT_EQ(syntax.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(syntax.error().message(),
              HasSubstr("lua: functions/x.lua:3: unexpected symbol near 'end'"));
  auto missing = LuaStep::Create({.code = "function transform(e) return e end"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(), HasSubstr("defines no function 'process'"));
  auto named =
      LuaStep::Create({.code = "function transform(e) return e end", .function = "transform"});
  EXPECT_TRUE(named.has_value());
  auto top = LuaStep::Create({.code = "error('at load')", .chunk_name = "t.lua"});
  ASSERT_FALSE(top.has_value());
  EXPECT_THAT(top.error().message(), HasSubstr("t.lua:1: at load"));
}

TEST(LuaStep, AnEndlessLoopStopsAtTheCpuLimitAndTheStepGoesOn) {
  auto step = LuaStep::Create({.code = R"(
    calls = 0
    function process(e)
      calls = calls + 1
      if e.data.spin == 1 then while true do end end
      if e.data.spin == 2 then local i = 0 while true do i = i + 1 end end
      if e.data.spin == 3 then while true do pcall(function() while true do end end) end end
      if e.data.spin == 4 then coroutine.wrap(function() while true do end end)() end
      if e.data.spin == 5 then  -- backtracking for hours inside string.find, in C
        local s = ('a'):rep(40)
        while true do pcall(s.find, s, ('a?'):rep(40) .. s .. 'b') end
      end
      e.data.calls = calls
      return e
    end)",
                               .chunk_name = "spin.lua",
                               .timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(step.has_value());
  std::vector<BatchRecord> batch{Event("a", R"({"spin": 1})"),
                                 Event("b", "{}"),
                                 Event("c", R"({"spin": 2})"),
                                 Event("d", R"({"spin": 3})"),
                                 Event("e", R"({"spin": 4})"),
                                 Event("f", R"({"spin": 5})"),
                                 Event("g", "{}")};
  const auto start = std::chrono::steady_clock::now();
  StepResult r = (*step)->Run(batch);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(r.failed.size(), 5u);
  for (const FailedItem& f : r.failed) {
    EXPECT_EQ(f.error.code(), StatusCode::kDeadlineExceeded);
    EXPECT_EQ(f.error.message(), "lua: exceeded 50ms of CPU");
  }
  ASSERT_EQ(r.out.size(), 2u);
  // Each record after a timeout ran in a fresh state: its globals start over.
  EXPECT_EQ(json::parse(r.out[0].data)["calls"], 1);
  EXPECT_EQ(json::parse(r.out[1].data)["calls"], 1);

  auto batch_step = LuaStep::Create({.code = "function process(es) while true do end end",
                                     .mode = LuaMode::kBatch,
                                     .timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(batch_step.has_value());
  r = (*batch_step)->Run(batch);
  EXPECT_EQ(r.status.message(), "lua: exceeded 50ms of CPU");
}

TEST(LuaStep, ACallGetsItsCpuTimeAfterManyShortOnes) {
  // The start of a call is a CPU clock reading up to 100 us old: a call
  // that needs 60% of its limit still gets it, right after quick calls.
  auto step = LuaStep::Create({.code = R"(
    function process(e)
      if e.data.spin then
        local start = os.clock()
        while os.clock() - start < 0.06 do end
      end
      return e
    end)",
                               .timeout = std::chrono::milliseconds(100),
                               .allow = {"os.clock"}});
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  std::vector<BatchRecord> batch(200, Event("a", "{}"));
  batch.push_back(Event("b", R"({"spin": true})"));
  StepResult r = (*step)->Run(batch);
  EXPECT_TRUE(r.failed.empty()) << r.failed[0].error.ToString();
  EXPECT_EQ(r.out.size(), batch.size());
}

TEST(LuaStep, MemoryOverTheLimitFailsTheCallNotTheProcess) {
  auto step = LuaStep::Create({.code = R"(
    function process(e)
      if e.data.grow then
        local t = {} while true do t[#t + 1] = string.rep('x', 1000) .. #t end
      end
      if e.data.big then local s = string.rep('x', 100 * 1024 * 1024) end
      return e
    end)",
                               .memory_limit = 8ull << 20});
  ASSERT_TRUE(step.has_value());
  std::vector<BatchRecord> batch{Event("a", R"({"grow": true})"), Event("b", R"({"big": true})"),
                                 Event("c", "{}")};
  StepResult r = (*step)->Run(batch);
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].error.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.failed[0].error.message(), "lua: exceeded the memory limit of 8MiB");
  EXPECT_EQ(r.failed[1].error.message(), "lua: exceeded the memory limit of 8MiB");
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].id, "c");
  // The next batch runs as usual.
  r = (*step)->Run(std::span(batch).subspan(2));
  EXPECT_EQ(r.out.size(), 1u);
}

TEST(LuaStep, ResultsLargerThanTheMemoryLimitAreRefused) {
  // Small in Lua (one 1 MiB string, referred to many times), huge as events.
  auto step = LuaStep::Create({.code = R"(
    function process(e)
      local s = string.rep('x', 1024 * 1024)
      if e.data.wide then
        local t = {} for i = 1, 10000 do t[i] = s end
        e.data = t
        return e
      end
      if e.data.many then
        local t = {} for i = 1, 10000 do t[i] = {subject = s} end
        return t
      end
      return json.encode({s, s, s, s, s, s, s, s, s})
    end)",
                               .memory_limit = 8ull << 20});
  ASSERT_TRUE(step.has_value());
  const std::pair<const char*, const char*> cases[] = {
      {R"({"wide": true})", "data[9]: the JSON text is over the limit of 8388608 bytes"},
      {R"({"many": true})", "the events are larger than memory_limit"},
      {"{}", "json.encode[9]: the JSON text is over the limit"}};
  for (const auto& [data, error] : cases) {
    std::vector<BatchRecord> batch{Event("a", data)};
    StepResult r = (*step)->Run(batch);
    ASSERT_EQ(r.failed.size(), 1u) << data;
    EXPECT_THAT(r.failed[0].error.message(), HasSubstr(error));
  }
}

TEST(LuaStep, SeveralThreadsRunAtOnce) {
  auto step = Step("function process(e) e.data.n = e.data.n + 1 return e end");
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        std::vector<BatchRecord> batch;
        for (int i = 0; i < 20; ++i)
          batch.push_back(Event(std::to_string(i), R"({"n": )" + std::to_string(t) + "}"));
        StepResult r = step->Run(batch);
        bool all = r.failed.empty() && r.out.size() == 20;
        for (const CloudEvent& e : r.out) all = all && json::parse(e.data)["n"] == t + 1;
        good[t] += all ? 1 : 0;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good, std::vector<int>(4, 50));
}

TEST(LuaStepOptions, ParsesAFileOrAMap) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lua_step_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "functions");
  std::ofstream(dir / "functions" / "x.lua") << "function process(e) return e end";
  auto file =
      ParseLuaStepOptions(json("functions/x.lua"), "pipelines[0].steps[2].lua", dir.string());
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->code, "function process(e) return e end");
  EXPECT_EQ(file->chunk_name, "functions/x.lua");
  EXPECT_EQ(file->mode, LuaMode::kRecord);
  auto map =
      ParseLuaStepOptions(json::parse(R"({"code": "function f(es) return es end", "function": "f",
      "mode": "batch", "timeout": "250ms", "memory_limit": "16MiB", "allow": ["os.time"]})"),
                          "pipelines[0].steps[2].lua", dir.string());
  ASSERT_TRUE(map.has_value()) << map.error().ToString();
  EXPECT_EQ(map->function, "f");
  EXPECT_EQ(map->mode, LuaMode::kBatch);
  EXPECT_EQ(map->timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(map->memory_limit, 16ull << 20);
  EXPECT_EQ(map->allow, std::vector<std::string>{"os.time"});
  EXPECT_EQ(map->chunk_name, "pipelines[0].steps[2].lua");
  EXPECT_TRUE(LuaStep::Create(*map).has_value());
  std::filesystem::remove_all(dir);
}

TEST(LuaStepOptions, ErrorsNameTheKey) {
  const auto error = [](const char* spec) {
    auto parsed =
        ParseLuaStepOptions(json::parse(spec), "pipelines[0].steps[2].lua", "/nonexistent");
    return parsed.has_value() ? std::string("parsed") : parsed.error().message();
  };
  EXPECT_THAT(error(R"({"code": "x", "timeout": "soon"})"),
              HasSubstr("pipelines[0].steps[2].lua.timeout: "));
  EXPECT_THAT(error(R"({"code": "x", "timeout": "0"})"),
              HasSubstr("lua.timeout: must be more than 0"));
  EXPECT_THAT(error(R"({"code": "x", "memory_limit": "lots"})"), HasSubstr("lua.memory_limit: "));
  EXPECT_THAT(error(R"({"code": "x", "memory_limit": "1KiB"})"),
              HasSubstr("lua.memory_limit: must be at least"));
  EXPECT_THAT(error(R"({"code": "x", "mode": "stream"})"),
              HasSubstr("lua.mode: record or batch, not stream"));
  EXPECT_THAT(error(R"({"code": "x", "allow": ["os.time", "io.open"]})"),
              HasSubstr("lua.allow[1]: 'io.open' cannot be allowed"));
  EXPECT_THAT(error(R"({"code": "x", "timeot": "1s"})"), HasSubstr("lua.timeot: unknown key"));
  EXPECT_THAT(error(R"({"code": "x", "file": "y.lua"})"), HasSubstr("lua: one of file and code"));
  EXPECT_THAT(error(R"({"file": "missing.lua"})"),
              HasSubstr("lua.file: cannot read /nonexistent/missing.lua"));
  EXPECT_THAT(error(R"({"code": 3})"), HasSubstr("lua.code: a string is expected"));
  EXPECT_THAT(error("42"), HasSubstr("lua: a .lua file's path or a map is expected"));
}

}  // namespace
}  // namespace eventlake::pipeline
