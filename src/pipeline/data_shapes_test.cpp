// DataShapes: the sample's json_group_structure is the batch's (asked of
// DuckDB both ways), shapes tell apart what DuckDB types apart, and data
// that is not strict JSON, or too many shapes, give no sample.
#include "pipeline/data_shapes.h"

#include <gtest/gtest.h>

#include "engine/database.h"
#include "pipeline/batch_test_util.h"

namespace eventlake::pipeline {
namespace {

// json_group_structure of the batch's object data, of the events at `only` when given.
std::string GroupStructure(engine::Connection& connection, const std::vector<BatchRecord>& batch,
                           const std::vector<size_t>* only = nullptr) {
  std::string values;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (only != nullptr && std::find(only->begin(), only->end(), i) == only->end()) continue;
    values += (values.empty() ? "(" : ", (") + std::to_string(i) + ", " + engine::SqlString(batch[i].event.data) + ")";
  }
  if (values.empty()) return "null";
  auto r = connection.Query("SELECT json_group_structure(d::JSON)::VARCHAR FROM (SELECT * FROM (VALUES " + values +
                            ") v(i, d) ORDER BY i) WHERE json_type(d::JSON) = 'OBJECT'");
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.has_value() ? r->String(0, 0).value_or("null") : "";
}

TEST(DataShapes, TheSamplesStructureIsTheBatchs) {
  auto db = std::move(engine::Database::Open({.threads = 1}).value());
  auto connection = std::move(db->Connect().value());
  const std::vector<std::vector<BatchRecord>> batches = {
      TestBatch({R"({"n": 1})", R"({"n": -1})", R"({"n": 2})"}),                      // UBIGINT and BIGINT
      TestBatch({R"({"n": 0})", R"({"n": -0})"}),                                     // so are 0 and -0
      TestBatch({R"({"n": 1})", R"({"n": null})", R"({"n": "x"})", R"({"n": 1.5})"}),  // NULL, VARCHAR, DOUBLE
      TestBatch({R"({"n": 18446744073709551615})", R"({"n": 9223372036854775808})", R"({"n": 1})"}),
      TestBatch({R"({"n": -9223372036854775808})", R"({"n": 1e300})", R"({"n": 1})"}),
      TestBatch({R"({"b": 1})", R"({"a": 1, "b": 2})", R"({"b": 3, "a": 4})"}),  // members in first-seen order
      TestBatch({R"({"l": [1, "x"]})", R"({"l": [1]})", R"({"l": []})", R"({"l": [{"k": true}, {"k": false}]})"}),
      TestBatch({R"({"o": {"x": 1}})", R"({"o": {"y": "s"}})", "[1, 2]", "\"text\"", R"({"o": null})"}),
      TestBatch({R"({"s": "with \"quotes\" and \\ : {} []", "t": "2026-12-01"})", R"({"s": "plain", "t": "x"})"}),
      TestBatch({"[1]", "2"}),  // no object at all
  };
  DataShapes shapes;
  for (const auto& batch : batches) {
    std::optional<ShapeSample> sample = shapes.Sample(batch);
    ASSERT_TRUE(sample.has_value()) << batch[0].event.data;
    EXPECT_EQ(GroupStructure(*connection, batch, &sample->ordinals), GroupStructure(*connection, batch))
        << batch[0].event.data;
  }
}

TEST(DataShapes, EventsOfOneShapeAreOneSampleAndKindsAreToldApart) {
  DataShapes shapes;
  std::optional<ShapeSample> same = shapes.Sample(TestBatch({R"({"a": 1, "b": "x"})", R"({ "a" : 7 , "b" : "yy" })"}));
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->ordinals, std::vector<size_t>{0});
  for (const auto& [one, other] : std::vector<std::pair<std::string, std::string>>{
           {R"({"a": 1})", R"({"a": -1})"},  {R"({"a": 0})", R"({"a": -0})"},   {R"({"a": -1})", R"({"a": null})"},
           {R"({"a": 1})", R"({"a": 1.0})"}, {R"({"a": 1})", R"({"a": "1"})"},  {R"({"a": true})", R"({"a": false})"},
           {R"({"a": [1]})", R"({"a": [1, 1]})"}, {R"({"a": [1, "x"]})", R"({"a": ["x", 1]})"},
           {R"({"a": 1})", R"({"a": 12345678901234567890})"}}) {
    std::optional<ShapeSample> sample = shapes.Sample(TestBatch({one, other}));
    ASSERT_TRUE(sample.has_value()) << one;
    EXPECT_EQ(sample->ordinals, (std::vector<size_t>{0, 1})) << one << " vs " << other;
  }
  std::optional<ShapeSample> mixed = shapes.Sample(TestBatch({"[1]", R"({"a": 1})", "", R"({"a": 2})"}));
  ASSERT_TRUE(mixed.has_value());
  EXPECT_EQ(mixed->ordinals, std::vector<size_t>{1});  // only objects have members
}

