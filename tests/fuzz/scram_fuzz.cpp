// Fuzzes the server side of SCRAM-SHA-256 (src/security/scram.h) with what a
// Postgres client could send: the input is a client-first message, a NUL,
// and a client-final message, tried without TLS, over TLS with -PLUS
// offered but not chosen, and with -PLUS chosen; and, whole, a verifier as
// a config file could hold it. Every message must be answered or refused
// with a message; a proof that verifies without the password, or a binding
// that is not the certificate's, is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
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
  const std::string certificate_hash(32, '\x5c');
  for (const ScramChannel& channel : {ScramChannel{}, ScramChannel{.tls_server_end_point = certificate_hash},
                                      ScramChannel{.tls_server_end_point = certificate_hash, .plus = true}}) {
    ScramServer server(Verifier(), channel, "servernonce");
    auto first = server.ClientFirst(in.substr(0, nul));
    if (!first.has_value()) {
      if (first.error().message().empty()) __builtin_trap();
      continue;
    }
    if (nul == std::string_view::npos) continue;
    auto final_message = server.ClientFinal(in.substr(nul + 1));
    if (!final_message.has_value()) {
      if (final_message.error().message().empty()) __builtin_trap();
      continue;
    }
    // Accepted: then the input must carry the proof only the password
    // gives, over the binding the channel asks for.
    const size_t bare = in.find(',', in.find(',') + 1) + 1;
    const std::string binding = std::string(in.substr(0, bare)) + (channel.plus ? certificate_hash : "");
    auto expected = ScramClientFinal("elk_fuzz", in.substr(bare, nul - bare), *first, binding);
    if (!expected.has_value() || in.substr(nul + 1).find(*expected) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
