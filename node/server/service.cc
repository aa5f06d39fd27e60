#include "node/server/service.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "federation/classifications/datasets.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "federation/base/csv_reader.h"
#include "federation/base/publish_rows.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

// Rows per streamed response message: large answers never meet a message
// size limit, and each message stays well under a megabyte.
constexpr int kRowsPerMessage = 1000;

// Streams `rows` in messages of kRowsPerMessage rows: `first` (with the
// answer's freshness and other once-only fields) carries the first ones.
// Stops quietly when the reader is gone.
template <typename Response, typename Row>
void WriteRows(grpc::ServerContext* context, grpc::ServerWriter<Response>* writer, Response first,
               std::vector<Row>& rows,
               google::protobuf::RepeatedPtrField<Row>* (Response::*rows_of)()) {
  Response batch = std::move(first);
  for (auto& row : rows) {
    *(batch.*rows_of)()->Add() = std::move(row);
    if ((batch.*rows_of)()->size() < kRowsPerMessage) continue;
    if (!writer->Write(batch) || context->IsCancelled()) return;
    batch.Clear();
  }
  writer->Write(batch);
}

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

Action QueryAction(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE:
      return Action::kQueryShortages;
    case v1::DATASET_VACANCY:
      return Action::kQueryVacancies;
    case v1::DATASET_VACANCY_AGG:
      return Action::kAggregateVacancies;
    default:
      return Action::kQueryFlows;  // the strictest read rule
  }
}

Action AggregateAction(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE:
      return Action::kAggregateShortages;
    case v1::DATASET_VACANCY:
    case v1::DATASET_VACANCY_AGG:
      return Action::kAggregateVacancies;
    default:
      return Action::kAggregateFlows;
  }
}

// The free-text fields of a publish header: short and valid UTF-8 (its
// columns are the validator's to check).
absl::Status CheckHeader(const v1::PublishHeader& header) {
  constexpr size_t kMaxText = 4096;
  for (const std::string* text : {&header.source(), &header.classification(), &header.target()}) {
    if (text->size() > kMaxText) {
      return absl::InvalidArgumentError(
          absl::StrCat("a publish header field is longer than ", kMaxText, " bytes"));
    }
    if (!IsValidUtf8(*text)) {
      return absl::InvalidArgumentError("a publish header field is not valid UTF-8");
    }
  }
  if (header.has_release_at() && !IsValidTimestamp(header.release_at())) {
    return absl::InvalidArgumentError(
        "release_at: not a valid timestamp (years 0001 to 9999, nanos within [0, 1e9))");
  }
  return absl::OkStatus();
}

}  // namespace

