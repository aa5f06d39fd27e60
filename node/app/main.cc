// lmx-node: one country's node. Opens the store, loads the codelists and
// serves the publish and query services, gRPC health and reflection.
#include <arpa/inet.h>
#include <sys/statvfs.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "federation/trust/certificates.h"
#include "federation/classifications/codelists.h"
#include "federation/statistics/disclosure.h"
#include "federation/base/files.h"
#include "federation/trust/keys.h"
#include "federation/trust/manifest.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "node/access/access.h"
#include "node/storage/backup.h"
#include "node/http/dashboard.h"
#include "node/storage/embargo.h"
#include "node/http/http_server.h"
#include "node/server/metrics.h"
#include "federation/trust/node_config.h"
#include "node/query/policy.h"
#include "node/query/query_engine.h"
#include "node/replication/replication.h"
#include "node/http/sdmx.h"
#include "node/http/sdmx_structure.h"
#include "node/server/service.h"
#include "node/storage/store.h"
#include "node/access/stream_watchdog.h"

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

// Splits HOST:PORT and checks the port (0 picks a free one).
bool SplitAddress(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  std::string digits = address.substr(colon + 1);
  return !digits.empty() && digits.size() <= 5 &&
         digits.find_first_not_of("0123456789") == std::string::npos &&
         absl::SimpleAtoi(digits, port) && *port <= 65535;
}

// Writes `address` to `path` (when set), then renames it into place, so a
// watcher never reads half an address.
void WriteReadyFile(const std::string& path, const std::string& address) {
  if (path.empty()) return;
  std::string partial = path + ".tmp";
  std::ofstream(partial) << address << "\n";
  std::rename(partial.c_str(), path.c_str());
}

