#include "node/app/node.h"

#include <arpa/inet.h>
#include <sys/statvfs.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "federation/base/files.h"
#include "federation/trust/certificates.h"
#include "federation/trust/keys.h"
#include "federation/trust/manifest.h"
#include "federation/trust/node_config.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "node/access/access.h"
#include "node/access/stream_watchdog.h"
#include "node/http/api.h"
#include "node/http/dashboard.h"
#include "node/http/http_server.h"
#include "node/http/sdmx.h"
#include "node/http/sdmx_structure.h"
#include "node/http/web_app.h"
#include "node/ingest/classification_registry.h"
#include "node/query/policy.h"
#include "node/query/query_engine.h"
#include "node/replication/peer_transport.h"
#include "node/replication/replication.h"
#include "node/server/federation_service.h"
#include "node/server/metrics.h"
#include "node/server/service.h"
#include "node/storage/backup.h"
#include "node/storage/embargo.h"
#include "node/storage/store.h"

namespace lmx {

// Everything a node is, in the order it is built (and the reverse of the
// order it is destroyed in).
struct Node::Parts {
  NodeOptions options;
  std::shared_ptr<const Codelists> codelists;
  std::unique_ptr<Store> store;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Access> access;
  std::unique_ptr<StreamWatchdog> watchdog;
  std::unique_ptr<Replication> replication;
  std::unique_ptr<ClassificationRegistry> classifications;
  std::unique_ptr<ReleaseCalendar> calendar;
  std::unique_ptr<QueryEngine> engine;
  std::unique_ptr<PolicyViews> policy;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<PublishServiceImpl> publish_service;
  std::unique_ptr<QueryServiceImpl> query_service;
  std::unique_ptr<ClassificationServiceImpl> classification_service;
  std::unique_ptr<AdminServiceImpl> admin_service;
  std::unique_ptr<FederationServiceImpl> federation_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;
  std::string address;
  std::string http_address;
  bool started = false;
  bool stopped = false;
  bool waited = false;

