// Fuzzes the server side of SCRAM-SHA-256 (src/security/scram.h) with what a
// Postgres client could send: the input is a client-first message, a NUL,
// and a client-final message; and, whole, a verifier as a config file could
// hold it. Every message must be answered or refused with a message; a
// proof that verifies without the password is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "security/scram.h"

namespace {

using namespace eventlake::security;  // NOLINT: a fuzz target's helpers

const ScramVerifier& Verifier() {
  static const ScramVerifier v = MakeScramVerifier("elk_fuzz", "fixed-salt", 1000);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto verifier = ParseScramVerifier(in);
  if (!verifier.has_value() && verifier.error().message().empty()) __builtin_trap();

  const size_t nul = in.find('\0');
  ScramServer server(Verifier(), "servernonce");
  auto first = server.ClientFirst(in.substr(0, nul));
  if (!first.has_value()) {
    if (first.error().message().empty()) __builtin_trap();
    return 0;
  }
  if (nul == std::string_view::npos) return 0;
  auto final_message = server.ClientFinal(in.substr(nul + 1));
  if (final_message.has_value()) {
    // Accepted: then the input must carry the proof only the password gives.
    auto expected = ScramClientFinal("elk_fuzz", in.substr(3, nul - 3), *first);
    if (!expected.has_value() || in.substr(nul + 1).find(expected->substr(expected->rfind(",p="))) ==
                                     std::string_view::npos) {
      __builtin_trap();
    }
  } else if (final_message.error().message().empty()) {
    __builtin_trap();
  }
  return 0;
}
