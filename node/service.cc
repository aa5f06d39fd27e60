#include "node/service.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace lmx {
namespace {

// Rows per streamed response message: large answers never meet a message
// size limit, and each message stays well under a megabyte.
constexpr int kRowsPerMessage = 1000;

// The INVALID_ARGUMENT of a rejected batch: a BadRequest with one violation
// per bad field, and the full PublishResponse for clients that want it.
grpc::Status RejectedBatch(const std::string& source, const v1::PublishResponse& response) {
  google::rpc::BadRequest bad_request;
  for (const auto& error : response.errors()) {
    auto* violation = bad_request.add_field_violations();
    violation->set_field(absl::StrCat(source, ":", error.line(), ": ", error.column()));
    violation->set_description(error.reason());
  }
  std::string message =
      absl::StrCat(source, ": ", response.rejected(), " rows rejected; nothing was written");
  google::rpc::Status status;
  status.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  status.set_message(message);
  status.add_details()->PackFrom(bad_request);
  status.add_details()->PackFrom(response);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message, status.SerializeAsString());
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status PublishServiceImpl::Publish(grpc::ServerContext* context,
                                         grpc::ServerReader<v1::PublishRequest>* reader,
                                         v1::PublishResponse* response) {
  v1::PublishRequest request;
  if (!reader->Read(&request) || !request.has_header()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a publish stream must start with a header");
  }
  v1::PublishHeader header = request.header();
  if (header.source().empty()) header.set_source("<stream>");
  PublishSession session(context_, header);
  while (reader->Read(&request)) {
    if (request.has_header()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "a publish stream has exactly one header");
    }
    for (const auto& row : request.rows().rows()) session.AddRow(row);
  }
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "publish cancelled; nothing was written");
  }
  auto result = session.Finish();
  if (!result.ok()) return ToGrpcStatus(result.status());
  if (result->rejected() > 0 && !header.partial()) return RejectedBatch(header.source(), *result);
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Query(grpc::ServerContext* context, const v1::QueryRequest* request,
                                     grpc::ServerWriter<v1::QueryResponse>* writer) {
  auto origins = engine_->Origins(request->filter().as_of());
  if (!origins.ok()) return ToGrpcStatus(origins.status());
  v1::QueryResponse batch;
  for (auto& origin : *origins) *batch.add_origins() = std::move(origin);
  bool open = true;
  absl::Status status = engine_->Query(*request, [&](const v1::Observation& observation) {
    *batch.add_observations() = observation;
    if (batch.observations_size() < kRowsPerMessage) return true;
    open = writer->Write(batch) && !context->IsCancelled();
    batch.Clear();
    return open;
  });
  if (!status.ok()) return ToGrpcStatus(status);
  if (open) writer->Write(batch);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Aggregate(grpc::ServerContext* context,
                                         const v1::AggregateRequest* request,
                                         grpc::ServerWriter<v1::AggregateResponse>* writer) {
  auto origins = engine_->Origins(request->filter().as_of());
  if (!origins.ok()) return ToGrpcStatus(origins.status());
  auto result = engine_->Aggregate(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::AggregateResponse batch;
  for (const auto& column : result->columns) batch.add_columns(column);
  for (auto& origin : *origins) *batch.add_origins() = std::move(origin);
  for (auto& row : result->rows) {
    *batch.add_rows() = std::move(row);
    if (batch.rows_size() < kRowsPerMessage) continue;
    if (!writer->Write(batch) || context->IsCancelled()) return grpc::Status::OK;
    batch.Clear();
  }
  writer->Write(batch);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Shortages(grpc::ServerContext* context,
                                         const v1::ShortageViewRequest* request,
                                         grpc::ServerWriter<v1::ShortageViewResponse>* writer) {
  auto origins = engine_->Origins(request->as_of());
  if (!origins.ok()) return ToGrpcStatus(origins.status());
  auto rows = engine_->Shortages(*request);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  v1::ShortageViewResponse response;
  for (auto& origin : *origins) *response.add_origins() = std::move(origin);
  for (auto& row : *rows) *response.add_rows() = std::move(row);
  writer->Write(response);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Describe(grpc::ServerContext* context,
                                        const v1::DescribeRequest* request,
                                        v1::DescribeResponse* response) {
  response->set_country(country_);
  auto origins = engine_->Origins("");
  if (!origins.ok()) return ToGrpcStatus(origins.status());
  for (auto& origin : *origins) *response->add_origins() = std::move(origin);
  return grpc::Status::OK;
}

}  // namespace lmx