  void Stop();
  ~Parts() { Stop(); }
};

namespace {

absl::Status Usage(absl::string_view message) { return absl::InvalidArgumentError(message); }
// A failure that is not the options' fault, whatever code it came with.
absl::Status Failed(absl::string_view message) { return absl::FailedPreconditionError(message); }

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

// Without credentials the node serves loopback only (SPEC §5).
bool IsLoopback(const std::string& host) {
  in_addr ipv4;
  if (inet_pton(AF_INET, host.c_str(), &ipv4) == 1) return (ntohl(ipv4.s_addr) >> 24) == 127;
  return host == "localhost" || host == "[::1]";
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const NodeOptions& options) {
  auto codelists = Codelists::Load(options.iso_codes_dir);
  if (!codelists.ok()) return Failed(std::string(codelists.status().message()));
  if (options.country.empty()) return Usage("--country is required");
  auto country = (*codelists)->Country(options.country);
  if (!country.ok()) {
    return Usage(absl::StrCat("--country: ", country.status().message()));
  }
  if (options.data_dir.empty()) return Usage("--data_dir is required");
  std::string listen = options.listen;
  std::string host;
  int requested_port = 0;
  if (!SplitAddress(listen, &host, &requested_port)) {
    return Usage(absl::StrCat("--listen=", listen, " is not HOST:PORT with a port of 0-65535"));
  }
  const std::string http_listen = options.http_listen;
  std::string http_host;
  int http_port = 0;
  if (!http_listen.empty()) {
    if (!SplitAddress(http_listen, &http_host, &http_port)) {
      return Usage(
          absl::StrCat("--http_listen=", http_listen, " is not HOST:PORT with a port of 0-65535"));
    }
    // The HTTP endpoint has no TLS of its own: beyond loopback it is served
    // only when chosen knowingly, and only with tokens (checked below).
    if (!IsLoopback(http_host) && !options.insecure) {
      return Usage(absl::StrCat("--http_listen=", http_listen,
                                " is not a loopback address; the HTTP endpoint is plaintext, so "
                                "serve it on loopback, or pass --insecure with tokens configured"));
    }
  }
  if (options.disclosure_threshold < 1) {
    return Usage("--disclosure_threshold must be at least 1 (1 suppresses nothing)");
  }
  ReplicationOptions federation;
  federation.country = *country;
  federation.startup_sync = options.startup_sync_timeout;
  federation.transport = options.peer_transport;
  federation.heartbeat = options.heartbeat;
  federation.retry_blocked = options.retry_blocked;
  if (federation.startup_sync < absl::ZeroDuration()) {
    return Usage("--startup_sync_timeout must not be negative");
  }
  federation.disclosure_threshold = options.disclosure_threshold;
  auto peers = ParsePeers(options.peers);
  if (!peers.ok()) return Usage(std::string(peers.status().message()));
  federation.peers = *peers;
  if (std::string path = options.region; !path.empty()) {
    auto manifest = LoadManifest(path);
    if (!manifest.ok()) return Usage(std::string(manifest.status().message()));
    federation.manifest = *manifest;
  }

  if (options.max_message_bytes < (1 << 20) || options.max_message_bytes > (64 << 20)) {
    return Usage("--max_message_bytes must be between 1 MiB and 64 MiB");
  }
  if (options.max_batch_rows < 1) return Failed("--max_batch_rows must be positive");
  if (options.max_stream_duration <= absl::ZeroDuration()) {
    return Usage("--max_stream_duration must be positive");
  }

  // Credentials: tokens and TLS files from the config file (SPEC §5).
  std::string config_path = options.config;
  if (config_path.empty()) config_path = options.data_dir + "/config.json";
  auto config = LoadNodeConfig(config_path);
  if (!config.ok()) return Usage(std::string(config.status().message()));
  const bool loopback = IsLoopback(host);
  const bool tls = config->tls.enabled();
  if (!loopback && !tls && !options.insecure) {
    return Usage(absl::StrCat("--listen=", listen,
                              " is not a loopback address; beyond loopback the node needs TLS "
                              "(the tls section of ",
                              config_path, ") or, knowingly, --insecure"));
  }
  if (!loopback && !tls && config->tokens.empty()) {
    return Usage(absl::StrCat("--listen=", listen, ": no credentials are configured in ",
                              config_path,
                              ", so the node serves loopback only; create a token with `lmx admin "
                              "token create --config=",
                              config_path, " --name=NAME --role=admin` first"));
  }
  if (!http_listen.empty() && !IsLoopback(http_host) && config->tokens.empty()) {
    // Anonymous callers get every role on an open node: fine on loopback,
    // never for a whole network.
    return Usage(absl::StrCat("--http_listen=", http_listen, ": no credentials are configured in ",
                              config_path,
                              ", so HTTP is served on loopback only; create a token first"));
  }
  std::shared_ptr<grpc::ServerCredentials> server_credentials = grpc::InsecureServerCredentials();
  if (tls) {
    if (!federation.manifest) return Usage("TLS needs the region manifest (--region)");
    const TlsFiles files = ResolveTlsFiles(config_path, config->tls);
    auto cert = ReadWholeFile(files.cert);
    auto key = ReadWholeFile(files.key);
    auto ca = ReadWholeFile(files.ca);
    for (const auto* file : {&cert, &key, &ca}) {
      if (!file->ok()) return Failed(std::string(file->status().message()));
    }
    auto name = CertificateCommonName(*cert);
    if (!name.ok() || *name != *country) {
      return Failed(absl::StrCat(files.cert, ": the certificate must name ", *country,
                                 " as its common name",
                                 name.ok() ? absl::StrCat(", not ", *name) : std::string()));
    }
    auto ca_digest = CertificateSha256(*ca);
    if (!ca_digest.ok()) return Failed(absl::StrCat(files.ca, ": not a PEM certificate"));
    if (federation.manifest->ca_sha256.empty()) {
      return Usage(absl::StrCat(options.region, " names no region CA (ca_sha256); TLS needs one"));
    }
    if (*ca_digest != federation.manifest->ca_sha256) {
      return Failed(absl::StrCat(
          files.ca, " is not the region's CA: its SHA-256 is ", absl::BytesToHexString(*ca_digest),
          ", ", options.region, " names ", absl::BytesToHexString(federation.manifest->ca_sha256)));
    }
    grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = *ca;
    options.pem_key_cert_pairs.push_back({*key, *cert});
    server_credentials = grpc::SslServerCredentials(options);
    grpc::SslCredentialsOptions client;
    client.pem_root_certs = *ca;
    client.pem_private_key = *key;
    client.pem_cert_chain = *cert;
    if (federation.transport == nullptr) {
      federation.transport = PeerTransport::Grpc(grpc::SslCredentials(client));
    }
  } else if (options.insecure && !loopback) {
    std::cerr << "lmx-node: WARNING: serving " << listen
              << " without TLS (--insecure): tokens and data cross the network in clear\n";
  }

  // The store's engine must write to open: on a disk without room it would
  // wait for it before it serves anything. Say so instead (systemd starts
  // the node again later).
  {
    struct statvfs disk;
    std::error_code made;
    std::filesystem::create_directories(options.data_dir, made);
    if (::statvfs(options.data_dir.c_str(), &disk) == 0 &&
        static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize < (4u << 20)) {
      return Failed(absl::StrCat("the disk of ", options.data_dir,
                                 " is full (less than 4 MiB free): the node cannot open its store; "
                                 "free space on it and start the node again (nothing was lost)"));
    }
  }
  // A store made now for a key that was there already: the node lost its
  // disk (or is a member's first start); like a restored backup, it waits
  // for every peer before it signs.
  const bool had_store = std::filesystem::exists(options.data_dir + "/db/CURRENT");
  const bool had_key = std::filesystem::exists(options.data_dir + "/node.key");
  StoreOptions store_options;
  store_options.reserve_bytes = options.min_free_bytes;
  store_options.clock = options.clock;
  auto store = Store::Open(options.data_dir, *country, store_options);
  if (!store.ok()) return Failed(std::string(store.status().message()));
  auto p = std::make_unique<Parts>();
  p->options = options;
  p->store = std::move(*store);
  std::string key_path = options.data_dir + "/node.key";
  auto identity = Identity::LoadOrCreate(key_path);
  if (!identity.ok()) return Failed(std::string(identity.status().message()));
  federation.identity = *identity;
  if (federation.manifest) {
    const RegionMember* self = federation.manifest->Find(*country);
    if (self == nullptr) {
      return Usage(absl::StrCat(options.region, " does not list ", *country));
    }
    if (self->public_key != identity->public_key()) {
      return Failed(absl::StrCat(options.region, " gives ", *country, " the key ",
                                 Fingerprint(self->public_key), ", but ", key_path, " holds ",
                                 Fingerprint(identity->public_key())));
    }
    for (const auto& peer : federation.peers) {
      if (federation.manifest->Find(peer.id) == nullptr) {
        return Usage(absl::StrCat("--peers: ", peer.id, " is not a member of the region"));
      }
    }
    if (federation.peers.empty()) {
      for (const auto& member : federation.manifest->members) {
        if (member.id != *country) federation.peers.push_back({member.id, member.address});
      }
    }
  }
  for (const auto& peer : federation.peers) {
    if (peer.id == *country) return Usage("--peers: a node does not pull from itself");
  }
  if (std::string marker = absl::StrCat(options.data_dir, "/", kBackupMarker);
      std::ifstream(marker).good() && !federation.peers.empty()) {
    federation.restored_marker = marker;
    federation.wait_for_every_peer = true;
    std::cerr << "lmx-node: " << options.data_dir
              << " is a restored backup: no publish before every peer has reported the head of "
              << *country << "'s log\n";
  } else if (!had_store && had_key && !federation.peers.empty()) {
    federation.wait_for_every_peer = true;
    std::cerr << "lmx-node: a new store for an existing key (a lost disk, or a first start): no "
                 "publish before every peer has reported the head of "
              << *country << "'s log\n";
  }
  p->audit = std::make_unique<AuditLog>(p->store.get());
  Access::Options access_options;
  access_options.country = *country;
  access_options.config_path = config_path;
  // Open to anonymous callers only while everything it serves is on
  // loopback: a token-less config reloaded later must not open an HTTP
  // endpoint on the network.
  access_options.loopback = loopback && (http_listen.empty() || IsLoopback(http_host));
  access_options.manifest = federation.manifest;
  p->access = std::make_unique<Access>(access_options, *config, p->audit.get());
  p->watchdog = std::make_unique<StreamWatchdog>();
  p->replication = std::make_unique<Replication>(p->store.get(), federation);
  Replication* replication = p->replication.get();

  p->classifications =
      std::make_unique<ClassificationRegistry>(p->store.get(), *codelists, *country);
  IngestContext ingest;
  ingest.country = *country;
  ingest.codelists = *codelists;
  ingest.store = p->store.get();
  ingest.classifications = p->classifications.get();
  // A publish that arrives while the node learns its own log's head from
  // the region waits for it, then goes on or is refused with the reason.
  const absl::Duration admit_wait = federation.startup_sync + absl::Seconds(5);
  ingest.admit = [replication, admit_wait] { return replication->AwaitPublish(admit_wait); };
  auto calendar =
      ReleaseCalendar::Open(absl::StrCat(options.data_dir, "/embargo"), *country, p->store.get(),
                            [replication] { return replication->CanPublish(); });
  if (!calendar.ok()) return Failed(std::string(calendar.status().message()));
  p->calendar = std::move(*calendar);
  ReleaseCalendar* releases = p->calendar.get();
  ingest.embargo = [releases](absl::Time release_at) { return releases->Begin(release_at); };
  p->engine = std::make_unique<QueryEngine>(p->store.get(), *codelists);
  if (options.warm_columns) p->engine->KeepColumnsWarm(p->store.get());
  ShortageListDefaults shortage_list;
  shortage_list.min_periods = options.shortage_list_min_periods;
  shortage_list.last_periods = options.shortage_list_last_periods;
  shortage_list.index_above = options.shortage_list_index_above;
  if (shortage_list.last_periods < 1 || shortage_list.min_periods < 1 ||
      shortage_list.min_periods > shortage_list.last_periods ||
      !(std::abs(shortage_list.index_above) <= 1)) {
    return Failed(
        "--shortage_list_min_periods must be 1 to --shortage_list_last_periods, and "
        "--shortage_list_index_above within [-1, 1]");
  }
  p->policy =
      std::make_unique<PolicyViews>(p->engine.get(), p->store.get(), *codelists, shortage_list);
  PublishLimits limits;
  limits.max_rows = static_cast<uint64_t>(options.max_batch_rows);
  limits.max_duration = options.max_stream_duration;
  p->metrics = std::make_unique<Metrics>();
  p->publish_service = std::make_unique<PublishServiceImpl>(
      ingest, limits, p->access.get(), p->audit.get(), p->watchdog.get(), p->metrics.get());
  p->query_service =
      std::make_unique<QueryServiceImpl>(*country, p->engine.get(), p->policy.get(),
                                         p->access.get(), p->watchdog.get(), limits.max_duration);
  p->classification_service = std::make_unique<ClassificationServiceImpl>(
      p->classifications.get(), p->access.get(), p->watchdog.get(), limits.max_duration);
  Store* raw_store = p->store.get();
  p->admin_service = std::make_unique<AdminServiceImpl>(
      p->access.get(), p->audit.get(), p->watchdog.get(), limits.max_duration, releases,
      [raw_store, data_dir = options.data_dir, releases](const std::string& dir) {
        return BackupNode(raw_store, data_dir, dir, releases);
      },
      [replication](const std::string& reason) { return replication->DeclareRegionLost(reason); });
  p->federation_service = std::make_unique<FederationServiceImpl>(
      replication, p->access.get(), p->watchdog.get(), federation.max_served_stream);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.experimental().SetInterceptorCreators(p->metrics->Interceptors());
  int port = 0;
  builder.AddListeningPort(listen, server_credentials, &port);
  builder.RegisterService(p->publish_service.get());
  builder.RegisterService(p->query_service.get());
  builder.RegisterService(p->classification_service.get());
  builder.RegisterService(p->federation_service.get());
  builder.RegisterService(p->admin_service.get());
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
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  p->server = builder.BuildAndStart();
  if (p->server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }

  p->address = absl::StrCat(host, ":", port);
  std::cerr << "lmx-node: " << *country << " serving on " << p->address << " ("
            << (tls ? "mutual TLS with the region's CA" : "plaintext") << "; "
            << (p->access->open() ? "no credentials configured: loopback only, every local caller "
                                    "has every role"
                                  : absl::StrCat(config->tokens.size(), " tokens in ", config_path))
            << "); key " << Fingerprint(identity->public_key()) << "\n";
  if (!federation.peers.empty()) {
    std::cerr << "lmx-node: pulling from";
    for (const auto& peer : federation.peers) std::cerr << " " << peer.id << "=" << peer.address;
    std::cerr << (federation.manifest ? " (region manifest)" : " (keys pinned on first use)")
              << "\n";
  }
  replication->Start();
  releases->Start();
  p->http = std::make_unique<HttpServer>();
  p->started = true;
  if (!http_listen.empty()) {
    Parts* parts = p.get();
    p->http->Get("/metrics", [parts](const HttpServer::Request&) {
      return HttpServer::Answer{200, "text/plain; version=0.0.4; charset=utf-8",
                                parts->metrics->Render(*parts->store, parts->replication.get()),
                                nullptr, {}};
    });
    p->http->AllowCrossOrigin("/sdmx/", options.sdmx_cors_origins);
    p->http->Get("/sdmx/3.0/data/(.*)",
                 SdmxDataHandler(p->engine.get(), p->access.get(), codelists->get()));
    p->http->Get("/sdmx/2.1/data/(.*)", SdmxDataHandler(p->engine.get(), p->access.get(),
                                                         codelists->get(), /*v21=*/true));
    p->http->Get("/sdmx/3.0/structure/(.*)", SdmxStructureHandler(codelists->get()));
    p->http->Get("/sdmx/2.1/((?:codelist|conceptscheme|datastructure|dataflow)(?:/.*)?)",
                 SdmxStructureHandler(codelists->get()));
    p->http->Get("/sdmx/3.0/schema/(.*)", SdmxSchemaHandler());
    p->http->Get("/sdmx/3.0/availability/(.*)",
                 SdmxAvailabilityHandler(p->engine.get(), p->access.get()));
    // Any other SDMX path: a 404 in the form asked for, naming what is.
    p->http->Get("/sdmx/(.*)", [](const HttpServer::Request& request) {
      return SdmxError(
          absl::NotFoundError(absl::StrCat(
              request.path, ": lmx serves /sdmx/3.0/{data,structure,availability,schema}/, "
                            "/sdmx/2.1/data/ and /sdmx/2.1/{codelist,conceptscheme,datastructure,"
                            "dataflow}/ (docs/sdmx.md)")),
          SdmxErrorFormatOf(request, SdmxErrorFormat::kXml));
    });
    ServeDashboard(p->http.get(), p->engine.get(), p->policy.get(), p->store.get(), replication,
                   p->access.get());
    ServeWebApp(p->http.get());
    // The HTTP/JSON API calls the gRPC services in process, as their
    // HTTP callers: the same access rules, audit and code.
    grpc::ChannelArguments in_process;
    in_process.SetMaxReceiveMessageSize(64 << 20);
    ApiOptions api;
    api.channel = p->server->InProcessChannel(in_process);
    api.open = [access = p->access.get()] { return access->open(); };
    ServeApi(p->http.get(), std::move(api));
    auto http_bound = p->http->Start(http_listen);
    if (!http_bound.ok()) {
      // ~Node stops what started.
      return absl::UnavailableError(http_bound.status().message());
    }
    p->http_address = *http_bound;
    std::cerr << "lmx-node: HTTP on " << *http_bound
              << ": / (web application), /api/v1/ (JSON API), /metrics, /sdmx/3.0/data/, "
                 "/sdmx/3.0/structure/, /dashboard\n";
  }
  p->codelists = *codelists;
  return std::unique_ptr<Node>(new Node(std::move(p)));
}

void Node::Parts::Stop() {
  if (stopped) return;
  stopped = true;
  // A write waiting for room on a full disk gives up, so that nothing
  // below waits for it.
  if (store) store->disk()->Stop();
  if (!started) return;
  // Ends the served Pull streams too, which would otherwise hold
  // Shutdown until its deadline.
  if (http) http->Stop();
  calendar->Stop();
  replication->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

Node::Node(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Node::~Node() {
  Stop();
  Wait();
}

const std::string& Node::address() const { return parts_->address; }
const std::string& Node::http_address() const { return parts_->http_address; }

absl::Status Node::ReloadAccess() { return parts_->access->Reload(); }

void Node::Stop() { parts_->Stop(); }

void Node::Wait() {
  if (parts_->waited) return;
  parts_->server->Wait();
  parts_->waited = true;
}

}  // namespace lmx
