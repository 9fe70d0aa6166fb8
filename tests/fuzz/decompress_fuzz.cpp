// Fuzzes Decompress (src/ingest/decompress.h) with a small cap: arbitrary
// bytes as gzip, zstd and identity bodies must be refused with a problem or
// inflate to at most the cap; and the input itself, compressed with zlib or
// zstd, must inflate back to exactly the input.
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/decompress.h"

namespace {

using eventlake::ingest::Decompress;
using eventlake::ingest::ProblemType;

constexpr size_t kCap = 64 << 10;

void CheckArbitrary(std::string_view body, std::string_view coding, std::string* storage) {
  auto out = Decompress(body, coding, kCap, storage);
  if (out.has_value()) {
    if (out->size() > kCap) __builtin_trap();
    return;
  }
  ProblemType type = out.error().type;
  if (type != ProblemType::kInvalidEncoding && type != ProblemType::kDecompressedTooLarge) {
    __builtin_trap();
  }
}

std::string Gzip(std::string_view text) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) __builtin_trap();
  std::string out(deflateBound(&zs, text.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) __builtin_trap();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(std::string_view text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 1);
  if (ZSTD_isError(n)) __builtin_trap();
  out.resize(n);
  return out;
}

void CheckRoundTrip(std::string_view text, std::string_view coding, const std::string& body,
                    std::string* storage) {
  auto out = Decompress(body, coding, kCap, storage);
  if (text.size() > kCap) {
    if (out.has_value() || out.error().type != ProblemType::kDecompressedTooLarge) __builtin_trap();
    return;
  }
  if (!out.has_value() || *out != text) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string storage;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckArbitrary(input, "gzip", &storage);
  CheckArbitrary(input, "zstd", &storage);
  CheckArbitrary(input, "identity", &storage);
  CheckRoundTrip(input, "gzip", Gzip(input), &storage);
  CheckRoundTrip(input, "zstd", Zstd(input), &storage);
  return 0;
}
