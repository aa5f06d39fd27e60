// The region CA and the member certificates it issues.
#include "federation/trust/certificates.h"

#include "gtest/gtest.h"

namespace lmx {
namespace {

TEST(CertificateTest, TheCaIssuesMemberCertificatesNamedAfterTheMember) {
  auto ca = MakeCertificateAuthority("test region CA");
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto ken = IssueCertificate(*ca, "KEN", {"KEN", "localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(ken.ok()) << ken.status();
  EXPECT_EQ(*CertificateCommonName(ken->cert_pem), "KEN");
  EXPECT_EQ(*CertificateCommonName(ca->cert_pem), "test region CA");
  auto digest = CertificateSha256(ca->cert_pem);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->size(), 32u);
  EXPECT_EQ(*CertificateSha256(ca->cert_pem), *digest);
  EXPECT_NE(*CertificateSha256(ken->cert_pem), *digest);
  EXPECT_FALSE(CertificateSha256("not a certificate").ok());
  EXPECT_FALSE(IssueCertificate({"junk", "junk"}, "UGA", {}, {}).ok());
}

}  // namespace
}  // namespace lmx
