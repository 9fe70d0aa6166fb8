// ConcatenateParquetFiles: read each input's footer, check that the schemas
// agree, copy each input's data bytes behind the last (copy_file_range, so
// the kernel moves them: CopyRange in core/file.h), shift the footer's offsets and write the merged
// footer. Field ids are those of parquet.thrift (apache/parquet-format).
#include "lake/parquet_concat.h"

#include <fcntl.h>

#include <limits>

#include "core/file.h"

namespace eventlake::lake {
namespace {

using thrift::Type;
using thrift::Value;

constexpr std::string_view kMagic = "PAR1";

namespace file_meta {  // FileMetaData
constexpr int16_t kSchema = 2, kNumRows = 3, kRowGroups = 4, kColumnOrders = 7,
                  kEncryptionAlgorithm = 8, kFooterSigningKeyMetadata = 9;
}
namespace row_group {  // RowGroup
constexpr int16_t kColumns = 1, kNumRows = 3, kFileOffset = 5, kOrdinal = 7;
}
namespace column_chunk {  // ColumnChunk
constexpr int16_t kFilePath = 1, kFileOffset = 2, kMetaData = 3, kOffsetIndexOffset = 4,
                  kOffsetIndexLength = 5, kColumnIndexOffset = 6, kColumnIndexLength = 7,
                  kCryptoMetadata = 8, kEncryptedColumnMetadata = 9;
}
namespace column_meta {  // ColumnMetaData: the offsets of pages and bloom filters
constexpr int16_t kDataPageOffset = 9, kIndexPageOffset = 10, kDictionaryPageOffset = 11,
                  kBloomFilterOffset = 14;
constexpr int16_t kOffsets[] = {kDataPageOffset, kIndexPageOffset, kDictionaryPageOffset,
                                kBloomFilterOffset};
}  // namespace column_meta

// Field `id` of `s` when it is there with `type`; nullptr when it is absent.
Result<const Value*> Optional(const Value& s, int16_t id, Type type, std::string_view what) {
  const Value* v = s.Find(id);
  if (v != nullptr && v->type != type) {
    return Err(Corruption("Parquet footer: " + std::string(what) + " has the wrong type"));
  }
  return v;
}

Result<const Value*> Required(const Value& s, int16_t id, Type type, std::string_view what) {
  EL_ASSIGN_OR_RETURN(const Value* v, Optional(s, id, type, what));
  if (v == nullptr) return Err(Corruption("Parquet footer: no " + std::string(what)));
  return v;
}

Result<const Value*> ListOfStructs(const Value& s, int16_t id, std::string_view what) {
  EL_ASSIGN_OR_RETURN(const Value* v, Required(s, id, Type::kList, what));
  if (!v->elements.empty() && v->element_type != Type::kStruct) {
    return Err(Corruption("Parquet footer: " + std::string(what) + " is not a list of structs"));
  }
  return v;
}

Status CheckColumnChunk(const Value& chunk, uint64_t data_end) {
  EL_ASSIGN_OR_RETURN(const Value* meta,
                      Optional(chunk, column_chunk::kMetaData, Type::kStruct, "meta_data"));
  EL_RETURN_IF_ERROR(Required(chunk, column_chunk::kFileOffset, Type::kI64, "file_offset"));
  if (meta == nullptr) {  // only an encrypted column keeps its metadata elsewhere
    if (chunk.Find(column_chunk::kEncryptedColumnMetadata) == nullptr) {
      return Corruption("Parquet footer: a column chunk without meta_data");
    }
    return Status::Ok();
  }
  EL_RETURN_IF_ERROR(Required(*meta, column_meta::kDataPageOffset, Type::kI64, "data_page_offset"));
  for (int16_t id : column_meta::kOffsets) {
    EL_ASSIGN_OR_RETURN(const Value* offset, Optional(*meta, id, Type::kI64, "a page offset"));
    if (offset != nullptr &&
        (offset->integer < 4 || static_cast<uint64_t>(offset->integer) >= data_end)) {
      return Corruption("Parquet footer: a page offset of " + std::to_string(offset->integer) +
                        " outside the data, which ends at " + std::to_string(data_end));
    }
  }
  return Status::Ok();
}

// Shifts the offsets of a row group copied `delta` bytes further on, and
// drops the page indexes, whose own offsets cannot be shifted from here.
// Offsets that writers are known to get wrong (the deprecated
// ColumnChunk.file_offset, RowGroup.file_offset) are shifted when they lie
// in the data and otherwise cleared.
Status MoveRowGroup(Value& group, int64_t delta, uint64_t data_end) {
  auto shift_hint = [&](Value& s, int16_t id) {
    Value* v = s.Find(id);
    if (v == nullptr) return;
    if (v->integer >= 4 && static_cast<uint64_t>(v->integer) <= data_end) {
      v->integer += delta;
    } else if (id == row_group::kFileOffset) {
      s.Erase(id);
    } else {
      v->integer = 0;
    }
  };
  shift_hint(group, row_group::kFileOffset);
  for (Value& chunk : group.Find(row_group::kColumns)->elements) {
    if (chunk.Find(column_chunk::kFilePath) != nullptr) {
      return FailedPrecondition("a column chunk kept in another file (file_path)");
    }
    if (chunk.Find(column_chunk::kCryptoMetadata) != nullptr ||
        chunk.Find(column_chunk::kEncryptedColumnMetadata) != nullptr) {
      return FailedPrecondition("an encrypted column");
    }
    shift_hint(chunk, column_chunk::kFileOffset);
    Value* meta = chunk.Find(column_chunk::kMetaData);
    for (int16_t id : column_meta::kOffsets) {
      if (Value* offset = meta->Find(id)) offset->integer += delta;
    }
    for (int16_t id : {column_chunk::kOffsetIndexOffset, column_chunk::kOffsetIndexLength,
                       column_chunk::kColumnIndexOffset, column_chunk::kColumnIndexLength}) {
      chunk.Erase(id);
    }
  }
  return Status::Ok();
}

uint32_t LittleEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

// One input: its size, where its data ends and its checked footer.
struct Input {
  uint64_t size = 0;
  uint64_t data_end = 0;
  Value meta;
};

Result<Input> ReadInput(const std::string& path) {
  Input input;
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(path, O_RDONLY));
  EL_ASSIGN_OR_RETURN(input.size, FileSize(file.fd(), path));
  char head[4], tail[8];
  if (input.size < 12) return Err(Corruption(path + ": too short for a Parquet file"));
  EL_ASSIGN_OR_RETURN(size_t got_head, PReadUpTo(file.fd(), head, 4, 0, path));
  EL_ASSIGN_OR_RETURN(size_t got_tail, PReadUpTo(file.fd(), tail, 8, input.size - 8, path));
  if (got_head != 4 || got_tail != 8 || std::string_view(head, 4) != kMagic ||
      std::string_view(tail + 4, 4) != kMagic) {
    return Err(Corruption(path + ": no Parquet magic at its start and end"));
  }
  const uint32_t footer_bytes = LittleEndian32(tail);
  if (footer_bytes > input.size - 12 || footer_bytes > kMaxParquetFooterBytes) {
    return Err(Corruption(path + ": a footer of " + std::to_string(footer_bytes) +
                          " bytes in a file of " + std::to_string(input.size)));
  }
  input.data_end = input.size - 8 - footer_bytes;
  std::string footer(footer_bytes, '\0');
  EL_ASSIGN_OR_RETURN(size_t got,
                      PReadUpTo(file.fd(), footer.data(), footer.size(), input.data_end, path));
  if (got != footer.size()) return Err(Corruption(path + ": the footer ends early"));
  auto meta = ParseParquetFooter(footer, input.data_end);
  if (!meta) return Err(meta.error().WithContext(path));
  input.meta = std::move(*meta);
  if (input.meta.Find(file_meta::kEncryptionAlgorithm) != nullptr ||
      input.meta.Find(file_meta::kFooterSigningKeyMetadata) != nullptr) {
    return Err(FailedPrecondition(path + ": an encrypted Parquet file"));
  }
  return input;
}

std::string EncodingOf(const Value* v) { return v == nullptr ? "" : thrift::WriteValue(*v); }

// The output's footer, from every input's (which it consumes), or why the
// inputs cannot be concatenated. Nothing is written yet.
Result<Value> MergedFooter(const std::vector<std::string>& inputs, std::vector<Input>& read,
                           const ConcatenateOptions& options) {
  Value row_groups;
  row_groups.type = Type::kList;
  row_groups.element_type = Type::kStruct;
  const std::string schema = EncodingOf(read[0].meta.Find(file_meta::kSchema));
  const std::string column_orders = EncodingOf(read[0].meta.Find(file_meta::kColumnOrders));
  uint64_t position = kMagic.size();
  int64_t rows = 0;
  for (size_t i = 0; i < read.size(); ++i) {
    Value& meta = read[i].meta;
    if (EncodingOf(meta.Find(file_meta::kSchema)) != schema ||
        EncodingOf(meta.Find(file_meta::kColumnOrders)) != column_orders) {
      return Err(
          FailedPrecondition(inputs[i] + ": its Parquet schema differs from " + inputs[0] + "'s"));
    }
    const int64_t its_rows = meta.Find(file_meta::kNumRows)->integer;
    std::vector<Value>& its_groups = meta.Find(file_meta::kRowGroups)->elements;
    if (!its_groups.empty() &&
        static_cast<uint64_t>(its_rows) / its_groups.size() < options.min_rows_per_row_group) {
      return Err(FailedPrecondition(
          inputs[i] + ": row groups of " + std::to_string(its_rows / its_groups.size()) +
          " rows on average, fewer than " + std::to_string(options.min_rows_per_row_group)));
    }
    const int64_t delta = static_cast<int64_t>(position - kMagic.size());
    for (Value& group : its_groups) {
      EL_RETURN_IF_ERROR(MoveRowGroup(group, delta, read[i].data_end).WithContext(inputs[i]));
      row_groups.elements.push_back(std::move(group));
    }
    position += read[i].data_end - kMagic.size();
    rows += its_rows;
  }
  const bool numbered = row_groups.elements.size() <= std::numeric_limits<int16_t>::max();
  for (size_t g = 0; g < row_groups.elements.size(); ++g) {
    Value& group = row_groups.elements[g];
    if (group.Find(row_group::kOrdinal) == nullptr) continue;
    if (numbered) {
      group.Set(row_group::kOrdinal, Value::Integer(Type::kI16, static_cast<int64_t>(g)));
    } else {
      group.Erase(row_group::kOrdinal);
    }
  }
  Value merged = std::move(read[0].meta);
  merged.Set(file_meta::kNumRows, Value::Integer(Type::kI64, rows));
  merged.Set(file_meta::kRowGroups, std::move(row_groups));
  return merged;
}

Result<ConcatenatedParquet> Concatenate(const std::vector<std::string>& inputs,
                                        const std::string& output, int out,
                                        const ConcatenateOptions& options) {
  std::vector<Input> read;
  for (const std::string& input : inputs) {
    EL_ASSIGN_OR_RETURN(read.emplace_back(), ReadInput(input));
  }
  EL_ASSIGN_OR_RETURN(Value merged, MergedFooter(inputs, read, options));
  std::string footer = thrift::WriteStruct(merged);
  if (footer.size() > kMaxParquetFooterBytes) {
    return Err(FailedPrecondition("the concatenated file's footer would take " +
                                  std::to_string(footer.size()) + " bytes"));
  }
  EL_RETURN_IF_ERROR(PWriteAll(out, kMagic, 0, output));
  uint64_t position = kMagic.size();
  for (size_t i = 0; i < inputs.size(); ++i) {
    EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(inputs[i], O_RDONLY));
    EL_ASSIGN_OR_RETURN(uint64_t size, FileSize(file.fd(), inputs[i]));
    if (size != read[i].size) return Err(Corruption(inputs[i] + " changed while it was read"));
    const uint64_t data_bytes = read[i].data_end - kMagic.size();
    EL_RETURN_IF_ERROR(
        CopyRange(file.fd(), inputs[i], kMagic.size(), data_bytes, out, output, position));
    position += data_bytes;
  }
  const uint32_t footer_bytes = static_cast<uint32_t>(footer.size());
  for (int i = 0; i < 4; ++i) footer.push_back(static_cast<char>(footer_bytes >> (8 * i)));
  footer += kMagic;
  EL_RETURN_IF_ERROR(PWriteAll(out, footer, position, output));
  return ConcatenatedParquet{
      .rows = static_cast<uint64_t>(merged.Find(file_meta::kNumRows)->integer),
      .row_groups = merged.Find(file_meta::kRowGroups)->elements.size(),
      .bytes = position + footer.size()};
}

}  // namespace

