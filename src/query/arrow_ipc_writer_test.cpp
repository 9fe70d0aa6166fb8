#include "query/arrow_ipc_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/database.h"
#include "query/flatbuffer_test_reader.h"

namespace eventlake::query {
namespace {

using testing::HasSubstr;

// Message.fbs numbers the tests look for.
constexpr uint8_t kSchema = 1, kDictionaryBatch = 2, kRecordBatch = 3;
constexpr uint8_t kIntType = 2, kUtf8Type = 5, kDecimalType = 7, kTimestampType = 10,
                  kListType = 12, kStructType = 13, kMapType = 17;

struct Message {
  uint8_t header_type = 0;
  FlatTable header;
  std::string_view body;
};

// Splits a stream into its messages, failing the test on any framing
// error: a missing continuation, metadata or body not padded to 8 bytes, a
// body length beyond the stream, a buffer outside its body or misaligned,
// anything after the end-of-stream marker.
std::vector<Message> ReadStream(std::string_view stream) {
  std::vector<Message> messages;
  size_t at = 0;
  while (true) {
    if (at + 8 > stream.size()) {
      ADD_FAILURE() << "the stream ends without its end-of-stream marker";
      return messages;
    }
    uint32_t continuation, size;
    std::memcpy(&continuation, stream.data() + at, 4);
    std::memcpy(&size, stream.data() + at + 4, 4);
    EXPECT_EQ(continuation, 0xFFFFFFFFu) << "at " << at;
    if (size == 0) {
      EXPECT_EQ(at + 8, stream.size()) << "bytes after the end-of-stream marker";
      return messages;
    }
    EXPECT_EQ(size % 8, 0u) << "metadata not padded to 8 bytes at " << at;
    auto message = FlatTable::Root(stream.substr(at + 8, size));
    if (!message) {
      ADD_FAILURE() << "unreadable Message flatbuffer at " << at;
      return messages;
    }
    EXPECT_EQ(message->Scalar<int16_t>(0), 4) << "metadata version V5";
    const int64_t body_length = message->Scalar<int64_t>(3).value_or(0);
    EXPECT_EQ(body_length % 8, 0) << "body not padded to 8 bytes";
    const size_t body_at = at + 8 + size;
    if (body_at + static_cast<size_t>(body_length) > stream.size()) {
      ADD_FAILURE() << "a body beyond the stream at " << at;
      return messages;
    }
    auto header = message->Table(2);
    if (!header) {
      ADD_FAILURE() << "a Message without its header at " << at;
      return messages;
    }
    messages.push_back({message->Scalar<uint8_t>(1).value_or(0), *header,
                        stream.substr(body_at, static_cast<size_t>(body_length))});
    at = body_at + static_cast<size_t>(body_length);
  }
}

struct Node {
  int64_t length, null_count;
  bool operator==(const Node&) const = default;
};
struct Buffer {
  int64_t offset, length;
};

// A RecordBatch table's nodes and buffers (checked against its body).
std::vector<Node> Nodes(const FlatTable& batch) {
  std::vector<Node> nodes;
  auto v = batch.Vector(1, 16);
  if (!v) return nodes;
  for (size_t i = 0; i < v->size; ++i) {
    nodes.push_back({*batch.ElementAt<int64_t>({v->start, v->size * 2}, 2 * i),
                     *batch.ElementAt<int64_t>({v->start, v->size * 2}, 2 * i + 1)});
  }
  return nodes;
}
std::vector<Buffer> Buffers(const FlatTable& batch, std::string_view body) {
  std::vector<Buffer> buffers;
  auto v = batch.Vector(2, 16);
  if (!v) return buffers;
  EXPECT_EQ(v->start % 8, 0u);
  for (size_t i = 0; i < v->size; ++i) {
    Buffer b{*batch.ElementAt<int64_t>({v->start, v->size * 2}, 2 * i),
             *batch.ElementAt<int64_t>({v->start, v->size * 2}, 2 * i + 1)};
    EXPECT_EQ(b.offset % 8, 0) << "buffer " << i << " misaligned";
    EXPECT_LE(static_cast<size_t>(b.offset + b.length), body.size())
        << "buffer " << i << " beyond the body";
    buffers.push_back(b);
  }
  return buffers;
}

// A query's result as DuckDB exports it, written as one stream.
class ArrowIpcWriterTest : public testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(engine::Database::Open({.threads = 1}).value());
    connection_ = std::move(db_->Connect().value());
  }

