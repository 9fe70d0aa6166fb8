// gzip through zlib's inflate and zstd through ZSTD_decompressStream, both
// writing into a buffer that doubles up to the cap and no further.
#include "ingest/decompress.h"

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <memory>

namespace eventlake::ingest {
namespace {

using Output = std::expected<std::string_view, IngestProblem>;

std::unexpected<IngestProblem> Problem(ProblemType type, std::string detail) {
  return std::unexpected(IngestProblem{type, std::move(detail), ""});
}

std::unexpected<IngestProblem> TooLarge(size_t max_output) {
  return Problem(ProblemType::kDecompressedTooLarge,
                 "the body decompresses to more than " + std::to_string(max_output) + " bytes");
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A growing output buffer that never holds more than `cap` bytes.
class Sink {
 public:
  Sink(std::string* storage, size_t cap, size_t first_size) : storage_(storage), cap_(cap) {
    storage_->clear();
    storage_->resize(std::min(cap_, std::max<size_t>(first_size, 4096)));
  }
  // Room for more output, doubling the buffer; false when it is at the cap.
  bool Grow() {
    if (storage_->size() >= cap_) return false;
    storage_->resize(std::min(cap_, storage_->size() * 2));
    return true;
  }
  char* free_begin() { return storage_->data() + used_; }
  size_t free_size() const { return storage_->size() - used_; }
  void Commit(size_t n) { used_ += n; }
  std::string_view Finish() {
    storage_->resize(used_);
    return *storage_;
  }

 private:
  std::string* storage_;
  size_t cap_;
  size_t used_ = 0;
};

Output Gunzip(std::string_view body, size_t max_output, std::string* storage) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Problem(ProblemType::kInvalidEncoding, "zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  const size_t cap = max_output == SIZE_MAX ? max_output : max_output + 1;
  Sink sink(storage, cap, body.size() * 4);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(body.size(), UINT_MAX));
  while (true) {
    if (sink.free_size() == 0 && !sink.Grow()) return TooLarge(max_output);
    zs.next_out = reinterpret_cast<Bytef*>(sink.free_begin());
    zs.avail_out = static_cast<uInt>(std::min<size_t>(sink.free_size(), UINT_MAX));
    const uInt before = zs.avail_out;
    int ret = inflate(&zs, Z_NO_FLUSH);
    sink.Commit(before - zs.avail_out);
    if (ret == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) return Problem(ProblemType::kInvalidEncoding, "zlib");
      continue;  // the next gzip member
    }
    if (ret == Z_BUF_ERROR && zs.avail_in == 0) {
      return Problem(ProblemType::kInvalidEncoding, "the gzip body is truncated");
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      return Problem(ProblemType::kInvalidEncoding,
                     std::string("the body is not valid gzip: ") +
                         (zs.msg != nullptr ? zs.msg : "corrupt data"));
    }
  }
  std::string_view out = sink.Finish();
  if (out.size() > max_output) return TooLarge(max_output);
  return out;
}

struct DctxFree {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

// This thread's zstd context, reset, with its window capped near max_output:
// a frame may not make the decoder allocate a window it will never fill.
ZSTD_DCtx* ThreadDctx(size_t max_output) {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxFree> ctx(ZSTD_createDCtx());
  if (!ctx) return nullptr;
  ZSTD_DCtx_reset(ctx.get(), ZSTD_reset_session_and_parameters);
  int log = static_cast<int>(std::bit_width(std::max<size_t>(max_output, 1) - 1));
  ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, std::clamp(log, 20, 27));
  return ctx.get();
}

std::unexpected<IngestProblem> ZstdError(size_t code, size_t max_output) {
  if (ZSTD_getErrorCode(code) == ZSTD_error_frameParameter_windowTooLarge) {
    return Problem(ProblemType::kDecompressedTooLarge,
                   "the zstd frame needs a window larger than the " + std::to_string(max_output) +
                       "-byte cap on decompressed bodies");
  }
  return Problem(ProblemType::kInvalidEncoding,
                 std::string("the body is not valid zstd: ") + ZSTD_getErrorName(code));
}

Output Unzstd(std::string_view body, size_t max_output, std::string* storage) {
  ZSTD_DCtx* ctx = ThreadDctx(max_output);
  if (ctx == nullptr) return Problem(ProblemType::kInvalidEncoding, "zstd: out of memory");
  unsigned long long declared = ZSTD_getFrameContentSize(body.data(), body.size());
  size_t first = body.size() * 4;
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    if (declared > max_output) return TooLarge(max_output);
    first = static_cast<size_t>(declared) + 1;
  }
  const size_t cap = max_output == SIZE_MAX ? max_output : max_output + 1;
  Sink sink(storage, cap, first);
  ZSTD_inBuffer in{body.data(), body.size(), 0};
  size_t hint = 1;
  while (true) {
    if (sink.free_size() == 0 && !sink.Grow()) return TooLarge(max_output);
    ZSTD_outBuffer out{sink.free_begin(), sink.free_size(), 0};
    hint = ZSTD_decompressStream(ctx, &out, &in);
    sink.Commit(out.pos);
    if (ZSTD_isError(hint)) return ZstdError(hint, max_output);
    if (in.pos < in.size) continue;
    if (hint == 0) break;      // the last frame is complete
    if (out.pos < out.size) {  // all input used, output not full: more was expected
      return Problem(ProblemType::kInvalidEncoding, "the zstd body is truncated");
    }
  }
  std::string_view out = sink.Finish();
  if (out.size() > max_output) return TooLarge(max_output);
  return out;
}

}  // namespace

Output Decompress(std::string_view body, std::string_view content_encoding, size_t max_output,
                  std::string* storage) {
  std::string coding = Lower(Trim(content_encoding));
  if (coding.empty() || coding == "identity") {
    if (body.size() > max_output) return TooLarge(max_output);
    return body;
  }
  if (coding == "gzip" || coding == "x-gzip") return Gunzip(body, max_output, storage);
  if (coding == "zstd") return Unzstd(body, max_output, storage);
  std::string shown(content_encoding.substr(0, 64));
  return Problem(ProblemType::kUnsupportedEncoding,
                 "Content-Encoding '" + shown + "' is not supported: use gzip, zstd or identity");
}

}  // namespace eventlake::ingest
