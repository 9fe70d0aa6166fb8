// RowEventReader: every row it reads is the event, data byte for byte,
// that to_json and EventFromRow make of the same row; and it declines the
// statements whose columns it cannot read.
#include "pipeline/row_event_reader.h"

#include <gtest/gtest.h>

#include "engine/database.h"

namespace eventlake::pipeline {
namespace {

class RowEventReaderTest : public testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    connection_ = std::move(db_->Connect().value());
    ASSERT_TRUE(connection_->Execute("SET TimeZone = 'UTC'").ok());
  }

  // The events of `sql` as the reader reads them; nullopt when it declines.
  std::optional<Result<std::vector<CloudEvent>>> Read(const std::string& sql) {
    auto statement = connection_->Prepare("SELECT * FROM (\n" + sql + "\n) AS q");
    EXPECT_TRUE(statement.has_value()) << statement.error().ToString();
    std::optional<RowEventReader> reader = RowEventReader::For(**statement, defaults_);
    if (!reader.has_value()) return std::nullopt;
    auto rows = (*statement)->Execute();
    EXPECT_TRUE(rows.has_value()) << rows.error().ToString();
    std::vector<CloudEvent> out;
    while (rows->Next().value_or(false)) {
      for (size_t r = 0; r < rows->rows(); ++r) {
        auto e = reader->Event(*rows, r);
        if (!e.has_value()) return Err(e.error());
        out.push_back(std::move(*e));
      }
    }
    return out;
  }

  // The same through to_json and EventFromRow, as the sql step did before.
  Result<std::vector<CloudEvent>> Rendered(const std::string& sql) {
    EL_ASSIGN_OR_RETURN(engine::QueryResult rows,
                        connection_->Query("SELECT to_json(q)::VARCHAR FROM (\n" + sql + "\n) AS q"));
    std::vector<CloudEvent> out;
    for (size_t r = 0; r < rows.rows(); ++r) {
      auto row = nlohmann::json::parse(rows.String(0, r).value_or("{}"), nullptr, false);
      if (!row.is_object()) return Err(Internal("a result row is not a JSON object"));
      EL_ASSIGN_OR_RETURN(CloudEvent e, EventFromRow(std::move(row), defaults_));
      out.push_back(std::move(e));
    }
    return out;
  }

  void ExpectSameEvents(const std::string& sql) {
    auto read = Read(sql);
    ASSERT_TRUE(read.has_value()) << "declined: " << sql;
    auto rendered = Rendered(sql);
    ASSERT_EQ(read->has_value(), rendered.has_value()) << sql;
    if (!rendered.has_value()) {
      EXPECT_EQ(read->error().code(), rendered.error().code()) << sql;
      return;
    }
    ASSERT_EQ((*read)->size(), rendered->size()) << sql;
    for (size_t i = 0; i < rendered->size(); ++i) {
      EXPECT_EQ((**read)[i], (*rendered)[i]) << sql << "\nrow " << i << ": " << (**read)[i].data
                                            << "\nvs " << (*rendered)[i].data;
    }
  }

  RowEventDefaults defaults_{.source = "/d", .type = "d.t"};
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> connection_;
};

TEST_F(RowEventReaderTest, ScalarsAreWhatToJsonMadeOfThem) {
  ExpectSameEvents(
      "SELECT 'a' AS id, 'zebra' AS z, 1 AS a, -9223372036854775808 AS min, 18446744073709551615::UBIGINT AS max, "
      "42::TINYINT AS tiny, 7::UTINYINT AS utiny, true AS yes, false AS no, 6.0::DOUBLE AS six, 1e20::DOUBLE AS big, "
      "0.1::DOUBLE AS tenth, 1e-7::DOUBLE AS small, -0.0::DOUBLE AS negzero, 0.1::FLOAT AS f, 1e15::DOUBLE AS e15");
}

