// A client of one lmx node: publishing CSV files and streaming query
// answers, with deadlines on every call. Used by the `lmx` CLI; usable from
// any C++ program.
//
//   auto node = NodeClient::Connect("127.0.0.1:7401");
//   auto reader = CsvReader::Open("flows.csv");
//   auto result = (*node)->Publish(**reader, {.dataset = v1::DATASET_FLOW, .source = "flows.csv"});
#ifndef LMX_CLIENT_NODE_CLIENT_H_
#define LMX_CLIENT_NODE_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/classification.grpc.pb.h"
#include "lmx/v1/federation.grpc.pb.h"
#include "lmx/v1/publish.grpc.pb.h"
#include "lmx/v1/query.grpc.pb.h"
#include "node/csv_reader.h"

namespace lmx {

struct PublishOptions {
  v1::Dataset dataset = v1::DATASET_UNSPECIFIED;
  std::string source;  // file name used in error messages
  bool partial = false;
  bool dry_run = false;
  // For data, the national classification of the occupation codes; for a
  // crosswalk (DATASET_CROSSWALK), the id it is imported as.
  std::string classification;
  // For a crosswalk: the regional classification it maps to.
  std::string target;
  // Called now and then with bytes read so far and the file size (0 when
  // unknown).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

class NodeClient {
 public:
  // Connects to `address` (HOST:PORT), waiting at most `connect_timeout`.
  // UNAVAILABLE when the node cannot be reached.
  static absl::StatusOr<std::unique_ptr<NodeClient>> Connect(
      const std::string& address, absl::Duration connect_timeout = absl::Seconds(5),
      absl::Duration call_timeout = absl::Minutes(60));

  // Streams every record of `reader` (header first) to the node and merges
  // the node's answer. A refused batch comes back as a response with
  // `rejected_batch` set; only transport and server failures are errors.
  absl::StatusOr<v1::PublishResponse> Publish(CsvReader& reader, const PublishOptions& options);

  absl::Status Query(const v1::QueryRequest& request,
                     const std::function<void(const v1::QueryResponse&)>& receive);
  absl::Status Aggregate(const v1::AggregateRequest& request,
                         const std::function<void(const v1::AggregateResponse&)>& receive);
  absl::Status Shortages(const v1::ShortageViewRequest& request,
                         const std::function<void(const v1::ShortageViewResponse&)>& receive);
  absl::StatusOr<v1::DescribeResponse> Describe();
  absl::StatusOr<v1::PeersResponse> Peers();
  absl::StatusOr<v1::ListClassificationsResponse> ListClassifications();
  // Merges the streamed answer into one message.
  absl::StatusOr<v1::ShowClassificationResponse> ShowClassification(
      const v1::ShowClassificationRequest& request);

 private:
  NodeClient(std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout);
  void SetDeadline(grpc::ClientContext* context) const;
  // Reads a server stream with the call deadline to its end, handing each
  // message to `receive`.
  template <typename Stub, typename Request, typename Response, typename Receive>
  absl::Status Stream(Stub* stub,
                      std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(
                          grpc::ClientContext*, const Request&),
                      const Request& request, const Receive& receive) const;
  // Calls a unary method with the call deadline.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Unary(Stub* stub,
                                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                              Response*),
                                 const Request& request) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PublishService::Stub> publish_;
  std::unique_ptr<v1::QueryService::Stub> query_;
  std::unique_ptr<v1::ClassificationService::Stub> classifications_;
  std::unique_ptr<v1::Federation::Stub> federation_;
  absl::Duration call_timeout_;
};

// Maps a gRPC status to the absl::Status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace lmx

#endif  // LMX_CLIENT_NODE_CLIENT_H_