Result<thrift::Value> ParseParquetFooter(std::string_view footer, uint64_t data_end) {
  size_t consumed = 0;
  EL_ASSIGN_OR_RETURN(Value meta, thrift::ReadStruct(footer, &consumed));
  if (consumed != footer.size()) {
    return Err(Corruption("Parquet footer: " + std::to_string(footer.size() - consumed) +
                          " bytes after the FileMetaData"));
  }
  EL_RETURN_IF_ERROR(ListOfStructs(meta, file_meta::kSchema, "schema"));
  EL_ASSIGN_OR_RETURN(const Value* num_rows,
                      Required(meta, file_meta::kNumRows, Type::kI64, "num_rows"));
  EL_ASSIGN_OR_RETURN(const Value* groups,
                      ListOfStructs(meta, file_meta::kRowGroups, "row_groups"));
  int64_t rows = 0;
  for (const Value& group : groups->elements) {
    EL_ASSIGN_OR_RETURN(const Value* columns,
                        ListOfStructs(group, row_group::kColumns, "a row group's columns"));
    if (columns->elements.size() !=
        groups->elements[0].Find(row_group::kColumns)->elements.size()) {
      return Err(Corruption("Parquet footer: row groups with different numbers of columns"));
    }
    EL_ASSIGN_OR_RETURN(const Value* group_rows,
                        Required(group, row_group::kNumRows, Type::kI64, "a row group's num_rows"));
    EL_RETURN_IF_ERROR(Optional(group, row_group::kFileOffset, Type::kI64, "file_offset"));
    EL_RETURN_IF_ERROR(Optional(group, row_group::kOrdinal, Type::kI16, "ordinal"));
    if (group_rows->integer < 0 ||
        group_rows->integer > std::numeric_limits<int64_t>::max() - rows) {
      return Err(Corruption("Parquet footer: a row group's num_rows out of range"));
    }
    rows += group_rows->integer;
    for (const Value& chunk : columns->elements)
      EL_RETURN_IF_ERROR(CheckColumnChunk(chunk, data_end));
  }
  if (rows != num_rows->integer) {
    return Err(Corruption("Parquet footer: num_rows " + std::to_string(num_rows->integer) +
                          " but its row groups hold " + std::to_string(rows)));
  }
  return meta;
}

Result<ConcatenatedParquet> ConcatenateParquetFiles(const std::vector<std::string>& inputs,
                                                    const std::string& output,
                                                    const ConcatenateOptions& options) {
  if (inputs.empty()) return Err(InvalidArgument("no Parquet files to concatenate"));
  EL_ASSIGN_OR_RETURN(FileHandle out, OpenFile(output, O_WRONLY | O_CREAT | O_TRUNC));
  auto result = Concatenate(inputs, output, out.fd(), options);
  if (!result) (void)RemoveFile(output);
  return result;
}

}  // namespace eventlake::lake
