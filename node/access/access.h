// Who may call what: bearer tokens and peer certificates mapped to roles,
// one authorization table for every RPC, and the audit log that records
// each publish, token change and refused call.
//
//   RETURN_IF_DENIED(access->Authorize(context, Action::kPublish));
//
// A caller is one of:
//   - a bearer token (`authorization: Bearer lmx_<id>_<secret>`) from the
//     config file, with the token's role;
//   - a region member presenting a client certificate of the region's CA
//     whose common name is its id: role `peer`;
//   - anonymous: every role on an open node (loopback only and no token
//     configured), nothing otherwise.
#ifndef LMX_NODE_ACCESS_ACCESS_H_
#define LMX_NODE_ACCESS_ACCESS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "federation/trust/manifest.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/admin.pb.h"
#include "federation/trust/node_config.h"
#include "node/storage/store.h"

namespace lmx {

// Everything a caller can ask of a node. Each has one rule in AccessRules().
enum class Action {
  kPublish,
  kQueryShortages,
  kQueryVacancies,
  kQueryFlows,
  kAggregateShortages,
  kAggregateVacancies,
  kAggregateFlows,
  kShortageView,
  kDescribe,
  kClassifications,
  kPeers,
  kPull,
  kManageTokens,
  kReadAudit,
  kBackup,
  kShortageList,
  kMirrorFlows,
  kMatch,
  kCompleteness,
  kCalendar,
  kDeclareRegionLost,
};

constexpr uint32_t RoleBit(v1::Role role) { return 1u << role; }

struct AccessRule {
  Action action;
  const char* rpc;    // "QueryService.Query"
  const char* scope;  // what of it: "flows"
  uint32_t roles;     // RoleBit()s allowed
};

// The authorization table; docs/security.md shows the same table.
absl::Span<const AccessRule> AccessRules();
const AccessRule& RuleFor(Action action);
// "QueryService.Query (flows)".
std::string ActionName(Action action);

struct Principal {
  std::string name;  // "token 1a2b3c4d (kenbs)", "peer UGA" or "anonymous"
  std::string role;  // for the audit log
  uint32_t roles = 0;
  std::string client;   // the caller's address
  std::string country;  // a peer's member id
};

// The node's audit log, on top of the store's audit records.
class AuditLog {
 public:
  explicit AuditLog(Store* store) : store_(store) {}

  // Stamps and appends `record`. A record that cannot be written is
  // reported on stderr; it never fails the call it describes.
  void Record(v1::AuditRecord record) const;
  // A record for `who` doing `action`, to fill in and pass to Record().
  v1::AuditRecord For(const Principal& who, absl::string_view action) const;
  // The records at or after `since`, only the last `last` of them when
  // `last` > 0, oldest first.
  absl::Status Read(absl::Time since, uint64_t last,
                    const std::function<bool(const v1::AuditRecord&)>& visit) const;

 private:
  Store* store_;
};

class Access {
 public:
  struct Options {
    std::string country;
    std::string config_path;
    // Loopback only: with no token configured, anonymous callers get every
    // role.
    bool loopback = true;
    // Region members: a client certificate of one of them is a peer.
    std::optional<RegionManifest> manifest;
  };

  Access(Options options, NodeConfig config, const AuditLog* audit);

  // Who the caller is and whether `action` is theirs. UNAUTHENTICATED or
  // PERMISSION_DENIED otherwise, recorded in the audit log with `detail`.
  absl::StatusOr<Principal> Authorize(grpc::ServerContext* context, Action action,
                                      absl::string_view detail = {}) const;

  // What a call says about its caller, whatever carried it (gRPC or HTTP).
  struct Caller {
    std::string address;                       // for the audit log
    std::optional<std::string> authorization;  // the Authorization header
    // The common name of a client certificate the TLS handshake verified
    // against the region's CA.
    std::optional<std::string> certificate_name;
  };
  absl::StatusOr<Principal> Authorize(const Caller& caller, Action action,
                                      absl::string_view detail = {}) const;
  // Whether anonymous callers get every role now.
  bool open() const;

  // Token changes: written to the config file first, then in force, and
  // recorded in the audit log. The last admin token cannot be revoked
  // through the node: that would lock the admins out, or open the node.
  absl::StatusOr<NewToken> CreateToken(const Principal& by, absl::string_view name, v1::Role role);
  absl::StatusOr<TokenEntry> RevokeToken(const Principal& by, absl::string_view id_or_name);
  std::vector<TokenEntry> Tokens() const;
  // Re-reads the config file's tokens (after an edit with `lmx admin token
  // --config`), keeping the old ones if the file is broken.
  absl::Status Reload();

 private:
  // Applies `change` to the config file as it is on disk now (it may have
  // been edited with `lmx admin token --config`), saves it, puts its tokens
  // in force and audits `action`. `change` may refine `detail`.
  absl::Status ChangeTokens(const Principal& by, absl::string_view action, std::string detail,
                            const std::function<absl::Status(NodeConfig*, std::string*)>& change);
  // Fills in who the caller is, as far as known even when it fails.
  absl::Status Identify(const Caller& caller, Principal* who) const;

  Options options_;
  const AuditLog* audit_;
  // Held while the config file is read and written; token checks only wait
  // for `mu_`, never for a disk sync.
  absl::Mutex file_mu_;
  mutable absl::Mutex mu_;
  NodeConfig config_ ABSL_GUARDED_BY(mu_);
};

// The gRPC status of an absl::Status, with the same code.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Returns the refusal of an Authorize() call from a gRPC handler.
#define RETURN_IF_DENIED(call)                                         \
  do {                                                                 \
    auto lmx_who_ = (call);                                            \
    if (!lmx_who_.ok()) return ::lmx::ToGrpcStatus(lmx_who_.status()); \
  } while (false)

}  // namespace lmx

#endif  // LMX_NODE_ACCESS_ACCESS_H_
