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
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/admin.grpc.pb.h"
#include "lmx/v1/classification.grpc.pb.h"
#include "lmx/v1/federation.grpc.pb.h"
#include "lmx/v1/publish.grpc.pb.h"
#include "lmx/v1/query.grpc.pb.h"
#include "federation/base/call_metadata.h"
#include "federation/base/csv_reader.h"
#include "federation/base/publish_rows.h"

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
  // Embargo: stored now, published at this time (`--release_at`).
  std::optional<absl::Time> release_at;
  // For the CLI: send the file's bytes for the node to read (PublishFile)
  // rather than rows.
  bool send_bytes = false;
  // Called now and then with bytes read so far and the file size (0 when
  // unknown).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// How a client proves who it is (docs/security.md).
struct ClientCredentials {
  std::string token;  // bearer token, sent with every call
  // For a node serving TLS: the region CA's certificate (PEM), and for a
  // client that is itself a member, its certificate and key.
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  // The name the node's certificate must carry, when not the host of the
  // address (a member's id, for example).
  std::string server_name;
};

class NodeClient {
 public:
  // Connects to `address` (HOST:PORT), waiting at most `connect_timeout`.
  // UNAVAILABLE when the node cannot be reached.
  static absl::StatusOr<std::unique_ptr<NodeClient>> Connect(
      const std::string& address, const ClientCredentials& credentials = {},
      absl::Duration connect_timeout = absl::Seconds(5),
      absl::Duration call_timeout = absl::Minutes(60));

  // A caller that a gateway inside the node speaks for (the HTTP/JSON API,
  // node/http/api.h): its Authorization header, passed on as it came, and
  // its address, which the node records in its audit log.
  struct OnBehalfOf {
    std::optional<std::string> authorization;
    std::string address;
  };
  // A client of the node's own server through `channel`, an in-process
  // channel: every call is checked and audited as if `caller` made it.
  static std::unique_ptr<NodeClient> InProcess(std::shared_ptr<grpc::Channel> channel,
                                               OnBehalfOf caller, absl::Duration call_timeout);

  // Streams every record of `reader` (header first) to the node and merges
  // the node's answer. A refused batch comes back as a response with
  // `rejected_batch` set; only transport and server failures are errors.
  absl::StatusOr<v1::PublishResponse> Publish(CsvReader& reader, const PublishOptions& options);
  // The same, but the file at `path` goes as its bytes (PublishHeader.file)
  // and the node reads them with the same reader: nothing is encoded into
  // rows and decoded again. The answer and its errors are Publish's.
  absl::StatusOr<v1::PublishResponse> PublishFile(const std::string& path,
                                                  const PublishOptions& options);

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
  absl::StatusOr<v1::SearchOccupationsResponse> SearchOccupations(
      const v1::SearchOccupationsRequest& request);
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest& request);
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const v1::RevokeTokenRequest& request);
  absl::StatusOr<v1::ListTokensResponse> ListTokens();
  absl::Status Audit(const v1::AuditRequest& request,
                     const std::function<void(const v1::AuditResponse&)>& receive);
  absl::StatusOr<v1::BackupResponse> Backup(const v1::BackupRequest& request);
  absl::StatusOr<v1::CalendarResponse> Calendar();
  absl::StatusOr<v1::CancelReleaseResponse> CancelRelease(const v1::CancelReleaseRequest& request);
  absl::StatusOr<v1::DeclareRegionLostResponse> DeclareRegionLost(
      const v1::DeclareRegionLostRequest& request);
  absl::StatusOr<v1::ShortageListResponse> ShortageList(const v1::ShortageListRequest& request);
  absl::Status MirrorFlows(const v1::MirrorFlowsRequest& request,
                           const std::function<void(const v1::MirrorFlowsResponse&)>& receive);
  absl::Status Match(const v1::MatchRequest& request,
                     const std::function<void(const v1::MatchResponse&)>& receive);
  absl::Status Completeness(const v1::CompletenessRequest& request,
                            const std::function<void(const v1::CompletenessResponse&)>& receive);
  // The channel, for callers that need a raw stub.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  NodeClient(std::shared_ptr<grpc::Channel> channel, std::string token,
             absl::Duration call_timeout);
  // Sets the call deadline and the bearer token.
  void Prepare(grpc::ClientContext* context) const;
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
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::string token_;
  std::optional<OnBehalfOf> on_behalf_of_;
  absl::Duration call_timeout_;
};

// Maps a gRPC status to the absl::Status with the same code and message.
// Its details (a serialized google.rpc.Status, with a BadRequest's field
// violations, say) ride along as the payload kGrpcStatusPayload.
absl::Status FromGrpcStatus(const grpc::Status& status);
inline constexpr char kGrpcStatusPayload[] = "type.googleapis.com/google.rpc.Status";

}  // namespace lmx

#endif  // LMX_CLIENT_NODE_CLIENT_H_
