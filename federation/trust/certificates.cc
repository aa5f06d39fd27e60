#include "federation/trust/certificates.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "federation/trust/keys.h"

namespace lmx {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL cannot ", what));
}

Owned<BIO> ReadBio(absl::string_view pem) {
  return Owned<BIO>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string Drain(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, size > 0 ? size : 0);
}

absl::StatusOr<Owned<X509>> ParseCertificate(absl::string_view pem) {
  auto bio = ReadBio(pem);
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return absl::InvalidArgumentError("not a PEM certificate");
  return cert;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A new certificate for a new P-256 key, not yet signed.
absl::StatusOr<std::pair<Owned<X509>, Owned<EVP_PKEY>>> NewCertificate(absl::string_view name,
                                                                       absl::Duration validity) {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  Owned<X509> cert(X509_new());
  if (key == nullptr || cert == nullptr) return OpenSslError("make a key");
  std::string serial = RandomBytes(16);
  serial[0] &= 0x7f;  // positive
  BIGNUM* big = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 16, nullptr);
  bool ok = big != nullptr && BN_to_ASN1_INTEGER(big, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(big);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  std::string cn(name);
  ok = ok && X509_set_version(cert.get(), 2) == 1 &&
       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(validity)) != nullptr &&
       X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                  0) == 1 &&
       X509_set_pubkey(cert.get(), key.get()) == 1;
  if (!ok) return OpenSslError("fill in a certificate");
  return std::make_pair(std::move(cert), std::move(key));
}

absl::StatusOr<KeyAndCertificate> Sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key,
                                       EVP_PKEY* key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) return OpenSslError("sign a certificate");
  Owned<BIO> cert_bio(BIO_new(BIO_s_mem()));
  Owned<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encode a certificate");
  }
  return KeyAndCertificate{Drain(cert_bio.get()), Drain(key_bio.get())};
}

}  // namespace

absl::StatusOr<KeyAndCertificate> MakeCertificateAuthority(absl::string_view name,
                                                           absl::Duration validity) {
  auto made = NewCertificate(name, validity);
  if (!made.ok()) return made.status();
  auto& [cert, key] = *made;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      !AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
    return OpenSslError("add CA extensions");
  }
  return Sign(cert.get(), cert.get(), key.get(), key.get());
}

absl::StatusOr<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                                   absl::string_view common_name,
                                                   const std::vector<std::string>& dns_names,
                                                   const std::vector<std::string>& ip_addresses,
                                                   absl::Duration validity) {
  auto issuer = ParseCertificate(ca.cert_pem);
  if (!issuer.ok()) return absl::InvalidArgumentError("the CA certificate is not PEM");
  auto key_bio = ReadBio(ca.key_pem);
  Owned<EVP_PKEY> issuer_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (issuer_key == nullptr) return absl::InvalidArgumentError("the CA key is not PEM");
  auto made = NewCertificate(common_name, validity);
  if (!made.ok()) return made.status();
  auto& [cert, key] = *made;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer->get())) != 1) {
    return OpenSslError("set a certificate's issuer");
  }
  std::vector<std::string> names;
  for (const auto& dns : dns_names) names.push_back(absl::StrCat("DNS:", dns));
  for (const auto& ip : ip_addresses) names.push_back(absl::StrCat("IP:", ip));
  if (!AddExtension(cert.get(), issuer->get(), NID_basic_constraints, "critical,CA:FALSE") ||
      // ECDSA keys sign (TLS 1.3 and ECDHE); they never encipher keys.
      !AddExtension(cert.get(), issuer->get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), issuer->get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      (!names.empty() &&
       !AddExtension(cert.get(), issuer->get(), NID_subject_alt_name, absl::StrJoin(names, ",")))) {
    return OpenSslError("add certificate extensions");
  }
  return Sign(cert.get(), issuer->get(), issuer_key.get(), key.get());
}

absl::StatusOr<std::string> CertificateSha256(absl::string_view pem) {
  auto cert = ParseCertificate(pem);
  if (!cert.ok()) return cert.status();
  unsigned char* der = nullptr;
  int size = i2d_X509(cert->get(), &der);
  if (size <= 0) return OpenSslError("encode a certificate");
  std::string digest = Sha256(absl::string_view(reinterpret_cast<char*>(der), size));
  OPENSSL_free(der);
  return digest;
}

absl::StatusOr<std::string> CertificateCommonName(absl::string_view pem) {
  auto cert = ParseCertificate(pem);
  if (!cert.ok()) return cert.status();
  X509_NAME* subject = X509_get_subject_name(cert->get());
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return absl::InvalidArgumentError("the certificate has no common name");
  unsigned char* utf8 = nullptr;
  int size =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (size < 0) return absl::InvalidArgumentError("the certificate's common name is not text");
  std::string name(reinterpret_cast<char*>(utf8), size);
  OPENSSL_free(utf8);
  if (name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("the certificate's common name holds a NUL byte");
  }
  return name;
}

}  // namespace lmx
