// lmx: the command-line client of an lmx node (SPEC §3).
//
// Exit codes: 0 success, 1 rejected input or failed query, 2 usage error,
// 3 cannot reach the node.
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "client/cli/commands.h"

namespace lmx::cli {
namespace {

constexpr char kUsageText[] = R"(usage: lmx [--node=HOST:PORT] [--token=T] <command> [flags]

commands:
  publish shortages|vacancies|flows FILE|- [--partial] [--dry_run] [--classification=ID]
                                 [--release_at=2026-12-01T09:00:00Z]   (embargo)
                                 [--format=csv|sdmx-ml]   (SDMX-CSV is read as CSV)
                                 [--send=bytes|rows]   (who reads the file: the node, or lmx)
  query shortages|vacancies|flows [--country=] [--occupation=] [--period=|--from= --to=]
                                  [--DIM=CODE,...] [--as_of=] [--format=table|csv|json]
  aggregate shortages|vacancies|flows --by=DIM[:LEVEL],... [filters] [--format=]
      filters: --country= --occupation= --period=|--from= --to= --as_of= and, by any other
      dimension, --sex= --age= --direction= --counterpart= --channel= --region= --activity=
      --education= (codes comma-separated)
  shortages --occupation=CODE [--period=] [--as_of=] [--format=]
  shortage-list --country=X [--period=] [--min_periods=K --last_periods=N --index_above=T]
                [--as_of=] [--format=]
  flows --mirror [--period=|--from= --to=] [--corridor=ORIGIN-DESTINATION] [--as_of=] [--format=]
  match [--occupation=CODE] [--destination=X] [--origin=Y] [--period=] [--level=1-4] [--as_of=]
        [--format=]
  completeness [--dataset=shortages|vacancies|flows] [--from=] [--to=] [--format=]
  peers [--format=]
  classifications list [--format=]
  classifications show ID [CODE] [--origin=COUNTRY] [--as_of=] [--format=]
  classifications import --id=ID [--target=ISCO08] FILE|- [--dry_run]
  region init --dir=DIR --countries=KEN,UGA,... [--base_port=7401] [--name=REGION] [--tls]
  admin token create --name=NAME --role=publisher|reader|analyst|admin|peer [--config=FILE]
  admin token revoke ID|NAME [--config=FILE]
  admin token list [--config=FILE] [--format=]
  admin audit [--since=2026-01-01T00:00:00Z] [--last=N] [--format=]
  admin backup --dir=DIR          (a new directory on the node's machine; start a node on it to restore)
  admin calendar [--cancel=ID] [--format=]   (embargoed batches waiting for release)
  admin declare-region-lost --reason=TEXT    (a node no peer answers publishes anyway: it may fork its log)

--node defaults to $LMX_NODE, else 127.0.0.1:7401.
--token (or $LMX_TOKEN, or --token_file / $LMX_TOKEN_FILE) is the bearer token;
--tls_ca (or $LMX_TLS_CA) is the region CA's certificate for a node serving TLS;
--tls_server_name=KEN (or $LMX_TLS_SERVER_NAME) requires that member's certificate.
admin token --config=FILE edits a stopped node's config file (a running one: SIGHUP).
exit codes: 0 success, 1 rejected input or failed query, 2 usage error, 3 node unreachable
)";

}  // namespace

int Run(int argc, char** argv) {
  ASSIGN_OR_EXIT(Arguments args, Arguments::Parse(argc, argv));
  if (args.Has("version")) {
    std::cout << "lmx " << LMX_VERSION << "\n";
    return kOk;
  }
  bool help = args.Has("help") || (!args.positional().empty() && args.positional()[0] == "help");
  if (help || args.positional().empty()) {
    (help ? std::cout : std::cerr) << kUsageText;
    return help ? kOk : kUsage;
  }
  static const std::map<std::string, std::function<int(const Arguments&)>> kCommands = {
      {"publish", Publish},     {"query", Query}, {"aggregate", Aggregate},
      {"shortages", Shortages}, {"peers", Peers}, {"classifications", Classifications},
      {"region", Region},       {"admin", Admin}, {"shortage-list", ShortageList},
      {"flows", Flows},         {"match", Match}, {"completeness", Completeness},
  };
  auto command = kCommands.find(args.positional()[0]);
  if (command == kCommands.end()) {
    return Report(UsageError(absl::StrCat("unknown command '", args.positional()[0], "'")));
  }
  return command->second(args);
}

}  // namespace lmx::cli

int main(int argc, char** argv) { return lmx::cli::Run(argc, argv); }
