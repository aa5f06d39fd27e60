#include "node/replication/peer_transport.h"

#include <map>
#include <mutex>

#include "lmx/v1/federation.grpc.pb.h"

namespace lmx {
namespace {

class GrpcPullStream final : public PullStream {
 public:
  GrpcPullStream(v1::Federation::Stub* stub, absl::Duration lifetime) : stub_(stub) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + lifetime));
  }
  // A context cancelled before the call starts cancels the call as it
  // starts, so Cancel() ends a connection still being made.
  void Start(const v1::PullRequest& request) override { reader_ = stub_->Pull(&context_, request); }
  bool Read(v1::PullResponse* response) override { return reader_->Read(response); }
  void Cancel() override { context_.TryCancel(); }
  absl::Status Finish() override {
    grpc::Status status = reader_->Finish();
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }

 private:
  v1::Federation::Stub* const stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::PullResponse>> reader_;
};

class GrpcTransport final : public PeerTransport {
 public:
  explicit GrpcTransport(std::shared_ptr<grpc::ChannelCredentials> credentials)
      : credentials_(std::move(credentials)) {}

  std::unique_ptr<PullStream> Pull(const Peer& peer, absl::Duration lifetime) override {
    return std::make_unique<GrpcPullStream>(StubFor(peer), lifetime);
  }

 private:
  v1::Federation::Stub* StubFor(const Peer& peer) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& stub = stubs_[peer.id + "=" + peer.address];
    if (stub != nullptr) return stub.get();
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    // A Pull stream sends nothing after its request: without this, gRPC
    // stops pinging after two pings and a half-open connection goes unseen.
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
    args.SetMaxReceiveMessageSize(16 << 20);
    std::shared_ptr<grpc::ChannelCredentials> credentials = credentials_;
    if (credentials == nullptr) {
      credentials = grpc::InsecureChannelCredentials();
    } else {
      // The peer's certificate must name the member this node means to
      // reach, whatever address it answers on.
      args.SetSslTargetNameOverride(peer.id);
    }
    stub = v1::Federation::NewStub(grpc::CreateCustomChannel(peer.address, credentials, args));
    return stub.get();
  }

  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<v1::Federation::Stub>> stubs_;
};

}  // namespace

std::unique_ptr<PeerTransport> PeerTransport::Grpc(
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  return std::make_unique<GrpcTransport>(std::move(credentials));
}

}  // namespace lmx
