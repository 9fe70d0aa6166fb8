// ArrowIpcWriter: data in the Arrow C data interface (engine/arrow_c_data.h)
// as an Arrow IPC stream (docs/formats/arrow-ipc.md), without an Arrow
// library: a Schema message, then for each batch a DictionaryBatch per
// dictionary-encoded column whose dictionary changed and a RecordBatch,
// then the end-of-stream marker. Every message is
//
//   0xFFFFFFFF, int32 metadata size, flatbuffer Message (padded: the
//   prefix and metadata are a multiple of 8 bytes), body (each buffer
//   padded to 8 bytes).
//
//   auto writer = ArrowIpcWriter::Open(schema);     // the struct of the columns
//   out += writer->SchemaMessage();
//   for each batch: writer->AppendBatch(batch, limit, &out);  // a struct array
//   out += ArrowIpcWriter::EndOfStream();
//
// The writer copies what it needs from the schema: the ArrowSchema and the
// arrays stay the caller's, to release whenever it likes. Arrays must not be
// sliced (offset 0 at every level: InvalidArgument otherwise). One thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/arrow_c_data.h"

namespace eventlake::query {

namespace arrow_ipc {
struct Field;  // arrow_ipc_field.h
}  // namespace arrow_ipc

class ArrowIpcWriter {
 public:
  // InvalidArgument when `schema` is not a struct or holds a type the
  // writer does not know (the message names its format string).
  static Result<ArrowIpcWriter> Open(const ArrowSchema& schema);
  ArrowIpcWriter(ArrowIpcWriter&&) noexcept;
  ArrowIpcWriter& operator=(ArrowIpcWriter&&) noexcept;
  ~ArrowIpcWriter();

  // The Schema message.
  std::string SchemaMessage() const;
  // Appends one batch's messages to *out: `batch` is a struct array whose
  // children are the schema's columns. False, and nothing appended or
  // remembered, when they would be longer than `max_bytes`; on error too.
  Result<bool> AppendBatch(const ArrowArray& batch, size_t max_bytes, std::string* out);
  // The end-of-stream marker: 0xFFFFFFFF, then a zero metadata size.
  static std::string_view EndOfStream();

 private:
  explicit ArrowIpcWriter(std::unique_ptr<arrow_ipc::Field> root);

  std::unique_ptr<arrow_ipc::Field> root_;            // the struct of the columns
  std::map<int64_t, std::string> sent_dictionaries_;  // id -> the last DictionaryBatch sent
};

}  // namespace eventlake::query
