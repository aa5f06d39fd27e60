#include "node/server/federation_service.h"

namespace lmx {

grpc::Status FederationServiceImpl::Pull(grpc::ServerContext* context,
                                         const v1::PullRequest* request,
                                         grpc::ServerWriter<v1::PullResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kPull));
  // The core ends the stream at its bound between writes; a puller that
  // stops reading blocks a write, and the watchdog ends that a minute later.
  auto watch = watchdog_->Start(context, max_stream_ + absl::Minutes(1));
  absl::Status served = replication_->Serve(
      *request, [writer](const v1::PullResponse& message) { return writer->Write(message); },
      [context] { return context->IsCancelled(); });
  if (absl::IsCancelled(served)) return grpc::Status::CANCELLED;
  return ToGrpcStatus(served);
}

grpc::Status FederationServiceImpl::Peers(grpc::ServerContext* context,
                                          const v1::PeersRequest* request,
                                          v1::PeersResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kPeers));
  *response = replication_->State();
  return grpc::Status::OK;
}

}  // namespace lmx
