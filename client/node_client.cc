#include "client/node_client.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "federation/base/status_macros.h"

namespace lmx {
namespace {

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  if (!status.error_details().empty()) {
    converted.SetPayload(kGrpcStatusPayload, absl::Cord(status.error_details()));
  }
  return converted;
}

NodeClient::NodeClient(std::shared_ptr<grpc::Channel> channel, std::string token,
                       absl::Duration call_timeout)
    : channel_(std::move(channel)),
      publish_(v1::PublishService::NewStub(channel_)),
      query_(v1::QueryService::NewStub(channel_)),
      classifications_(v1::ClassificationService::NewStub(channel_)),
      federation_(v1::Federation::NewStub(channel_)),
      admin_(v1::AdminService::NewStub(channel_)),
      token_(std::move(token)),
      call_timeout_(call_timeout) {}

absl::StatusOr<std::unique_ptr<NodeClient>> NodeClient::Connect(
    const std::string& address, const ClientCredentials& credentials,
    absl::Duration connect_timeout, absl::Duration call_timeout) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials =
      grpc::InsecureChannelCredentials();
  const bool tls = !credentials.ca_pem.empty();
  if (tls) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = credentials.ca_pem;
    options.pem_cert_chain = credentials.cert_pem;
    options.pem_private_key = credentials.key_pem;
    channel_credentials = grpc::SslCredentials(options);
    if (!credentials.server_name.empty()) {
      arguments.SetSslTargetNameOverride(credentials.server_name);
    }
  }
  auto channel = grpc::CreateCustomChannel(address, channel_credentials, arguments);
  // A refused connection shows as TRANSIENT_FAILURE at once; only a silent
  // address waits for the whole connect timeout.
  auto deadline = Deadline(connect_timeout);
  for (auto state = channel->GetState(true); state != GRPC_CHANNEL_READY;
       state = channel->GetState(true)) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN ||
        !channel->WaitForStateChange(state, deadline)) {
      // A failed TLS handshake looks the same as a closed port.
      return absl::UnavailableError(
          absl::StrCat("cannot reach node at ", address,
                       !tls ? " (if it serves TLS, give its region CA with --tls_ca)"
                       : credentials.server_name.empty()
                           ? " (or its certificate is not from the CA given with --tls_ca)"
                           : absl::StrCat(" (or its certificate is not ", credentials.server_name,
                                          "'s from the CA given with --tls_ca)")));
    }
  }
  return std::unique_ptr<NodeClient>(
      new NodeClient(std::move(channel), credentials.token, call_timeout));
}

std::unique_ptr<NodeClient> NodeClient::InProcess(std::shared_ptr<grpc::Channel> channel,
                                                  OnBehalfOf caller,
                                                  absl::Duration call_timeout) {
  auto client = std::unique_ptr<NodeClient>(new NodeClient(std::move(channel), "", call_timeout));
  client->on_behalf_of_ = std::move(caller);
  return client;
}

void NodeClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(Deadline(call_timeout_));
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (on_behalf_of_) {
    if (on_behalf_of_->authorization) {
      context->AddMetadata("authorization", *on_behalf_of_->authorization);
    }
    context->AddMetadata(kOnBehalfOfHeader, on_behalf_of_->address);
  }
}

namespace {

// The header of a publish stream, but for its columns.
v1::PublishRequest HeaderOf(const PublishOptions& options, uint64_t size) {
  v1::PublishRequest request;
  auto* header = request.mutable_header();
  header->set_dataset(options.dataset);
  header->set_source(options.source);
  header->set_partial(options.partial);
  header->set_dry_run(options.dry_run);
  header->set_size_hint(size);
  if (options.release_at) {
    // Seconds, then the rest: nanoseconds since 1970 overflow after 2262.
    const int64_t seconds = absl::ToUnixSeconds(*options.release_at);
    header->mutable_release_at()->set_seconds(seconds);
    header->mutable_release_at()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(*options.release_at - absl::FromUnixSeconds(seconds))));
  }
  header->set_classification(options.classification);
  header->set_target(options.target);
  return request;
}

