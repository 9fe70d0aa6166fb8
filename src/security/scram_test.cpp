// SCRAM-SHA-256 against RFC 7677's example, and its refusals.
#include "security/scram.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base64.h"

namespace eventlake::security {
namespace {

using testing::HasSubstr;

// RFC 7677, section 3.
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramVerifier Pencil() { return MakeScramVerifier("pencil", DecodeBase64("W22ZaJ0SNY7soEsUEjb6gQ==").value(), 4096); }

TEST(Scram, FollowsRfc7677sExample) {
  ScramServer server(Pencil(), std::string(kServerNonce));
  EXPECT_EQ(server.ClientFirst(kClientFirst).value(), kServerFirst);
  EXPECT_EQ(server.ClientFinal(kClientFinal).value(), kServerFinal);
  // The client side computes the same proof.
  EXPECT_EQ(ScramClientFinal("pencil", kClientFirst.substr(3), kServerFirst).value(), kClientFinal);
}

TEST(Scram, RefusesAWrongPasswordAndTamperedMessages) {
  ScramServer wrong(Pencil(), std::string(kServerNonce));
  ASSERT_TRUE(wrong.ClientFirst(kClientFirst).has_value());
  auto refused = wrong.ClientFinal(ScramClientFinal("pen", kClientFirst.substr(3), kServerFirst).value());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnauthenticated);

  for (std::string_view final_message : {
           std::string_view("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
           std::string_view("c=biws,r=rOprNGfwEbeRWgbNEkqOX,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
           std::string_view("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=short"),
           std::string_view("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"),
       }) {
    ScramServer server(Pencil(), std::string(kServerNonce));
    ASSERT_TRUE(server.ClientFirst(kClientFirst).has_value());
    EXPECT_FALSE(server.ClientFinal(final_message).has_value()) << final_message;
  }
  for (std::string_view first : {"p=tls-server-end-point,,n=,r=abc", "n,a=admin,n=,r=abc", "n,,n=,r=",
                                 "n,,n=,r=a\x01b", "n,,m=x,n=,r=abc", "n,,r=abc", "x"}) {
    ScramServer server(Pencil());
    EXPECT_FALSE(server.ClientFirst(first).has_value()) << first;
  }
  ScramServer twice(Pencil(), std::string(kServerNonce));
  EXPECT_FALSE(twice.ClientFinal(kClientFinal).has_value());  // before client-first
  EXPECT_FALSE(twice.ClientFirst(std::string(2000, 'n')).has_value());
}

TEST(Scram, VerifiersRoundTripInPostgressSpelling) {
  const ScramVerifier v = MakeScramVerifier("elk_secret");
  const std::string text = FormatScramVerifier(v);
  EXPECT_TRUE(text.starts_with("SCRAM-SHA-256$4096:"));
  const ScramVerifier parsed = ParseScramVerifier(text).value();
  EXPECT_EQ(parsed.salt, v.salt);
  EXPECT_EQ(parsed.stored_key, v.stored_key);
  EXPECT_EQ(parsed.server_key, v.server_key);
  EXPECT_NE(MakeScramVerifier("elk_secret").salt, v.salt);  // a fresh salt each time
  for (std::string_view bad : {"", "md5abc", "SCRAM-SHA-256$12:c2FsdA==$AAAA:AAAA",
                               "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA", "SCRAM-SHA-256$4096:$x:y",
                               "SCRAM-SHA-256$abc:c2FsdA==$x:y"}) {
    auto r = ParseScramVerifier(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_THAT(r.error().message(), HasSubstr("eventlake keys generate"));
  }
}

}  // namespace
}  // namespace eventlake::security
