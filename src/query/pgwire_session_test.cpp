// PgSession's startup: TLS negotiation and how an API key is asked for
// (SCRAM-SHA-256 when the key has a verifier, and -PLUS beside it over
// TLS; cleartext only over TLS or from loopback). No queries: the engine is
// not needed before Ready.
#include "query/pgwire_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "security/scram.h"

namespace eventlake::query {
namespace {

using testing::HasSubstr;

std::string Int32(int32_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
}

std::string Startup(std::string_view user) {
  const std::string body = Int32(196'608) + "user" + std::string(1, '\0') + std::string(user) +
                           std::string(1, '\0') + std::string(1, '\0');
  return Int32(static_cast<int32_t>(body.size() + 4)) + body;
}

std::string SslRequest() { return Int32(8) + Int32(80'877'103); }

std::string Message(char type, std::string_view payload) {
  return std::string(1, type) + Int32(static_cast<int32_t>(payload.size() + 4)) + std::string(payload);
}

// The authentication request code of the first 'R' message in `out`, or -1.
int AuthCode(std::string_view out) {
  const size_t r = out.find('R');
  if (r == std::string_view::npos || out.size() < r + 9) return -1;
  return static_cast<uint8_t>(out[r + 8]);
}

class PgSessionAuthTest : public testing::Test {
 protected:
  void SetUp() override {
    security::SecurityOptions options;
    options.api_keys = {
        {.name = "plain", .key_sha256 = security::HashApiKey(kPlainKey)},
        {.name = "scram", .key_sha256 = security::HashApiKey(kScramKey),
         .scram_sha256 = security::FormatScramVerifier(security::MakeScramVerifier(kScramKey))},
    };
    access_ = std::move(security::AccessControl::Create(options).value());
  }

  PgSession Session(bool loopback, bool tls = false) {
    return PgSession({.access = access_.get(),
                      .peer_is_loopback = loopback,
                      .tls_available = tls,
                      .scram_logins = &scram_logins_,
                      .scram_plus_logins = &scram_plus_logins_});
  }

  // A session from afar that went through SSLRequest and the handshake.
  PgSession EncryptedSession() {
    PgSession session = Session(/*loopback=*/false, /*tls=*/true);
    std::string out;
    EXPECT_TRUE(session.Feed(SslRequest(), &out));
    EXPECT_TRUE(session.StartTls());
    session.Encrypted(kCertificateHash);
    return session;
  }

  // Logs in as "scram" with `password`, choosing `mechanism`, with
  // client-first `header` and c= carrying `binding`: whether the
  // connection stays open, and what the session answered last.
  std::pair<bool, std::string> ScramLogin(PgSession& session, std::string_view mechanism, std::string_view header,
                                          std::string_view binding, std::string_view password = kScramKey) {
    std::string out;
    EXPECT_TRUE(session.Feed(Startup("scram"), &out));
    EXPECT_EQ(AuthCode(out), 10);  // AuthenticationSASL
    const std::string client_first = std::string(header) + "n=,r=clientnonce";
    out.clear();
    if (!session.Feed(Message('p', std::string(mechanism) + std::string(1, '\0') +
                                       Int32(static_cast<int32_t>(client_first.size())) + client_first),
                      &out)) {
      return {false, out};
    }
    EXPECT_EQ(AuthCode(out), 11);  // AuthenticationSASLContinue
    const std::string server_first = out.substr(9);
    EXPECT_TRUE(server_first.starts_with("r=clientnonce")) << server_first;
    const std::string final_message =
        security::ScramClientFinal(password, client_first.substr(header.size()), server_first, binding).value();
    out.clear();
    const bool open = session.Feed(Message('p', final_message), &out);
    return {open, out};
  }

  static constexpr std::string_view kPlainKey = "elk_plainplainplainplainplainplainplainplainpla";
  static constexpr std::string_view kScramKey = "elk_scramscramscramscramscramscramscramscramscr";
  static inline const std::string kCertificateHash = std::string(32, '\x42');  // stands for the server's
  std::unique_ptr<security::AccessControl> access_;
  Counter scram_logins_;
  Counter scram_plus_logins_;
};

// The mechanism list of an AuthenticationSASL message: NUL-terminated names
// after the code, ended by an empty one.
std::vector<std::string> SaslMechanisms(std::string_view out) {
  std::vector<std::string> names;
  size_t at = out.find('R') + 9;
  while (at < out.size() && out[at] != '\0') {
    const size_t nul = out.find('\0', at);
    names.emplace_back(out.substr(at, nul - at));
    at = nul + 1;
  }
  return names;
}

TEST_F(PgSessionAuthTest, ACleartextKeyIsRefusedFromAfarWithoutTls) {
  PgSession session = Session(/*loopback=*/false);
  std::string out;
  EXPECT_FALSE(session.Feed(Startup("plain"), &out));
  EXPECT_THAT(out, HasSubstr("28000"));
  EXPECT_THAT(out, HasSubstr("only over TLS or from a loopback client"));
}

TEST_F(PgSessionAuthTest, TlsIsNegotiatedThenTheKeyGoesInCleartext) {
  PgSession session = Session(/*loopback=*/false, /*tls=*/true);
  std::string out;
  ASSERT_TRUE(session.Feed(SslRequest(), &out));
  EXPECT_EQ(out, "S");
  EXPECT_TRUE(session.StartTls());
  EXPECT_FALSE(session.StartTls());  // once
  session.Encrypted(kCertificateHash);
  out.clear();
  ASSERT_TRUE(session.Feed(Startup("plain"), &out));
  EXPECT_EQ(AuthCode(out), 3);  // AuthenticationCleartextPassword
  out.clear();
  ASSERT_TRUE(session.Feed(Message('p', std::string(kPlainKey) + std::string(1, '\0')), &out));
  EXPECT_EQ(AuthCode(out), 0);  // AuthenticationOk
  EXPECT_NE(out.find('Z'), std::string::npos);
}

TEST_F(PgSessionAuthTest, BytesStuffedAfterAnSslRequestAreRefused) {
  PgSession session = Session(/*loopback=*/true, /*tls=*/true);
  std::string out;
  EXPECT_FALSE(session.Feed(SslRequest() + Startup("plain"), &out));
  EXPECT_THAT(out, HasSubstr("unencrypted data after SSL request"));
  // Without TLS set up the request is declined and the client goes on.
  PgSession plain = Session(/*loopback=*/true);
  out.clear();
  ASSERT_TRUE(plain.Feed(SslRequest() + Startup("plain"), &out));
  EXPECT_EQ(out[0], 'N');
  EXPECT_FALSE(plain.StartTls());
  EXPECT_EQ(AuthCode(out.substr(1)), 3);
}

TEST_F(PgSessionAuthTest, AKeyWithAVerifierLogsInByScram) {
  for (const bool right : {true, false}) {
    PgSession session = Session(/*loopback=*/false);  // SCRAM needs no TLS
    auto [open, out] = ScramLogin(session, "SCRAM-SHA-256", "n,,", "n,,", right ? kScramKey : kPlainKey);
    EXPECT_EQ(open, right);
    if (right) {
      EXPECT_EQ(AuthCode(out), 12);  // AuthenticationSASLFinal, then Ok
      EXPECT_NE(out.find(std::string("R") + Int32(8) + Int32(0)), std::string::npos);
    } else {
      EXPECT_THAT(out, HasSubstr("28P01"));
      EXPECT_THAT(out, HasSubstr("password authentication failed for user \"scram\""));
    }
  }
}

TEST_F(PgSessionAuthTest, MalformedSaslMessagesAreProtocolErrors) {
  PgSession session = Session(/*loopback=*/true);
  std::string out;
  ASSERT_TRUE(session.Feed(Startup("scram"), &out));
  out.clear();
  EXPECT_FALSE(session.Feed(Message('p', "SCRAM-SHA-256-PLUS" + std::string(1, '\0') + Int32(3) + "n,,"), &out));
  EXPECT_THAT(out, HasSubstr("08P01"));
  EXPECT_THAT(out, HasSubstr("not offered"));
}

TEST_F(PgSessionAuthTest, OverTlsPlusIsOfferedFirstAndWithoutOnlyScramSha256) {
  PgSession tls = EncryptedSession();
  std::string out;
  ASSERT_TRUE(tls.Feed(Startup("scram"), &out));
  EXPECT_THAT(SaslMechanisms(out), testing::ElementsAre("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"));
  PgSession plain = Session(/*loopback=*/false);
  out.clear();
  ASSERT_TRUE(plain.Feed(Startup("scram"), &out));
  EXPECT_THAT(SaslMechanisms(out), testing::ElementsAre("SCRAM-SHA-256"));
  // TLS whose certificate gives no tls-server-end-point: no -PLUS either.
  PgSession unbindable = Session(/*loopback=*/false, /*tls=*/true);
  ASSERT_TRUE(unbindable.Feed(SslRequest(), &out));
  ASSERT_TRUE(unbindable.StartTls());
  unbindable.Encrypted("");
  out.clear();
  ASSERT_TRUE(unbindable.Feed(Startup("scram"), &out));
  EXPECT_THAT(SaslMechanisms(out), testing::ElementsAre("SCRAM-SHA-256"));
}

TEST_F(PgSessionAuthTest, ScramPlusWithTheCertificatesHashLogsIn) {
  PgSession session = EncryptedSession();
  const std::string header = "p=tls-server-end-point,,";
  auto [open, out] = ScramLogin(session, "SCRAM-SHA-256-PLUS", header, header + kCertificateHash);
  ASSERT_TRUE(open) << out;
  EXPECT_EQ(AuthCode(out), 12);  // AuthenticationSASLFinal, then Ok
  EXPECT_NE(out.find(std::string("R") + Int32(8) + Int32(0)), std::string::npos);
  EXPECT_EQ(scram_plus_logins_.Value(), 1u);
  EXPECT_EQ(scram_logins_.Value(), 0u);
  // Over TLS a client that cannot bind still logs in, by SCRAM-SHA-256.
  PgSession unbound = EncryptedSession();
  ASSERT_TRUE(ScramLogin(unbound, "SCRAM-SHA-256", "n,,", "n,,").first);
  EXPECT_EQ(scram_logins_.Value(), 1u);
}

TEST_F(PgSessionAuthTest, ScramPlusWithAnotherCertificatesHashIsRefused) {
  PgSession session = EncryptedSession();
  const std::string header = "p=tls-server-end-point,,";
  auto [open, out] = ScramLogin(session, "SCRAM-SHA-256-PLUS", header, header + std::string(32, '\x43'));
  EXPECT_FALSE(open);
  EXPECT_THAT(out, HasSubstr("28P01"));
  EXPECT_THAT(out, HasSubstr("password authentication failed for user \"scram\""));
  EXPECT_EQ(scram_plus_logins_.Value(), 0u);
}

TEST_F(PgSessionAuthTest, AClientThatSaysYIsRefusedWhenPlusWasOffered) {
  PgSession session = EncryptedSession();
  auto [open, out] = ScramLogin(session, "SCRAM-SHA-256", "y,,", "y,,");
  EXPECT_FALSE(open);
  EXPECT_THAT(out, HasSubstr("08P01"));
  EXPECT_THAT(out, HasSubstr("channel binding negotiation error"));
  // Without TLS nothing was offered to bind: "y" is the truth.
  PgSession plain = Session(/*loopback=*/false);
  EXPECT_TRUE(ScramLogin(plain, "SCRAM-SHA-256", "y,,", "y,,").first);
}

TEST_F(PgSessionAuthTest, ChannelBindingIsRefusedWithoutTls) {
  const std::string header = "p=tls-server-end-point,,";
  PgSession session = Session(/*loopback=*/false);
  auto [open, out] = ScramLogin(session, "SCRAM-SHA-256", header, header + kCertificateHash);
  EXPECT_FALSE(open);
  EXPECT_THAT(out, HasSubstr("08P01"));
  EXPECT_THAT(out, HasSubstr("channel binding is offered only over TLS"));
  PgSession plus = Session(/*loopback=*/false);
  std::tie(open, out) = ScramLogin(plus, "SCRAM-SHA-256-PLUS", header, header + kCertificateHash);
  EXPECT_FALSE(open);
  EXPECT_THAT(out, HasSubstr("SCRAM-SHA-256-PLUS only over TLS"));
}

}  // namespace
}  // namespace eventlake::query
