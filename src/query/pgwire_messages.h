// The Postgres wire protocol 3.0, as bytes: framing and parsing of what
// clients send (with limits: a message may not exceed kMaxPgMessage bytes,
// every count and string is checked against what is left), and a writer for
// what the server sends. No I/O and no state here: pgwire_session.h speaks
// the protocol, this only reads and writes its messages.
// https://www.postgresql.org/docs/current/protocol-message-formats.html
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace eventlake::query {

inline constexpr size_t kMaxPgMessage = 16u << 20;    // any one frontend message
inline constexpr size_t kMaxPgStartup = 10'000;       // startup packets (PostgreSQL's limit)
inline constexpr size_t kMaxPgParameters = 65'535;    // an Int16 count
inline constexpr int32_t kPgProtocol3 = 196'608;      // 3.0
inline constexpr int32_t kPgSslRequest = 80'877'103;
inline constexpr int32_t kPgGssEncRequest = 80'877'104;
inline constexpr int32_t kPgCancelRequest = 80'877'102;

// The length of the next whole message at the front of `buffer` (type byte
// and length included), nullopt while it is incomplete. Startup packets have
// no type byte. InvalidArgument for a length out of bounds.
Result<std::optional<size_t>> PgFrameLength(std::string_view buffer, bool startup);

struct PgStartup {
  enum class Kind { kStartup, kSslRequest, kGssEncRequest, kCancel };
  Kind kind = Kind::kStartup;
  int32_t protocol = 0;
  std::vector<std::pair<std::string, std::string>> parameters;  // user, database, options, ...
  int32_t process_id = 0;  // kCancel
  int32_t secret = 0;      // kCancel
};
// `frame` is a whole startup packet (PgFrameLength with startup = true).
Result<PgStartup> ParsePgStartup(std::string_view frame);

// A regular message: its type byte and its payload (after the length).
struct PgMessage {
  char type = 0;
  std::string_view payload;
};
PgMessage SplitPgMessage(std::string_view frame);

struct PgParse {
  std::string statement;
  std::string query;
  std::vector<int32_t> parameter_types;  // OIDs; 0 = unspecified
};
struct PgBind {
  std::string portal;
  std::string statement;
  std::vector<int16_t> parameter_formats;  // 0 text, 1 binary; none = all text, one = all that
  std::vector<std::optional<std::string>> parameters;  // nullopt = NULL
  std::vector<int16_t> result_formats;
};
struct PgDescribe {
  char what = 'S';  // 'S' statement, 'P' portal
  std::string name;
};
struct PgExecute {
  std::string portal;
  int32_t max_rows = 0;  // 0 = all
};
using PgClose = PgDescribe;

Result<std::string> ParsePgQuery(std::string_view payload);       // 'Q'
Result<PgParse> ParsePgParse(std::string_view payload);           // 'P'
Result<PgBind> ParsePgBind(std::string_view payload);             // 'B'
Result<PgDescribe> ParsePgDescribe(std::string_view payload);     // 'D' (and 'C': Close)
Result<PgExecute> ParsePgExecute(std::string_view payload);       // 'E'
Result<std::string> ParsePgPassword(std::string_view payload);    // 'p' (cleartext)
// 'p' as SASLInitialResponse: the mechanism and the client's first message.
struct PgSaslInitial {
  std::string mechanism;
  std::string data;
};
Result<PgSaslInitial> ParsePgSaslInitial(std::string_view payload);
// 'p' as SASLResponse is the message itself: no parsing.

// Writes backend messages into one buffer.
class PgWriter {
 public:
  // Starts a message of `type` (its length is filled in by End).
  PgWriter& Begin(char type);
  PgWriter& Int8(uint8_t v);
  PgWriter& Int16(int16_t v);
  PgWriter& Int32(int32_t v);
  PgWriter& Int64(int64_t v);
  PgWriter& CString(std::string_view s);  // NUL bytes inside are dropped
  PgWriter& Bytes(std::string_view s);
  void End();

  // Whole messages.
  void AuthenticationOk() { Begin('R').Int32(0).End(); }
  void AuthenticationCleartext() { Begin('R').Int32(3).End(); }
  // The mechanisms in the server's order of preference.
  void AuthenticationSasl(std::span<const std::string_view> mechanisms) {
    Begin('R').Int32(10);
    for (std::string_view m : mechanisms) CString(m);
    Int8(0).End();
  }
  void AuthenticationSaslContinue(std::string_view data) { Begin('R').Int32(11).Bytes(data).End(); }
  void AuthenticationSaslFinal(std::string_view data) { Begin('R').Int32(12).Bytes(data).End(); }
  void ParameterStatus(std::string_view name, std::string_view value) {
    Begin('S').CString(name).CString(value).End();
  }
  void BackendKeyData(int32_t pid, int32_t secret) { Begin('K').Int32(pid).Int32(secret).End(); }
  void ReadyForQuery(char status) { Begin('Z').Int8(static_cast<uint8_t>(status)).End(); }
  void CommandComplete(std::string_view tag) { Begin('C').CString(tag).End(); }
  void EmptyQueryResponse() { Begin('I').End(); }
  void ParseComplete() { Begin('1').End(); }
  void BindComplete() { Begin('2').End(); }
  void CloseComplete() { Begin('3').End(); }
  void NoData() { Begin('n').End(); }
  // ErrorResponse (or NoticeResponse with `notice`): severity, SQLSTATE, message, and
  // the 1-based character position when there is one.
  void Error(std::string_view sqlstate, std::string_view message,
             std::optional<size_t> position = std::nullopt, bool notice = false);

  std::string& buffer() { return out_; }
  std::string Take() { return std::exchange(out_, {}); }

 private:
  std::string out_;
  size_t start_ = 0;
};

}  // namespace eventlake::query
