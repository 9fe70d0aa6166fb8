// Reading frontend messages with bounds checks; writing backend messages.
#include "query/pgwire_messages.h"

#include <cstring>

namespace eventlake::query {
namespace {

uint32_t ReadBe32(std::string_view s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

// Reads a payload front to back; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  Result<int16_t> Int16() {
    if (s_.size() - at_ < 2) return Err(Short("an Int16"));
    const auto v = static_cast<int16_t>((static_cast<uint8_t>(s_[at_]) << 8) | static_cast<uint8_t>(s_[at_ + 1]));
    at_ += 2;
    return v;
  }
  Result<int32_t> Int32() {
    if (s_.size() - at_ < 4) return Err(Short("an Int32"));
    const auto v = static_cast<int32_t>(ReadBe32(s_, at_));
    at_ += 4;
    return v;
  }
  Result<char> Byte() {
    if (s_.size() - at_ < 1) return Err(Short("a byte"));
    return s_[at_++];
  }
  Result<std::string> CString() {
    const size_t nul = s_.find('\0', at_);
    if (nul == std::string_view::npos) return Err(Short("a NUL-terminated string"));
    std::string out(s_.substr(at_, nul - at_));
    at_ = nul + 1;
    return out;
  }
  Result<std::string_view> Bytes(size_t n) {
    if (s_.size() - at_ < n) return Err(Short(std::to_string(n) + " bytes"));
    std::string_view out = s_.substr(at_, n);
    at_ += n;
    return out;
  }
  // A count of items of at least `min_item_bytes` each: no more than fit.
  Result<size_t> Count(size_t min_item_bytes) {
    EL_ASSIGN_OR_RETURN(int16_t n, Int16());
    if (n < 0) return Err(InvalidArgument("a negative count in a message"));
    if (static_cast<size_t>(n) * min_item_bytes > s_.size() - at_) return Err(Short("its items"));
    return static_cast<size_t>(n);
  }
  bool AtEnd() const { return at_ == s_.size(); }

 private:
  static Status Short(const std::string& what) {
    return InvalidArgument("a message ended before " + what);
  }
  std::string_view s_;
  size_t at_ = 0;
};

Status Done(const Reader& r, std::string_view what) {
  if (!r.AtEnd()) return InvalidArgument(std::string(what) + " has bytes past its end");
  return Status::Ok();
}

}  // namespace

Result<std::optional<size_t>> PgFrameLength(std::string_view buffer, bool startup) {
  const size_t header = startup ? 4 : 5;
  if (buffer.size() < header) return std::optional<size_t>();
  const uint32_t length = ReadBe32(buffer, startup ? 0 : 1);
  const size_t limit = startup ? kMaxPgStartup : kMaxPgMessage;
  if (length < 4 || length > limit || (startup && length < 8)) {
    return Err(InvalidArgument("a message length of " + std::to_string(length) + " bytes is out of bounds"));
  }
  const size_t total = length + (startup ? 0 : 1);
  if (buffer.size() < total) return std::optional<size_t>();
  return std::optional<size_t>(total);
}

Result<PgStartup> ParsePgStartup(std::string_view frame) {
  Reader r(frame.substr(4));
  PgStartup startup;
  EL_ASSIGN_OR_RETURN(startup.protocol, r.Int32());
  if (startup.protocol == kPgSslRequest || startup.protocol == kPgGssEncRequest) {
    startup.kind = startup.protocol == kPgSslRequest ? PgStartup::Kind::kSslRequest
                                                     : PgStartup::Kind::kGssEncRequest;
    EL_RETURN_IF_ERROR(Done(r, "an SSLRequest"));
    return startup;
  }
  if (startup.protocol == kPgCancelRequest) {
    startup.kind = PgStartup::Kind::kCancel;
    EL_ASSIGN_OR_RETURN(startup.process_id, r.Int32());
    EL_ASSIGN_OR_RETURN(startup.secret, r.Int32());
    EL_RETURN_IF_ERROR(Done(r, "a CancelRequest"));
    return startup;
  }
  if ((startup.protocol >> 16) != 3) {
    return Err(InvalidArgument("protocol " + std::to_string(startup.protocol >> 16) + "." +
                               std::to_string(startup.protocol & 0xFFFF) + " is not supported (3.0 is)"));
  }
  while (true) {
    EL_ASSIGN_OR_RETURN(std::string name, r.CString());
    if (name.empty()) break;
    EL_ASSIGN_OR_RETURN(std::string value, r.CString());
    startup.parameters.emplace_back(std::move(name), std::move(value));
  }
  EL_RETURN_IF_ERROR(Done(r, "a startup message"));
  return startup;
}

PgMessage SplitPgMessage(std::string_view frame) { return {frame[0], frame.substr(5)}; }

Result<std::string> ParsePgQuery(std::string_view payload) {
  Reader r(payload);
  EL_ASSIGN_OR_RETURN(std::string query, r.CString());
  EL_RETURN_IF_ERROR(Done(r, "a Query message"));
  return query;
}

Result<PgParse> ParsePgParse(std::string_view payload) {
  Reader r(payload);
  PgParse parse;
  EL_ASSIGN_OR_RETURN(parse.statement, r.CString());
  EL_ASSIGN_OR_RETURN(parse.query, r.CString());
  EL_ASSIGN_OR_RETURN(size_t n, r.Count(4));
  for (size_t i = 0; i < n; ++i) {
    EL_ASSIGN_OR_RETURN(int32_t oid, r.Int32());
    parse.parameter_types.push_back(oid);
  }
  EL_RETURN_IF_ERROR(Done(r, "a Parse message"));
  return parse;
}