// The node answers once all rows are in: error messages, then a summary.
// A refused batch is an answer, not an error.
absl::StatusOr<v1::PublishResponse> PublishAnswer(
    grpc::ClientReaderWriter<v1::PublishRequest, v1::PublishResponse>* writer,
    const absl::Status& read) {
  writer->WritesDone();
  v1::PublishResponse response, message;
  while (writer->Read(&message)) response.MergeFrom(message);
  grpc::Status status = writer->Finish();
  if (!read.ok()) return read;
  if (status.ok() ||
      (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT && response.rejected_batch())) {
    return response;
  }
  return FromGrpcStatus(status);
}

}  // namespace

absl::StatusOr<v1::PublishResponse> NodeClient::Publish(CsvReader& reader,
                                                        const PublishOptions& options) {
  ASSIGN_OR_RETURN(CsvRecord record, ReadPublishHeader(reader, options.source));
  grpc::ClientContext context;
  Prepare(&context);
  auto writer = publish_->Publish(&context);
  v1::PublishRequest request = HeaderOf(options, reader.size());
  request.mutable_header()->set_header_line(record.line);
  // Kept apart from the request, which is cleared for every row batch.
  const std::vector<std::string> columns = record.fields;
  for (const auto& column : columns) request.mutable_header()->add_columns(column);
  bool open = writer->Write(request);
  uint64_t rows_sent = 0;
  if (open) {
    rows_sent = ReadRowBatches(
        reader, columns,
        [&] {
          request.Clear();
          return &request;
        },
        [&](v1::PublishRequest* full) {
          open = writer->Write(*full);
          if (options.progress) options.progress(reader.bytes_read(), reader.size());
          return open;
        });
  }
  // Only a file read to its end is marked complete; otherwise the node
  // writes nothing.
  if (open && reader.status().ok()) {
    request.Clear();
    request.mutable_end()->set_rows(rows_sent);
    writer->Write(request);
  }
  return PublishAnswer(writer.get(), reader.status().ok()
                                         ? absl::OkStatus()
                                         : absl::DataLossError(absl::StrCat(
                                               options.source, ": ", reader.status().message())));
}

absl::StatusOr<v1::PublishResponse> NodeClient::PublishFile(const std::string& path,
                                                            const PublishOptions& options) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  struct stat info {};
  const uint64_t size =
      ::fstat(::fileno(file.get()), &info) == 0 && S_ISREG(info.st_mode) ? info.st_size : 0;
  grpc::ClientContext context;
  Prepare(&context);
  auto writer = publish_->Publish(&context);
  v1::PublishRequest request = HeaderOf(options, size);
  request.mutable_header()->set_file(true);
  bool open = writer->Write(request);
  uint64_t sent = 0;
  absl::Status read;
  std::string piece(kPublishBytesPerMessage, '\0');
  while (open) {
    size_t n = std::fread(piece.data(), 1, piece.size(), file.get());
    if (n == 0) {
      if (std::ferror(file.get())) {
        read = absl::DataLossError(absl::StrCat(options.source, ": read error: ", std::strerror(errno)));
      }
      break;
    }
    request.Clear();
    request.set_file(piece.data(), n);
    open = writer->Write(request);
    sent += n;
    if (options.progress) options.progress(sent, size);
  }
  // Only a file read to its end is marked complete; otherwise the node
  // writes nothing.
  if (open && read.ok()) {
    request.Clear();
    request.mutable_end()->set_rows(sent);
    writer->Write(request);
  }
  return PublishAnswer(writer.get(), read);
}

template <typename Stub, typename Request, typename Response, typename Receive>
absl::Status NodeClient::Stream(Stub* stub,
                                std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(
                                    grpc::ClientContext*, const Request&),
                                const Request& request, const Receive& receive) const {
  grpc::ClientContext context;
  Prepare(&context);
  auto reader = (stub->*method)(&context, request);
  Response response;
  while (reader->Read(&response)) receive(response);
  return FromGrpcStatus(reader->Finish());
}

absl::Status NodeClient::Query(const v1::QueryRequest& request,
                               const std::function<void(const v1::QueryResponse&)>& receive) {
  return Stream(query_.get(), &v1::QueryService::Stub::Query, request, receive);
}

absl::Status NodeClient::Aggregate(
    const v1::AggregateRequest& request,
    const std::function<void(const v1::AggregateResponse&)>& receive) {
  return Stream(query_.get(), &v1::QueryService::Stub::Aggregate, request, receive);
}

