// The node's gRPC edge: translates between the wire protos and the domain
// (ingest, query engine) and maps absl::Status to grpc::Status. It holds no
// logic of its own.
#ifndef LMX_NODE_SERVICE_H_
#define LMX_NODE_SERVICE_H_

#include <memory>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/classification.grpc.pb.h"
#include "lmx/v1/publish.grpc.pb.h"
#include "lmx/v1/query.grpc.pb.h"
#include "node/classification_registry.h"
#include "node/ingest.h"
#include "node/query_engine.h"

namespace lmx {

// Maps a canonical absl code to the same gRPC code.
grpc::Status ToGrpcStatus(const absl::Status& status);

class PublishServiceImpl final : public v1::PublishService::Service {
 public:
  explicit PublishServiceImpl(IngestContext context) : context_(std::move(context)) {}

  grpc::Status Publish(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::PublishResponse, v1::PublishRequest>* stream) override;

 private:
  IngestContext context_;
};

class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(std::string country, const QueryEngine* engine)
      : country_(std::move(country)), engine_(engine) {}

  grpc::Status Query(grpc::ServerContext* context, const v1::QueryRequest* request,
                     grpc::ServerWriter<v1::QueryResponse>* writer) override;
  grpc::Status Aggregate(grpc::ServerContext* context, const v1::AggregateRequest* request,
                         grpc::ServerWriter<v1::AggregateResponse>* writer) override;
  grpc::Status Shortages(grpc::ServerContext* context, const v1::ShortageViewRequest* request,
                         grpc::ServerWriter<v1::ShortageViewResponse>* writer) override;
  grpc::Status Describe(grpc::ServerContext* context, const v1::DescribeRequest* request,
                        v1::DescribeResponse* response) override;

 private:
  std::string country_;
  const QueryEngine* engine_;
};

class ClassificationServiceImpl final : public v1::ClassificationService::Service {
 public:
  explicit ClassificationServiceImpl(const ClassificationRegistry* registry)
      : registry_(registry) {}

  grpc::Status List(grpc::ServerContext* context, const v1::ListClassificationsRequest* request,
                    v1::ListClassificationsResponse* response) override;
  grpc::Status Show(grpc::ServerContext* context, const v1::ShowClassificationRequest* request,
                    grpc::ServerWriter<v1::ShowClassificationResponse>* writer) override;

 private:
  const ClassificationRegistry* registry_;
};

}  // namespace lmx

#endif  // LMX_NODE_SERVICE_H_
