// Fuzzes the Postgres wire protocol's message parser (src/query/pgwire_messages.h)
// with what a client could send: the input is a session's bytes, a startup
// packet and then typed messages. Every frame must parse or be refused with
// a message; nothing may crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "query/pgwire_messages.h"

namespace {

using namespace eventlake::query;  // NOLINT: a fuzz target's helpers

void Check(const eventlake::Status& s) {
  if (!s.ok() && s.message().empty()) __builtin_trap();
}

template <typename T>
void Check(const eventlake::Result<T>& r) {
  if (!r.has_value()) Check(r.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bool startup = true;
  while (!in.empty()) {
    auto length = PgFrameLength(in, startup);
    if (!length.has_value()) return Check(length.error()), 0;
    if (!length->has_value()) return 0;
    const std::string_view frame = in.substr(0, **length);
    if (**length > in.size() || **length < (startup ? 8u : 5u)) __builtin_trap();
    in.remove_prefix(**length);
    if (startup) {
      auto s = ParsePgStartup(frame);
      Check(s);
      // After an SSLRequest the client sends its startup packet again.
      startup = s.has_value() && s->kind != PgStartup::Kind::kStartup;
      continue;
    }
    const PgMessage m = SplitPgMessage(frame);
    switch (m.type) {
      case 'Q': Check(ParsePgQuery(m.payload)); break;
      case 'P': Check(ParsePgParse(m.payload)); break;
      case 'B': {
        auto b = ParsePgBind(m.payload);
        Check(b);
        if (b.has_value() && b->parameter_formats.size() > 1 &&
            b->parameter_formats.size() != b->parameters.size()) {
          __builtin_trap();
        }
        break;
      }
      case 'D': case 'C': Check(ParsePgDescribe(m.payload)); break;
      case 'E': Check(ParsePgExecute(m.payload)); break;
      case 'p':  // a PasswordMessage or a SASLInitialResponse: the phase decides
        Check(ParsePgPassword(m.payload));
        Check(ParsePgSaslInitial(m.payload));
        break;
      default: break;
    }
  }
  // The writer frames whatever it is given.
  PgWriter w;
  w.Error("XX000", std::string_view(reinterpret_cast<const char*>(data), size), size);
  if (w.buffer().size() < 5) __builtin_trap();
  return 0;
}
