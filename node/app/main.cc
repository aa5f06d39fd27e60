// lmx-node: one country's node. The flags become NodeOptions (node/app/
// node.h), Node::Start does the rest; signals stop the node (SIGINT,
// SIGTERM) or re-read its tokens (SIGHUP).
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/app/node.h"

ABSL_FLAG(std::string, country, "", "the node's country, ISO 3166-1 alpha-3 (e.g. KEN)");
ABSL_FLAG(std::string, data_dir, "", "directory of the node's store; created if missing");
ABSL_FLAG(std::string, listen, "127.0.0.1:7401", "gRPC address; port 0 picks a free port");
ABSL_FLAG(std::string, peers, "",
          "COUNTRY=HOST:PORT,... of the nodes to pull from; without --region, each origin's key "
          "is pinned the first time it is seen");
ABSL_FLAG(std::string, region, "",
          "the region manifest (JSON: members' ids, addresses and public keys); only its "
          "members' data is accepted, and without --peers every other member is pulled from");
ABSL_FLAG(int64_t, disclosure_threshold, lmx::kDefaultDisclosureThreshold,
          "flow counts in 1..threshold-1 are suppressed before they leave the node");
ABSL_FLAG(std::string, http_listen, "",
          "HTTP address (/metrics for Prometheus); port 0 picks a free port; off when empty");
ABSL_FLAG(std::vector<std::string>, sdmx_cors_origins, {},
          "web origins (https://stat.example.org, comma-separated; * for any) whose pages may "
          "read /sdmx/ from a browser (CORS); none when empty");
ABSL_FLAG(std::string, http_ready_file, "",
          "once the HTTP endpoint serves, its HOST:PORT is written to this file");
ABSL_FLAG(std::string, iso_codes_dir, std::string(lmx::kDefaultIsoCodesDir),
          "where Debian's iso-codes package keeps its JSON files");
ABSL_FLAG(std::string, config, "",
          "the node's config file (tokens, TLS files); default DATA_DIR/config.json");
ABSL_FLAG(bool, insecure, false,
          "serve a non-loopback address without TLS (tokens then cross the network in clear)");
ABSL_FLAG(int64_t, max_message_bytes, 4 << 20, "the largest gRPC message the node accepts");
ABSL_FLAG(uint32_t, shortage_list_min_periods, 2,
          "lmx shortage-list: an occupation SHORTAGE in at least this many of ...");
ABSL_FLAG(uint32_t, shortage_list_last_periods, 3, "... the country's last this many periods ...");
ABSL_FLAG(double, shortage_list_index_above, 0.5,
          "... or with a shortage_index above this in the latest period is listed "
          "(docs/policy.md)");
ABSL_FLAG(int64_t, max_batch_rows, 50'000'000, "the most rows one publish may carry");
ABSL_FLAG(absl::Duration, max_stream_duration, absl::Hours(2),
          "the longest one publish stream, or one query answer, may last");
ABSL_FLAG(bool, warm_columns, true,
          "rebuild the cached flow columns in the background after every change, so the first "
          "aggregate after a publish or catch-up does not wait for them (costs about 24 bytes of "
          "memory per flow observation held)");
ABSL_FLAG(absl::Duration, startup_sync_timeout, absl::Seconds(10),
          "at start, how long the node waits for every peer to report the head of its own log "
          "before it settles for those that answered; it takes no publish before one has "
          "(docs/federation.md, \"No equivocation\")");
ABSL_FLAG(uint64_t, min_free_bytes, 0,
          "bytes of the data directory's disk the node never writes into; below them it is "
          "read-only until space returns (0: a tenth of the disk, 3 MiB to 512 MiB)");
ABSL_FLAG(std::string, ready_file, "",
          "once serving, write the bound address to this file (for scripts and tests)");

namespace {

constexpr int kFailed = 1;
constexpr int kUsage = 2;

int Fail(const std::string& message, int code = kFailed) {
  std::cerr << "lmx-node: " << message << "\n";
  return code;
}

// Writes `address` to `path` (when set), then renames it into place, so a
// watcher never reads half an address.
void WriteReadyFile(const std::string& path, const std::string& address) {
  if (path.empty()) return;
  std::string partial = path + ".tmp";
  std::ofstream(partial) << address << "\n";
  std::rename(partial.c_str(), path.c_str());
}

lmx::NodeOptions OptionsFromFlags() {
  lmx::NodeOptions options;
  options.country = absl::GetFlag(FLAGS_country);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.peers = absl::GetFlag(FLAGS_peers);
  options.region = absl::GetFlag(FLAGS_region);
  options.disclosure_threshold = absl::GetFlag(FLAGS_disclosure_threshold);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.sdmx_cors_origins = absl::GetFlag(FLAGS_sdmx_cors_origins);
  options.iso_codes_dir = absl::GetFlag(FLAGS_iso_codes_dir);
  options.config = absl::GetFlag(FLAGS_config);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.shortage_list_min_periods = absl::GetFlag(FLAGS_shortage_list_min_periods);
  options.shortage_list_last_periods = absl::GetFlag(FLAGS_shortage_list_last_periods);
  options.shortage_list_index_above = absl::GetFlag(FLAGS_shortage_list_index_above);
  options.max_batch_rows = absl::GetFlag(FLAGS_max_batch_rows);
  options.max_stream_duration = absl::GetFlag(FLAGS_max_stream_duration);
  options.warm_columns = absl::GetFlag(FLAGS_warm_columns);
  options.startup_sync_timeout = absl::GetFlag(FLAGS_startup_sync_timeout);
  options.min_free_bytes = absl::GetFlag(FLAGS_min_free_bytes);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "lmx-node --country=KEN --data_dir=DIR [--listen=127.0.0.1:7401] [--peers=...]");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "node/app/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    return Fail(absl::StrCat("unexpected argument '", positional[1], "' (see --help)"), kUsage);
  }

  // Signals are taken by a dedicated thread, so block them before any other
  // thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto node = lmx::Node::Start(OptionsFromFlags());
  if (!node.ok()) {
    return Fail(std::string(node.status().message()),
                absl::IsInvalidArgument(node.status()) ? kUsage : kFailed);
  }
  if (!(*node)->http_address().empty()) {
    WriteReadyFile(absl::GetFlag(FLAGS_http_ready_file), (*node)->http_address());
  }
  WriteReadyFile(absl::GetFlag(FLAGS_ready_file), (*node)->address());

  std::thread stopper([&] {
    int signal = 0;
    // SIGHUP re-reads the tokens of the config file.
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
      absl::Status reloaded = (*node)->ReloadAccess();
      const std::string config = absl::GetFlag(FLAGS_config).empty()
                                     ? absl::GetFlag(FLAGS_data_dir) + "/config.json"
                                     : absl::GetFlag(FLAGS_config);
      std::cerr << "lmx-node: "
                << (reloaded.ok() ? absl::StrCat("reloaded ", config)
                                  : absl::StrCat("kept the old tokens: ", reloaded.message()))
                << "\n";
    }
    std::cerr << "lmx-node: stopping\n";
    (*node)->Stop();
  });
  (*node)->Wait();
  stopper.join();
  return 0;
}
