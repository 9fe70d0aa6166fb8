// Fuzzes the S3 XML reader (src/lake/s3_xml.h) with what an S3 server could
// answer. Any bytes must be refused with a message or give a listing whose
// keys are non-empty; nothing may crash, hang or blow the stack.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lake/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventlake::lake::s3;  // NOLINT: a fuzz target's one function
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto page = ParseListObjectsV2(text);
  if (page.has_value()) {
    for (const ListedObject& o : page->objects) {
      if (o.key.empty()) __builtin_trap();
    }
    if (page->truncated && page->next_token.empty()) __builtin_trap();
  } else if (page.error().message().empty()) {
    __builtin_trap();
  }
  (void)ParseError(text);
  return 0;
}
