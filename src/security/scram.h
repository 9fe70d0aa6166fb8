// SCRAM-SHA-256 (RFC 5802, RFC 7677), the password exchange Postgres
// clients speak: the client proves it knows the password (an API key)
// without sending it, and the server proves it knows the key's verifier.
//
// The configuration holds a verifier per key, never the key: the salt, the
// iteration count, StoredKey and ServerKey, in Postgres's spelling
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>   (base64)
// so `eventlake keys generate` prints one beside the key's SHA-256. A
// leaked verifier does not let anyone log in as the client (that needs the
// key), and it costs <iterations> PBKDF2 rounds per guess.
//
// Over TLS the exchange can be bound to the channel (SCRAM-SHA-256-PLUS,
// RFC 5802 section 6, with RFC 5929's tls-server-end-point: a hash of the
// server's certificate), so that a man in the middle holding another
// certificate cannot relay it: ScramChannel says what was offered and
// chosen, the PgSession decides (pgwire_session.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "security/api_key.h"

namespace eventlake::security {

inline constexpr std::string_view kScramMechanism = "SCRAM-SHA-256";
inline constexpr std::string_view kScramPlusMechanism = "SCRAM-SHA-256-PLUS";
inline constexpr std::string_view kScramBindingType = "tls-server-end-point";  // the only one taken
inline constexpr int kScramDefaultIterations = 4096;  // Postgres's default
inline constexpr size_t kMaxScramMessageBytes = 1024;

struct ScramVerifier {
  int iterations = kScramDefaultIterations;
  std::string salt;  // raw bytes
  Sha256Digest stored_key{};
  Sha256Digest server_key{};
};

// A verifier for `password` with a fresh random salt.
ScramVerifier MakeScramVerifier(std::string_view password, int iterations = kScramDefaultIterations);
// The same with a given salt (for tests).
ScramVerifier MakeScramVerifier(std::string_view password, std::string_view salt, int iterations);

std::string FormatScramVerifier(const ScramVerifier& verifier);
// InvalidArgument (never repeating the text) unless it is a verifier in the
// format above with 1,000 to 10,000,000 iterations.
Result<ScramVerifier> ParseScramVerifier(std::string_view text);

// The channel one exchange runs over, as the server offered it.
struct ScramChannel {
  // tls-server-end-point's data (the hash of the server certificate,
  // raw bytes) when SCRAM-SHA-256-PLUS was offered, i.e. over TLS; empty
  // when it was not.
  std::string tls_server_end_point;
  // The client chose SCRAM-SHA-256-PLUS (only when it was offered).
  bool plus = false;
};

// The server's side of one exchange: client-first -> server-first,
// client-final -> server-final. Errors are Unauthenticated for a wrong
// proof or channel binding and InvalidArgument for a malformed message or
// a gs2 header that does not fit the channel:
//   - with `plus`, the header must be "p=tls-server-end-point,," and c= the
//     header followed by the certificate hash;
//   - without it, "p=..." is refused, and so is "y,," (the client can bind
//     but thinks the server cannot: a downgrade, RFC 5802 section 6) when
//     SCRAM-SHA-256-PLUS was offered; "n,," is taken.
class ScramServer {
 public:
  // `nonce`: the server's part of the nonce ("" = random).
  explicit ScramServer(const ScramVerifier& verifier, ScramChannel channel = {}, std::string nonce = "");

  Result<std::string> ClientFirst(std::string_view message);
  Result<std::string> ClientFinal(std::string_view message);

 private:
  Status CheckBinding(std::string_view base64) const;  // c= of client-final

  ScramVerifier verifier_;
  std::string server_nonce_;
  ScramChannel channel_;
  std::string gs2_header_;         // "n,,", "y,," or "p=tls-server-end-point,,"
  std::string client_first_bare_;  // "n=...,r=..."
  std::string server_first_;       // "r=...,s=...,i=..."
  std::string nonce_;              // client's + server's
  bool done_ = false;
};

// The client's side (the unit tests speak it): client-final for
// `password` given the messages so far; `binding` is what c= carries
// before base64: the gs2 header, then the channel binding data with "p=".
Result<std::string> ScramClientFinal(std::string_view password, std::string_view client_first_bare,
                                     std::string_view server_first, std::string_view binding = "n,,");

}  // namespace eventlake::security