  engine::ChunkStream Execute(const std::string& sql) {
    statement_ = std::move(connection_->Prepare(sql).value());
    return std::move(statement_->Execute().value());
  }

  std::string Stream(const std::string& sql) {
    engine::ChunkStream stream = Execute(sql);
    auto schema = stream.ArrowSchemaOf();
    EXPECT_TRUE(schema.has_value()) << schema.error().ToString();
    auto writer = ArrowIpcWriter::Open(schema->get());
    EXPECT_TRUE(writer.has_value()) << writer.error().ToString();
    std::string out = writer->SchemaMessage();
    while (stream.Next().value()) {
      auto array = stream.ArrowChunk();
      EXPECT_TRUE(array.has_value()) << array.error().ToString();
      auto written = writer->AppendBatch(array->get(), SIZE_MAX, &out);
      EXPECT_TRUE(written.has_value() && *written)
          << (written ? "too big" : written.error().ToString());
    }
    out += ArrowIpcWriter::EndOfStream();
    return out;
  }

  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> connection_;
  std::unique_ptr<engine::PreparedStatement> statement_;
};

TEST_F(ArrowIpcWriterTest, FramesEveryMessageOn8BytesAndEndsTheStream) {
  const std::string stream = Stream(
      "SELECT range AS n, CASE WHEN range % 2 = 0 THEN NULL ELSE 'v' || range END AS s FROM "
      "range(3000)");
  const std::vector<Message> messages = ReadStream(stream);
  ASSERT_EQ(messages.size(), 3u);  // the schema, then DuckDB's chunks of 2048 and 952 rows
  EXPECT_EQ(messages[0].header_type, kSchema);
  EXPECT_TRUE(messages[0].body.empty());
  const int64_t lengths[] = {2048, 952};
  for (size_t i = 1; i < 3; ++i) {
    const Message& m = messages[i];
    ASSERT_EQ(m.header_type, kRecordBatch);
    EXPECT_EQ(m.header.Scalar<int64_t>(0), lengths[i - 1]);
    EXPECT_EQ(Nodes(m.header),
              (std::vector<Node>{{lengths[i - 1], 0}, {lengths[i - 1], lengths[i - 1] / 2}}));
    const std::vector<Buffer> buffers = Buffers(m.header, m.body);
    ASSERT_EQ(buffers.size(), 5u);  // n: validity, values; s: validity, offsets, data
    EXPECT_EQ(buffers[0].length, 0) << "no nulls: an empty validity buffer";
    EXPECT_EQ(buffers[1].length, lengths[i - 1] * 8);
    EXPECT_EQ(buffers[2].length, (lengths[i - 1] + 7) / 8);
    EXPECT_EQ(buffers[3].length, (lengths[i - 1] + 1) * 4);
  }
  // The second batch's strings: its last value is "v2999".
  const std::vector<Buffer> last = Buffers(messages[2].header, messages[2].body);
  EXPECT_EQ(messages[2].body.substr(last[4].offset + last[4].length - 5, 5), "v2999");
}

TEST_F(ArrowIpcWriterTest, SchemaNamesEveryColumnWithItsType) {
  const std::string stream = Stream(
      "SELECT 1::BIGINT AS n, 'x' AS s, 1.5::DECIMAL(9,2) AS d, TIMESTAMPTZ '2026-12-01 "
      "10:00:00+00' AS t, "
      "[1, 2] AS l, {'a': 1} AS st, MAP {'k': 1} AS m");
  const std::vector<Message> messages = ReadStream(stream);
  ASSERT_EQ(messages.size(), 2u);
  const FlatTable& schema = messages[0].header;
  const std::pair<const char*, uint8_t> expected[] = {
      {"n", kIntType},  {"s", kUtf8Type},    {"d", kDecimalType}, {"t", kTimestampType},
      {"l", kListType}, {"st", kStructType}, {"m", kMapType}};
  for (size_t i = 0; i < std::size(expected); ++i) {
    auto field = schema.TableAt(1, i);
    ASSERT_TRUE(field.has_value()) << i;
    EXPECT_EQ(field->String(0), expected[i].first);
    EXPECT_EQ(field->Scalar<uint8_t>(1), 1) << "nullable";
    EXPECT_EQ(field->Scalar<uint8_t>(2), expected[i].second) << expected[i].first;
    ASSERT_TRUE(field->Table(3).has_value()) << expected[i].first;
  }
  EXPECT_EQ(schema.TableAt(1, 0)->Table(3)->Scalar<int32_t>(0), 64);  // Int.bitWidth
  EXPECT_EQ(schema.TableAt(1, 0)->Table(3)->Scalar<uint8_t>(1), 1);   // Int.is_signed
  EXPECT_EQ(schema.TableAt(1, 2)->Table(3)->Scalar<int32_t>(0), 9);   // Decimal.precision
  EXPECT_EQ(schema.TableAt(1, 2)->Table(3)->Scalar<int32_t>(1), 2);   // Decimal.scale
  EXPECT_EQ(schema.TableAt(1, 3)->Table(3)->Scalar<int16_t>(0), 2);   // Timestamp.unit: MICROSECOND
  EXPECT_TRUE(schema.TableAt(1, 3)->Table(3)->String(1).has_value());  // Timestamp.timezone
  EXPECT_EQ(schema.TableAt(1, 4)->TableAt(5, 0)->Scalar<uint8_t>(2),
            kIntType);  // the list's values
  auto entries = schema.TableAt(1, 6)->TableAt(5, 0);
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ(entries->String(0), "entries");
  EXPECT_EQ(entries->TableAt(5, 1)->String(0), "value");
  // The batch: n, s, d, t, l (+ its values), st (+ a), m (+ entries, key, value).
  EXPECT_EQ(Nodes(messages[1].header).size(), 12u);
}

