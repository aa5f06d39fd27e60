#include "federation/trust/manifest.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "federation/base/files.h"
#include "federation/trust/region.pb.h"
#include "google/protobuf/util/json_util.h"

namespace lmx {
namespace {

constexpr size_t kPublicKeyBytes = 32;

}  // namespace

const RegionMember* RegionManifest::Find(absl::string_view id) const {
  for (const auto& member : members) {
    if (member.id == id) return &member;
  }
  return nullptr;
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