// Binds `who` to the caller allowed by an Authorize() call, or returns its
// refusal.
#define AUTHORIZE_OR_RETURN(who, call)                        \
  auto who##_or = (call);                                     \
  if (!who##_or.ok()) return ToGrpcStatus(who##_or.status()); \
  const Principal& who = *who##_or

grpc::Status PublishServiceImpl::Publish(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::PublishResponse, v1::PublishRequest>* stream) {
  // Who may publish is settled before the first message is read, so a
  // caller without a token cannot hold a thread waiting for its header; the
  // whole stream runs under the watchdog.
  AUTHORIZE_OR_RETURN(who, access_->Authorize(context, Action::kPublish));
  auto watch = watchdog_->Start(context, limits_.max_duration);
  v1::AuditRecord record = audit_->For(who, "publish");
  // Every publish is recorded with how it ended.
  auto finish = [&](grpc::Status status, const v1::PublishResponse* result = nullptr) {
    if (result != nullptr) {
      record.set_rows(result->accepted());
      record.set_rejected(result->rejected());
      record.set_version(result->version());
    }
    if (!status.ok()) {
      record.set_outcome(
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
      record.set_message(status.error_message());
    }
    audit_->Record(record);
    return status;
  };
  v1::PublishRequest request;
  if (!stream->Read(&request) || !request.has_header()) {
    return finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "a publish stream must start with a header"));
  }
  v1::PublishHeader header = request.header();
  if (header.source().empty()) header.set_source("<stream>");
  const bool crosswalk = header.dataset() == v1::DATASET_CROSSWALK;
  record.set_action(absl::StrCat(crosswalk ? "import " : "publish ", DatasetWord(header.dataset()),
                                 header.dry_run() ? " (dry run)" : ""));
  record.set_detail(crosswalk ? absl::StrCat(header.source(), " as ", header.classification())
                              : header.source());
  if (header.has_release_at()) {
    absl::StrAppend(record.mutable_detail(), " (embargoed until ",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromTimestamp(header.release_at()),
                                     absl::UTCTimeZone()),
                    ")");
  }
  if (absl::Status checked = CheckHeader(header); !checked.ok()) {
    return finish(ToGrpcStatus(checked));
  }
  if (context_.admit && !header.dry_run()) {
    absl::Status admitted = context_.admit();
    if (!admitted.ok()) return finish(ToGrpcStatus(admitted));
  }
  if (!header.dry_run() && header.size_hint() > 0 && context_.store != nullptr) {
    // A file that would not fit is refused before any row is spooled: its
    // rows, then the table files made of them.
    absl::Status room = context_.store->disk()->Reserve(
        2 * header.size_hint(), absl::StrCat(header.source(), " (", header.size_hint(), " bytes)"));
    if (!room.ok()) {
      return finish(ToGrpcStatus(absl::Status(
          room.code(), absl::StrCat(room.message(), ", or split the file (by period, say)"))));
    }
  }
  uint64_t rows = 0;
  bool ended = false;
  // Each message is read into an arena of its own, which goes with its rows
  // to the worker that checks them.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 1 << 20;
  auto too_many = [&] {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(header.source(), ": more than ", limits_.max_rows,
                     " rows in one batch (this node's --max_batch_rows); nothing was written; "
                     "split the file, by period for example"));
  };
  std::optional<PublishSession> session;
  if (header.file()) {
    // The file's bytes: read here with the reader `lmx publish` uses, into
    // the same row batches it would have sent.
    std::string piece;
    size_t offset = 0;
    uint64_t received = 0;
    auto reader = CsvReader::FromSource(
        [&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
          while (offset == piece.size()) {
            if (ended) return 0;
            v1::PublishRequest message;
            if (!stream->Read(&message)) return 0;  // no end: nothing is written
            if (message.has_end()) {
              if (message.end().rows() != received) {
                return absl::InvalidArgumentError(
                    absl::StrCat("the stream carried ", received, " bytes but its end says ",
                                 message.end().rows()));
              }
              ended = true;
              return 0;
            }
            if (message.part_case() != v1::PublishRequest::kFile) {
              return absl::InvalidArgumentError(
                  "a publish stream of a file's bytes carries pieces of the file and its end, "
                  "nothing else");
            }
            piece = std::move(*message.mutable_file());
            offset = 0;
            received += piece.size();
          }
          size_t n = std::min(capacity, piece.size() - offset);
          std::memcpy(buffer, piece.data() + offset, n);
          offset += n;
          return n;
        },
        header.size_hint());
    auto read_failed = [&] {
      return finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 absl::StrCat(header.source(), ": ", reader->status().message(),
                                              "; nothing was written")));
    };
    auto header_row = ReadPublishHeader(*reader, header.source());
    if (!reader->status().ok()) return read_failed();
    if (!header_row.ok()) return finish(ToGrpcStatus(header_row.status()));
    header.set_header_line(header_row->line);
    for (const auto& column : header_row->fields) header.add_columns(column);
    session.emplace(context_, header);
    std::unique_ptr<google::protobuf::Arena> arena;
    bool over = false;
    ReadRowBatches(
        *reader, header_row->fields,
        [&] {
          arena = std::make_unique<google::protobuf::Arena>(arena_options);
          return google::protobuf::Arena::CreateMessage<v1::PublishRequest>(arena.get());
        },
        [&](v1::PublishRequest* batch) {
          rows += batch->rows().rows_size();
          if (rows > limits_.max_rows) {
            over = true;
            return false;
          }
          session->AddRows(std::move(arena), batch->rows());
          return !context->IsCancelled();
        });
    if (over) return finish(too_many());
    if (!reader->status().ok()) return read_failed();
  } else {
    session.emplace(context_, header);
    while (true) {
      auto arena = std::make_unique<google::protobuf::Arena>(arena_options);
      auto& request = *google::protobuf::Arena::CreateMessage<v1::PublishRequest>(arena.get());
      if (!stream->Read(&request)) break;
      if (request.has_header() || ended || request.has_file()) {
        return finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   ended              ? "a publish stream ends with its end message"
                                   : request.has_file() ? "a publish stream carries rows or, when "
                                                          "its header says file, the file's bytes"
                                                        : "a publish stream has exactly one header"));
      }
      if (request.has_end()) {
        if (request.end().rows() != rows) {
          return finish(grpc::Status(
              grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat(header.source(), ": the stream carried ", rows,
                           " rows but its end says ", request.end().rows(),
                           "; nothing was written")));
        }
        ended = true;
        continue;
      }
      rows += request.rows().rows_size();
      if (rows > limits_.max_rows) return finish(too_many());
      session->AddRows(std::move(arena), request.rows());
    }
  }
  // Past this point the batch may be committed: the watchdog must not
  // cancel a call whose rows are written.
  watch.Stop();
  if (watch.expired()) {
    return finish(
        grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                     absl::StrCat(header.source(), ": the publish stream lasted longer than ",
                                  absl::FormatDuration(limits_.max_duration),
                                  " (this node's --max_stream_duration); nothing was written")));
  }
  if (context->IsCancelled()) {
    return finish(
        grpc::Status(grpc::StatusCode::CANCELLED, "publish cancelled; nothing was written"));
  }
  if (!ended) {
    return finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat(header.source(),
                     ": the publish stream ended without its end message (the client stopped, or "
                     "sent a message that is not a PublishRequest); nothing was written")));
  }
  auto result = session->Finish();
  if (!result.ok()) return finish(ToGrpcStatus(result.status()));
  metrics_->RecordPublish(result->accepted(), result->rejected(), result->written());

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
  if (result->rejected_batch()) {
    return finish(RefusedBatch(header.source(), summary, result->errors()), &summary);
  }
  return finish(grpc::Status::OK, &summary);
}

