#include "node/access/access.h"

#include <deque>
#include <iostream>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "federation/base/call_metadata.h"
#include "federation/base/csv_reader.h"
#include "federation/base/row_errors.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

constexpr uint32_t kPublisher = RoleBit(v1::ROLE_PUBLISHER);
constexpr uint32_t kReader = RoleBit(v1::ROLE_READER);
constexpr uint32_t kAnalyst = RoleBit(v1::ROLE_ANALYST);
constexpr uint32_t kAdmin = RoleBit(v1::ROLE_ADMIN);
constexpr uint32_t kPeer = RoleBit(v1::ROLE_PEER);
constexpr uint32_t kEveryRole = kPublisher | kReader | kAnalyst | kAdmin | kPeer;
// Who reads: the publishing ministry reads its own node's data too.
constexpr uint32_t kReaders = kReader | kAnalyst | kPublisher | kAdmin;
constexpr uint32_t kAnalysts = kAnalyst | kPublisher | kAdmin;

// The one authorization table (docs/security.md shows it; a test keeps the
// two the same).
constexpr AccessRule kRules[] = {
    {Action::kPublish, "PublishService.Publish", "data and crosswalk imports", kPublisher | kAdmin},
    {Action::kQueryShortages, "QueryService.Query", "shortages", kReaders},
    {Action::kQueryVacancies, "QueryService.Query", "vacancies (records)", kAnalysts},
    {Action::kQueryFlows, "QueryService.Query", "flows", kAnalysts},
    {Action::kAggregateShortages, "QueryService.Aggregate", "shortages", kReaders},
    {Action::kAggregateVacancies, "QueryService.Aggregate", "vacancies", kReaders},
    {Action::kAggregateFlows, "QueryService.Aggregate", "flows", kAnalysts},
    {Action::kShortageView, "QueryService.Shortages", "employer view", kReaders},
    {Action::kDescribe, "QueryService.Describe", "node and freshness", kReaders},
    {Action::kClassifications, "ClassificationService.List, Show", "codelists, crosswalks",
     kReaders},
    {Action::kPeers, "Federation.Peers", "replication state, completeness", kAnalysts},
    {Action::kPull, "Federation.Pull", "signed log entries", kPeer},
    {Action::kManageTokens, "AdminService.CreateToken, RevokeToken, ListTokens", "tokens", kAdmin},
    {Action::kReadAudit, "AdminService.Audit", "audit log", kAdmin},
    {Action::kBackup, "AdminService.Backup", "backup", kAdmin},
    {Action::kShortageList, "QueryService.ShortageList", "shortage lists", kReaders},
    {Action::kMirrorFlows, "QueryService.MirrorFlows", "flows, both sides", kAnalysts},
    {Action::kMatch, "QueryService.Match", "partnerships, with flows", kAnalysts},
    {Action::kCompleteness, "QueryService.Completeness", "what each member reported", kAnalysts},
    {Action::kCalendar, "AdminService.Calendar, CancelRelease", "embargoed batches",
     kPublisher | kAdmin},
    {Action::kDeclareRegionLost, "AdminService.DeclareRegionLost",
     "publishing without the region's copy of the node's log", kAdmin},
};

std::string RoleNames(uint32_t roles) {
  if (roles == kEveryRole) return "every role (open node)";
  std::vector<std::string> names;
  for (int role = v1::ROLE_PUBLISHER; role <= v1::ROLE_PEER; ++role) {
    if (roles & RoleBit(static_cast<v1::Role>(role))) {
      names.push_back(RoleName(static_cast<v1::Role>(role)));
    }
  }
  return absl::StrJoin(names, ",");
}

absl::string_view ToView(const grpc::string_ref& ref) { return {ref.data(), ref.size()}; }

// At most 1,000 bytes of valid UTF-8 (bytes of a broken sequence become
// '?').
std::string CleanText(std::string text) {
  if (!IsValidUtf8(text)) {
    for (char& c : text) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  return Shorten(text, 1000);
}

}  // namespace

absl::Span<const AccessRule> AccessRules() { return kRules; }

const AccessRule& RuleFor(Action action) {
  for (const auto& rule : kRules) {
    if (rule.action == action) return rule;
  }
  // Every Action has a rule; the access test checks it.
  std::abort();
}

