// The node's metrics in Prometheus text format (served at /metrics):
// gRPC calls by method and status code with their latencies, publish rows
// accepted and rejected, replication state per origin and per peer, and the
// store's size and compactions.
//
//   Metrics metrics;
//   builder.experimental().SetInterceptorCreators(metrics.Interceptors());
//   ...
//   std::string text = metrics.Render(*store, &replication);
#ifndef LMX_NODE_SERVER_METRICS_H_
#define LMX_NODE_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "node/replication/replication.h"
#include "node/storage/store.h"

namespace lmx {

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                      0.5,   1,     5,    30,   300};

  // Counts one finished call of `method` ("/lmx.v1.QueryService/Query").
  void RecordRpc(const std::string& method, grpc::StatusCode code, absl::Duration took);
  // Counts the rows of one publish that got an answer.
  void RecordPublish(uint64_t accepted, uint64_t rejected, bool written);

  // Interceptors for a grpc::ServerBuilder that count every call here.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  Interceptors();

  // Everything, in the text exposition format (version 0.0.4).
  // `replication` may be null.
  std::string Render(const Store& store, const Replication* replication,
                     absl::Time now = absl::Now()) const;

 private:
  struct Latency {
    std::array<uint64_t, kBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, grpc::StatusCode>, uint64_t> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Latency> latency_ ABSL_GUARDED_BY(mu_);
  uint64_t rows_accepted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rows_rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t batches_written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t batches_not_written_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lmx

#endif  // LMX_NODE_SERVER_METRICS_H_
