// The node's config file: access tokens and TLS files.
//
// Tokens look like `lmx_<id>_<secret>`. The file keeps each token's id, name,
// role and the SHA-256 of the whole token, never the token itself. Both the
// node (through AdminService) and `lmx admin token ... --config=FILE` (for
// a stopped node) edit it with these functions.
//
//   auto config = LoadNodeConfig(path);
//   auto token = AddToken(&*config, "kenbs", v1::ROLE_PUBLISHER);
//   RETURN_IF_ERROR(SaveNodeConfig(path, *config));
//   std::cout << token->secret;  // shown once
#ifndef LMX_FEDERATION_TRUST_NODE_CONFIG_H_
#define LMX_FEDERATION_TRUST_NODE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lmx/v1/admin.pb.h"

namespace lmx {

struct TokenEntry {
  std::string id;
  std::string name;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::string sha256;  // 32 raw bytes
  absl::Time created;
};

struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

struct NodeConfig {
  std::vector<TokenEntry> tokens;
  TlsFiles tls;
};

// Reads the config at `path`; a missing file is an empty config. Errors
// name the file and the entry.
absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path);
// The TLS files with relative paths taken from the config file's directory.
TlsFiles ResolveTlsFiles(const std::string& config_path, const TlsFiles& files);
// Writes `config` to `path` (mode 0600) through a synced temporary file and
// a rename, so a crash leaves the old file or the new one.
absl::Status SaveNodeConfig(const std::string& path, const NodeConfig& config);

struct NewToken {
  TokenEntry entry;
  std::string secret;  // the whole bearer token
};

// Adds a token for `name` (letters, digits, '.', '_', '-'; at most 64;
// unique) with `role`.
absl::StatusOr<NewToken> AddToken(NodeConfig* config, absl::string_view name, v1::Role role);
// Removes the token with this id or name, or the token itself.
absl::StatusOr<TokenEntry> RemoveToken(NodeConfig* config, absl::string_view id_or_name);
// `text`, unless it looks like a token: then only its public part,
// "lmx_<id>_...". For anything that is logged or audited.
std::string RedactToken(absl::string_view text);

// The token whose digest matches `secret`, or nullptr. Compares digests in
// constant time.
const TokenEntry* FindToken(const NodeConfig& config, absl::string_view secret);

// "publisher" and so on; ParseRole also takes "ROLE_PUBLISHER".
std::string RoleName(v1::Role role);
absl::StatusOr<v1::Role> ParseRole(absl::string_view name);

v1::TokenInfo ToTokenInfo(const TokenEntry& entry);

}  // namespace lmx

#endif  // LMX_FEDERATION_TRUST_NODE_CONFIG_H_