TEST_F(ArrowIpcWriterTest, WritesEveryTypeDuckDbExportsWithAndWithoutNulls) {
  const std::string columns =
      "1::TINYINT, 2::UTINYINT, 3::SMALLINT, 4::USMALLINT, 5::INTEGER, 6::UINTEGER, 7::BIGINT, "
      "8::UBIGINT, 9::HUGEINT, 10::UHUGEINT, 1.5::FLOAT, 2.5::DOUBLE, 1.23::DECIMAL(4,2), "
      "1.23::DECIMAL(18,3), 1.23::DECIMAL(38,5), 'x' || range, 'x'::BLOB, DATE '2020-01-01', "
      "TIME '10:00:00', TIMETZ '10:00:00+02', TIMESTAMP '2020-01-01 10:00:00', TIMESTAMP_S "
      "'2020-01-01', "
      "TIMESTAMP_MS '2020-01-01', TIMESTAMP_NS '2020-01-01', TIMESTAMPTZ '2020-01-01 10:00:00+00', "
      "INTERVAL 3 DAY, uuid(), '101'::BIT, 123::VARINT, true, [1, range], {'a': 1, 'b': 'x'}, "
      "MAP {'k': range}, 'a'::ENUM('a', 'b'), union_value(k := 1)::UNION(k INT, s VARCHAR), "
      "[[{'x': [range]}]], '{}'::JSON";
  // Every third row NULL in every column; the fixed-size array apart (CASE cannot return one).
  const std::string stream = Stream(
      "SELECT CASE WHEN r % 3 = 0 THEN NULL ELSE COLUMNS(* EXCLUDE r) END, "
      "(CASE WHEN r % 3 = 0 THEN NULL ELSE [1, 2] END)::INTEGER[2] FROM (SELECT range AS r, " +
      columns + " FROM range(3000))");
  const std::vector<Message> messages = ReadStream(stream);
  ASSERT_EQ(messages.size(), 4u);  // schema, the ENUM's dictionary, two batches
  auto fields = messages[0].header.Vector(1, 4);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->size, 38u);
  const std::vector<Node> nodes = Nodes(messages[2].header);
  ASSERT_FALSE(nodes.empty());
  EXPECT_EQ(nodes[0], (Node{2048, 683}));  // TINYINT: rows 0, 3, ..., 2046 are NULL
}

TEST_F(ArrowIpcWriterTest, SendsADictionaryBeforeItsFirstBatchAndAgainOnlyWhenItChanges) {
  const std::string stream = Stream(
      "SELECT (CASE WHEN range % 2 = 0 THEN 'even' ELSE 'odd' END)::ENUM('even', 'odd') AS e FROM "
      "range(3000)");
  const std::vector<Message> messages = ReadStream(stream);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[1].header_type, kDictionaryBatch);
  EXPECT_EQ(messages[2].header_type, kRecordBatch);
  EXPECT_EQ(messages[3].header_type, kRecordBatch);  // the same dictionary: not sent again
  auto field = messages[0].header.TableAt(1, 0);
  ASSERT_TRUE(field.has_value());
  EXPECT_EQ(field->Scalar<uint8_t>(2), kUtf8Type);  // the values' type
  auto encoding = field->Table(4);
  ASSERT_TRUE(encoding.has_value());
  EXPECT_EQ(encoding->Scalar<int64_t>(0), 0);            // id
  EXPECT_EQ(encoding->Table(1)->Scalar<int32_t>(0), 8);  // indexType: uint8
  EXPECT_EQ(messages[1].header.Scalar<int64_t>(0), 0);   // DictionaryBatch.id
  auto data = messages[1].header.Table(1);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->Scalar<int64_t>(0), 2);  // two values
  const std::vector<Buffer> buffers = Buffers(*data, messages[1].body);
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(messages[1].body.substr(buffers[2].offset, buffers[2].length), "evenodd");
}

