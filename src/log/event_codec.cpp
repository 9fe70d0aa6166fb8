// The version 1 event payload (docs/formats/log.md, "Payload"). The decoder
// accepts exactly one byte string per event: lengths must be in bounds,
// varints minimal, bools 0 or 1, flags and kinds known, and nothing may be
// left over. Encoding a decoded event therefore reproduces its bytes, which
// the fuzz target checks.
#include "log/event_codec.h"

#include <algorithm>
#include <vector>

namespace eventlake::log {
namespace {

constexpr uint8_t kFlagBinaryData = 1;
constexpr uint8_t kFlagDataContentType = 2;
constexpr uint8_t kFlagDataSchema = 4;
constexpr uint8_t kFlagSubject = 8;
constexpr uint8_t kFlagTime = 16;
constexpr uint8_t kKnownFlags =
    kFlagBinaryData | kFlagDataContentType | kFlagDataSchema | kFlagSubject | kFlagTime;

constexpr uint8_t kKindBool = 0;
constexpr uint8_t kKindInteger = 1;
constexpr uint8_t kKindString = 2;

constexpr int kMaxLengthVarintBytes = 5;
constexpr int kMaxZigzagVarintBytes = 10;
constexpr uint64_t kMaxLength = 16u << 20;  // of any str, the data, and the extension count

// ---- encoding ----

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  for (; value >= 0x80; value >>= 7) ++size;
  return size;
}

void PutVarint(uint64_t value, std::string* out) {
  for (; value >= 0x80; value >>= 7) out->push_back(static_cast<char>((value & 0x7f) | 0x80));
  out->push_back(static_cast<char>(value));
}

uint64_t ZigzagEncode(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

int64_t ZigzagDecode(uint64_t value) {
  return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

size_t StrSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }

void PutStr(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

void PutFixed64(int64_t value, std::string* out) {
  auto bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
}

uint8_t Flags(const CloudEvent& event) {
  uint8_t flags = 0;
  if (event.data_is_binary) flags |= kFlagBinaryData;
  if (event.data_content_type) flags |= kFlagDataContentType;
  if (event.data_schema) flags |= kFlagDataSchema;
  if (event.subject) flags |= kFlagSubject;
  if (event.time) flags |= kFlagTime;
  return flags;
}

size_t ExtensionValueSize(const ExtensionValue& value) {
  if (std::holds_alternative<bool>(value)) return 1;
  if (const auto* i = std::get_if<int64_t>(&value)) return VarintSize(ZigzagEncode(*i));
  return StrSize(std::get<std::string>(value));
}

void PutExtension(const Extension& extension, std::string* out) {
  PutStr(extension.name, out);
  if (const auto* b = std::get_if<bool>(&extension.value)) {
    out->push_back(static_cast<char>(kKindBool));
    out->push_back(static_cast<char>(*b ? 1 : 0));
  } else if (const auto* i = std::get_if<int64_t>(&extension.value)) {
    out->push_back(static_cast<char>(kKindInteger));
    PutVarint(ZigzagEncode(*i), out);
  } else {
    out->push_back(static_cast<char>(kKindString));
    PutStr(std::get<std::string>(extension.value), out);
  }
}

// ---- decoding ----

// A name from the payload, made safe to put in a log line.
std::string Quote(std::string_view raw) {
  constexpr size_t kMaxShown = 64;
  std::string out = "'";
  for (unsigned char c : raw.substr(0, kMaxShown)) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (raw.size() > kMaxShown) out += "...";
  return out + "'";
}

// Reads the payload front to back. Field names are literals so that nothing
// is formatted unless decoding fails; every failure names the field and the
// byte position where it was found.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }

  Status Error(const std::string& what) const {
    return Corruption("event payload: " + what + " at byte " + std::to_string(pos_));
  }

  Result<uint8_t> ReadByte(const char* field) {
    if (remaining() < 1) return Err(Error(std::string("truncated ") + field));
    return static_cast<uint8_t>(data_[pos_++]);
  }

  // LEB128 of at most `max_bytes` bytes, minimal (no trailing zero groups).
  Result<uint64_t> ReadVarint(const char* field, int max_bytes) {
    uint64_t value = 0;
    for (int i = 0; i < max_bytes; ++i) {
      EL_ASSIGN_OR_RETURN(uint8_t byte, ReadByte(field));
      if (i == 9 && byte > 1) return Err(Error(std::string("64-bit overflow in ") + field));
      value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (byte == 0 && i > 0) return Err(Error(std::string("over-long varint in ") + field));
        return value;
      }
    }
    return Err(Error(std::string("varint longer than ") + std::to_string(max_bytes) + " bytes in " +
                     field));
  }

  // A length or count: a varint of at most 5 bytes whose value is at most 16 MiB.
  Result<size_t> ReadLength(const char* field) {
    EL_ASSIGN_OR_RETURN(uint64_t length, ReadVarint(field, kMaxLengthVarintBytes));
    if (length > kMaxLength) {
      return Err(Error(std::string(field) + " " + std::to_string(length) +
                       " exceeds the limit of " + std::to_string(kMaxLength)));
    }
    return static_cast<size_t>(length);
  }

  Result<std::string> ReadStr(const char* field) {
    EL_ASSIGN_OR_RETURN(size_t length, ReadLength(field));
    if (length > remaining()) {
      return Err(Error(std::string(field) + " of " + std::to_string(length) +
                       " bytes runs past the end (" + std::to_string(remaining()) + " left)"));
    }
    std::string value(data_.substr(pos_, length));
    pos_ += length;
    return value;
  }

  Result<int64_t> ReadFixed64(const char* field) {
    if (remaining() < 8) return Err(Error(std::string("truncated ") + field));
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<uint8_t>(data_[pos_ + i])} << (8 * i);
    pos_ += 8;
    return static_cast<int64_t>(bits);
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Result<ExtensionValue> ReadExtensionValue(Reader& in, const std::string& name) {
  EL_ASSIGN_OR_RETURN(uint8_t kind, in.ReadByte("extension kind"));
  switch (kind) {
    case kKindBool: {
      EL_ASSIGN_OR_RETURN(uint8_t byte, in.ReadByte("bool extension value"));
      if (byte > 1) {
        return Err(
            in.Error("invalid bool byte " + std::to_string(byte) + " in extension " + Quote(name)));
      }
      return ExtensionValue(byte == 1);
    }
    case kKindInteger: {
      EL_ASSIGN_OR_RETURN(uint64_t zigzag,
                          in.ReadVarint("integer extension value", kMaxZigzagVarintBytes));
      return ExtensionValue(ZigzagDecode(zigzag));
    }
    case kKindString: {
      EL_ASSIGN_OR_RETURN(std::string value, in.ReadStr("string extension value"));
      return ExtensionValue(std::move(value));
    }
    default:
      return Err(in.Error("unknown kind " + std::to_string(kind) + " of extension " + Quote(name)));
  }
}

Result<Extension> ReadExtension(Reader& in) {
  EL_ASSIGN_OR_RETURN(std::string name, in.ReadStr("extension name"));
  EL_ASSIGN_OR_RETURN(ExtensionValue value, ReadExtensionValue(in, name));
  return Extension{std::move(name), std::move(value)};
}

// The first duplicate name, or nullptr. Sorting keeps this O(n log n) for
// payloads packed with tiny extensions.
const std::string* FindDuplicateName(const std::vector<Extension>& extensions) {
  if (extensions.size() < 2) return nullptr;
  std::vector<const std::string*> names;
  names.reserve(extensions.size());
  for (const Extension& e : extensions) names.push_back(&e.name);
  std::sort(names.begin(), names.end(), [](auto* a, auto* b) { return *a < *b; });
  auto it =
      std::adjacent_find(names.begin(), names.end(), [](auto* a, auto* b) { return *a == *b; });
  return it == names.end() ? nullptr : *it;
}

Status ReadExtensions(Reader& in, std::vector<Extension>* extensions) {
  EL_ASSIGN_OR_RETURN(size_t count, in.ReadLength("extension count"));
  // Each extension takes at least 3 bytes; a forged count must not reserve memory.
  extensions->reserve(std::min(count, in.remaining() / 3));
  for (size_t i = 0; i < count; ++i) {
    Result<Extension> extension = ReadExtension(in);
    if (!extension) {
      return extension.error().WithContext("extension " + std::to_string(i) + " of " +
                                           std::to_string(count));
    }
    extensions->push_back(std::move(*extension));
  }
  if (const std::string* duplicate = FindDuplicateName(*extensions)) {
    return in.Error("duplicate extension name " + Quote(*duplicate));
  }
  return Status::Ok();
}

Result<std::optional<std::string>> ReadOptionalStr(Reader& in, uint8_t flags, uint8_t flag,
                                                   const char* field) {
  if ((flags & flag) == 0) return std::nullopt;
  EL_ASSIGN_OR_RETURN(std::string value, in.ReadStr(field));
  return value;
}

Status ReadAttributes(Reader& in, uint8_t flags, CloudEvent* event) {
  EL_ASSIGN_OR_RETURN(event->id, in.ReadStr("id"));
  EL_ASSIGN_OR_RETURN(event->source, in.ReadStr("source"));
  EL_ASSIGN_OR_RETURN(event->spec_version, in.ReadStr("specversion"));
  EL_ASSIGN_OR_RETURN(event->type, in.ReadStr("type"));
  EL_ASSIGN_OR_RETURN(event->data_content_type,
                      ReadOptionalStr(in, flags, kFlagDataContentType, "datacontenttype"));
  EL_ASSIGN_OR_RETURN(event->data_schema,
                      ReadOptionalStr(in, flags, kFlagDataSchema, "dataschema"));
  EL_ASSIGN_OR_RETURN(event->subject, ReadOptionalStr(in, flags, kFlagSubject, "subject"));
  if (flags & kFlagTime) {
    EL_ASSIGN_OR_RETURN(event->time, in.ReadFixed64("time"));
  }
  return Status::Ok();
}

}  // namespace

size_t EncodedEventSize(const CloudEvent& event) {
  size_t size = 2 + StrSize(event.id) + StrSize(event.source) + StrSize(event.spec_version) +
                StrSize(event.type);
  if (event.data_content_type) size += StrSize(*event.data_content_type);
  if (event.data_schema) size += StrSize(*event.data_schema);
  if (event.subject) size += StrSize(*event.subject);
  if (event.time) size += 8;
  size += VarintSize(event.extensions.size());
  for (const Extension& e : event.extensions) {
    size += StrSize(e.name) + 1 + ExtensionValueSize(e.value);  // 1: the kind byte
  }
  return size + StrSize(event.data);
}

void EncodeEvent(const CloudEvent& event, std::string* out) {
  // Grow geometrically: callers append many events to one buffer.
  size_t size = EncodedEventSize(event);
  if (out->capacity() - out->size() < size) {
    out->reserve(std::max(out->size() + size, 2 * out->capacity()));
  }
  out->push_back(static_cast<char>(kEventFormatVersion));
  out->push_back(static_cast<char>(Flags(event)));
  PutStr(event.id, out);
  PutStr(event.source, out);
  PutStr(event.spec_version, out);
  PutStr(event.type, out);
  if (event.data_content_type) PutStr(*event.data_content_type, out);
  if (event.data_schema) PutStr(*event.data_schema, out);
  if (event.subject) PutStr(*event.subject, out);
  if (event.time) PutFixed64(*event.time, out);
  PutVarint(event.extensions.size(), out);
  for (const Extension& e : event.extensions) PutExtension(e, out);
  PutStr(event.data, out);
}

Result<CloudEvent> DecodeEvent(std::string_view payload) {
  if (payload.size() > kMaxEventBytes) {
    return Err(Corruption("event payload: " + std::to_string(payload.size()) +
                          " bytes exceeds the limit of " + std::to_string(kMaxEventBytes)));
  }
  Reader in(payload);
  EL_ASSIGN_OR_RETURN(uint8_t version, in.ReadByte("format version"));
  if (version != kEventFormatVersion) {
    return Err(in.Error("unknown format version " + std::to_string(version)));
  }
  EL_ASSIGN_OR_RETURN(uint8_t flags, in.ReadByte("flags"));
  if (flags & ~kKnownFlags) {
    return Err(in.Error("unknown flag bits " + std::to_string(flags & ~kKnownFlags) + " in flags " +
                        std::to_string(flags)));
  }
  CloudEvent event;
  event.data_is_binary = (flags & kFlagBinaryData) != 0;
  EL_RETURN_IF_ERROR(ReadAttributes(in, flags, &event));
  EL_RETURN_IF_ERROR(ReadExtensions(in, &event.extensions));
  EL_ASSIGN_OR_RETURN(event.data, in.ReadStr("data"));
  if (in.remaining() != 0) {
    return Err(in.Error(std::to_string(in.remaining()) + " trailing bytes after the data"));
  }
  return event;
}

}  // namespace eventlake::log
