// A node's identity: Ed25519 key pairs (OpenSSL 3), the signatures over
// log chunks that every member checks, and the digests and random bytes
// that trust is built from.
//
//   auto identity = Identity::LoadOrCreate(data_dir + "/node.key");
//   std::string signature = identity->Sign(bytes);
//   bool ok = VerifySignature(identity->public_key(), bytes, signature);
#ifndef LMX_FEDERATION_TRUST_KEYS_H_
#define LMX_FEDERATION_TRUST_KEYS_H_

#include <memory>
#include <string>

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

}  // namespace lmx

#endif  // LMX_FEDERATION_TRUST_KEYS_H_
