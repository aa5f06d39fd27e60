#include "federation/trust/keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "federation/base/files.h"

namespace lmx {

struct Identity::Key {
  explicit Key(EVP_PKEY* k) : pkey(k) {}
  ~Key() { EVP_PKEY_free(pkey); }
  EVP_PKEY* pkey;
};

namespace {

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;

}  // namespace

absl::StatusOr<Identity> Identity::LoadOrCreate(const std::string& path) {
  EVP_PKEY* pkey = nullptr;
  if (FILE* file = std::fopen(path.c_str(), "r")) {
    pkey = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    if (pkey == nullptr || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
      EVP_PKEY_free(pkey);
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not an Ed25519 private key in PEM"));
    }
  } else if (errno != ENOENT) {
    return FileError("read", path);
  } else {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    bool made =
        ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &pkey) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!made) return absl::InternalError("cannot make an Ed25519 key");
    // Never world readable, never half written.
    BIO* pem = BIO_new(BIO_s_mem());
    bool printed = pem != nullptr &&
                   PEM_write_bio_PrivateKey(pem, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    char* data = nullptr;
    long size = printed ? BIO_get_mem_data(pem, &data) : 0;
    absl::Status written = printed ? WriteFileAtomically(path, absl::string_view(data, size))
                                   : absl::InternalError("cannot encode an Ed25519 key");
    BIO_free(pem);
    if (!written.ok()) {
      EVP_PKEY_free(pkey);
      return written;
    }
  }
  Identity identity;
  identity.key_ = std::make_shared<Key>(pkey);
  size_t size = kPublicKeyBytes;
  identity.public_key_.resize(size);
  if (EVP_PKEY_get_raw_public_key(
          pkey, reinterpret_cast<unsigned char*>(identity.public_key_.data()), &size) != 1 ||
      size != kPublicKeyBytes) {
    return absl::InternalError(absl::StrCat("cannot read the public key of ", path));
  }
  return identity;
}

std::string Identity::Sign(absl::string_view message) const {
  std::string signature(kSignatureBytes, '\0');
  size_t size = signature.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  // Signing with a valid Ed25519 key cannot fail short of memory
  // exhaustion; an empty signature is then refused by every verifier.
  return ok ? signature : std::string();
}

bool VerifySignature(absl::string_view public_key, absl::string_view message,
                     absl::string_view signature) {
  if (public_key.size() != kPublicKeyBytes || signature.size() != kSignatureBytes) return false;
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size());
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

std::string Sha256(absl::string_view data) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
             EVP_sha256(), nullptr);
  return digest;
}

std::string Fingerprint(absl::string_view public_key) {
  return absl::StrCat("ed25519:", absl::BytesToHexString(Sha256(public_key).substr(0, 8)));
}


std::string RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    // OpenSSL's generator does not fail once seeded from the kernel; if it
    // ever does, no secret may come from it.
    std::abort();
  }
  return bytes;
}






}  // namespace lmx