TEST_F(ArrowIpcWriterTest, ABatchTooLargeForItsLimitChangesNothing) {
  engine::ChunkStream stream = Execute("SELECT 'a'::ENUM('a', 'b') AS e FROM range(10)");
  auto writer = ArrowIpcWriter::Open(stream.ArrowSchemaOf().value().get());
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE(stream.Next().value());
  auto array = stream.ArrowChunk().value();
  std::string out = "kept";
  EXPECT_EQ(writer->AppendBatch(array.get(), 16, &out), false);
  EXPECT_EQ(out, "kept");
  out = writer->SchemaMessage();
  EXPECT_EQ(writer->AppendBatch(array.get(), SIZE_MAX, &out), true);
  out += ArrowIpcWriter::EndOfStream();
  const std::vector<Message> messages = ReadStream(out);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].header_type, kDictionaryBatch) << "the refused batch did not count as sent";
}

TEST_F(ArrowIpcWriterTest, ATruncatedChunkExportsOnlyItsFirstRows) {
  engine::ChunkStream stream = Execute("SELECT range AS n FROM range(100)");
  auto writer = ArrowIpcWriter::Open(stream.ArrowSchemaOf().value().get());
  ASSERT_TRUE(stream.Next().value());
  stream.Truncate(3);
  std::string out = writer->SchemaMessage();
  ASSERT_EQ(writer->AppendBatch(stream.ArrowChunk().value().get(), SIZE_MAX, &out), true);
  out += ArrowIpcWriter::EndOfStream();
  const std::vector<Message> messages = ReadStream(out);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].header.Scalar<int64_t>(0), 3);
  EXPECT_EQ(Buffers(messages[1].header, messages[1].body)[1].length, 24);
}

TEST_F(ArrowIpcWriterTest, RefusesSlicedArrays) {
  engine::ChunkStream stream = Execute("SELECT range AS n FROM range(10)");
  auto writer = ArrowIpcWriter::Open(stream.ArrowSchemaOf().value().get());
  ASSERT_TRUE(stream.Next().value());
  auto array = stream.ArrowChunk().value();
  ArrowArray* column = array.get().children[0];
  column->offset = 2;
  column->length -= 2;
  std::string out;
  auto written = writer->AppendBatch(array.get(), SIZE_MAX, &out);
  column->offset = 0;
  column->length += 2;
  ASSERT_FALSE(written.has_value());
  EXPECT_THAT(written.error().message(), HasSubstr("sliced"));
  EXPECT_TRUE(out.empty());
}

void NoRelease(ArrowSchema*) {}

TEST(ArrowIpcWriter, RefusesTypesItDoesNotKnowNamingThem) {
  ArrowSchema view{.format = "vu", .name = "v", .flags = ARROW_FLAG_NULLABLE, .release = NoRelease};
  ArrowSchema* children[] = {&view};
  ArrowSchema root{
      .format = "+s", .name = "", .n_children = 1, .children = children, .release = NoRelease};
  auto writer = ArrowIpcWriter::Open(root);
  ASSERT_FALSE(writer.has_value());
  EXPECT_THAT(writer.error().message(), HasSubstr("'vu'"));
  EXPECT_THAT(writer.error().message(), HasSubstr("column 'v'"));
  ArrowSchema not_a_struct{.format = "l", .name = "", .release = NoRelease};
  EXPECT_FALSE(ArrowIpcWriter::Open(not_a_struct).has_value());
}

TEST(ArrowIpcWriter, TheEndOfStreamMarkerIsAContinuationAndAZeroLength) {
  EXPECT_EQ(ArrowIpcWriter::EndOfStream(), std::string_view("\xff\xff\xff\xff\0\0\0\0", 8));
}

}  // namespace
}  // namespace eventlake::query