// Without credentials the node serves loopback only (SPEC §5).
bool IsLoopback(const std::string& host) {
  in_addr ipv4;
  if (inet_pton(AF_INET, host.c_str(), &ipv4) == 1) return (ntohl(ipv4.s_addr) >> 24) == 127;
  return host == "localhost" || host == "[::1]";
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

  auto codelists = lmx::Codelists::Load(absl::GetFlag(FLAGS_iso_codes_dir));
  if (!codelists.ok()) return Fail(std::string(codelists.status().message()));
  if (absl::GetFlag(FLAGS_country).empty()) return Fail("--country is required", kUsage);
  auto country = (*codelists)->Country(absl::GetFlag(FLAGS_country));
  if (!country.ok()) {
    return Fail(absl::StrCat("--country: ", country.status().message()), kUsage);
  }
  if (absl::GetFlag(FLAGS_data_dir).empty()) return Fail("--data_dir is required", kUsage);
  std::string listen = absl::GetFlag(FLAGS_listen);
  std::string host;
  int requested_port = 0;
  if (!SplitAddress(listen, &host, &requested_port)) {
    return Fail(absl::StrCat("--listen=", listen, " is not HOST:PORT with a port of 0-65535"),
                kUsage);
  }
  const std::string http_listen = absl::GetFlag(FLAGS_http_listen);
  std::string http_host;
  int http_port = 0;
  if (!http_listen.empty()) {
    if (!SplitAddress(http_listen, &http_host, &http_port)) {
      return Fail(
          absl::StrCat("--http_listen=", http_listen, " is not HOST:PORT with a port of 0-65535"),
          kUsage);
    }
    // The HTTP endpoint has no TLS of its own: beyond loopback it is served
    // only when chosen knowingly, and only with tokens (checked below).
    if (!IsLoopback(http_host) && !absl::GetFlag(FLAGS_insecure)) {
      return Fail(absl::StrCat("--http_listen=", http_listen,
                               " is not a loopback address; the HTTP endpoint is plaintext, so "
                               "serve it on loopback, or pass --insecure with tokens configured"),
                  kUsage);
    }
  }
  if (absl::GetFlag(FLAGS_disclosure_threshold) < 1) {
    return Fail("--disclosure_threshold must be at least 1 (1 suppresses nothing)", kUsage);
  }
  lmx::ReplicationOptions federation;
  federation.country = *country;
  federation.startup_sync = absl::GetFlag(FLAGS_startup_sync_timeout);
  if (federation.startup_sync < absl::ZeroDuration()) {
    return Fail("--startup_sync_timeout must not be negative", kUsage);
  }
  federation.disclosure_threshold = absl::GetFlag(FLAGS_disclosure_threshold);
  auto peers = lmx::ParsePeers(absl::GetFlag(FLAGS_peers));
  if (!peers.ok()) return Fail(std::string(peers.status().message()), kUsage);
  federation.peers = *peers;
  if (std::string path = absl::GetFlag(FLAGS_region); !path.empty()) {
    auto manifest = lmx::LoadManifest(path);
    if (!manifest.ok()) return Fail(std::string(manifest.status().message()), kUsage);
    federation.manifest = *manifest;
  }

  if (absl::GetFlag(FLAGS_max_message_bytes) < (1 << 20) ||
      absl::GetFlag(FLAGS_max_message_bytes) > (64 << 20)) {
    return Fail("--max_message_bytes must be between 1 MiB and 64 MiB", kUsage);
  }
  if (absl::GetFlag(FLAGS_max_batch_rows) < 1) return Fail("--max_batch_rows must be positive");
  if (absl::GetFlag(FLAGS_max_stream_duration) <= absl::ZeroDuration()) {
    return Fail("--max_stream_duration must be positive", kUsage);
  }

  // Credentials: tokens and TLS files from the config file (SPEC §5).
  std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) config_path = absl::GetFlag(FLAGS_data_dir) + "/config.json";
  auto config = lmx::LoadNodeConfig(config_path);
  if (!config.ok()) return Fail(std::string(config.status().message()), kUsage);
  const bool loopback = IsLoopback(host);
  const bool tls = config->tls.enabled();
  if (!loopback && !tls && !absl::GetFlag(FLAGS_insecure)) {
    return Fail(absl::StrCat("--listen=", listen,
                             " is not a loopback address; beyond loopback the node needs TLS "
                             "(the tls section of ",
                             config_path, ") or, knowingly, --insecure"),
                kUsage);
  }
  if (!loopback && !tls && config->tokens.empty()) {
    return Fail(
        absl::StrCat("--listen=", listen, ": no credentials are configured in ", config_path,
                     ", so the node serves loopback only; create a token with `lmx admin "
                     "token create --config=",
                     config_path, " --name=NAME --role=admin` first"),
        kUsage);
  }
  if (!http_listen.empty() && !IsLoopback(http_host) && config->tokens.empty()) {
    // Anonymous callers get every role on an open node: fine on loopback,
    // never for a whole network.
    return Fail(
        absl::StrCat("--http_listen=", http_listen, ": no credentials are configured in ",
                     config_path, ", so HTTP is served on loopback only; create a token first"),
        kUsage);
  }
  std::shared_ptr<grpc::ServerCredentials> server_credentials = grpc::InsecureServerCredentials();
  if (tls) {
    if (!federation.manifest) return Fail("TLS needs the region manifest (--region)", kUsage);
    const lmx::TlsFiles files = lmx::ResolveTlsFiles(config_path, config->tls);
    auto cert = lmx::ReadWholeFile(files.cert);
    auto key = lmx::ReadWholeFile(files.key);
    auto ca = lmx::ReadWholeFile(files.ca);
    for (const auto* file : {&cert, &key, &ca}) {
      if (!file->ok()) return Fail(std::string(file->status().message()));
    }
    auto name = lmx::CertificateCommonName(*cert);
    if (!name.ok() || *name != *country) {
      return Fail(absl::StrCat(files.cert, ": the certificate must name ", *country,
                               " as its common name",
                               name.ok() ? absl::StrCat(", not ", *name) : std::string()));
    }
    auto ca_digest = lmx::CertificateSha256(*ca);
    if (!ca_digest.ok()) return Fail(absl::StrCat(files.ca, ": not a PEM certificate"));
    if (federation.manifest->ca_sha256.empty()) {
      return Fail(absl::StrCat(absl::GetFlag(FLAGS_region),
                               " names no region CA (ca_sha256); TLS needs one"),
                  kUsage);
    }
    if (*ca_digest != federation.manifest->ca_sha256) {
      return Fail(absl::StrCat(files.ca, " is not the region's CA: its SHA-256 is ",
                               absl::BytesToHexString(*ca_digest), ", ",
                               absl::GetFlag(FLAGS_region), " names ",
                               absl::BytesToHexString(federation.manifest->ca_sha256)));
    }
    grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = *ca;
    options.pem_key_cert_pairs.push_back({*key, *cert});
    server_credentials = grpc::SslServerCredentials(options);
    grpc::SslCredentialsOptions client;
    client.pem_root_certs = *ca;
    client.pem_private_key = *key;
    client.pem_cert_chain = *cert;
    federation.credentials = grpc::SslCredentials(client);
  } else if (absl::GetFlag(FLAGS_insecure) && !loopback) {
    std::cerr << "lmx-node: WARNING: serving " << listen
              << " without TLS (--insecure): tokens and data cross the network in clear\n";
  }

  // The store's engine must write to open: on a disk without room it would
  // wait for it before it serves anything. Say so instead (systemd starts
  // the node again later).
  {
    struct statvfs disk;
    std::error_code made;
    std::filesystem::create_directories(absl::GetFlag(FLAGS_data_dir), made);
    if (::statvfs(absl::GetFlag(FLAGS_data_dir).c_str(), &disk) == 0 &&
        static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize < (4u << 20)) {
      return Fail(absl::StrCat("the disk of ", absl::GetFlag(FLAGS_data_dir),
                               " is full (less than 4 MiB free): the node cannot open its store; "
                               "free space on it and start the node again (nothing was lost)"));
    }
  }
  // A store made now for a key that was there already: the node lost its
  // disk (or is a member's first start); like a restored backup, it waits
  // for every peer before it signs.
  const bool had_store = std::filesystem::exists(absl::GetFlag(FLAGS_data_dir) + "/db/CURRENT");
  const bool had_key = std::filesystem::exists(absl::GetFlag(FLAGS_data_dir) + "/node.key");
  lmx::StoreOptions store_options;
  store_options.reserve_bytes = absl::GetFlag(FLAGS_min_free_bytes);
  auto store = lmx::Store::Open(absl::GetFlag(FLAGS_data_dir), *country, store_options);
  if (!store.ok()) return Fail(std::string(store.status().message()));
  std::string key_path = absl::GetFlag(FLAGS_data_dir) + "/node.key";
  auto identity = lmx::Identity::LoadOrCreate(key_path);
  if (!identity.ok()) return Fail(std::string(identity.status().message()));
  federation.identity = *identity;
  if (federation.manifest) {
    const lmx::RegionMember* self = federation.manifest->Find(*country);
    if (self == nullptr) {
      return Fail(absl::StrCat(absl::GetFlag(FLAGS_region), " does not list ", *country), kUsage);
    }
    if (self->public_key != identity->public_key()) {
      return Fail(absl::StrCat(absl::GetFlag(FLAGS_region), " gives ", *country, " the key ",
                               lmx::Fingerprint(self->public_key), ", but ", key_path, " holds ",
                               lmx::Fingerprint(identity->public_key())));
    }
    for (const auto& peer : federation.peers) {
      if (federation.manifest->Find(peer.id) == nullptr) {
        return Fail(absl::StrCat("--peers: ", peer.id, " is not a member of the region"), kUsage);
      }
    }
    if (federation.peers.empty()) {
      for (const auto& member : federation.manifest->members) {
        if (member.id != *country) federation.peers.push_back({member.id, member.address});
      }
    }
  }
  for (const auto& peer : federation.peers) {
    if (peer.id == *country) return Fail("--peers: a node does not pull from itself", kUsage);
  }
  if (std::string marker = absl::StrCat(absl::GetFlag(FLAGS_data_dir), "/", lmx::kBackupMarker);
      std::ifstream(marker).good() && !federation.peers.empty()) {
    federation.restored_marker = marker;
    federation.wait_for_every_peer = true;
    std::cerr << "lmx-node: " << absl::GetFlag(FLAGS_data_dir)
              << " is a restored backup: no publish before every peer has reported the head of "
              << *country << "'s log\n";
  } else if (!had_store && had_key && !federation.peers.empty()) {
    federation.wait_for_every_peer = true;
    std::cerr << "lmx-node: a new store for an existing key (a lost disk, or a first start): no "
                 "publish before every peer has reported the head of "
              << *country << "'s log\n";
  }
  lmx::AuditLog audit(store->get());
  lmx::Access::Options access_options;
  access_options.country = *country;
  access_options.config_path = config_path;
  // Open to anonymous callers only while everything it serves is on
  // loopback: a token-less config reloaded later must not open an HTTP
  // endpoint on the network.
  access_options.loopback = loopback && (http_listen.empty() || IsLoopback(http_host));
  access_options.manifest = federation.manifest;
  lmx::Access access(access_options, *config, &audit);
  lmx::StreamWatchdog watchdog;
  federation.access = &access;
  federation.watchdog = &watchdog;
  lmx::Replication replication(store->get(), federation);

  lmx::ClassificationRegistry classifications(store->get(), *codelists, *country);
  lmx::IngestContext ingest;
  ingest.country = *country;
  ingest.codelists = *codelists;
  ingest.store = store->get();
  ingest.classifications = &classifications;
  // A publish that arrives while the node learns its own log's head from
  // the region waits for it, then goes on or is refused with the reason.
  const absl::Duration admit_wait = federation.startup_sync + absl::Seconds(5);
  ingest.admit = [&replication, admit_wait] { return replication.AwaitPublish(admit_wait); };
  auto calendar =
      lmx::ReleaseCalendar::Open(absl::StrCat(absl::GetFlag(FLAGS_data_dir), "/embargo"), *country,
                                 store->get(), [&replication] { return replication.CanPublish(); });
  if (!calendar.ok()) return Fail(std::string(calendar.status().message()));
  ingest.embargo = [&calendar](absl::Time release_at) { return (*calendar)->Begin(release_at); };
  lmx::QueryEngine engine(store->get(), *codelists);
  if (absl::GetFlag(FLAGS_warm_columns)) engine.KeepColumnsWarm(store->get());
  lmx::ShortageListDefaults shortage_list;
  shortage_list.min_periods = absl::GetFlag(FLAGS_shortage_list_min_periods);
  shortage_list.last_periods = absl::GetFlag(FLAGS_shortage_list_last_periods);
  shortage_list.index_above = absl::GetFlag(FLAGS_shortage_list_index_above);
  if (shortage_list.last_periods < 1 || shortage_list.min_periods < 1 ||
      shortage_list.min_periods > shortage_list.last_periods ||
      !(std::abs(shortage_list.index_above) <= 1)) {
    return Fail(
        "--shortage_list_min_periods must be 1 to --shortage_list_last_periods, and "
        "--shortage_list_index_above within [-1, 1]");
  }
  lmx::PolicyViews policy(&engine, store->get(), *codelists, shortage_list);
  lmx::PublishLimits limits;
  limits.max_rows = static_cast<uint64_t>(absl::GetFlag(FLAGS_max_batch_rows));
  limits.max_duration = absl::GetFlag(FLAGS_max_stream_duration);
  lmx::Metrics metrics;
  lmx::PublishServiceImpl publish_service(ingest, limits, &access, &audit, &watchdog);
  publish_service.set_metrics(&metrics);
  lmx::QueryServiceImpl query_service(*country, &engine, &access, &watchdog, limits.max_duration);
  query_service.set_policy(&policy);
  lmx::ClassificationServiceImpl classification_service(&classifications, &access, &watchdog,
                                                        limits.max_duration);
  lmx::AdminServiceImpl admin_service(&access, &audit, &watchdog, limits.max_duration);
  admin_service.set_calendar(calendar->get());
  admin_service.set_declare_region_lost(
      [&replication](const std::string& reason) { return replication.DeclareRegionLost(reason); });
  admin_service.set_backup([&](const std::string& dir) {
    return lmx::BackupNode(store->get(), absl::GetFlag(FLAGS_data_dir), dir, calendar->get());
  });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.experimental().SetInterceptorCreators(metrics.Interceptors());
  int port = 0;
  builder.AddListeningPort(listen, server_credentials, &port);
  builder.RegisterService(&publish_service);
  builder.RegisterService(&query_service);
  builder.RegisterService(&classification_service);
  builder.RegisterService(&replication);
  builder.RegisterService(&admin_service);
  // Each sync call holds a thread: a flood of calls gets RESOURCE_EXHAUSTED
  // instead of exhausting the machine. A region of 20 full-mesh nodes
  // serves 19 Pull streams at each.
  grpc::ResourceQuota quota("lmx-node");
  quota.SetMaxThreads(512);
  builder.SetResourceQuota(quota);
  // Pull streams are long-lived: allow the pullers' keepalive pings.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // The CLI sends about 1 MiB a message; a larger one is refused with
  // RESOURCE_EXHAUSTED before it reaches a handler.
  builder.SetMaxReceiveMessageSize(static_cast<int>(absl::GetFlag(FLAGS_max_message_bytes)));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return Fail(absl::StrCat("cannot listen on ", listen));

  std::string bound = absl::StrCat(host, ":", port);
  std::cerr << "lmx-node: " << *country << " serving on " << bound << " ("
            << (tls ? "mutual TLS with the region's CA" : "plaintext") << "; "
            << (access.open() ? "no credentials configured: loopback only, every local caller "
                                "has every role"
                              : absl::StrCat(config->tokens.size(), " tokens in ", config_path))
            << "); key " << lmx::Fingerprint(identity->public_key()) << "\n";
  if (!federation.peers.empty()) {
    std::cerr << "lmx-node: pulling from";
    for (const auto& peer : federation.peers) std::cerr << " " << peer.id << "=" << peer.address;
    std::cerr << (federation.manifest ? " (region manifest)" : " (keys pinned on first use)")
              << "\n";
  }
  replication.Start();
  (*calendar)->Start();
  lmx::HttpServer http;
  if (!http_listen.empty()) {
    http.Get("/metrics", [&](const lmx::HttpServer::Request&) {
      return lmx::HttpServer::Answer{200, "text/plain; version=0.0.4; charset=utf-8",
                                     metrics.Render(**store, &replication)};
    });
    http.Get("/sdmx/3.0/data/(.*)", lmx::SdmxDataHandler(&engine, &access, codelists->get()));
    http.Get("/sdmx/3.0/structure/(.*)", lmx::SdmxStructureHandler(codelists->get()));
    lmx::ServeDashboard(&http, &engine, &policy, store->get(), &replication, &access);
    auto http_bound = http.Start(http_listen);
    if (!http_bound.ok()) {
      replication.Stop();
      server->Shutdown();
      return Fail(std::string(http_bound.status().message()));
    }
    std::cerr << "lmx-node: HTTP on " << *http_bound
              << ": / (dashboard), /metrics, /sdmx/3.0/data/, /sdmx/3.0/structure/\n";
    WriteReadyFile(absl::GetFlag(FLAGS_http_ready_file), *http_bound);
  }
  WriteReadyFile(absl::GetFlag(FLAGS_ready_file), bound);

  std::thread stopper([&] {
    int signal = 0;
    // SIGHUP re-reads the tokens of the config file.
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
      absl::Status reloaded = access.Reload();
      std::cerr << "lmx-node: "
                << (reloaded.ok() ? absl::StrCat("reloaded ", config_path)
                                  : absl::StrCat("kept the old tokens: ", reloaded.message()))
                << "\n";
    }
    std::cerr << "lmx-node: stopping\n";
    // A write waiting for room on a full disk gives up, so that nothing
    // below waits for it.
    (*store)->disk()->Stop();
    // Ends the served Pull streams too, which would otherwise hold
    // Shutdown until its deadline.
    http.Stop();
    (*calendar)->Stop();
    replication.Stop();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  stopper.join();
  return 0;
}
