// PgSession's startup: TLS negotiation and how an API key is asked for
// (SCRAM-SHA-256 when the key has a verifier, cleartext only over TLS or
// from loopback). No queries: the engine is not needed before Ready.
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
    return PgSession({.access = access_.get(), .peer_is_loopback = loopback, .tls_available = tls});
  }

  static constexpr std::string_view kPlainKey = "elk_plainplainplainplainplainplainplainplainpla";
  static constexpr std::string_view kScramKey = "elk_scramscramscramscramscramscramscramscramscr";
  std::unique_ptr<security::AccessControl> access_;
};

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
  session.Encrypted();
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
    std::string out;
    ASSERT_TRUE(session.Feed(Startup("scram"), &out));
    EXPECT_EQ(AuthCode(out), 10);  // AuthenticationSASL
    EXPECT_THAT(out, HasSubstr("SCRAM-SHA-256"));
    const std::string client_first = "n,,n=,r=clientnonce";
    out.clear();
    ASSERT_TRUE(session.Feed(Message('p', "SCRAM-SHA-256" + std::string(1, '\0') +
                                               Int32(static_cast<int32_t>(client_first.size())) + client_first),
                             &out));
    EXPECT_EQ(AuthCode(out), 11);  // AuthenticationSASLContinue
    const std::string server_first = out.substr(9);
    ASSERT_TRUE(server_first.starts_with("r=clientnonce")) << server_first;
    const std::string final_message =
        security::ScramClientFinal(right ? kScramKey : kPlainKey, client_first.substr(3), server_first).value();
    out.clear();
    const bool open = session.Feed(Message('p', final_message), &out);
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

}  // namespace
}  // namespace eventlake::query
