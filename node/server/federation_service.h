// The Federation gRPC service: a thin translation over the replication
// core (node/replication/replication.h). It authorizes each call (a peer's
// Pull, a reader's Peers), bounds a served stream with the watchdog, and
// maps absl::Status to grpc::Status; the core does the rest.
#ifndef LMX_NODE_SERVER_FEDERATION_SERVICE_H_
#define LMX_NODE_SERVER_FEDERATION_SERVICE_H_

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/federation.grpc.pb.h"
#include "node/access/access.h"
#include "node/access/stream_watchdog.h"
#include "node/replication/replication.h"

namespace lmx {

class FederationServiceImpl final : public v1::Federation::Service {
 public:
  // `max_stream` is ReplicationOptions::max_served_stream: a puller that
  // stops reading past it (and a minute) is cut off.
  FederationServiceImpl(Replication* replication, const Access* access, StreamWatchdog* watchdog,
                        absl::Duration max_stream)
      : replication_(replication), access_(access), watchdog_(watchdog), max_stream_(max_stream) {}

  grpc::Status Pull(grpc::ServerContext* context, const v1::PullRequest* request,
                    grpc::ServerWriter<v1::PullResponse>* writer) override;
  grpc::Status Peers(grpc::ServerContext* context, const v1::PeersRequest* request,
                     v1::PeersResponse* response) override;

 private:
  Replication* const replication_;
  const Access* const access_;
  StreamWatchdog* const watchdog_;
  const absl::Duration max_stream_;
};

}  // namespace lmx

#endif  // LMX_NODE_SERVER_FEDERATION_SERVICE_H_
