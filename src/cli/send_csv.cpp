// OpenCsvSource (see send_csv.h): streams an istream through the ingest
// room's CsvReader, which works on text in memory.
//
// Rows end at line ends, so the reader is given the buffered text up to its
// last '\n' (all of it at the end of the input) and reads one row from there.
// A cut can only fall inside a quoted field that spans lines; the reader then
// fails with an unclosed quote, the text up to the cut holds an odd number of
// quotes, and the source reads more and parses that row again. Any other
// error, or one at the end of the input, is the file's.
#include "cli/send_csv.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace eventlake::cli {
namespace {

constexpr size_t kChunk = 64 << 10;

class StreamCsvSource final : public CsvSource {
 public:
  StreamCsvSource(std::istream& in, const ingest::CsvLimits& limits) : in_(in), limits_(limits) {}

  Result<bool> Next(ingest::CsvRow* row) override;

 private:
  // Appends up to kChunk bytes of input to buffer_ (dropping what was read).
  Status ReadMore();
  // Moves past the first `bytes` of the unread text, counting its lines.
  void Consume(size_t bytes);

  std::istream& in_;
  ingest::CsvLimits limits_;
  std::string buffer_;
  size_t pos_ = 0;   // start of the unread text in buffer_
  size_t line_ = 1;  // line number of buffer_[pos_]
  bool eof_ = false;
};

Status StreamCsvSource::ReadMore() {
  buffer_.erase(0, pos_);
  pos_ = 0;
  size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  in_.read(buffer_.data() + old, kChunk);
  buffer_.resize(old + static_cast<size_t>(in_.gcount()));
  if (in_.bad()) return IOError("line " + std::to_string(line_) + ": read failed");
  if (!in_) eof_ = true;
  return Status::Ok();
}

void StreamCsvSource::Consume(size_t bytes) {
  line_ +=
      static_cast<size_t>(std::count(buffer_.begin() + static_cast<ptrdiff_t>(pos_),
                                     buffer_.begin() + static_cast<ptrdiff_t>(pos_ + bytes), '\n'));
  pos_ += bytes;
}

Result<bool> StreamCsvSource::Next(ingest::CsvRow* row) {
  for (;;) {
    size_t last_newline = buffer_.rfind('\n');
    size_t complete = eof_                                ? buffer_.size()
                      : last_newline == std::string::npos ? 0
                                                          : last_newline + 1;
    if (complete > pos_ || eof_) {
      std::string_view text = std::string_view(buffer_).substr(pos_, complete - pos_);
      ingest::CsvReader reader(text, limits_, line_);  // skips a BOM at line 1
      auto more = reader.Next(row);
      if (more.has_value() && *more) {
        Consume(row->offset + row->length);
        return true;
      }
      if (more.has_value() && eof_) return false;
      if (more.has_value()) {
        Consume(text.size());  // only blank lines so far
      } else {
        bool cut_in_quotes = std::count(text.begin(), text.end(), '"') % 2 == 1;
        if (eof_ || !cut_in_quotes || text.size() > limits_.max_row_bytes + kChunk) {
          return Err(more.error());
        }
      }
    }
    EL_RETURN_IF_ERROR(ReadMore());
  }
}

}  // namespace

std::unique_ptr<CsvSource> OpenCsvSource(std::istream& in, const ingest::CsvLimits& limits) {
  return std::make_unique<StreamCsvSource>(in, limits);
}

}  // namespace eventlake::cli
