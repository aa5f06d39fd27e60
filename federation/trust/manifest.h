// The region manifest: every member's id, address and public key, and the
// digest of the region CA's certificate. Every member loads the same file.
//
//   ASSIGN_OR_RETURN(RegionManifest manifest, LoadManifest(path));
//   const RegionMember* ken = manifest.Find("KEN");
#ifndef LMX_FEDERATION_TRUST_MANIFEST_H_
#define LMX_FEDERATION_TRUST_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

// One member of a region.
struct RegionMember {
  std::string id;          // ISO 3166-1 alpha-3
  std::string address;     // HOST:PORT of its gRPC endpoint
  std::string public_key;  // raw 32 bytes
};

// The region manifest: JSON, `{"region": NAME, "members": [{"id", "address",
// "public_key" (base64)}]}`. Errors name the file and the member.
struct RegionManifest {
  std::string region;
  std::vector<RegionMember> members;
  // With TLS: SHA-256 (32 bytes) of the DER of the region CA's certificate;
  // a node refuses a CA file that differs. Empty without TLS.
  std::string ca_sha256;

  const RegionMember* Find(absl::string_view id) const;
};
absl::StatusOr<RegionManifest> LoadManifest(const std::string& path);
absl::Status WriteManifest(const std::string& path, const RegionManifest& manifest);

}  // namespace lmx

#endif  // LMX_FEDERATION_TRUST_MANIFEST_H_
