// Fuzzes the record readers of dropped files (src/ingest/sources/
// file_records.h): the JSON array splitter, NDJSON and CSV. Any bytes must
// either fail with an InvalidArgument naming a line, or give records that are
// JSON objects, numbered 0, 1, 2, ... on non-decreasing lines; counting and
// reading must agree.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ingest/sources/file_records.h"

namespace {

using eventlake::ingest::FileFormat;
using eventlake::ingest::FileRecord;
using eventlake::ingest::FileRecordReader;

void Check(std::string_view text, FileFormat format) {
  eventlake::ingest::FileRecordLimits limits;
  limits.json.max_depth = 16;
  auto count = eventlake::ingest::CountFileRecords(text, format, limits);
  auto reader = FileRecordReader::Create(text, format, limits);
  FileRecord record;
  size_t n = 0;
  size_t last_line = 1;
  for (;;) {
    auto more = reader->Next(&record);
    if (!more.has_value()) {
      if (count.has_value()) __builtin_trap();
      if (more.error().code() != eventlake::StatusCode::kInvalidArgument) __builtin_trap();
      if (!more.error().message().starts_with("line ")) __builtin_trap();
      return;
    }
    if (!*more) break;
    if (record.index != n++ || record.line < last_line) __builtin_trap();
    last_line = record.line;
    auto parsed = nlohmann::json::parse(record.json, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) __builtin_trap();
  }
  if (!count.has_value() || *count != n) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(text, FileFormat::kJson);
  Check(text, FileFormat::kNdjson);
  Check(text, FileFormat::kCsv);
  return 0;
}
