// Tests of Decompress: gzip and zstd round trips, bodies that inflate past
// the cap (small inputs that expand a thousandfold stay bounded), corrupt
// and truncated input, and codings that are not supported.
#include "ingest/decompress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

namespace eventlake::ingest {
namespace {

std::string Gzip(std::string_view text) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, text.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A zstd frame with the content size in its header (ZSTD_compress).
std::string Zstd(std::string_view text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3));
  return out;
}

// A zstd frame without a content size, as a streaming compressor writes it.
std::string ZstdStreamed(std::string_view text) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0);
  std::string out(ZSTD_compressBound(text.size()) + 64, '\0');
  ZSTD_inBuffer in{text.data(), text.size(), 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  while (ZSTD_compressStream2(ctx, &o, &in, ZSTD_e_end) != 0) {
  }
  out.resize(o.pos);
  ZSTD_freeCCtx(ctx);
  return out;
}

std::string Text(size_t n) {
  std::string text;
  for (size_t i = 0; text.size() < n; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
  text.resize(n);
  return text;
}

TEST(Decompress, PassesIdentityBodiesThroughWithoutCopying) {
  std::string storage;
  std::string body = "abc";
  for (std::string_view coding : {"", "identity", " Identity "}) {
    auto out = Decompress(body, coding, 100, &storage);
    ASSERT_TRUE(out) << coding;
    EXPECT_EQ(out->data(), body.data());
    EXPECT_EQ(out->size(), 3u);
  }
  EXPECT_EQ(Decompress(body, "", 2, &storage).error().type, ProblemType::kDecompressedTooLarge);
}

TEST(Decompress, InflatesGzipAndXGzip) {
  std::string text = Text(300'000);
  std::string storage;
  for (std::string_view coding : {"gzip", "GZIP", "x-gzip"}) {
    auto out = Decompress(Gzip(text), coding, 1 << 20, &storage);
    ASSERT_TRUE(out) << out.error().ToString();
    EXPECT_EQ(*out, text);
  }
}

TEST(Decompress, InflatesConcatenatedGzipMembers) {
  std::string storage;
  auto out = Decompress(Gzip("first,") + Gzip("second"), "gzip", 100, &storage);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "first,second");
}

TEST(Decompress, InflatesZstdFramesWithAndWithoutContentSize) {
  std::string text = Text(200'000);
  std::string storage;
  auto sized = Decompress(Zstd(text), "zstd", 1 << 20, &storage);
  ASSERT_TRUE(sized) << sized.error().ToString();
  EXPECT_EQ(*sized, text);
  auto streamed = Decompress(ZstdStreamed(text), "zstd", 1 << 20, &storage);
  ASSERT_TRUE(streamed) << streamed.error().ToString();
  EXPECT_EQ(*streamed, text);
  auto two = Decompress(Zstd("ab") + ZstdStreamed("cd"), "zstd", 10, &storage);
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, "abcd");
}

TEST(Decompress, AcceptsOutputOfExactlyTheCap) {
  std::string storage;
  std::string text = Text(5000);
  EXPECT_EQ(Decompress(Gzip(text), "gzip", 5000, &storage).value(), text);
  EXPECT_EQ(Decompress(ZstdStreamed(text), "zstd", 5000, &storage).value(), text);
  EXPECT_EQ(Decompress(Gzip(text), "gzip", 4999, &storage).error().type,
            ProblemType::kDecompressedTooLarge);
  EXPECT_EQ(Decompress(ZstdStreamed(text), "zstd", 4999, &storage).error().type,
            ProblemType::kDecompressedTooLarge);
}

TEST(Decompress, StopsABombAtTheCapWithBoundedMemory) {
  const std::string zeros(64 << 20, '\0');  // 64 MiB that compress to a few KiB
  const size_t cap = 1 << 20;
  for (auto [coding, body] : {std::pair<std::string_view, std::string>{"gzip", Gzip(zeros)},
                              {"zstd", Zstd(zeros)},
                              {"zstd", ZstdStreamed(zeros)}}) {
    ASSERT_LT(body.size(), 100'000u) << coding;
    std::string storage;
    auto out = Decompress(body, coding, cap, &storage);
    ASSERT_FALSE(out) << coding;
    EXPECT_EQ(out.error().type, ProblemType::kDecompressedTooLarge) << coding;
    EXPECT_EQ(ProblemHttpStatus(out.error().type), 413u);
    EXPECT_LE(storage.capacity(), 2 * (cap + 1) + 64) << coding;
  }
}

TEST(Decompress, RejectsCorruptAndTruncatedBodies) {
  std::string storage;
  std::string gz = Gzip(Text(10'000));
  std::string zs = Zstd(Text(10'000));
  std::string flipped = gz;
  flipped[flipped.size() / 2] ^= 0x55;
  for (auto [coding, body] : {std::pair<std::string_view, std::string>{"gzip", "not gzip"},
                              {"gzip", gz.substr(0, gz.size() - 5)},
                              {"gzip", flipped},
                              {"gzip", ""},
                              {"gzip", gz + "trailing"},
                              {"zstd", "not zstd"},
                              {"zstd", zs.substr(0, zs.size() - 3)},
                              {"zstd", ""}}) {
    auto out = Decompress(body, coding, 1 << 20, &storage);
    ASSERT_FALSE(out) << coding << " " << body.size();
    EXPECT_EQ(out.error().type, ProblemType::kInvalidEncoding) << coding << " " << body.size();
  }
}

TEST(Decompress, RefusesOtherCodingsWith415) {
  std::string storage;
  for (std::string_view coding : {"br", "deflate", "gzip, zstd", "compress"}) {
    auto out = Decompress("x", coding, 100, &storage);
    ASSERT_FALSE(out) << coding;
    EXPECT_EQ(out.error().type, ProblemType::kUnsupportedEncoding) << coding;
    EXPECT_EQ(ProblemHttpStatus(out.error().type), 415u);
  }
}

}  // namespace
}  // namespace eventlake::ingest
