// A PeerTransport (node/replication/peer_transport.h) that does to the
// streams between two in-process nodes what a test asks: every message the
// peer sends passes a filter that may drop it, repeat it, hold it back or
// change it, and every request may be rewritten before it goes (a relay
// replaying older entries). Underneath is the real gRPC transport.
//
//   auto transport = std::make_shared<FaultyTransport>();
//   transport->SetFilter([](const v1::PullResponse& m) {
//     return std::vector<v1::PullResponse>{m, m};  // every message twice
//   });
//   options.peer_transport = transport;
#ifndef LMX_TESTS_SUPPORT_FAULTY_TRANSPORT_H_
#define LMX_TESTS_SUPPORT_FAULTY_TRANSPORT_H_

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "node/replication/peer_transport.h"

namespace lmx {

class FaultyTransport final : public PeerTransport {
 public:
  // The messages to deliver in place of `message`: none drops it. Called in
  // stream order; `stream` counts the streams opened, from 1.
  using Filter =
      std::function<std::vector<v1::PullResponse>(int stream, const v1::PullResponse& message)>;
  using Rewrite = std::function<void(v1::PullRequest* request)>;

  FaultyTransport() : inner_(PeerTransport::Grpc(nullptr)) {}

  void SetFilter(Filter filter) {
    std::lock_guard<std::mutex> lock(mu_);
    filter_ = std::move(filter);
  }
  void SetRewrite(Rewrite rewrite) {
    std::lock_guard<std::mutex> lock(mu_);
    rewrite_ = std::move(rewrite);
  }
  // Ends every open stream, as a broken connection would.
  void CutAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (Stream* stream : open_) stream->Cancel();
  }
  int streams() const {
    std::lock_guard<std::mutex> lock(mu_);
    return streams_;
  }

  std::unique_ptr<PullStream> Pull(const Peer& peer, absl::Duration lifetime) override {
    int number;
    {
      std::lock_guard<std::mutex> lock(mu_);
      number = ++streams_;
    }
    return std::make_unique<Stream>(this, number, inner_->Pull(peer, lifetime));
  }

 private:
  class Stream final : public PullStream {
   public:
    Stream(FaultyTransport* transport, int number, std::unique_ptr<PullStream> inner)
        : transport_(transport), number_(number), inner_(std::move(inner)) {
      std::lock_guard<std::mutex> lock(transport_->mu_);
      transport_->open_.insert(this);
    }
    ~Stream() override {
      std::lock_guard<std::mutex> lock(transport_->mu_);
      transport_->open_.erase(this);
    }
    void Start(const v1::PullRequest& request) override {
      v1::PullRequest sent = request;
      {
        std::lock_guard<std::mutex> lock(transport_->mu_);
        if (transport_->rewrite_) transport_->rewrite_(&sent);
      }
      inner_->Start(sent);
    }
    bool Read(v1::PullResponse* response) override {
      while (queued_.empty()) {
        v1::PullResponse message;
        if (!inner_->Read(&message)) return false;
        Filter filter;
        {
          std::lock_guard<std::mutex> lock(transport_->mu_);
          filter = transport_->filter_;
        }
        if (!filter) {
          queued_.push_back(std::move(message));
        } else {
          for (auto& out : filter(number_, message)) queued_.push_back(std::move(out));
        }
      }
      *response = std::move(queued_.front());
      queued_.pop_front();
      return true;
    }
    void Cancel() override { inner_->Cancel(); }
    absl::Status Finish() override { return inner_->Finish(); }

   private:
    FaultyTransport* const transport_;
    const int number_;
    std::unique_ptr<PullStream> inner_;
    std::deque<v1::PullResponse> queued_;
  };

  const std::unique_ptr<PeerTransport> inner_;
  mutable std::mutex mu_;
  Filter filter_;
  Rewrite rewrite_;
  std::set<Stream*> open_;
  int streams_ = 0;
};

}  // namespace lmx

#endif  // LMX_TESTS_SUPPORT_FAULTY_TRANSPORT_H_