grpc::Status QueryServiceImpl::Query(grpc::ServerContext* context, const v1::QueryRequest* request,
                                     grpc::ServerWriter<v1::QueryResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, QueryAction(request->dataset())));
  auto watch = watchdog_->Start(context, max_duration_);
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
  RETURN_IF_DENIED(access_->Authorize(context, AggregateAction(request->dataset())));
  auto watch = watchdog_->Start(context, max_duration_);
  QueryEngine::Origins origins;
  auto result = engine_->Aggregate(*request, &origins);
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::AggregateResponse first;
  for (const auto& column : result->columns) first.add_columns(column);
  first.mutable_origins()->Assign(origins.begin(), origins.end());
  WriteRows(context, writer, std::move(first), result->rows, &v1::AggregateResponse::mutable_rows);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Shortages(grpc::ServerContext* context,
                                         const v1::ShortageViewRequest* request,
                                         grpc::ServerWriter<v1::ShortageViewResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kShortageView));
  auto watch = watchdog_->Start(context, max_duration_);
  QueryEngine::Origins origins;
  auto rows = engine_->Shortages(*request, &origins);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  v1::ShortageViewResponse response;
  response.mutable_origins()->Assign(origins.begin(), origins.end());
  for (auto& row : *rows) *response.add_rows() = std::move(row);
  writer->Write(response);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ShortageList(grpc::ServerContext* context,
                                            const v1::ShortageListRequest* request,
                                            v1::ShortageListResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kShortageList));
  auto list = policy_->ShortageList(*request);
  if (!list.ok()) return ToGrpcStatus(list.status());
  *response = *std::move(list);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::MirrorFlows(grpc::ServerContext* context,
                                           const v1::MirrorFlowsRequest* request,
                                           grpc::ServerWriter<v1::MirrorFlowsResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kMirrorFlows));
  auto watch = watchdog_->Start(context, max_duration_);
  QueryEngine::Origins origins;
  auto rows = policy_->Mirror(*request, &origins);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  v1::MirrorFlowsResponse first;
  first.mutable_origins()->Assign(origins.begin(), origins.end());
  WriteRows(context, writer, std::move(first), *rows, &v1::MirrorFlowsResponse::mutable_rows);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Match(grpc::ServerContext* context, const v1::MatchRequest* request,
                                     grpc::ServerWriter<v1::MatchResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kMatch));
  auto watch = watchdog_->Start(context, max_duration_);
  QueryEngine::Origins origins;
  auto result = policy_->Match(*request, &origins);
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::MatchResponse first;
  first.set_window(result->window);
  first.mutable_origins()->Assign(origins.begin(), origins.end());
  WriteRows(context, writer, std::move(first), result->rows, &v1::MatchResponse::mutable_rows);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Completeness(grpc::ServerContext* context,
                                            const v1::CompletenessRequest* request,
                                            grpc::ServerWriter<v1::CompletenessResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kCompleteness));
  auto watch = watchdog_->Start(context, max_duration_);
  auto rows = policy_->Completeness(*request);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  v1::CompletenessResponse first;
  QueryEngine::Origins origins = engine_->Latest();
  first.mutable_origins()->Assign(origins.begin(), origins.end());
  WriteRows(context, writer, std::move(first), *rows, &v1::CompletenessResponse::mutable_rows);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::Describe(grpc::ServerContext* context,
                                        const v1::DescribeRequest* request,
                                        v1::DescribeResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kDescribe));
  response->set_country(country_);
  QueryEngine::Origins origins = engine_->Latest();
  response->mutable_origins()->Assign(origins.begin(), origins.end());
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::List(grpc::ServerContext* context,
                                             const v1::ListClassificationsRequest* request,
                                             v1::ListClassificationsResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kClassifications));
  auto listed = registry_->List();
  if (!listed.ok()) return ToGrpcStatus(listed.status());
  *response = *std::move(listed);
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::Show(
    grpc::ServerContext* context, const v1::ShowClassificationRequest* request,
    grpc::ServerWriter<v1::ShowClassificationResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kClassifications));
  auto watch = watchdog_->Start(context, max_duration_);
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