std::string ActionName(Action action) {
  const AccessRule& rule = RuleFor(action);
  return absl::StrCat(rule.rpc, " (", rule.scope, ")");
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

void AuditLog::Record(v1::AuditRecord record) const {
  if (!record.has_time()) *record.mutable_time() = ToTimestamp(store_->clock()->Now());
  // Callers choose file names and the like: every text is kept short and
  // valid UTF-8, so that each record stays readable.
  for (std::string* text :
       {record.mutable_principal(), record.mutable_role(), record.mutable_client(),
        record.mutable_action(), record.mutable_detail(), record.mutable_message()}) {
    *text = CleanText(*text);
  }
  absl::Status status = store_->AppendAudit(record.SerializeAsString());
  if (!status.ok()) {
    std::cerr << "lmx-node: cannot write the audit log: " << status.message() << "\n";
  }
}

v1::AuditRecord AuditLog::For(const Principal& who, absl::string_view action) const {
  v1::AuditRecord record;
  *record.mutable_time() = ToTimestamp(store_->clock()->Now());
  record.set_principal(who.name);
  record.set_role(who.role);
  record.set_client(who.client);
  record.set_action(std::string(action));
  record.set_outcome("OK");
  return record;
}

absl::Status AuditLog::Read(absl::Time since, uint64_t last,
                            const std::function<bool(const v1::AuditRecord&)>& visit) const {
  std::deque<v1::AuditRecord> tail;
  bool going = true;
  absl::Status status = store_->ReadAudit(since, [&](absl::string_view bytes) {
    v1::AuditRecord record;
    if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      record.set_action("(unreadable record)");
    }
    if (last == 0) return going = visit(record);
    tail.push_back(std::move(record));
    if (tail.size() > last) tail.pop_front();
    return true;
  });
  if (!status.ok()) return status;
  for (const auto& record : tail) {
    if (!visit(record)) break;
  }
  return absl::OkStatus();
}

Access::Access(Options options, NodeConfig config, const AuditLog* audit)
    : options_(std::move(options)), audit_(audit), config_(std::move(config)) {}

bool Access::open() const {
  absl::MutexLock lock(&mu_);
  return options_.loopback && config_.tokens.empty();
}

absl::Status Access::Identify(const Caller& caller, Principal* out) const {
  Principal& who = *out;
  who.client = caller.address;
  if (caller.authorization) {
    absl::string_view value = *caller.authorization;
    if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
      who.name = "malformed authorization";
      return absl::UnauthenticatedError("the authorization header must be 'Bearer <token>'");
    }
    absl::MutexLock lock(&mu_);
    const TokenEntry* token = FindToken(config_, value);
    if (token == nullptr) {
      who.name = "unknown token";
      // The token itself is never repeated: not in the answer, not in the log.
      return absl::UnauthenticatedError("the token is not valid at this node (revoked or wrong)");
    }
    who.name = absl::StrCat("token ", token->id, " (", token->name, ")");
    who.roles = RoleBit(token->role);
    who.role = RoleName(token->role);
    return absl::OkStatus();
  }
  if (caller.certificate_name) {
    // The TLS handshake verified the chain to the region's CA; the common
    // name says which member it is.
    const std::string& id = *caller.certificate_name;
    who.name = absl::StrCat("certificate ", id.empty() ? "(no common name)" : id);
    if (!options_.manifest || options_.manifest->Find(id) == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat("the certificate names '", id, "', which is not a member of the region"));
    }
    if (id == options_.country) {
      return absl::PermissionDeniedError("a node does not pull from itself");
    }
    who.name = absl::StrCat("peer ", id);
    who.country = id;
    who.roles = kPeer;
    who.role = "peer";
    return absl::OkStatus();
  }
  who.name = "anonymous";
  if (open()) {
    who.roles = kEveryRole;
    who.role = "open node";
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> Access::Authorize(grpc::ServerContext* context, Action action,
                                            absl::string_view detail) const {
  Caller caller;
  caller.address = context->peer();
  const auto& metadata = context->client_metadata();
  // The node's HTTP/JSON API calls in process for its HTTP callers and says
  // who they are; no remote caller can make an in-process call.
  // An in-process call's peer is "unknown" (gRPC 1.51); every transport
  // that carries a remote caller names its address (ipv4:, ipv6:, unix:).
  const bool in_process = caller.address.empty() || caller.address == "unknown" ||
                          absl::StartsWith(caller.address, "inproc");
  if (auto http = metadata.find(kOnBehalfOfHeader); http != metadata.end() && in_process) {
    caller.address = absl::StrCat("http:", ToView(http->second));
  }
  if (auto bearer = metadata.find(kAuthorizationHeader); bearer != metadata.end()) {
    caller.authorization = std::string(ToView(bearer->second));
  }
  auto auth = context->auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    auto names = auth->FindPropertyValues("x509_common_name");
    caller.certificate_name =
        names.empty() ? "" : std::string(names.front().data(), names.front().size());
  }
  return Authorize(caller, action, detail);
}

