// lmx admin: tokens, audit, backup, the release calendar, declare-region-lost.
#include "client/cli/commands.h"


#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "federation/classifications/datasets.h"
#include "federation/trust/node_config.h"
#include "federation/base/status_macros.h"

namespace lmx::cli {

// `lmx admin token ...` with --config edits the file; without, it asks the
// node.
int AdminToken(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"name", "role", "config", "format"}));
  const std::string sub = args.positional().size() > 2 ? args.positional()[2] : "";
  const std::string config_path = args.Get("config");
  std::optional<NodeConfig> config;
  if (!config_path.empty()) {
    ASSIGN_OR_EXIT(config, LoadNodeConfig(config_path));
  }
  auto save = [&]() -> absl::Status {
    RETURN_IF_ERROR(SaveNodeConfig(config_path, *config));
    std::cerr << "wrote " << config_path
              << "; a running node reads it again on SIGHUP (kill -HUP <pid>)\n";
    return absl::OkStatus();
  };
  if (sub == "create") {
    RETURN_IF_USAGE_ERROR(ExpectPositional(args, 3, "admin token create --name=NAME --role=ROLE"));
    ASSIGN_OR_EXIT(v1::Role role, ParseRole(args.Get("role")));
    v1::CreateTokenResponse created;
    if (config) {
      ASSIGN_OR_EXIT(NewToken token, AddToken(&*config, args.Get("name"), role));
      if (absl::Status saved = save(); !saved.ok()) return Report(saved);
      *created.mutable_token() = ToTokenInfo(token.entry);
      created.set_secret(token.secret);
    } else {
      v1::CreateTokenRequest request;
      request.set_name(args.Get("name"));
      request.set_role(role);
      ASSIGN_OR_EXIT(auto client, Connect(args));
      ASSIGN_OR_EXIT(created, client->CreateToken(request));
    }
    std::cerr << "created token " << created.token().id() << " (" << created.token().name()
              << ") with the role " << RoleName(created.token().role())
              << "; it is shown only now, keep it secret\n";
    std::cout << created.secret() << "\n";
    return kOk;
  }
  if (sub == "revoke") {
    RETURN_IF_USAGE_ERROR(ExpectPositional(args, 4, "admin token revoke ID|NAME"));
    v1::TokenInfo revoked;
    if (config) {
      ASSIGN_OR_EXIT(TokenEntry entry, RemoveToken(&*config, args.positional()[3]));
      if (absl::Status saved = save(); !saved.ok()) return Report(saved);
      revoked = ToTokenInfo(entry);
    } else {
      v1::RevokeTokenRequest request;
      request.set_token(args.positional()[3]);
      ASSIGN_OR_EXIT(auto client, Connect(args));
      ASSIGN_OR_EXIT(auto response, client->RevokeToken(request));
      revoked = response.token();
    }
    std::cout << "revoked token " << revoked.id() << " (" << revoked.name() << ")\n";
    return kOk;
  }
  if (sub == "list") {
    RETURN_IF_USAGE_ERROR(ExpectPositional(args, 3, "admin token list"));
    ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
    v1::ListTokensResponse listed;
    if (config) {
      for (const auto& entry : config->tokens) *listed.add_tokens() = ToTokenInfo(entry);
    } else {
      ASSIGN_OR_EXIT(auto client, Connect(args));
      ASSIGN_OR_EXIT(listed, client->ListTokens());
    }
    auto out = TableWriter::Create(format, std::cout);
    out->Begin({"id", "name", "role", "created"});
    for (const auto& token : listed.tokens()) {
      out->Row({Cell::Text(token.id()), Cell::Text(token.name()),
                Cell::Text(RoleName(token.role())), Cell::Text(FormatTime(token.created()))});
    }
    out->End();
    return kOk;
  }
  return Report(UsageError("usage: lmx admin token create|revoke|list"));
}

