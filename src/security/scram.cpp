// SCRAM-SHA-256 with OpenSSL's PBKDF2, HMAC and SHA-256.
#include "security/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdlib>
#include <vector>

#include "core/base64.h"

namespace eventlake::security {
namespace {

constexpr int kMinIterations = 1000;
constexpr int kMaxIterations = 10'000'000;
constexpr size_t kNonceBytes = 18;
constexpr std::string_view kGs2Expected =
    "SCRAM: expected a gs2 header \"n,,\", \"y,,\" or \"p=tls-server-end-point,,\"";

std::string_view AsText(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC-SHA-256.
Sha256Digest SaltedPassword(std::string_view password, std::string_view salt, int iterations) {
  Sha256Digest salted{};
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), reinterpret_cast<const uint8_t*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), static_cast<int>(salted.size()),
                    salted.data());
  return salted;
}

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<uint8_t*>(bytes.data()), static_cast<int>(n)) != 1) std::abort();
  return bytes;
}

// Base64 as RFC 5802 spells it: padded, so that one value has one spelling
// (DecodeBase64 alone also takes unpadded text, as CloudEvents may send it).
Result<std::string> DecodePaddedBase64(std::string_view text) {
  if (text.size() % 4 != 0) return Err(InvalidArgument("base64: not padded to a multiple of 4 characters"));
  return DecodeBase64(text);
}

Result<Sha256Digest> DigestFromBase64(std::string_view text) {
  EL_ASSIGN_OR_RETURN(std::string bytes, DecodePaddedBase64(text));
  if (bytes.size() != 32) return Err(InvalidArgument("expected 32 bytes"));
  Sha256Digest d{};
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

// The value of attribute `name` ("r=...") at the front of `message`, which
// moves past it and its comma.
Result<std::string_view> TakeAttribute(std::string_view& message, char name) {
  if (message.size() < 2 || message[0] != name || message[1] != '=') {
    return Err(InvalidArgument(std::string("SCRAM: expected the attribute ") + name + "="));
  }
  const size_t comma = message.find(',');
  std::string_view value = message.substr(2, comma == std::string_view::npos ? std::string_view::npos : comma - 2);
  message.remove_prefix(comma == std::string_view::npos ? message.size() : comma + 1);
  return value;
}

// The gs2 header at the front of a client-first message, checked against
// the channel (ScramChannel in scram.h). An authorization identity is not
// taken: the startup message named the user.
Result<std::string_view> TakeGs2Header(std::string_view message, const ScramChannel& channel) {
  const size_t comma = message.find(',');
  if (comma == std::string_view::npos || comma + 1 >= message.size() || message[comma + 1] != ',') {
    if (comma != std::string_view::npos && message.substr(comma + 1).starts_with("a=")) {
      return Err(InvalidArgument("SCRAM: an authorization identity (a=) is not supported"));
    }
    return Err(InvalidArgument(std::string(kGs2Expected)));
  }
  const std::string_view flag = message.substr(0, comma);
  const bool offered = !channel.tls_server_end_point.empty();
  if (channel.plus && !offered) return Err(InvalidArgument("SCRAM: SCRAM-SHA-256-PLUS is offered only over TLS"));
  if (flag == "n" || flag == "y") {
    if (channel.plus) {
      return Err(InvalidArgument("SCRAM: the client chose SCRAM-SHA-256-PLUS but its gs2 header binds no channel "
                                 "(expected \"p=tls-server-end-point,,\")"));
    }
    if (flag == "y" && offered) {
      // The client can bind but believes the server cannot: someone took
      // SCRAM-SHA-256-PLUS off the list on the way (RFC 5802 section 6).
      return Err(InvalidArgument("SCRAM channel binding negotiation error: the client supports channel binding "
                                 "but thinks the server does not, and this server offers SCRAM-SHA-256-PLUS"));
    }
  } else if (flag.starts_with("p=")) {
    if (!channel.plus) {
      return Err(InvalidArgument(offered ? "SCRAM: the client chose SCRAM-SHA-256 but its gs2 header asks for "
                                           "channel binding (choose SCRAM-SHA-256-PLUS)"
                                         : "SCRAM: channel binding is offered only over TLS (use SCRAM-SHA-256)"));
    }
    if (flag.substr(2) != kScramBindingType) {
      return Err(InvalidArgument("SCRAM: the only channel binding type taken is tls-server-end-point"));
    }
  } else {
    return Err(InvalidArgument(std::string(kGs2Expected)));
  }
  return message.substr(0, comma + 2);
}

bool PrintableNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

}  // namespace