grpc::Status ClassificationServiceImpl::Search(grpc::ServerContext* context,
                                               const v1::SearchOccupationsRequest* request,
                                               v1::SearchOccupationsResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kClassifications));
  auto found = registry_->Search(*request);
  if (!found.ok()) return ToGrpcStatus(found.status());
  *response = *std::move(found);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::CreateToken(grpc::ServerContext* context,
                                           const v1::CreateTokenRequest* request,
                                           v1::CreateTokenResponse* response) {
  AUTHORIZE_OR_RETURN(who, access_->Authorize(context, Action::kManageTokens));
  auto token = access_->CreateToken(who, request->name(), request->role());
  if (!token.ok()) return ToGrpcStatus(token.status());
  *response->mutable_token() = ToTokenInfo(token->entry);
  response->set_secret(token->secret);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RevokeToken(grpc::ServerContext* context,
                                           const v1::RevokeTokenRequest* request,
                                           v1::RevokeTokenResponse* response) {
  AUTHORIZE_OR_RETURN(who, access_->Authorize(context, Action::kManageTokens));
  auto removed = access_->RevokeToken(who, request->token());
  if (!removed.ok()) return ToGrpcStatus(removed.status());
  *response->mutable_token() = ToTokenInfo(*removed);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListTokens(grpc::ServerContext* context,
                                          const v1::ListTokensRequest* request,
                                          v1::ListTokensResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kManageTokens));
  for (const auto& entry : access_->Tokens()) *response->add_tokens() = ToTokenInfo(entry);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Backup(grpc::ServerContext* context,
                                      const v1::BackupRequest* request,
                                      v1::BackupResponse* response) {
  AUTHORIZE_OR_RETURN(who, access_->Authorize(context, Action::kBackup));
  auto made = backup_(request->dir());
  v1::AuditRecord record = audit_->For(who, "backup");
  record.set_detail(request->dir());
  record.set_outcome(absl::StatusCodeToString(made.status().code()));
  record.set_message(std::string(made.status().message()));
  audit_->Record(std::move(record));
  if (!made.ok()) return ToGrpcStatus(made.status());
  *response = *std::move(made);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::DeclareRegionLost(grpc::ServerContext* context,
                                                 const v1::DeclareRegionLostRequest* request,
                                                 v1::DeclareRegionLostResponse* response) {
  AUTHORIZE_OR_RETURN(who, access_->Authorize(context, Action::kDeclareRegionLost));
  if (request->reason().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "reason: say why the region's copies are lost; it goes to the audit log");
  }
  auto declared = declare_(request->reason());
  v1::AuditRecord record = audit_->For(who, "declare region lost");
  record.set_detail(request->reason());
  record.set_outcome(absl::StatusCodeToString(declared.status().code()));
  record.set_message(declared.ok() ? *declared : std::string(declared.status().message()));
  audit_->Record(std::move(record));
  if (!declared.ok()) return ToGrpcStatus(declared.status());
  response->set_message(*declared);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Calendar(grpc::ServerContext* context,
                                        const v1::CalendarRequest* request,
                                        v1::CalendarResponse* response) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kCalendar));
  for (auto& release : calendar_->Upcoming()) *response->add_releases() = std::move(release);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::CancelRelease(grpc::ServerContext* context,
                                             const v1::CancelReleaseRequest* request,
                                             v1::CancelReleaseResponse* response) {
  AUTHORIZE_OR_RETURN(who, access_->Authorize(context, Action::kCalendar));
  auto cancelled = calendar_->Cancel(request->id());
  v1::AuditRecord record = audit_->For(who, "release cancel");
  record.set_detail(cancelled.ok() ? absl::StrCat(request->id(), " (", cancelled->source(), ")")
                                   : request->id());
  if (cancelled.ok()) record.set_rows(cancelled->rows());
  record.set_outcome(absl::StatusCodeToString(cancelled.status().code()));
  record.set_message(std::string(cancelled.status().message()));
  audit_->Record(std::move(record));
  if (!cancelled.ok()) return ToGrpcStatus(cancelled.status());
  *response->mutable_release() = *std::move(cancelled);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Audit(grpc::ServerContext* context, const v1::AuditRequest* request,
                                     grpc::ServerWriter<v1::AuditResponse>* writer) {
  RETURN_IF_DENIED(access_->Authorize(context, Action::kReadAudit));
  auto watch = watchdog_->Start(context, max_duration_);
  v1::AuditResponse batch;
  bool open = true;
  absl::Status status = audit_->Read(FromTimestamp(request->since()), request->last(),
                                     [&](const v1::AuditRecord& record) {
                                       *batch.add_records() = record;
                                       if (batch.records_size() < kRowsPerMessage) return true;
                                       open = writer->Write(batch) && !context->IsCancelled();
                                       batch.Clear();
                                       return open;
                                     });
  if (!status.ok()) return ToGrpcStatus(status);
  if (open && batch.records_size() > 0) writer->Write(batch);
  return grpc::Status::OK;
}

}  // namespace lmx
