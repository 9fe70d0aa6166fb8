// TlsContext's tls-server-end-point (RFC 5929 section 4.1), which
// SCRAM-SHA-256-PLUS binds to: the certificate's DER hashed with its
// signature's hash, SHA-256 standing in for MD5 and SHA-1, nothing for a
// signature without a single hash. Certificates are made here, in memory.
#include "query/pgwire_tls.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace eventlake::query {
namespace {

struct Certificate {
  std::string cert_file;
  std::string key_file;
  std::string der;
};

// A self-signed certificate of a fresh `key_type` key ("EC" on P-256 or
// "ED25519") signed with `md` (null for Ed25519), written as PEM files.
Certificate MakeCertificate(const std::string& name, const char* key_type, const EVP_MD* md) {
  EVP_PKEY* key = std::string(key_type) == "EC" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                                : EVP_PKEY_Q_keygen(nullptr, nullptr, key_type);
  X509* x509 = X509_new();
  X509_set_version(x509, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
  X509_set_pubkey(x509, key);
  X509_NAME* subject = X509_get_subject_name(x509);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x509, subject);
  EXPECT_GT(X509_sign(x509, key, md), 0) << name;

  const std::filesystem::path base = std::filesystem::temp_directory_path() /
                                     ("el_tls_test_" + std::to_string(::getpid()) + "_" + name);
  Certificate c{.cert_file = base.string() + ".crt", .key_file = base.string() + ".key"};
  FILE* f = std::fopen(c.cert_file.c_str(), "w");
  PEM_write_X509(f, x509);
  std::fclose(f);
  f = std::fopen(c.key_file.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  unsigned char* der = nullptr;
  const int length = i2d_X509(x509, &der);
  c.der.assign(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  X509_free(x509);
  EVP_PKEY_free(key);
  return c;
}

std::string Digest(std::string_view bytes, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &length, md, nullptr);
  return {reinterpret_cast<const char*>(out), length};
}

TEST(TlsServerEndPoint, IsTheCertificateHashedWithItsSignaturesHash) {
  struct Case {
    const char* name;
    const EVP_MD* signed_with;
    const EVP_MD* hashed_with;
  };
  for (const Case& k :
       {Case{"sha256", EVP_sha256(), EVP_sha256()}, Case{"sha384", EVP_sha384(), EVP_sha384()},
        Case{"sha512", EVP_sha512(), EVP_sha512()},
        Case{"sha1", EVP_sha1(), EVP_sha256()}}) {  // SHA-1 is raised to SHA-256
    const Certificate c = MakeCertificate(k.name, "EC", k.signed_with);
    auto context = TlsContext::Load(c.cert_file, c.key_file);
    ASSERT_TRUE(context.has_value()) << k.name << ": " << context.error().message();
    EXPECT_EQ((*context)->server_end_point(), Digest(c.der, k.hashed_with)) << k.name;
    std::filesystem::remove(c.cert_file);
    std::filesystem::remove(c.key_file);
  }
}

TEST(TlsServerEndPoint, IsEmptyForASignatureWithoutASingleHash) {
  const Certificate c = MakeCertificate("ed25519", "ED25519", nullptr);
  auto context = TlsContext::Load(c.cert_file, c.key_file);
  ASSERT_TRUE(context.has_value()) << context.error().message();
  EXPECT_EQ((*context)->server_end_point(), "");  // SCRAM-SHA-256-PLUS is then not offered
  std::filesystem::remove(c.cert_file);
  std::filesystem::remove(c.key_file);
}

}  // namespace
}  // namespace eventlake::query
