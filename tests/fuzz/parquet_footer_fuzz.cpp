// Fuzzes the reader of Parquet footers (src/lake/parquet_concat.h) that
// compaction by concatenation trusts with the offsets it shifts. Any bytes
// must be refused with a message or give a footer that writes back to bytes
// which read again to the same footer; nothing may crash, hang or blow the
// stack.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lake/parquet_concat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventlake::lake;  // NOLINT: a fuzz target's one function
  const std::string_view footer(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kDataEnd = 1u << 20;
  auto meta = ParseParquetFooter(footer, kDataEnd);
  if (!meta.has_value()) {
    if (meta.error().message().empty()) __builtin_trap();
    return 0;
  }
  const std::string written = thrift::WriteStruct(*meta);
  auto again = ParseParquetFooter(written, kDataEnd);
  if (!again.has_value() || thrift::WriteStruct(*again) != written) __builtin_trap();
  return 0;
}
