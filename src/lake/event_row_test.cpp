#include "lake/event_row.h"

#include <gtest/gtest.h>

namespace eventlake::lake {
namespace {

CloudEvent Event(std::string data) {
  CloudEvent e;
  e.id = "e-1";
  e.source = "/web";
  e.type = "page.viewed";
  e.time = 1'000'000;
  e.data_content_type = "application/json";
  e.data = std::move(data);
  return e;
}

const Cell* Find(std::span<const Cell> cells, std::string_view name) {
  for (const Cell& c : cells) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(EventRowEncoder, AttributesThenTypedMembers) {
  EventRowEncoder encoder;
  CloudEvent e = Event(
      R"({"page":"/pricing","n":7,"big":18446744073709551615,"x":1.5,"ok":true,"none":null,)"
      R"("tags":["a","b"],"geo":{"lat":1}})");
  e.subject = "s";
  auto cells = encoder.Encode(e, 99);
  ASSERT_TRUE(cells.has_value()) << cells.error().ToString();
  ASSERT_GE(cells->size(), 5u);
  EXPECT_EQ((*cells)[0].name, "id");
  EXPECT_EQ(std::get<std::string_view>((*cells)[0].value), "e-1");
  EXPECT_EQ(std::get<TimestampValue>(Find(*cells, "time")->value).micros, 1'000'000);
  EXPECT_EQ(std::get<std::string_view>(Find(*cells, "subject")->value), "s");
  EXPECT_EQ(std::get<std::string_view>(Find(*cells, "page")->value), "/pricing");
  EXPECT_EQ(std::get<int64_t>(Find(*cells, "n")->value), 7);
  EXPECT_DOUBLE_EQ(std::get<double>(Find(*cells, "big")->value), 18446744073709551615.0);
  EXPECT_DOUBLE_EQ(std::get<double>(Find(*cells, "x")->value), 1.5);
  EXPECT_EQ(std::get<bool>(Find(*cells, "ok")->value), true);
  EXPECT_EQ(Find(*cells, "none")->value.index(), 0u);
  EXPECT_EQ(std::get<std::string_view>(Find(*cells, "tags")->value), R"(["a","b"])");
  EXPECT_EQ(std::get<std::string_view>(Find(*cells, "geo")->value), R"({"lat":1})");
}

TEST(EventRowEncoder, ClashingAndInvalidNamesAreRenamed) {
  EventRowEncoder encoder;
  auto cells = encoder.Encode(Event(R"({"id":"inner","Type":1,"user-id":"u","2fa":false})"), 0);
  ASSERT_TRUE(cells.has_value());
  EXPECT_EQ(std::get<std::string_view>(Find(*cells, "id")->value), "e-1");  // the attribute
  EXPECT_EQ(std::get<std::string_view>(Find(*cells, "data_id")->value), "inner");
  EXPECT_NE(Find(*cells, "data_Type"), nullptr);
  EXPECT_NE(Find(*cells, "user_id"), nullptr);
  EXPECT_NE(Find(*cells, "_2fa"), nullptr);
}

TEST(EventRowEncoder, TimeFallsBackToTheAppendTime) {
  EventRowEncoder encoder;
  CloudEvent e = Event("{}");
  e.time.reset();
  auto cells = encoder.Encode(e, 42);
  EXPECT_EQ(std::get<TimestampValue>(Find(*cells, "time")->value).micros, 42);
  EXPECT_EQ(Find(*cells, "subject")->value.index(), 0u);
}

TEST(EventRowEncoder, NonObjectTextAndBinaryData) {
  EventRowEncoder encoder;
  auto array = encoder.Encode(Event("[1, 2]"), 0);
  EXPECT_EQ(std::get<std::string_view>(Find(*array, "data")->value), "[1,2]");
  CloudEvent text = Event("hello");
  text.data_content_type = "text/plain";
  EXPECT_EQ(std::get<std::string_view>(Find(*encoder.Encode(text, 0), "data")->value), "hello");
  CloudEvent binary = Event("\x01\x02");
  binary.data_is_binary = true;
  binary.data_content_type = "application/octet-stream";
  EXPECT_EQ(encoder.Encode(binary, 0)->size(), 5u);
  CloudEvent broken = Event("{\"a\":");
  EXPECT_EQ(encoder.Encode(broken, 0).error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventlake::lake
