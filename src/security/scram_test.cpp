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
  ScramServer server(Pencil(), {}, std::string(kServerNonce));
  EXPECT_EQ(server.ClientFirst(kClientFirst).value(), kServerFirst);
  EXPECT_EQ(server.ClientFinal(kClientFinal).value(), kServerFinal);
  // The client side computes the same proof.
  EXPECT_EQ(ScramClientFinal("pencil", kClientFirst.substr(3), kServerFirst).value(), kClientFinal);
}

TEST(Scram, RefusesAWrongPasswordAndTamperedMessages) {
  ScramServer wrong(Pencil(), {}, std::string(kServerNonce));
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
    ScramServer server(Pencil(), {}, std::string(kServerNonce));
    ASSERT_TRUE(server.ClientFirst(kClientFirst).has_value());
    EXPECT_FALSE(server.ClientFinal(final_message).has_value()) << final_message;
  }
  for (std::string_view first : {"p=tls-server-end-point,,n=,r=abc", "n,a=admin,n=,r=abc", "n,,n=,r=",
                                 "n,,n=,r=a\x01b", "n,,m=x,n=,r=abc", "n,,r=abc", "x"}) {
    ScramServer server(Pencil());
    EXPECT_FALSE(server.ClientFirst(first).has_value()) << first;
  }
  ScramServer twice(Pencil(), {}, std::string(kServerNonce));
  EXPECT_FALSE(twice.ClientFinal(kClientFinal).has_value());  // before client-first
  EXPECT_FALSE(twice.ClientFirst(std::string(2000, 'n')).has_value());
}

// RFC 5802's base64 is padded. The right proof without its '=' is refused,
// so that a message has one spelling (the fuzz target checks for that).
TEST(Scram, RefusesAnUnpaddedProof) {
  std::string unpadded_proof(kClientFinal);
  ASSERT_EQ(unpadded_proof.back(), '=');
  unpadded_proof.pop_back();
  ScramServer server(Pencil(), {}, std::string(kServerNonce));
  ASSERT_TRUE(server.ClientFirst(kClientFirst).has_value());
  auto refused = server.ClientFinal(unpadded_proof);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message(), HasSubstr("base64"));
}

// Channel binding: a made-up certificate hash stands for the server's.
const std::string kCertificateHash(32, '\x42');
constexpr std::string_view kPlusHeader = "p=tls-server-end-point,,";

ScramChannel OverTls(bool plus) { return {.tls_server_end_point = kCertificateHash, .plus = plus}; }

// Runs one exchange with the client-first `header` + "n=,r=abc" and a
// client-final whose c= carries `binding`; the server's answer.
Result<std::string> Exchange(ScramChannel channel, std::string_view header, std::string_view binding) {
  ScramServer server(Pencil(), std::move(channel), "servernonce");
  const std::string bare = "n=,r=abc";
  EL_ASSIGN_OR_RETURN(std::string first, server.ClientFirst(std::string(header) + bare));
  EL_ASSIGN_OR_RETURN(std::string final_message, ScramClientFinal("pencil", bare, first, binding));
  return server.ClientFinal(final_message);
}

TEST(ScramPlus, AcceptsABindingToTheServersCertificate) {
  const std::string binding = std::string(kPlusHeader) + kCertificateHash;
  auto answer = Exchange(OverTls(/*plus=*/true), kPlusHeader, binding);
  ASSERT_TRUE(answer.has_value()) << answer.error().message();
  EXPECT_TRUE(answer->starts_with("v="));
}

TEST(ScramPlus, RefusesABindingToAnotherCertificate) {
  for (const std::string& binding : {std::string(kPlusHeader) + std::string(32, '\x43'),  // another hash
                                     std::string(kPlusHeader) + kCertificateHash.substr(0, 31),
                                     std::string(kPlusHeader),  // no hash at all
                                     std::string("n,,")}) {
    auto answer = Exchange(OverTls(/*plus=*/true), kPlusHeader, binding);
    ASSERT_FALSE(answer.has_value());
    EXPECT_EQ(answer.error().code(), StatusCode::kUnauthenticated);  // 28P01 on the Postgres port
    EXPECT_THAT(answer.error().message(), HasSubstr("does not match this server's certificate"));
  }
}

TEST(ScramPlus, RefusesYWhenPlusWasOfferedOverTls) {
  auto answer = Exchange(OverTls(/*plus=*/false), "y,,", "y,,");
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(answer.error().message(), HasSubstr("channel binding negotiation error"));
  // Without TLS the server offered no binding: the client is right.
  EXPECT_TRUE(Exchange({}, "y,,", "y,,").has_value());
  // A client that cannot bind at all still logs in over TLS.
  EXPECT_TRUE(Exchange(OverTls(/*plus=*/false), "n,,", "n,,").has_value());
}

TEST(ScramPlus, RefusesAChannelBindingHeaderWithoutTls) {
  auto answer = Exchange({}, kPlusHeader, std::string(kPlusHeader) + kCertificateHash);
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(answer.error().message(), HasSubstr("only over TLS"));
  // Nor does SCRAM-SHA-256-PLUS run without a certificate to bind to.
  EXPECT_FALSE(Exchange({.plus = true}, kPlusHeader, kPlusHeader).has_value());
}

TEST(ScramPlus, RefusesHeadersThatDoNotFitTheMechanismChosen) {
  // -PLUS chosen, but the header binds nothing.
  for (std::string_view header : {"n,,", "y,,"}) {
    auto answer = Exchange(OverTls(/*plus=*/true), header, header);
    ASSERT_FALSE(answer.has_value()) << header;
    EXPECT_THAT(answer.error().message(), HasSubstr("binds no channel"));
  }
  // SCRAM-SHA-256 chosen over TLS, but the header asks for binding.
  auto plain = Exchange(OverTls(/*plus=*/false), kPlusHeader, std::string(kPlusHeader) + kCertificateHash);
  ASSERT_FALSE(plain.has_value());
  EXPECT_THAT(plain.error().message(), HasSubstr("choose SCRAM-SHA-256-PLUS"));
  // Binding types other than tls-server-end-point.
  for (std::string_view header : {"p=tls-unique,,", "p=tls-exporter,,", "p=,,", "p=tls-server-end-pointX,,"}) {
    auto answer = Exchange(OverTls(/*plus=*/true), header, std::string(header) + kCertificateHash);
    ASSERT_FALSE(answer.has_value()) << header;
    EXPECT_THAT(answer.error().message(), HasSubstr("only channel binding type taken is tls-server-end-point"));
  }
  // An authorization identity, with or without binding.
  auto authzid = Exchange(OverTls(/*plus=*/true), "p=tls-server-end-point,a=admin,", kPlusHeader);
  ASSERT_FALSE(authzid.has_value());
  EXPECT_THAT(authzid.error().message(), HasSubstr("authorization identity"));
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
