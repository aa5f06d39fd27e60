// How a puller reaches a peer: one Pull stream at a time. Replication asks
// its PeerTransport, never gRPC directly, so tests put a transport between
// two nodes that drops, duplicates, reorders, tampers with or replays what
// the peer sent (compare Ninja's DiskInterface, LevelDB's Env).
//
//   std::unique_ptr<PeerTransport> transport = PeerTransport::Grpc(credentials);
//   std::unique_ptr<PullStream> stream = transport->Pull(peer, absl::Minutes(10));
//   active = stream.get();       // Stop() may Cancel() it from now on
//   stream->Start(request);      // may wait for the connection
//   v1::PullResponse response;
//   while (stream->Read(&response)) Handle(response);
//   absl::Status ended = stream->Finish();
#ifndef LMX_NODE_REPLICATION_PEER_TRANSPORT_H_
#define LMX_NODE_REPLICATION_PEER_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/federation.pb.h"

namespace lmx {

struct Peer {
  std::string id;       // the peer's country
  std::string address;  // HOST:PORT
};

// One Pull stream: made, then started, then read to its end.
class PullStream {
 public:
  virtual ~PullStream() = default;
  // Sends the request. It may wait while the connection is made; Cancel()
  // ends that wait too. Call once, before Read.
  virtual void Start(const v1::PullRequest& request) = 0;
  // The next message; false once the stream has ended (then call Finish).
  virtual bool Read(v1::PullResponse* response) = 0;
  // Ends the stream from any thread, before Start or after: Start and Read
  // return soon after.
  virtual void Cancel() = 0;
  // How the stream ended: OK, or the peer's or the transport's error with
  // its gRPC code.
  virtual absl::Status Finish() = 0;
};

class PeerTransport {
 public:
  virtual ~PeerTransport() = default;
  // A Pull stream to `peer` that lasts at most `lifetime`, not started yet.
  // Never null: a peer that cannot be reached gives a stream that ends with
  // UNAVAILABLE.
  virtual std::unique_ptr<PullStream> Pull(const Peer& peer, absl::Duration lifetime) = 0;

  // The region's transport: gRPC to the peer's address, one channel per
  // peer, with keepalives; `credentials` is the node's region certificate
  // (mutual TLS, the peer's certificate must name the peer), or null for
  // plaintext on loopback.
  static std::unique_ptr<PeerTransport> Grpc(std::shared_ptr<grpc::ChannelCredentials> credentials);
};

}  // namespace lmx

#endif  // LMX_NODE_REPLICATION_PEER_TRANSPORT_H_