ScramVerifier MakeScramVerifier(std::string_view password, std::string_view salt, int iterations) {
  Sha256Digest salted = SaltedPassword(password, salt, iterations);
  const Sha256Digest client_key = HmacSha256(AsText(salted), "Client Key");
  ScramVerifier v{.iterations = iterations, .salt = std::string(salt)};
  v.stored_key = Sha256(AsText(client_key));
  v.server_key = HmacSha256(AsText(salted), "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return v;
}

ScramVerifier MakeScramVerifier(std::string_view password, int iterations) {
  return MakeScramVerifier(password, RandomBytes(16), iterations);
}

std::string FormatScramVerifier(const ScramVerifier& v) {
  return std::string(kScramMechanism) + "$" + std::to_string(v.iterations) + ":" + EncodeBase64(v.salt) + "$" +
         EncodeBase64(AsText(v.stored_key)) + ":" + EncodeBase64(AsText(v.server_key));
}

Result<ScramVerifier> ParseScramVerifier(std::string_view text) {
  const auto bad = [](std::string_view why) {
    return Err(InvalidArgument("expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> "
                               "as `eventlake keys generate` prints it (" + std::string(why) + ")"));
  };
  const std::string prefix = std::string(kScramMechanism) + "$";
  if (!text.starts_with(prefix)) return bad("no SCRAM-SHA-256$ prefix");
  text.remove_prefix(prefix.size());
  const size_t colon = text.find(':'), dollar = text.find('$');
  if (colon == std::string_view::npos || dollar == std::string_view::npos || dollar < colon) return bad("shape");
  const size_t colon2 = text.find(':', dollar);
  if (colon2 == std::string_view::npos) return bad("shape");
  ScramVerifier v;
  const std::string_view iterations = text.substr(0, colon);
  auto [end, ec] = std::from_chars(iterations.data(), iterations.data() + iterations.size(), v.iterations);
  if (ec != std::errc() || end != iterations.data() + iterations.size() || v.iterations < kMinIterations ||
      v.iterations > kMaxIterations) {
    return bad("iterations: 1000 to 10000000");
  }
  auto salt = DecodeBase64(text.substr(colon + 1, dollar - colon - 1));
  if (!salt || salt->empty()) return bad("salt");
  v.salt = std::move(*salt);
  auto stored = DigestFromBase64(text.substr(dollar + 1, colon2 - dollar - 1));
  auto server = DigestFromBase64(text.substr(colon2 + 1));
  if (!stored || !server) return bad("keys");
  v.stored_key = *stored;
  v.server_key = *server;
  return v;
}

ScramServer::ScramServer(const ScramVerifier& verifier, ScramChannel channel, std::string nonce)
    : verifier_(verifier),
      server_nonce_(nonce.empty() ? EncodeBase64(RandomBytes(kNonceBytes)) : std::move(nonce)),
      channel_(std::move(channel)) {}

Result<std::string> ScramServer::ClientFirst(std::string_view message) {
  if (message.size() > kMaxScramMessageBytes) return Err(InvalidArgument("SCRAM: the message is too long"));
  if (!server_first_.empty()) return Err(InvalidArgument("SCRAM: client-first-message sent twice"));
  EL_ASSIGN_OR_RETURN(std::string_view header, TakeGs2Header(message, channel_));
  gs2_header_ = std::string(header);
  std::string_view bare = message.substr(header.size());
  client_first_bare_ = std::string(bare);
  if (bare.starts_with("m=")) return Err(InvalidArgument("SCRAM: mandatory extensions are not supported"));
  EL_ASSIGN_OR_RETURN(std::string_view user, TakeAttribute(bare, 'n'));
  (void)user;  // Postgres clients send it empty; the startup message named the user
  EL_ASSIGN_OR_RETURN(std::string_view client_nonce, TakeAttribute(bare, 'r'));
  if (!PrintableNonce(client_nonce)) return Err(InvalidArgument("SCRAM: the nonce is not printable ASCII"));
  nonce_ = std::string(client_nonce) + server_nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + EncodeBase64(verifier_.salt) + ",i=" + std::to_string(verifier_.iterations);
  return server_first_;
}

Result<std::string> ScramServer::ClientFinal(std::string_view message) {
  if (message.size() > kMaxScramMessageBytes) return Err(InvalidArgument("SCRAM: the message is too long"));
  if (server_first_.empty() || done_) return Err(InvalidArgument("SCRAM: client-final-message out of order"));
  done_ = true;
  const size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return Err(InvalidArgument("SCRAM: the message has no proof"));
  const std::string_view without_proof = message.substr(0, proof_at);
  std::string_view rest = without_proof;
  EL_ASSIGN_OR_RETURN(std::string_view binding, TakeAttribute(rest, 'c'));
  EL_RETURN_IF_ERROR(CheckBinding(binding));
  EL_ASSIGN_OR_RETURN(std::string_view nonce, TakeAttribute(rest, 'r'));
  if (nonce != nonce_) return Err(InvalidArgument("SCRAM: the nonce does not match"));
  auto proof = DigestFromBase64(message.substr(proof_at + 3));
  if (!proof) return Err(InvalidArgument("SCRAM: the proof is not 32 bytes of base64"));

  const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const Sha256Digest signature = HmacSha256(AsText(verifier_.stored_key), auth_message);
  Sha256Digest client_key{};
  for (size_t i = 0; i < client_key.size(); ++i) client_key[i] = (*proof)[i] ^ signature[i];
  const Sha256Digest stored = Sha256(AsText(client_key));
  if (CRYPTO_memcmp(stored.data(), verifier_.stored_key.data(), stored.size()) != 0) {
    return Err(Unauthenticated("SCRAM: the proof does not match the key's verifier"));
  }
  return "v=" + EncodeBase64(AsText(HmacSha256(AsText(verifier_.server_key), auth_message)));
}

Status ScramServer::CheckBinding(std::string_view base64) const {
  auto binding = DecodePaddedBase64(base64);
  if (!binding.has_value()) return InvalidArgument("SCRAM: the channel binding (c=) is not base64");
  // What c= must carry: the gs2 header again, then (with -PLUS) the hash
  // of the certificate this server presented. Compared in constant time.
  const std::string expected = gs2_header_ + (channel_.plus ? channel_.tls_server_end_point : "");
  if (binding->size() != expected.size() || CRYPTO_memcmp(binding->data(), expected.data(), expected.size()) != 0) {
    return Unauthenticated(channel_.plus ? "SCRAM: the channel binding does not match this server's certificate"
                                         : "SCRAM: the channel binding does not match the gs2 header");
  }
  return Status::Ok();
}

Result<std::string> ScramClientFinal(std::string_view password, std::string_view client_first_bare,
                                     std::string_view server_first, std::string_view binding) {
  std::string_view rest = server_first;
  EL_ASSIGN_OR_RETURN(std::string_view nonce, TakeAttribute(rest, 'r'));
  EL_ASSIGN_OR_RETURN(std::string_view salt64, TakeAttribute(rest, 's'));
  EL_ASSIGN_OR_RETURN(std::string_view iterations, TakeAttribute(rest, 'i'));
  EL_ASSIGN_OR_RETURN(std::string salt, DecodeBase64(salt64));
  int i = 0;
  std::from_chars(iterations.data(), iterations.data() + iterations.size(), i);
  const Sha256Digest salted = SaltedPassword(password, salt, i);
  const Sha256Digest client_key = HmacSha256(AsText(salted), "Client Key");
  const Sha256Digest stored_key = Sha256(AsText(client_key));
  const std::string without_proof = "c=" + EncodeBase64(binding) + ",r=" + std::string(nonce);
  const std::string auth_message =
      std::string(client_first_bare) + "," + std::string(server_first) + "," + without_proof;
  const Sha256Digest signature = HmacSha256(AsText(stored_key), auth_message);
  Sha256Digest proof{};
  for (size_t k = 0; k < proof.size(); ++k) proof[k] = client_key[k] ^ signature[k];
  return without_proof + ",p=" + EncodeBase64(AsText(proof));
}

}  // namespace eventlake::security
