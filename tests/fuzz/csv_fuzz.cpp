// Fuzzes the RFC 4180 CSV reader (src/ingest/sources/csv.h) with small
// limits. Any bytes must either fail with an InvalidArgument that names a
// line, or give rows whose JSON objects are valid UTF-8 and name every header
// field; every row read alone again from its offset, length and line must
// give the same fields (what its contract promises).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/json_text.h"
#include "ingest/sources/csv.h"

namespace {

using eventlake::StatusCode;
using eventlake::ingest::CsvLimits;
using eventlake::ingest::CsvReader;
using eventlake::ingest::CsvRow;

constexpr CsvLimits kLimits{.max_field_bytes = 256, .max_fields = 32, .max_row_bytes = 1024};

void CheckError(const eventlake::Status& status) {
  if (status.code() != StatusCode::kInvalidArgument) __builtin_trap();
  if (!status.message().starts_with("line ")) __builtin_trap();
}

void CheckObjects(std::string_view text) {
  auto objects = eventlake::ingest::CsvToJsonObjects(text, kLimits);
  if (!objects.has_value()) return CheckError(objects.error());
  for (const std::string& object : *objects) {
    if (object.size() < 2 || object.front() != '{' || object.back() != '}') __builtin_trap();
    if (!eventlake::ingest::IsValidUtf8(object)) __builtin_trap();
  }
}

void CheckRereading(std::string_view text) {
  CsvReader reader(text, kLimits);
  CsvRow row;
  size_t last_line = 0;
  for (;;) {
    auto more = reader.Next(&row);
    if (!more.has_value()) return CheckError(more.error());
    if (!*more) return;
    if (row.line <= last_line || row.offset + row.length > text.size()) __builtin_trap();
    if (row.fields.empty() || row.fields.size() > kLimits.max_fields) __builtin_trap();
    last_line = row.line;
    CsvReader again(text.substr(row.offset, row.length), kLimits, row.line, false);
    CsvRow reread;
    auto one = again.Next(&reread);
    if (!one.has_value() || !*one || reread.fields != row.fields) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckObjects(text);
  CheckRereading(text);
  return 0;
}
