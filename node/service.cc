#include "node/service.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace lmx {
namespace {

// Rows per streamed response message: large answers never meet a message
// size limit, and each message stays well under a megabyte.
constexpr int kRowsPerMessage = 1000;

// Row errors per streamed message, and violations kept in the status of a
// refused batch (its details ride in HTTP/2 trailers, which clients cap).
constexpr int kErrorsPerMessage = 1000;
constexpr int kViolationsInStatus = 20;

// The INVALID_ARGUMENT of a refused batch: a BadRequest with its first
// violations, and the summary without the error list.
grpc::Status RefusedBatch(const std::string& source, const v1::PublishResponse& summary,
                          const google::protobuf::RepeatedPtrField<v1::RowError>& errors) {
  google::rpc::BadRequest bad_request;
  for (int i = 0; i < errors.size() && i < kViolationsInStatus; ++i) {
    auto* violation = bad_request.add_field_violations();
    violation->set_field(absl::StrCat(source, ":", errors[i].line(), ": ", errors[i].column()));
    violation->set_description(errors[i].reason());
  }
  std::string message =
      absl::StrCat(source, ": ", summary.rejected(), " rows rejected; nothing was written");
  google::rpc::Status status;
  status.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  status.set_message(message);
  status.add_details()->PackFrom(bad_request);
  status.add_details()->PackFrom(summary);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message, status.SerializeAsString());
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status PublishServiceImpl::Publish(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::PublishResponse, v1::PublishRequest>* stream) {
  v1::PublishRequest request;
  if (!stream->Read(&request) || !request.has_header()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a publish stream must start with a header");
  }
  v1::PublishHeader header = request.header();
  if (header.source().empty()) header.set_source("<stream>");
  if (context_.admit && !header.dry_run()) {
    absl::Status admitted = context_.admit();
    if (!admitted.ok()) return ToGrpcStatus(admitted);
  }
  PublishSession session(context_, header);
  while (stream->Read(&request)) {
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

  // The errors first, in messages of bounded size; then the summary.
  v1::PublishResponse summary = *result;
  summary.clear_errors();
  v1::PublishResponse chunk;
  for (const auto& error : result->errors()) {
    *chunk.add_errors() = error;
    if (chunk.errors_size() < kErrorsPerMessage) continue;
    stream->Write(chunk);
    chunk.Clear();
  }
  if (chunk.errors_size() > 0) stream->Write(chunk);
  stream->Write(summary);
  if (result->rejected_batch()) return RefusedBatch(header.source(), summary, result->errors());
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Query(grpc::ServerContext* context, const v1::QueryRequest* request,
                                     grpc::ServerWriter<v1::QueryResponse>* writer) {
  QueryEngine::Origins origins;
  v1::QueryResponse batch;
  bool first = true;
  bool open = true;
  // The first message carries the freshness of the answer.
  auto send = [&] {
    if (first) batch.mutable_origins()->Assign(origins.begin(), origins.end());
    first = false;
    open = writer->Write(batch) && !context->IsCancelled();
    batch.Clear();
    return open;
  };
  absl::Status status = engine_->Query(
      *request,
      [&](const v1::Observation& observation) {
        *batch.add_observations() = observation;
        return batch.observations_size() < kRowsPerMessage || send();
      },
      &origins);
  if (!status.ok()) return ToGrpcStatus(status);
  if (open && (first || batch.observations_size() > 0)) send();
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Aggregate(grpc::ServerContext* context,
                                         const v1::AggregateRequest* request,
                                         grpc::ServerWriter<v1::AggregateResponse>* writer) {
  QueryEngine::Origins origins;
  auto result = engine_->Aggregate(*request, &origins);
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::AggregateResponse batch;
  for (const auto& column : result->columns) batch.add_columns(column);
  batch.mutable_origins()->Assign(origins.begin(), origins.end());
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
  QueryEngine::Origins origins;
  auto rows = engine_->Shortages(*request, &origins);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  v1::ShortageViewResponse response;
  response.mutable_origins()->Assign(origins.begin(), origins.end());
  for (auto& row : *rows) *response.add_rows() = std::move(row);
  writer->Write(response);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Describe(grpc::ServerContext* context,
                                        const v1::DescribeRequest* request,
                                        v1::DescribeResponse* response) {
  response->set_country(country_);
  QueryEngine::Origins origins = engine_->Latest();
  response->mutable_origins()->Assign(origins.begin(), origins.end());
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::List(grpc::ServerContext* context,
                                             const v1::ListClassificationsRequest* request,
                                             v1::ListClassificationsResponse* response) {
  auto listed = registry_->List();
  if (!listed.ok()) return ToGrpcStatus(listed.status());
  *response = *std::move(listed);
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::Show(
    grpc::ServerContext* context, const v1::ShowClassificationRequest* request,
    grpc::ServerWriter<v1::ShowClassificationResponse>* writer) {
  auto shown = registry_->Show(*request);
  if (!shown.ok()) return ToGrpcStatus(shown.status());
  // A crosswalk's pairs go in messages of kRowsPerMessage after the rest.
  google::protobuf::RepeatedPtrField<v1::CrosswalkPair> pairs;
  pairs.Swap(shown->mutable_pairs());
  v1::ShowClassificationResponse chunk = *std::move(shown);
  for (auto& pair : pairs) {
    *chunk.add_pairs() = std::move(pair);
    if (chunk.pairs_size() < kRowsPerMessage) continue;
    if (!writer->Write(chunk) || context->IsCancelled()) return grpc::Status::OK;
    chunk.Clear();
  }
  writer->Write(chunk);
  return grpc::Status::OK;
}

}  // namespace lmx