Result<PgBind> ParsePgBind(std::string_view payload) {
  Reader r(payload);
  PgBind bind;
  EL_ASSIGN_OR_RETURN(bind.portal, r.CString());
  EL_ASSIGN_OR_RETURN(bind.statement, r.CString());
  EL_ASSIGN_OR_RETURN(size_t formats, r.Count(2));
  for (size_t i = 0; i < formats; ++i) {
    EL_ASSIGN_OR_RETURN(int16_t f, r.Int16());
    if (f != 0 && f != 1) return Err(InvalidArgument("a parameter format code of " + std::to_string(f)));
    bind.parameter_formats.push_back(f);
  }
  EL_ASSIGN_OR_RETURN(size_t n, r.Count(4));
  if (formats > 1 && formats != n) {
    return Err(InvalidArgument("Bind has " + std::to_string(formats) + " parameter formats for " +
                               std::to_string(n) + " parameters"));
  }
  for (size_t i = 0; i < n; ++i) {
    EL_ASSIGN_OR_RETURN(int32_t length, r.Int32());
    if (length == -1) {
      bind.parameters.emplace_back(std::nullopt);
      continue;
    }
    if (length < 0) return Err(InvalidArgument("a negative parameter length"));
    EL_ASSIGN_OR_RETURN(std::string_view value, r.Bytes(static_cast<size_t>(length)));
    bind.parameters.emplace_back(std::string(value));
  }
  EL_ASSIGN_OR_RETURN(size_t results, r.Count(2));
  for (size_t i = 0; i < results; ++i) {
    EL_ASSIGN_OR_RETURN(int16_t f, r.Int16());
    if (f != 0 && f != 1) return Err(InvalidArgument("a result format code of " + std::to_string(f)));
    bind.result_formats.push_back(f);
  }
  EL_RETURN_IF_ERROR(Done(r, "a Bind message"));
  return bind;
}

Result<PgDescribe> ParsePgDescribe(std::string_view payload) {
  Reader r(payload);
  PgDescribe d;
  EL_ASSIGN_OR_RETURN(d.what, r.Byte());
  if (d.what != 'S' && d.what != 'P') return Err(InvalidArgument("Describe/Close of neither 'S' nor 'P'"));
  EL_ASSIGN_OR_RETURN(d.name, r.CString());
  EL_RETURN_IF_ERROR(Done(r, "a Describe or Close message"));
  return d;
}

Result<PgExecute> ParsePgExecute(std::string_view payload) {
  Reader r(payload);
  PgExecute e;
  EL_ASSIGN_OR_RETURN(e.portal, r.CString());
  EL_ASSIGN_OR_RETURN(e.max_rows, r.Int32());
  EL_RETURN_IF_ERROR(Done(r, "an Execute message"));
  return e;
}

Result<std::string> ParsePgPassword(std::string_view payload) {
  Reader r(payload);
  EL_ASSIGN_OR_RETURN(std::string password, r.CString());
  EL_RETURN_IF_ERROR(Done(r, "a PasswordMessage"));
  return password;
}

Result<PgSaslInitial> ParsePgSaslInitial(std::string_view payload) {
  Reader r(payload);
  PgSaslInitial initial;
  EL_ASSIGN_OR_RETURN(initial.mechanism, r.CString());
  EL_ASSIGN_OR_RETURN(int32_t length, r.Int32());
  if (length >= 0) {
    EL_ASSIGN_OR_RETURN(std::string_view data, r.Bytes(static_cast<size_t>(length)));
    initial.data = std::string(data);
  }
  EL_RETURN_IF_ERROR(Done(r, "a SASLInitialResponse"));
  return initial;
}

PgWriter& PgWriter::Begin(char type) {
  start_ = out_.size();
  out_ += type;
  out_.append(4, '\0');
  return *this;
}
PgWriter& PgWriter::Int8(uint8_t v) {
  out_ += static_cast<char>(v);
  return *this;
}
PgWriter& PgWriter::Int16(int16_t v) {
  out_ += static_cast<char>((static_cast<uint16_t>(v) >> 8) & 0xFF);
  out_ += static_cast<char>(static_cast<uint16_t>(v) & 0xFF);
  return *this;
}
PgWriter& PgWriter::Int32(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) out_ += static_cast<char>((u >> shift) & 0xFF);
  return *this;
}
PgWriter& PgWriter::Int64(int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out_ += static_cast<char>((u >> shift) & 0xFF);
  return *this;
}
PgWriter& PgWriter::CString(std::string_view s) {
  for (char c : s) {
    if (c != '\0') out_ += c;
  }
  out_ += '\0';
  return *this;
}
PgWriter& PgWriter::Bytes(std::string_view s) {
  out_ += s;
  return *this;
}
void PgWriter::End() {
  const auto length = static_cast<uint32_t>(out_.size() - start_ - 1);
  for (int i = 0; i < 4; ++i) out_[start_ + 1 + i] = static_cast<char>((length >> (24 - 8 * i)) & 0xFF);
}

void PgWriter::Error(std::string_view sqlstate, std::string_view message,
                     std::optional<size_t> position, bool notice) {
  Begin(notice ? 'N' : 'E');
  Int8('S').CString(notice ? "NOTICE" : "ERROR");
  Int8('V').CString(notice ? "NOTICE" : "ERROR");
  Int8('C').CString(sqlstate);
  Int8('M').CString(message);
  if (position.has_value()) Int8('P').CString(std::to_string(*position + 1));
  Int8(0);
  End();
}

}  // namespace eventlake::query
