// Fuzzes the JSON Schema `pattern` keyword's two matchers against each other
// (src/ingest/json_schema_pattern.h): the input is a pattern, a NUL and a
// text. Any pattern must compile or be refused with a message; where the
// ASCII fast path takes it, its answer on an ASCII text must be std::regex's.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/json_schema_pattern.h"
#include "ingest/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using eventlake::ingest::IsAscii;
  using eventlake::ingest::schema_internal::SchemaPattern;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string_view source = in.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? "" : in.substr(nul + 1);
  // Long texts only slow std::regex down; the automaton has no length limit.
  if (text.size() > 256) return 0;
  auto pattern = SchemaPattern::Compile(source, 256);
  if (!pattern.has_value()) {
    if (pattern.error().message().empty()) __builtin_trap();
    return 0;
  }
  bool matches = pattern->Matches(text);
  if (pattern->ascii_fast_path() && IsAscii(text) && matches != pattern->MatchesWithRegex(text)) {
    __builtin_trap();
  }
  return 0;
}
