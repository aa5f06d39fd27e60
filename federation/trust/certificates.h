// X.509 for mutual TLS between region members (OpenSSL 3): a region CA, the
// certificates it issues to members (common name = the member's id), and
// the checks a node makes of its files against the region manifest.
//
//   auto ca = MakeCertificateAuthority("EAC region CA");
//   auto ken = IssueCertificate(*ca, "KEN", {"KEN", "localhost"}, {"127.0.0.1"});
//   std::string pin = *CertificateSha256(ca->cert_pem);  // goes in region.json
#ifndef LMX_FEDERATION_TRUST_CERTIFICATES_H_
#define LMX_FEDERATION_TRUST_CERTIFICATES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lmx {

struct KeyAndCertificate {
  std::string cert_pem;
  std::string key_pem;  // ECDSA P-256, PKCS#8 PEM
};

// A self-signed CA certificate with a new key.
absl::StatusOr<KeyAndCertificate> MakeCertificateAuthority(
    absl::string_view name, absl::Duration validity = absl::Hours(24 * 365 * 5));

// A certificate for client and server use, signed by `ca`, with
// `common_name` and the given DNS and IP subject alternative names.
absl::StatusOr<KeyAndCertificate> IssueCertificate(
    const KeyAndCertificate& ca, absl::string_view common_name,
    const std::vector<std::string>& dns_names, const std::vector<std::string>& ip_addresses,
    absl::Duration validity = absl::Hours(24 * 365 * 2));

// SHA-256 (32 bytes) of the DER of the first certificate in `pem`.
absl::StatusOr<std::string> CertificateSha256(absl::string_view pem);
// The subject's common name of the first certificate in `pem`.
absl::StatusOr<std::string> CertificateCommonName(absl::string_view pem);

}  // namespace lmx

#endif  // LMX_FEDERATION_TRUST_CERTIFICATES_H_
