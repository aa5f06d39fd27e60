#include "federation/trust/node_config.h"

#include <openssl/crypto.h>

#include <filesystem>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "federation/base/files.h"
#include "federation/trust/keys.h"
#include "google/protobuf/util/json_util.h"
#include "federation/trust/config.pb.h"

namespace lmx {
namespace {

constexpr char kTokenPrefix[] = "lmx_";
constexpr size_t kIdBytes = 4;       // 8 hex digits
constexpr size_t kSecretBytes = 24;  // 48 hex digits: 192 bits
constexpr size_t kMaxNameLength = 64;

absl::Status CheckName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("a token's name has 1 to ", kMaxNameLength, " characters"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("token name '", name, "': use letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

// The id part of `lmx_<id>_<secret>`, or empty.
absl::string_view TokenId(absl::string_view token) {
  if (!absl::ConsumePrefix(&token, kTokenPrefix)) return {};
  size_t underscore = token.find('_');
  if (underscore == absl::string_view::npos) return {};
  return token.substr(0, underscore);
}

std::string Resolve(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return (std::filesystem::path(base).parent_path() / path).string();
}

}  // namespace

TlsFiles ResolveTlsFiles(const std::string& config_path, const TlsFiles& files) {
  return {Resolve(config_path, files.cert), Resolve(config_path, files.key),
          Resolve(config_path, files.ca)};
}

std::string RoleName(v1::Role role) {
  absl::string_view name = v1::Role_Name(role);
  absl::ConsumePrefix(&name, "ROLE_");
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<v1::Role> ParseRole(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  if (!absl::StartsWith(upper, "ROLE_")) upper = absl::StrCat("ROLE_", upper);
  v1::Role role;
  if (!v1::Role_Parse(upper, &role) || role == v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("role '", name, "' is not one of publisher, reader, analyst, admin, peer"));
  }
  return role;
}

v1::TokenInfo ToTokenInfo(const TokenEntry& entry) {
  v1::TokenInfo info;
  info.set_id(entry.id);
  info.set_name(entry.name);
  info.set_role(entry.role);
  info.mutable_created()->set_seconds(absl::ToUnixSeconds(entry.created));
  return info;
}

absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path) {
  NodeConfig config;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return config;
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  internal::NodeConfigJson json;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &json);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a node config: ", parsed.message().as_string()));
  }
  for (int i = 0; i < json.tokens_size(); ++i) {
    const auto& t = json.tokens(i);
    auto fail = [&](absl::string_view field, absl::string_view reason) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tokens[", i, "]: ", field, ": ", reason));
    };
    TokenEntry entry;
    entry.id = t.id();
    entry.name = t.name();
    if (entry.id.size() != 2 * kIdBytes || !absl::c_all_of(entry.id, absl::ascii_isxdigit)) {
      return fail("id", "not 8 hex digits");
    }
    if (absl::Status name = CheckName(entry.name); !name.ok()) return fail("name", name.message());
    auto role = ParseRole(t.role());
    if (!role.ok()) return fail("role", role.status().message());
    entry.role = *role;
    if (t.sha256().size() != 64 || !absl::c_all_of(t.sha256(), absl::ascii_isxdigit)) {
      return fail("sha256", "not the 64 hex digits of a SHA-256");
    }
    entry.sha256 = absl::HexStringToBytes(t.sha256());
    std::string ignored;
    if (!t.created().empty() &&
        !absl::ParseTime(absl::RFC3339_full, t.created(), &entry.created, &ignored)) {
      return fail("created", "not an RFC 3339 time");
    }
    for (const auto& other : config.tokens) {
      if (other.id == entry.id || other.name == entry.name) {
        return fail("id", absl::StrCat("token ", entry.id, " (", entry.name, ") is listed twice"));
      }
    }
    config.tokens.push_back(std::move(entry));
  }
  config.tls.cert = json.tls().cert();
  config.tls.key = json.tls().key();
  config.tls.ca = json.tls().ca();
  if (config.tls.enabled() &&
      (config.tls.cert.empty() || config.tls.key.empty() || config.tls.ca.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": tls: give all of cert, key and ca, or none"));
  }
  return config;
}