// A Lua table's members come out in an order of their own per event: one
// shape whatever the order, nested objects too, and a batch's key does not
// depend on which shape came first (the sql step keeps its views).
TEST(DataShapes, MembersInAnotherOrderAreOneShapeAndTheKeyIsTheSetOfShapes) {
  auto db = std::move(engine::Database::Open({.threads = 1}).value());
  auto connection = std::move(db->Connect().value());
  DataShapes shapes;
  const auto batch = TestBatch({R"({"a": 1, "b": "x", "o": {"y": 1, "z": true}})",
                                R"({"b": "y", "o": {"z": true, "y": 2}, "a": 2})",
                                R"({"o": {"y": 3, "z": true}, "a": 3, "b": "z"})",
                                R"({"a": 1.5, "b": "x", "o": {"y": 1, "z": true}})"});
  std::optional<ShapeSample> sample = shapes.Sample(batch);
  ASSERT_TRUE(sample.has_value());
  EXPECT_EQ(sample->ordinals, (std::vector<size_t>{0, 3}));  // a is a DOUBLE in the last
  EXPECT_EQ(GroupStructure(*connection, batch, &sample->ordinals), GroupStructure(*connection, batch));
  const auto reversed = TestBatch({R"({"b": "x", "o": {"z": true, "y": 1}, "a": 1.5})", R"({"o": {"y": 1, "z": true}, "b": "x", "a": 1})"});
  std::optional<ShapeSample> other = shapes.Sample(reversed);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->key, sample->key);
  EXPECT_EQ(other->ordinals, (std::vector<size_t>{0, 1}));
  // Keys with quotes and escapes sort as keys, and still tell members apart.
  std::optional<ShapeSample> escaped = shapes.Sample(TestBatch({R"({"a\"b": 1, "a": 2})", R"({"a": 2, "a\"b": 1})", R"({"a\"b": 1, "ab": 2})"}));
  ASSERT_TRUE(escaped.has_value());
  EXPECT_EQ(escaped->ordinals, (std::vector<size_t>{0, 2}));
}

TEST(DataShapes, NoSampleForDataThatIsNotStrictJsonOrTooManyShapes) {
  DataShapes shapes;
  EXPECT_FALSE(shapes.Sample(TestBatch({R"({"a": 1})", "not json"})).has_value());
  EXPECT_FALSE(shapes.Sample(TestBatch({R"({"a": NaN})"})).has_value());
  EXPECT_FALSE(shapes.Sample(TestBatch({R"({"a": 1,})"})).has_value());
  EXPECT_FALSE(shapes.Sample(TestBatch({R"({"a": 18446744073709551616})"})).has_value());  // past 64 bits
  EXPECT_FALSE(shapes.Sample(TestBatch({R"({"a": 1e400})"})).has_value());
  std::vector<BatchRecord> many;
  for (size_t i = 0; i <= DataShapes::kMaxShapes; ++i) {
    many.push_back(TestBatch({"{\"k" + std::to_string(i) + "\": 1}"})[0]);
  }
  EXPECT_FALSE(shapes.Sample(many).has_value());
  many.pop_back();
  EXPECT_TRUE(shapes.Sample(many).has_value());
}

}  // namespace
}  // namespace eventlake::pipeline
