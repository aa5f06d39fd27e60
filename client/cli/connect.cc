// Connecting to a node and the pieces of output every command shares.
#include "client/cli/commands.h"


#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "federation/base/files.h"

namespace lmx::cli {

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

// Says how fresh each origin's contribution is (table output only, on
// stderr, so CSV and JSON stay clean).
void ReportFreshness(Format format,
                     const google::protobuf::RepeatedPtrField<v1::OriginState>& origins) {
  if (format != Format::kTable || origins.empty()) return;
  std::vector<std::string> parts;
  for (const auto& origin : origins) {
    parts.push_back(origin.version() == 0
                        ? absl::StrCat(origin.origin(), " (no data yet)")
                        : absl::StrCat(origin.origin(), " v", origin.version(), " (",
                                       FormatTime(origin.published_at()), ")"));
  }
  std::cerr << "data as of: " << absl::StrJoin(parts, ", ") << "\n";
}

absl::StatusOr<std::unique_ptr<NodeClient>> Connect(const Arguments& args) {
  std::string address = FlagOrEnv(args, "node", "LMX_NODE", "127.0.0.1:7401");
  absl::Duration timeout = absl::Minutes(60);
  if (args.Has("timeout") && !absl::ParseDuration(args.Get("timeout"), &timeout)) {
    return UsageError("--timeout takes a duration such as 30s or 10m");
  }
  ClientCredentials credentials;
  // A token in a file or the environment stays out of `ps` listings.
  credentials.token = FlagOrEnv(args, "token", "LMX_TOKEN");
  if (std::string file = FlagOrEnv(args, "token_file", "LMX_TOKEN_FILE"); !file.empty()) {
    auto text = ReadWholeFile(file);
    if (!text.ok()) return UsageError(absl::StrCat("--token_file: ", text.status().message()));
    credentials.token = std::string(absl::StripAsciiWhitespace(*text));
  }
  if (std::string ca = FlagOrEnv(args, "tls_ca", "LMX_TLS_CA"); !ca.empty()) {
    auto pem = ReadWholeFile(ca);
    if (!pem.ok()) return UsageError(absl::StrCat("--tls_ca: ", pem.status().message()));
    credentials.ca_pem = *pem;
    // Which member's certificate the node must show (KEN); without it, any
    // certificate of the CA valid for the address's host will do.
    credentials.server_name = FlagOrEnv(args, "tls_server_name", "LMX_TLS_SERVER_NAME");
  }
  return NodeClient::Connect(address, credentials, absl::Seconds(5), timeout);
}

}  // namespace lmx::cli