absl::Status SaveNodeConfig(const std::string& path, const NodeConfig& config) {
  internal::NodeConfigJson json;
  for (const auto& entry : config.tokens) {
    auto* t = json.add_tokens();
    t->set_id(entry.id);
    t->set_name(entry.name);
    t->set_role(RoleName(entry.role));
    t->set_sha256(absl::BytesToHexString(entry.sha256));
    t->set_created(absl::FormatTime(absl::RFC3339_sec, entry.created, absl::UTCTimeZone()));
  }
  json.mutable_tls()->set_cert(config.tls.cert);
  json.mutable_tls()->set_key(config.tls.key);
  json.mutable_tls()->set_ca(config.tls.ca);
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto printed = google::protobuf::util::MessageToJsonString(json, &text, options);
  if (!printed.ok()) return absl::InternalError(printed.message().as_string());
  // A config may be written before the node first starts and makes its
  // data dir.
  std::error_code error;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, error)) {
    std::filesystem::create_directories(dir, error);
    if (error)
      return absl::InternalError(absl::StrCat("create ", dir.string(), ": ", error.message()));
  }
  return WriteFileAtomically(path, text, 0600);
}

absl::StatusOr<NewToken> AddToken(NodeConfig* config, absl::string_view name, v1::Role role) {
  if (absl::Status checked = CheckName(name); !checked.ok()) return checked;
  if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
    return absl::InvalidArgumentError("a token needs a role");
  }
  for (const auto& entry : config->tokens) {
    if (entry.name == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("a token named '", name, "' exists (id ", entry.id, "); revoke it first"));
    }
  }
  NewToken token;
  do {
    token.entry.id = absl::BytesToHexString(RandomBytes(kIdBytes));
  } while (
      absl::c_any_of(config->tokens, [&](const TokenEntry& e) { return e.id == token.entry.id; }));
  token.secret = absl::StrCat(kTokenPrefix, token.entry.id, "_",
                              absl::BytesToHexString(RandomBytes(kSecretBytes)));
  token.entry.name = std::string(name);
  token.entry.role = role;
  token.entry.sha256 = Sha256(token.secret);
  token.entry.created = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  config->tokens.push_back(token.entry);
  return token;
}

std::string RedactToken(absl::string_view text) {
  absl::string_view id = TokenId(text);
  if (id.empty() && !absl::StartsWith(text, kTokenPrefix)) return std::string(text);
  return absl::StrCat(kTokenPrefix, id.substr(0, 2 * kIdBytes), "_...");
}

absl::StatusOr<TokenEntry> RemoveToken(NodeConfig* config, absl::string_view id_or_name) {
  // A whole token pasted in is matched by its digest, like any presented
  // token, and never repeated.
  const TokenEntry* presented =
      absl::StartsWith(id_or_name, kTokenPrefix) ? FindToken(*config, id_or_name) : nullptr;
  for (auto it = config->tokens.begin(); it != config->tokens.end(); ++it) {
    if (&*it == presented || it->id == id_or_name || it->name == id_or_name) {
      TokenEntry removed = *it;
      config->tokens.erase(it);
      return removed;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no token has the id or name '", RedactToken(id_or_name), "'"));
}

const TokenEntry* FindToken(const NodeConfig& config, absl::string_view secret) {
  absl::string_view id = TokenId(secret);
  if (id.empty()) return nullptr;
  std::string digest = Sha256(secret);
  for (const auto& entry : config.tokens) {
    if (entry.id == id && entry.sha256.size() == digest.size() &&
        CRYPTO_memcmp(entry.sha256.data(), digest.data(), digest.size()) == 0) {
      return &entry;
    }
  }
  return nullptr;
}

}  // namespace lmx
