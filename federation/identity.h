// A node's identity and the region's trust: Ed25519 key pairs (OpenSSL 3),
// signatures over log chunks, and the region manifest that lists every
// member's id, address and public key.
//
//   auto identity = Identity::LoadOrCreate(data_dir + "/node.key");
//   std::string signature = identity->Sign(bytes);
//   bool ok = VerifySignature(identity->public_key(), bytes, signature);
#ifndef LMX_FEDERATION_IDENTITY_H_
#define LMX_FEDERATION_IDENTITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

class Identity {
 public:
  // Reads the PEM private key at `path`, or makes a new key pair there
  // (mode 0600) when the file does not exist.
  static absl::StatusOr<Identity> LoadOrCreate(const std::string& path);

  // The raw 32-byte Ed25519 public key.
  const std::string& public_key() const { return public_key_; }
  // The 64-byte Ed25519 signature of `message`.
  std::string Sign(absl::string_view message) const;

 private:
  struct Key;
  std::shared_ptr<Key> key_;
  std::string public_key_;
};

// Whether `signature` is `public_key`'s signature of `message`.
bool VerifySignature(absl::string_view public_key, absl::string_view message,
                     absl::string_view signature);

// A short, stable name for a public key: "ed25519:" and 16 hex digits of
// its SHA-256.
std::string Fingerprint(absl::string_view public_key);

// SHA-256 of `data`, 32 bytes.
std::string Sha256(absl::string_view data);

// `count` bytes from OpenSSL's CSPRNG.
std::string RandomBytes(size_t count);

// The error of a failed system call on `path`, from errno:
// "open /var/lib/lmx/x: No such file or directory".
absl::Status FileError(absl::string_view what, const std::string& path);

// Writes `contents` to `path` with `mode` through a synced temporary file
// and a rename: never half written, never readable beyond `mode`.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 int mode = 0600);
// The whole file; errors name the path.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
// Flushes a file, or a directory's entries, to disk.
absl::Status SyncPath(const std::string& path);

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

#endif  // LMX_FEDERATION_IDENTITY_H_