absl::StatusOr<Principal> Access::Authorize(const Caller& caller, Action action,
                                            absl::string_view detail) const {
  Principal who;
  absl::Status refusal = Identify(caller, &who);
  if (refusal.ok() && who.roles == 0) {
    refusal = absl::UnauthenticatedError(absl::StrCat(
        ActionName(action), " needs credentials: a bearer token (lmx --token, or $LMX_TOKEN)"));
  } else if (refusal.ok() && (who.roles & RuleFor(action).roles) == 0) {
    refusal = absl::PermissionDeniedError(absl::StrCat(who.name, " has the role ", who.role, "; ",
                                                       ActionName(action), " needs ",
                                                       RoleNames(RuleFor(action).roles)));
  }
  if (refusal.ok()) return who;
  v1::AuditRecord record = audit_->For(who, "access refused");
  record.set_detail(detail.empty() ? ActionName(action)
                                   : absl::StrCat(ActionName(action), ": ", detail));
  record.set_outcome(absl::StatusCodeToString(refusal.code()));
  record.set_message(std::string(refusal.message()));
  audit_->Record(std::move(record));
  return refusal;
}

absl::Status Access::ChangeTokens(
    const Principal& by, absl::string_view action, std::string detail,
    const std::function<absl::Status(NodeConfig*, std::string*)>& change) {
  absl::Status status;
  {
    absl::MutexLock file_lock(&file_mu_);
    auto current = LoadNodeConfig(options_.config_path);
    status = current.status();
    if (status.ok()) status = change(&*current, &detail);
    if (status.ok()) status = SaveNodeConfig(options_.config_path, *current);
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      config_.tokens = current->tokens;
    }
  }
  v1::AuditRecord record = audit_->For(by, action);
  record.set_detail(RedactToken(detail));
  if (!status.ok()) {
    record.set_outcome(absl::StatusCodeToString(status.code()));
    record.set_message(std::string(status.message()));
  }
  audit_->Record(std::move(record));
  return status;
}

absl::StatusOr<NewToken> Access::CreateToken(const Principal& by, absl::string_view name,
                                             v1::Role role) {
  NewToken made;
  absl::Status status =
      ChangeTokens(by, "token create", absl::StrCat(name, " as ", RoleName(role)),
                   [&](NodeConfig* config, std::string* detail) {
                     auto token = AddToken(config, name, role);
                     if (!token.ok()) return token.status();
                     made = *std::move(token);
                     *detail = absl::StrCat(made.entry.id, " (", name, ") as ", RoleName(role));
                     return absl::OkStatus();
                   });
  if (!status.ok()) return status;
  return made;
}

absl::StatusOr<TokenEntry> Access::RevokeToken(const Principal& by, absl::string_view id_or_name) {
  TokenEntry removed;
  absl::Status status = ChangeTokens(
      by, "token revoke", std::string(id_or_name), [&](NodeConfig* config, std::string* detail) {
        auto entry = RemoveToken(config, id_or_name);
        if (!entry.ok()) return entry.status();
        removed = *std::move(entry);
        *detail = absl::StrCat(removed.id, " (", removed.name, ")");
        if (absl::c_none_of(config->tokens,
                            [](const TokenEntry& t) { return t.role == v1::ROLE_ADMIN; })) {
          return absl::FailedPreconditionError(absl::StrCat(
              "token ", removed.id, " (", removed.name,
              ") is the last admin token; create another admin token first (or stop the node "
              "and edit its config with `lmx admin token revoke --config=FILE`)"));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return removed;
}

std::vector<TokenEntry> Access::Tokens() const {
  absl::MutexLock lock(&mu_);
  return config_.tokens;
}

absl::Status Access::Reload() {
  Principal node;
  node.name = "node (SIGHUP)";
  v1::AuditRecord record = audit_->For(node, "config reload");
  absl::Status status;
  {
    absl::MutexLock file_lock(&file_mu_);
    auto loaded = LoadNodeConfig(options_.config_path);
    status = loaded.status();
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      record.set_detail(
          absl::StrCat(config_.tokens.size(), " tokens before, ", loaded->tokens.size(), " after"));
      config_.tokens = loaded->tokens;
    }
  }
  if (!status.ok()) {
    record.set_detail("the old tokens stay in force");
    record.set_outcome(absl::StatusCodeToString(status.code()));
    record.set_message(std::string(status.message()));
  }
  audit_->Record(std::move(record));
  return status;
}

}  // namespace lmx
