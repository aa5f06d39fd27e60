#include "federation/identity.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "federation/region.pb.h"
#include "google/protobuf/util/json_util.h"

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

absl::Status FileError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

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

const RegionMember* RegionManifest::Find(absl::string_view id) const {
  for (const auto& member : members) {
    if (member.id == id) return &member;
  }
  return nullptr;
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

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, int mode) {
  // A fresh temporary name in the same directory (O_EXCL, so never a link
  // planted there), synced, renamed over the target, and the directory
  // synced so the rename itself survives a crash.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string partial = path + ".XXXXXX";
  int fd = ::mkstemp(partial.data());
  if (fd < 0) return FileError("create a temporary file for", path);
  bool written = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (written && done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  written = written && done == contents.size() && ::fsync(fd) == 0;
  written = ::close(fd) == 0 && written;
  if (!written || std::rename(partial.c_str(), path.c_str()) != 0) {
    absl::Status error = FileError("write", path);
    std::remove(partial.c_str());
    return error;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

absl::Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return FileError("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return FileError("fsync", path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError("read", path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return FileError("read", path);
  return text.str();
}

absl::StatusOr<RegionManifest> LoadManifest(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  internal::RegionManifestJson json;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &json);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a region manifest: ", parsed.message().as_string()));
  }
  RegionManifest manifest;
  manifest.region = json.region();
  std::set<std::string> ids;
  for (int i = 0; i < json.members_size(); ++i) {
    const auto& m = json.members(i);
    std::string where = absl::StrCat(path, ": members[", i, "]");
    RegionMember member;
    member.id = m.id();
    member.address = m.address();
    if (member.id.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": id: '", m.id(), "' is not an ISO 3166-1 alpha-3 code"));
    }
    if (!ids.insert(member.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": id: ", m.id(), " is listed twice"));
    }
    if (!absl::Base64Unescape(m.public_key(), &member.public_key) ||
        member.public_key.size() != kPublicKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " (", m.id(), "): public_key: not the base64 of a 32-byte Ed25519 key"));
    }
    manifest.members.push_back(std::move(member));
  }
  if (manifest.members.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the region lists no members"));
  }
  if (const std::string& hex = json.ca_sha256(); !hex.empty()) {
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ca_sha256: not the 64 hex digits of a SHA-256"));
    }
    manifest.ca_sha256 = absl::HexStringToBytes(hex);
  }
  return manifest;
}

absl::Status WriteManifest(const std::string& path, const RegionManifest& manifest) {
  internal::RegionManifestJson json;
  json.set_region(manifest.region);
  json.set_ca_sha256(absl::BytesToHexString(manifest.ca_sha256));
  for (const auto& member : manifest.members) {
    auto* m = json.add_members();
    m->set_id(member.id);
    m->set_address(member.address);
    m->set_public_key(absl::Base64Escape(member.public_key));
  }
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto printed = google::protobuf::util::MessageToJsonString(json, &text, options);
  if (!printed.ok()) return absl::InternalError(printed.message().as_string());
  return WriteFileAtomically(path, text, 0644);
}

}  // namespace lmx