TEST_F(RowEventReaderTest, StringsKeepTheirUnicodeAndEscapeWhatJsonMust) {
  ExpectSameEvents(
      "SELECT 'a' AS id, 'grüße, 東京, 🎉' AS s, 'quote \" back \\ slash / tab \t nl \n cr \r' AS e, "
      "chr(1) || chr(31) || chr(127) || chr(8) || chr(12) AS controls, '' AS empty, 'ключ' AS \"ключ\"");
}

TEST_F(RowEventReaderTest, NullsAreLeftOutAtTheTopAndKeptInside) {
  ExpectSameEvents(
      "SELECT 'a' AS id, NULL AS gone, NULL::VARCHAR AS also, [1, NULL, 3] AS l, {'b': NULL, 'a': 1} AS s, "
      "NULL::INTEGER[] AS nl FROM range(2)");
  ExpectSameEvents("SELECT 'a' AS id, NULL AS n");  // no member: {}
}

TEST_F(RowEventReaderTest, NestedListsAndStructsComeOutAsJson) {
  ExpectSameEvents(
      "SELECT 'a' AS id, ['x', 'y'] AS tags, [] AS none, {'z': 1, 'a': [{'q': 'w', 'b': 2.5::DOUBLE}], 'm': {'k': true}} AS s, "
      "[[1, 2], [3]] AS ll, [{'b': 1, 'a': 2}] AS ls");
}

TEST_F(RowEventReaderTest, AttributesDefaultsRenamesAndTheDataColumn) {
  ExpectSameEvents(
      "SELECT 7 AS id, 's' AS source, NULL AS type, 'sub' AS subject, TIMESTAMPTZ '2026-12-01 10:00:00.5+00' AS time, "
      "'shadow' AS data_id, 'kept' AS data_other, 1 AS x");
  ExpectSameEvents("SELECT 'a' AS id, '2026-12-01T10:00:00Z' AS time, '[1, 2.50]'::JSON AS data");
  ExpectSameEvents("SELECT 'a' AS id, '\"text\"'::JSON AS data, NULL AS x");
  ExpectSameEvents("SELECT 'a' AS id, '{\"k\": 1}'::JSON AS data, 1 AS a, 2 AS z");
  ExpectSameEvents("SELECT 'a' AS id, 'null'::JSON AS data, '{\"b\": [1, null]}'::JSON AS j");
  ExpectSameEvents("SELECT 'a' AS id, 'plain' AS data, 1 AS b");
  ExpectSameEvents("SELECT 'a' AS id, 2 AS b, 'plain' AS data");
  ExpectSameEvents("SELECT 'a' AS id, 1 AS a, 1 AS a");  // duplicate names: to_json's a_1
  ExpectSameEvents("SELECT 'a' AS id, 'not a time' AS time");
  ExpectSameEvents("SELECT 'a' AS id, 'nan'::DOUBLE AS x");
}

TEST_F(RowEventReaderTest, NewIdsWhenThereIsNone) {
  auto read = Read("SELECT 1 AS a FROM range(3)");
  ASSERT_TRUE(read.has_value() && read->has_value());
  ASSERT_EQ((*read)->size(), 3u);
  EXPECT_EQ((**read)[0].id.size(), 36u);
  EXPECT_NE((**read)[0].id, (**read)[1].id);
  EXPECT_EQ((**read)[0].source, "/d");
  EXPECT_EQ((**read)[0].type, "d.t");
  EXPECT_FALSE((**read)[0].time.has_value());
}

TEST_F(RowEventReaderTest, DeclinesColumnsItCannotRead) {
  for (const std::string sql :
       {"SELECT 1.5::DECIMAL(5,2) AS d", "SELECT MAP {'k': 1} AS m", "SELECT TIMESTAMPTZ '2026-12-01 10:00:00+00' AS t",
        "SELECT DATE '2026-12-01' AS time", "SELECT 1::HUGEINT AS h", "SELECT [1, 2]::INTEGER[2] AS a",
        "SELECT '{}'::JSON AS data, 1 AS data_data", "SELECT 1 AS time"}) {
    EXPECT_FALSE(Read(sql).has_value()) << sql;
  }
}

}  // namespace
}  // namespace eventlake::pipeline