absl::Status NodeClient::Shortages(
    const v1::ShortageViewRequest& request,
    const std::function<void(const v1::ShortageViewResponse&)>& receive) {
  return Stream(query_.get(), &v1::QueryService::Stub::Shortages, request, receive);
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> NodeClient::Unary(Stub* stub,
                                           grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                        const Request&, Response*),
                                           const Request& request) const {
  grpc::ClientContext context;
  Prepare(&context);
  Response response;
  auto status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::PeersResponse> NodeClient::Peers() {
  return Unary(federation_.get(), &v1::Federation::Stub::Peers, v1::PeersRequest());
}

absl::StatusOr<v1::DescribeResponse> NodeClient::Describe() {
  return Unary(query_.get(), &v1::QueryService::Stub::Describe, v1::DescribeRequest());
}

absl::StatusOr<v1::ListClassificationsResponse> NodeClient::ListClassifications() {
  return Unary(classifications_.get(), &v1::ClassificationService::Stub::List,
               v1::ListClassificationsRequest());
}

absl::StatusOr<v1::SearchOccupationsResponse> NodeClient::SearchOccupations(
    const v1::SearchOccupationsRequest& request) {
  return Unary(classifications_.get(), &v1::ClassificationService::Stub::Search, request);
}

absl::StatusOr<v1::ShowClassificationResponse> NodeClient::ShowClassification(
    const v1::ShowClassificationRequest& request) {
  v1::ShowClassificationResponse merged;
  absl::Status status =
      Stream(classifications_.get(), &v1::ClassificationService::Stub::Show, request,
             [&](const v1::ShowClassificationResponse& part) { merged.MergeFrom(part); });
  if (!status.ok()) return status;
  return merged;
}

absl::StatusOr<v1::CreateTokenResponse> NodeClient::CreateToken(
    const v1::CreateTokenRequest& request) {
  return Unary(admin_.get(), &v1::AdminService::Stub::CreateToken, request);
}

absl::StatusOr<v1::RevokeTokenResponse> NodeClient::RevokeToken(
    const v1::RevokeTokenRequest& request) {
  return Unary(admin_.get(), &v1::AdminService::Stub::RevokeToken, request);
}

absl::StatusOr<v1::ListTokensResponse> NodeClient::ListTokens() {
  return Unary(admin_.get(), &v1::AdminService::Stub::ListTokens, v1::ListTokensRequest());
}

absl::Status NodeClient::Audit(const v1::AuditRequest& request,
                               const std::function<void(const v1::AuditResponse&)>& receive) {
  return Stream(admin_.get(), &v1::AdminService::Stub::Audit, request, receive);
}

absl::StatusOr<v1::BackupResponse> NodeClient::Backup(const v1::BackupRequest& request) {
  return Unary(admin_.get(), &v1::AdminService::Stub::Backup, request);
}

absl::StatusOr<v1::CalendarResponse> NodeClient::Calendar() {
  return Unary(admin_.get(), &v1::AdminService::Stub::Calendar, v1::CalendarRequest());
}

absl::StatusOr<v1::DeclareRegionLostResponse> NodeClient::DeclareRegionLost(
    const v1::DeclareRegionLostRequest& request) {
  return Unary(admin_.get(), &v1::AdminService::Stub::DeclareRegionLost, request);
}

absl::StatusOr<v1::CancelReleaseResponse> NodeClient::CancelRelease(
    const v1::CancelReleaseRequest& request) {
  return Unary(admin_.get(), &v1::AdminService::Stub::CancelRelease, request);
}

absl::StatusOr<v1::ShortageListResponse> NodeClient::ShortageList(
    const v1::ShortageListRequest& request) {
  return Unary(query_.get(), &v1::QueryService::Stub::ShortageList, request);
}

absl::Status NodeClient::MirrorFlows(
    const v1::MirrorFlowsRequest& request,
    const std::function<void(const v1::MirrorFlowsResponse&)>& receive) {
  return Stream(query_.get(), &v1::QueryService::Stub::MirrorFlows, request, receive);
}

absl::Status NodeClient::Match(const v1::MatchRequest& request,
                               const std::function<void(const v1::MatchResponse&)>& receive) {
  return Stream(query_.get(), &v1::QueryService::Stub::Match, request, receive);
}

absl::Status NodeClient::Completeness(
    const v1::CompletenessRequest& request,
    const std::function<void(const v1::CompletenessResponse&)>& receive) {
  return Stream(query_.get(), &v1::QueryService::Stub::Completeness, request, receive);
}

}  // namespace lmx
