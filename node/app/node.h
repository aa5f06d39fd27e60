// One country's node, in one object: Node::Start checks the options, opens
// the store, wires ingest, storage, replication, queries, access and the
// gRPC and HTTP endpoints, and serves; Stop ends it all in order. lmx-node
// (main.cc) is this and the flags; tests start nodes in-process with it.
//
//   NodeOptions options;
//   options.country = "KEN";
//   options.data_dir = dir;
//   options.listen = "127.0.0.1:0";
//   ASSIGN_OR_RETURN(std::unique_ptr<Node> node, Node::Start(options));
//   Connect(node->address());
//   node->Stop();
#ifndef LMX_NODE_APP_NODE_H_
#define LMX_NODE_APP_NODE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "federation/base/clock.h"
#include "federation/classifications/codelists.h"
#include "federation/statistics/disclosure.h"
#include "node/replication/peer_transport.h"

namespace lmx {

// What a node is told at start: lmx-node's flags (node/app/main.cc documents
// each), one field each.
struct NodeOptions {
  std::string country;   // ISO 3166-1 alpha-3
  std::string data_dir;  // created if missing
  std::string listen = "127.0.0.1:7401";  // port 0 picks a free port
  std::string peers;     // COUNTRY=HOST:PORT,...
  std::string region;    // the region manifest's path
  int64_t disclosure_threshold = kDefaultDisclosureThreshold;
  std::string http_listen;  // off when empty
  // Origins whose browser pages may read /sdmx/ (CORS); none when empty.
  std::vector<std::string> sdmx_cors_origins;
  std::string iso_codes_dir = std::string(kDefaultIsoCodesDir);
  std::string config;  // default DATA_DIR/config.json
  bool insecure = false;
  int64_t max_message_bytes = 4 << 20;
  uint32_t shortage_list_min_periods = 2;
  uint32_t shortage_list_last_periods = 3;
  double shortage_list_index_above = 0.5;
  int64_t max_batch_rows = 50'000'000;
  absl::Duration max_stream_duration = absl::Hours(2);
  bool warm_columns = true;
  absl::Duration startup_sync_timeout = absl::Seconds(10);
  uint64_t min_free_bytes = 0;
  // Time for embargoes, freshness, heartbeats and audit; the real clock
  // unless a test gives its own.
  const Clock* clock = Clock::Real();
  // How the node reaches its peers; gRPC (with the region certificate when
  // TLS is configured) unless a test gives its own.
  std::shared_ptr<PeerTransport> peer_transport;
  // Replication's pace: heartbeats on idle streams, and the wait before a
  // stream that refused an origin is opened again (ReplicationOptions).
  absl::Duration heartbeat = absl::Seconds(1);
  absl::Duration retry_blocked = absl::Seconds(2);
};

class Node {
 public:
  // Starts a node. Options that are wrong in themselves (a bad address, a
  // missing flag, credentials that do not fit) are INVALID_ARGUMENT, the
  // message naming the option; anything else that stops the start (a full
  // disk, a store of another country, a port in use) has another code.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const NodeOptions& options);
  ~Node();  // stops the node if it still runs

  // HOST:PORT of the gRPC endpoint, and of the HTTP endpoint (empty when
  // off), with the ports actually bound.
  const std::string& address() const;
  const std::string& http_address() const;

  // Re-reads the config file's tokens; on an error the old ones stay.
  absl::Status ReloadAccess();

  // Stops serving: writes waiting for disk space give up, streams end, the
  // release calendar and replication stop, and the gRPC server shuts down
  // within 5 s. Idempotent.
  void Stop();
  // Returns once the gRPC server has shut down.
  void Wait();

  struct Parts;

 private:
  explicit Node(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace lmx

#endif  // LMX_NODE_APP_NODE_H_
