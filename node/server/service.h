// The node's gRPC edge: translates between the wire protos and the domain
// (ingest, query engine) and maps absl::Status to grpc::Status. It holds no
// logic of its own.
#ifndef LMX_NODE_SERVER_SERVICE_H_
#define LMX_NODE_SERVER_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/admin.grpc.pb.h"
#include "lmx/v1/classification.grpc.pb.h"
#include "lmx/v1/publish.grpc.pb.h"
#include "lmx/v1/query.grpc.pb.h"
#include "node/access/access.h"
#include "node/ingest/classification_registry.h"
#include "node/storage/embargo.h"
#include "node/ingest/ingest.h"
#include "node/server/metrics.h"
#include "node/query/policy.h"
#include "node/query/query_engine.h"
#include "node/access/stream_watchdog.h"

namespace lmx {

// What a node accepts from one caller (docs/security.md).
struct PublishLimits {
  uint64_t max_rows = 50'000'000;                // rows in one batch
  absl::Duration max_duration = absl::Hours(2);  // one publish stream
};

class PublishServiceImpl final : public v1::PublishService::Service {
 public:
  // Every collaborator is required and must outlive the service; `metrics`
  // counts the rows of every answered publish.
  PublishServiceImpl(IngestContext context, PublishLimits limits, const Access* access,
                     const AuditLog* audit, StreamWatchdog* watchdog, Metrics* metrics)
      : context_(std::move(context)),
        limits_(limits),
        access_(access),
        audit_(audit),
        watchdog_(watchdog),
        metrics_(metrics) {}

  grpc::Status Publish(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::PublishResponse, v1::PublishRequest>* stream) override;

 private:
  IngestContext context_;
  PublishLimits limits_;
  const Access* access_;
  const AuditLog* audit_;
  StreamWatchdog* watchdog_;
  Metrics* metrics_;
};

class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  // A reader that stops reading is cut off after `max_duration`. `policy`
  // answers the shortage list, mirror, match and completeness. Every
  // collaborator is required and must outlive the service.
  QueryServiceImpl(std::string country, const QueryEngine* engine, const PolicyViews* policy,
                   const Access* access, StreamWatchdog* watchdog, absl::Duration max_duration)
      : country_(std::move(country)),
        engine_(engine),
        policy_(policy),
        access_(access),
        watchdog_(watchdog),
        max_duration_(max_duration) {}

  grpc::Status Query(grpc::ServerContext* context, const v1::QueryRequest* request,
                     grpc::ServerWriter<v1::QueryResponse>* writer) override;
  grpc::Status Aggregate(grpc::ServerContext* context, const v1::AggregateRequest* request,
                         grpc::ServerWriter<v1::AggregateResponse>* writer) override;
  grpc::Status Shortages(grpc::ServerContext* context, const v1::ShortageViewRequest* request,
                         grpc::ServerWriter<v1::ShortageViewResponse>* writer) override;
  grpc::Status Describe(grpc::ServerContext* context, const v1::DescribeRequest* request,
                        v1::DescribeResponse* response) override;
  grpc::Status ShortageList(grpc::ServerContext* context, const v1::ShortageListRequest* request,
                            v1::ShortageListResponse* response) override;
  grpc::Status MirrorFlows(grpc::ServerContext* context, const v1::MirrorFlowsRequest* request,
                           grpc::ServerWriter<v1::MirrorFlowsResponse>* writer) override;
  grpc::Status Match(grpc::ServerContext* context, const v1::MatchRequest* request,
                     grpc::ServerWriter<v1::MatchResponse>* writer) override;
  grpc::Status Completeness(grpc::ServerContext* context, const v1::CompletenessRequest* request,
                            grpc::ServerWriter<v1::CompletenessResponse>* writer) override;

 private:
  std::string country_;
  const QueryEngine* engine_;
  const PolicyViews* policy_;
  const Access* access_;
  StreamWatchdog* watchdog_;
  absl::Duration max_duration_;
};

class ClassificationServiceImpl final : public v1::ClassificationService::Service {
 public:
  ClassificationServiceImpl(const ClassificationRegistry* registry, const Access* access,
                            StreamWatchdog* watchdog, absl::Duration max_duration)
      : registry_(registry), access_(access), watchdog_(watchdog), max_duration_(max_duration) {}

  grpc::Status List(grpc::ServerContext* context, const v1::ListClassificationsRequest* request,
                    v1::ListClassificationsResponse* response) override;
  grpc::Status Show(grpc::ServerContext* context, const v1::ShowClassificationRequest* request,
                    grpc::ServerWriter<v1::ShowClassificationResponse>* writer) override;
  grpc::Status Search(grpc::ServerContext* context, const v1::SearchOccupationsRequest* request,
                      v1::SearchOccupationsResponse* response) override;

 private:
  const ClassificationRegistry* registry_;
  const Access* access_;
  StreamWatchdog* watchdog_;
  absl::Duration max_duration_;
};

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // What Backup does (node/storage/backup.h), and what DeclareRegionLost
  // does (Replication::DeclareRegionLost).
  using BackupFunction = std::function<absl::StatusOr<v1::BackupResponse>(const std::string& dir)>;
  using DeclareFunction = std::function<absl::StatusOr<std::string>(const std::string& reason)>;

  // Every collaborator is required and must outlive the service: the
  // node's release calendar answers Calendar and CancelRelease.
  AdminServiceImpl(Access* access, const AuditLog* audit, StreamWatchdog* watchdog,
                   absl::Duration max_duration, ReleaseCalendar* calendar, BackupFunction backup,
                   DeclareFunction declare)
      : access_(access),
        audit_(audit),
        watchdog_(watchdog),
        max_duration_(max_duration),
        backup_(std::move(backup)),
        declare_(std::move(declare)),
        calendar_(calendar) {}

  grpc::Status CreateToken(grpc::ServerContext* context, const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                           v1::RevokeTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status Audit(grpc::ServerContext* context, const v1::AuditRequest* request,
                     grpc::ServerWriter<v1::AuditResponse>* writer) override;
  grpc::Status Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                      v1::BackupResponse* response) override;

  grpc::Status Calendar(grpc::ServerContext* context, const v1::CalendarRequest* request,
                        v1::CalendarResponse* response) override;
  grpc::Status CancelRelease(grpc::ServerContext* context, const v1::CancelReleaseRequest* request,
                             v1::CancelReleaseResponse* response) override;
  grpc::Status DeclareRegionLost(grpc::ServerContext* context,
                                 const v1::DeclareRegionLostRequest* request,
                                 v1::DeclareRegionLostResponse* response) override;

 private:
  Access* access_;
  const AuditLog* audit_;
  StreamWatchdog* watchdog_;
  absl::Duration max_duration_;
  BackupFunction backup_;
  DeclareFunction declare_;
  ReleaseCalendar* calendar_;
};

}  // namespace lmx

#endif  // LMX_NODE_SERVER_SERVICE_H_