int AdminAudit(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"since", "last", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin audit [--since=TIME] [--last=N]"));
  v1::AuditRequest request;
  if (args.Has("since")) {
    absl::Time since;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("since"), &since, &error)) {
      return Report(UsageError("--since takes an RFC 3339 time such as 2026-01-01T00:00:00Z"));
    }
    request.mutable_since()->set_seconds(absl::ToUnixSeconds(since));
  }
  uint64_t last = 0;
  if (args.Has("last") && !absl::SimpleAtoi(args.Get("last"), &last)) {
    return Report(UsageError("--last takes a number of records"));
  }
  request.set_last(last);
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"time", "principal", "role", "client", "action", "detail", "rows", "rejected",
              "version", "outcome", "message"});
  absl::Status status = client->Audit(request, [&](const v1::AuditResponse& response) {
    for (const auto& r : response.records()) {
      out->Row({Cell::Text(FormatTime(r.time())), Cell::Text(r.principal()), Cell::Text(r.role()),
                Cell::Text(r.client()), Cell::Text(r.action()), Cell::Text(r.detail()),
                Cell::Integer(static_cast<int64_t>(r.rows())),
                Cell::Integer(static_cast<int64_t>(r.rejected())),
                Cell::Integer(static_cast<int64_t>(r.version())), Cell::Text(r.outcome()),
                Cell::Text(r.message())});
    }
  });
  if (!status.ok()) return Report(status);
  out->End();
  return kOk;
}

int AdminBackup(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"dir"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin backup --dir=DIR"));
  if (!args.Has("dir")) {
    return Report(UsageError("admin backup needs --dir: a new directory on the node's machine"));
  }
  v1::BackupRequest request;
  request.set_dir(args.Get("dir"));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::BackupResponse backup, client->Backup(request));
  std::vector<std::string> origins;
  for (const auto& origin : backup.origins()) {
    origins.push_back(absl::StrCat(origin.origin(), " v", origin.version()));
  }
  std::cout << "backed up to " << backup.dir() << ": "
            << (origins.empty() ? "no data" : absl::StrJoin(origins, ", ")) << "; "
            << absl::StrJoin(backup.files(), ", ") << "\n"
            << "restore: stop the node, then start it with --data_dir=" << backup.dir() << "\n";
  return kOk;
}

int AdminCalendar(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"cancel", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin calendar [--cancel=ID]"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  v1::CalendarResponse calendar;
  if (args.Has("cancel") && args.Get("cancel").empty()) {
    return Report(UsageError("--cancel needs the id of a waiting batch (lmx admin calendar)"));
  }
  if (args.Has("cancel")) {
    v1::CancelReleaseRequest request;
    request.set_id(args.Get("cancel"));
    ASSIGN_OR_EXIT(v1::CancelReleaseResponse cancelled, client->CancelRelease(request));
    std::cerr << "cancelled " << cancelled.release().id() << " (" << cancelled.release().source()
              << ", " << cancelled.release().rows() << " rows): it will not be published\n";
    *calendar.add_releases() = cancelled.release();
  } else {
    ASSIGN_OR_EXIT(calendar, client->Calendar());
  }
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"id", "release_at", "dataset", "source", "rows", "observations", "periods",
              "stored_at", "error"});
  for (const auto& r : calendar.releases()) {
    out->Row({Cell::Text(r.id()), Cell::Text(FormatTime(r.release_at())),
              Cell::Text(DatasetWord(r.dataset())), Cell::Text(r.source()),
              Cell::Integer(static_cast<int64_t>(r.rows())),
              Cell::Integer(static_cast<int64_t>(r.observations())),
              Cell::List({r.periods().begin(), r.periods().end()}),
              Cell::Text(FormatTime(r.stored_at())), Cell::Text(r.error())});
  }
  out->End();
  return kOk;
}

// The operator's word that no peer holds a newer copy of the node's log
// (docs/operations.md, "Restore").
int AdminDeclareRegionLost(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"reason"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin declare-region-lost --reason=TEXT"));
  if (args.Get("reason").empty()) {
    return Report(UsageError(
        "admin declare-region-lost needs --reason=TEXT: why no peer holds this node's log (it "
        "goes to the audit log)"));
  }
  v1::DeclareRegionLostRequest request;
  request.set_reason(args.Get("reason"));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::DeclareRegionLostResponse declared, client->DeclareRegionLost(request));
  std::cout << declared.message() << "\n";
  return kOk;
}

int Admin(const Arguments& args) {
  const std::string sub = args.positional().size() > 1 ? args.positional()[1] : "";
  if (sub == "token") return AdminToken(args);
  if (sub == "audit") return AdminAudit(args);
  if (sub == "backup") return AdminBackup(args);
  if (sub == "calendar") return AdminCalendar(args);
  if (sub == "declare-region-lost") return AdminDeclareRegionLost(args);
  return Report(
      UsageError("usage: lmx admin token create|revoke|list | admin audit | admin backup | "
                 "admin calendar | admin declare-region-lost"));
}

}  // namespace lmx::cli
