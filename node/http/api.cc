#include "node/http/api.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/strings/str_split.h"
#include "client/node_client.h"
#include "federation/base/csv_reader.h"
#include "federation/base/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace lmx {
namespace {

using google::protobuf::Message;

constexpr char kJson[] = "application/json; charset=utf-8";
// A JSON request body; a CSV body has no limit (it is streamed).
constexpr size_t kMaxJsonBody = 1 << 20;

// The HTTP status of a canonical code (google.rpc.Code's mapping).
int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  // Zeros and empty strings are written: a table's column is never missing.
  // Fields declared `optional` stay out when unset (a value not reported).
  options.always_print_primitive_fields = true;
  std::string json;
  auto printed = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!printed.ok()) return "{}";
  return json;
}

// {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": ...,
// "details": [...]}}: the shape of Google's JSON APIs (AIP-193), with the
// details the gRPC status carried (a BadRequest's field violations).
std::string ErrorJson(const absl::Status& status,
                      const std::vector<const Message*>& more_details = {}) {
  google::protobuf::Struct body;
  auto& error = *(*body.mutable_fields())["error"].mutable_struct_value();
  auto& fields = *error.mutable_fields();
  fields["code"].set_number_value(HttpStatusOf(status.code()));
  fields["status"].set_string_value(absl::StatusCodeToString(status.code()));
  fields["message"].set_string_value(std::string(status.message()));
  auto* details = fields["details"].mutable_list_value();
  auto add = [&](const std::string& json) {
    google::protobuf::Value value;
    if (google::protobuf::util::JsonStringToMessage(json, &value).ok()) {
      *details->add_values() = std::move(value);
    }
  };
  if (auto payload = status.GetPayload(kGrpcStatusPayload)) {
    google::rpc::Status carried;
    if (carried.ParseFromString(std::string(*payload))) {
      for (const auto& any : carried.details()) add(ToJson(any));
    }
  }
  for (const Message* detail : more_details) {
    google::protobuf::Any any;
    any.PackFrom(*detail);
    add(ToJson(any));
  }
  google::protobuf::util::JsonPrintOptions options;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(body, &json, options);
  return json + "\n";
}

HttpServer::Answer ErrorAnswer(const absl::Status& status) {
  return HttpServer::Answer{HttpStatusOf(status.code()), kJson, ErrorJson(status)};
}

// A bounded queue between two threads: one HTTP request's thread and the
// call it drives. Push waits while it is full, so memory stays bounded and a
// slow side slows the other.
class Pipe {
 public:
  explicit Pipe(size_t capacity) : capacity_(capacity) {}

  // False once the reader closed the pipe: nothing more is wanted.
  bool Push(std::string piece) {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return closed_ || pieces_.size() < capacity_; });
    if (closed_) return false;
    pieces_.push_back(std::move(piece));
    ready_.notify_all();
    return true;
  }
  // The writer is done; `status` says whether what it pushed is whole.
  void Finish(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    status_ = std::move(status);
    ready_.notify_all();
  }
  // The reader wants nothing more.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    pieces_.clear();
    room_.notify_all();
  }
  // The next piece; false at the end, when status() says how it ended.
  bool Pop(std::string* piece) {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return finished_ || !pieces_.empty(); });
    if (pieces_.empty()) return false;
    *piece = std::move(pieces_.front());
    pieces_.pop_front();
    room_.notify_all();
    return true;
  }
  absl::Status status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable room_, ready_;
  std::deque<std::string> pieces_;
  bool finished_ = false;
  bool closed_ = false;
  absl::Status status_;
};

// --- requests ---------------------------------------------------------

const google::protobuf::FieldDescriptor* FieldNamed(const google::protobuf::Descriptor* type,
                                                    absl::string_view name) {
  for (int i = 0; i < type->field_count(); ++i) {
    const auto* field = type->field(i);
    if (field->name() == name || field->json_name() == name) return field;
  }
  return nullptr;
}

absl::Status SetScalar(Message* message, const google::protobuf::FieldDescriptor* field,
                       const std::string& value, const std::string& path) {
  using google::protobuf::FieldDescriptor;
  const auto* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", path, "=", value, ": expected ", what));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      repeated ? reflection->AddString(message, field, value)
               : reflection->SetString(message, field, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t n;
      if (!absl::SimpleAtoi(value, &n)) return bad("an integer");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
        repeated ? reflection->AddInt32(message, field, static_cast<int32_t>(n))
                 : reflection->SetInt32(message, field, static_cast<int32_t>(n));
      } else {
        repeated ? reflection->AddInt64(message, field, n) : reflection->SetInt64(message, field, n);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t n;
      if (!absl::SimpleAtoi(value, &n)) return bad("a count");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        repeated ? reflection->AddUInt32(message, field, static_cast<uint32_t>(n))
                 : reflection->SetUInt32(message, field, static_cast<uint32_t>(n));
      } else {
        repeated ? reflection->AddUInt64(message, field, n)
                 : reflection->SetUInt64(message, field, n);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double d;
      if (!absl::SimpleAtod(value, &d)) return bad("a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? reflection->AddFloat(message, field, static_cast<float>(d))
                 : reflection->SetFloat(message, field, static_cast<float>(d));
      } else {
        repeated ? reflection->AddDouble(message, field, d)
                 : reflection->SetDouble(message, field, d);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b;
      if (!absl::SimpleAtob(value, &b)) return bad("true or false");
      repeated ? reflection->AddBool(message, field, b) : reflection->SetBool(message, field, b);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* named = field->enum_type()->FindValueByName(absl::AsciiStrToUpper(value));
      int number;
      if (named == nullptr && absl::SimpleAtoi(value, &number)) {
        named = field->enum_type()->FindValueByNumber(number);
      }
      if (named == nullptr) {
        std::vector<std::string> names;
        for (int i = 0; i < field->enum_type()->value_count(); ++i) {
          names.push_back(field->enum_type()->value(i)->name());
        }
        return bad(absl::StrCat("one of ", absl::StrJoin(names, ", ")));
      }
      repeated ? reflection->AddEnum(message, field, named)
               : reflection->SetEnum(message, field, named);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (field->message_type()->full_name() == "google.protobuf.Timestamp" && !repeated) {
        google::protobuf::Timestamp time;
        if (!google::protobuf::util::TimeUtil::FromString(value, &time)) {
          return bad("an RFC 3339 time such as 2026-03-01T09:00:00Z");
        }
        reflection->MutableMessage(message, field)->CopyFrom(time);
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter ", path, " is a list of messages: send the request as a JSON body (POST)"));
  }
  return bad("a value");
}

// A GET request's query parameters as the fields of `message`: `name=value`
// for a field (its proto or JSON name), `filter.countries=KEN` for one of a
// message field, repeated (or comma-separated) for a list.
absl::Status FromParameters(const std::multimap<std::string, std::string>& parameters,
                            Message* message) {
  for (const auto& [path, value] : parameters) {
    Message* at = message;
    std::vector<std::string> parts = absl::StrSplit(path, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      const auto* field = FieldNamed(at->GetDescriptor(), parts[i]);
      if (field == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter ", path, ": ", at->GetDescriptor()->full_name(), " has no field ", parts[i]));
      }
      if (i + 1 < parts.size()) {
        if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
            field->is_repeated()) {
          return absl::InvalidArgumentError(
              absl::StrCat("parameter ", path, ": ", parts[i], " is not a message"));
        }
        at = at->GetReflection()->MutableMessage(at, field);
        continue;
      }
      std::vector<std::string> values = {value};
      if (field->is_repeated() &&
          field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        values = absl::StrSplit(value, ',', absl::SkipEmpty());
      }
      for (const auto& one : values) RETURN_IF_ERROR(SetScalar(at, field, one, path));
    }
  }
  return absl::OkStatus();
}

// The request message of an HTTP request: its JSON body (POST), or its
// query parameters (GET).
absl::Status ReadRequest(const HttpServer::Request& request, Message* message) {
  if (request.method != "POST") return FromParameters(request.parameters, message);
  if (request.content_length > kMaxJsonBody) {
    return absl::ResourceExhaustedError(
        absl::StrCat("a JSON request body may hold ", kMaxJsonBody, " bytes"));
  }
  std::string body;
  bool whole = request.read_body([&](absl::string_view piece) {
    body.append(piece.data(), piece.size());
    return body.size() <= kMaxJsonBody;
  });
  if (!whole) {
    return body.size() > kMaxJsonBody
               ? absl::ResourceExhaustedError(
                     absl::StrCat("a JSON request body may hold ", kMaxJsonBody, " bytes"))
               : absl::InvalidArgumentError("the request body ended early");
  }
  // The body first, then the query parameters on top of it: parsing JSON
  // clears the message.
  if (!absl::StripAsciiWhitespace(body).empty()) {
    google::protobuf::util::JsonParseOptions options;
    auto parsed = google::protobuf::util::JsonStringToMessage(body, message, options);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("the body is not a JSON ",
                                                     message->GetDescriptor()->full_name(), ": ",
                                                     std::string(parsed.message())));
    }
  }
  return FromParameters(request.parameters, message);
}

// --- methods -----------------------------------------------------------

using Emit = std::function<void(const Message&)>;

struct Method {
  const google::protobuf::Descriptor* request;
  const google::protobuf::Descriptor* response;
  bool streaming;
  // Calls the node; a unary method emits once.
  std::function<absl::Status(NodeClient& client, const Message& request, const Emit& emit)> call;
  // A method that changes the node answers POST only, so that no link or
  // image a page embeds can call it.
  bool changes = false;
};

template <typename Request, typename Response>
Method Streaming(absl::Status (NodeClient::*method)(
    const Request&, const std::function<void(const Response&)>&)) {
  return {Request::descriptor(), Response::descriptor(), true,
          [method](NodeClient& client, const Message& request, const Emit& emit) {
            return (client.*method)(static_cast<const Request&>(request),
                                    [&](const Response& response) { emit(response); });
          }};
}

template <typename Request, typename Response>
Method Unary(absl::StatusOr<Response> (NodeClient::*method)(const Request&)) {
  return {Request::descriptor(), Response::descriptor(), false,
          [method](NodeClient& client, const Message& request, const Emit& emit) {
            ASSIGN_OR_RETURN(Response response,
                             (client.*method)(static_cast<const Request&>(request)));
            emit(response);
            return absl::OkStatus();
          }};
}

template <typename Request, typename Response>
Method Nullary(absl::StatusOr<Response> (NodeClient::*method)()) {
  return {Request::descriptor(), Response::descriptor(), false,
          [method](NodeClient& client, const Message&, const Emit& emit) {
            ASSIGN_OR_RETURN(Response response, (client.*method)());
            emit(response);
            return absl::OkStatus();
          }};
}

Method Changes(Method method) {
  method.changes = true;
  return method;
}

// What HTTP serves: reading, policy and the release calendar. Tokens,
// audit, backup and declaring the region lost stay on gRPC (`lmx admin`).
const std::map<std::string, Method>& Methods() {
  static const auto* methods = new std::map<std::string, Method>{
      {"QueryService/Query", Streaming(&NodeClient::Query)},
      {"QueryService/Aggregate", Streaming(&NodeClient::Aggregate)},
      {"QueryService/Shortages", Streaming(&NodeClient::Shortages)},
      {"QueryService/Describe", Nullary<v1::DescribeRequest>(&NodeClient::Describe)},
      {"QueryService/ShortageList", Unary(&NodeClient::ShortageList)},
      {"QueryService/MirrorFlows", Streaming(&NodeClient::MirrorFlows)},
      {"QueryService/Match", Streaming(&NodeClient::Match)},
      {"QueryService/Completeness", Streaming(&NodeClient::Completeness)},
      {"Federation/Peers", Nullary<v1::PeersRequest>(&NodeClient::Peers)},
      {"ClassificationService/List",
       Nullary<v1::ListClassificationsRequest>(&NodeClient::ListClassifications)},
      {"ClassificationService/Show", Unary(&NodeClient::ShowClassification)},
      {"ClassificationService/Search", Unary(&NodeClient::SearchOccupations)},
      {"AdminService/Calendar", Nullary<v1::CalendarRequest>(&NodeClient::Calendar)},
      {"AdminService/CancelRelease", Changes(Unary(&NodeClient::CancelRelease))},
  };
  return *methods;
}

// A client that calls as the HTTP caller. Its Authorization header goes
// into gRPC metadata, which takes printable ASCII only (anything else would
// abort the call, and the process): any other value is refused here.
absl::StatusOr<std::unique_ptr<NodeClient>> ClientFor(const ApiOptions& options,
                                                      const HttpServer::Request& request) {
  std::optional<std::string> authorization = request.Header("authorization");
  if (authorization) {
    for (unsigned char c : *authorization) {
      if (c < 0x20 || c > 0x7e) {
        return absl::UnauthenticatedError(
            "the authorization header must be 'Bearer <token>', in printable ASCII");
      }
    }
  }
  return NodeClient::InProcess(options.channel, {std::move(authorization), request.remote},
                               options.call_timeout);
}

// One streaming call, run on its own thread while the HTTP answer is
// written: its messages pass through a pipe as JSON.
struct StreamingCall {
  Pipe pipe{16};
  std::thread thread;
  ~StreamingCall() {
    pipe.Close();
    if (thread.joinable()) thread.join();
  }
};

HttpServer::Answer Call(const ApiOptions& options, const Method& method,
                        const HttpServer::Request& request) {
  std::unique_ptr<Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.request)->New());
  absl::Status read = ReadRequest(request, message.get());
  if (!read.ok()) return ErrorAnswer(read);
  absl::StatusOr<std::unique_ptr<NodeClient>> made = ClientFor(options, request);
  if (!made.ok()) return ErrorAnswer(made.status());
  std::shared_ptr<NodeClient> client = std::move(*made);
  if (!method.streaming) {
    std::string json;
    absl::Status status = method.call(*client, *message, [&](const Message& response) {
      json = ToJson(response);
    });
    if (!status.ok()) return ErrorAnswer(status);
    return HttpServer::Answer{200, kJson, json + "\n"};
  }
  auto call = std::make_shared<StreamingCall>();
  std::shared_ptr<Message> owned = std::move(message);
  call->thread = std::thread([call = call.get(), client, owned, &method] {
    absl::Status status = method.call(*client, *owned, [&](const Message& response) {
      call->pipe.Push(ToJson(response));  // once closed, the rest is dropped
    });
    call->pipe.Finish(status);
  });
  // The status is known when the first message or the end arrives: a
  // refusal is an HTTP error, not an array that breaks off.
  std::string first;
  const bool any = call->pipe.Pop(&first);
  if (!any && !call->pipe.status().ok()) return ErrorAnswer(call->pipe.status());
  HttpServer::Answer answer{200, kJson, ""};
  answer.stream = [call, any, first = std::move(first)](const HttpServer::Write& write) {
    if (!write("[")) return call->pipe.Close();
    if (any) {
      if (!write(first)) return call->pipe.Close();
      std::string piece;
      while (call->pipe.Pop(&piece)) {
        if (!write(absl::StrCat(",\n", piece))) return call->pipe.Close();
      }
    }
    absl::Status status = call->pipe.status();
    // A call that fails after it began ends the array with its error.
    if (!status.ok()) write(absl::StrCat(any ? ",\n" : "", ErrorJson(status)));
    write("]\n");
  };
  return answer;
}

// --- publish -----------------------------------------------------------

absl::StatusOr<PublishOptions> PublishOptionsOf(const HttpServer::Request& request) {
  PublishOptions options;
  options.source = "upload.csv";
  for (const auto& [name, value] : request.parameters) {
    if (name == "dataset") {
      v1::Dataset dataset;
      std::string upper = absl::AsciiStrToUpper(value);
      // DATASET_FLOW, or as `lmx publish` says it: flows.
      static const auto* kWords = new std::map<std::string, v1::Dataset>{
          {"SHORTAGES", v1::DATASET_SHORTAGE},
          {"VACANCIES", v1::DATASET_VACANCY},
          {"FLOWS", v1::DATASET_FLOW},
          {"CROSSWALK", v1::DATASET_CROSSWALK}};
      auto word = kWords->find(upper);
      if (word != kWords->end()) {
        dataset = word->second;
      } else if (!v1::Dataset_Parse(upper, &dataset) &&
                 !v1::Dataset_Parse("DATASET_" + upper, &dataset)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter dataset=", value,
            ": expected shortages, vacancies, flows or crosswalk (or DATASET_FLOW and so on)"));
      }
      options.dataset = dataset;
    } else if (name == "source") {
      options.source = value;
    } else if (name == "partial" || name == "dry_run" || name == "dryRun") {
      bool b;
      if (!absl::SimpleAtob(value, &b)) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter ", name, "=", value, ": expected true or false"));
      }
      (name == "partial" ? options.partial : options.dry_run) = b;
    } else if (name == "classification") {
      options.classification = value;
    } else if (name == "target") {
      options.target = value;
    } else if (name == "release_at" || name == "releaseAt") {
      if (value.empty()) continue;
      absl::Time at;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, value, &at, &error)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter ", name, "=", value, ": expected an RFC 3339 time such as "
            "2026-03-01T09:00:00Z"));
      }
      options.release_at = at;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter ", name, ": a publish takes dataset, source, partial, dry_run, "
          "classification, target and release_at"));
    }
  }
  if (options.dataset == v1::DATASET_UNSPECIFIED) {
    return absl::InvalidArgumentError("parameter dataset is required (DATASET_FLOW, say)");
  }
  return options;
}

// The file's bytes are the body. They pass through a bounded pipe to the
// same CsvReader and NodeClient::Publish as `lmx publish`, on a thread of
// their own: memory holds a few pieces, never the file. A body that ends
// early makes the reader fail, so the stream is never marked complete and
// the node writes nothing.
HttpServer::Answer Publish(const ApiOptions& api, const HttpServer::Request& request) {
  absl::StatusOr<PublishOptions> options = PublishOptionsOf(request);
  if (!options.ok()) return ErrorAnswer(options.status());
  // A body without a length or chunked framing ends when the connection
  // closes, and a client that dies closes it too: such a body cannot be
  // told from a whole one, so it is refused.
  const bool chunked =
      absl::StrContains(request.Header("transfer-encoding").value_or(""), "chunked");
  if (!request.Header("content-length") && !chunked) {
    return HttpServer::Answer{
        411, kJson,
        ErrorJson(absl::FailedPreconditionError(
            "a publish needs a Content-Length (or chunked transfer encoding), so that a "
            "cut-off upload is told from a whole file; nothing was written"))};
  }
  absl::StatusOr<std::unique_ptr<NodeClient>> made = ClientFor(api, request);
  if (!made.ok()) return ErrorAnswer(made.status());
  std::unique_ptr<NodeClient> client = std::move(*made);
  Pipe body(64);
  absl::StatusOr<v1::PublishResponse> result;
  std::thread publisher([&] {
    std::string piece;
    size_t offset = 0;
    auto reader = CsvReader::FromSource(
        [&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
          while (offset == piece.size()) {
            offset = 0;
            piece.clear();
            if (!body.Pop(&piece)) {
              RETURN_IF_ERROR(body.status());
              return 0;
            }
          }
          size_t n = std::min(capacity, piece.size() - offset);
          std::memcpy(buffer, piece.data() + offset, n);
          offset += n;
          return n;
        },
        request.content_length);
    result = client->Publish(*reader, *options);
    body.Close();  // a publish that ended early reads no more
  });
  uint64_t received = 0;
  const bool whole = request.read_body([&](absl::string_view part) {
    received += part.size();
    return body.Push(std::string(part));
  });
  body.Finish(whole ? absl::OkStatus()
                    : absl::DataLossError(absl::StrCat(
                          "the upload ended after ", received, " of ",
                          request.content_length == 0 ? std::string("?")
                                                      : absl::StrCat(request.content_length),
                          " bytes; nothing was written")));
  publisher.join();
  if (!result.ok()) return ErrorAnswer(result.status());
  if (result->rejected_batch()) {
    // As over gRPC: INVALID_ARGUMENT with the field violations, and here
    // the whole answer (every row error) beside them.
    google::rpc::BadRequest bad_request;
    for (const auto& error : result->errors()) {
      auto* violation = bad_request.add_field_violations();
      violation->set_field(absl::StrCat(options->source, ":", error.line(), ": ", error.column()));
      violation->set_description(error.reason());
      if (bad_request.field_violations_size() >= 20) break;
    }
    absl::Status refused = absl::InvalidArgumentError(absl::StrCat(
        options->source, ": ", result->rejected(), " rows rejected; nothing was written"));
    return HttpServer::Answer{400, kJson, ErrorJson(refused, {&bad_request, &*result})};
  }
  return HttpServer::Answer{200, kJson, ToJson(*result) + "\n"};
}

// "127.0.0.1:8081", "[::1]:8081", "localhost:8081": a name that cannot be
// made to point elsewhere.
bool LoopbackHost(absl::string_view host) {
  absl::string_view name = host;
  if (absl::ConsumePrefix(&name, "[")) {
    name = name.substr(0, name.find(']'));
    return name == "::1";
  }
  name = name.substr(0, name.find(':'));
  return name == "localhost" || absl::StartsWith(name, "127.");
}

// A browser names the page that makes a request in its Origin header. Only
// the node's own pages (the web application) may call it from a browser: a
// page of another site could otherwise publish to an open node on loopback,
// or read from it. Programs (curl, R, Python) send no Origin.
absl::Status SameOrigin(const ApiOptions& api, const HttpServer::Request& request) {
  std::optional<std::string> origin = request.Header("origin");
  if (!origin) return absl::OkStatus();
  std::optional<std::string> host = request.Header("host");
  if (api.open && api.open() && !LoopbackHost(host.value_or(""))) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this node is open (loopback, no tokens), so a browser may call it only at a loopback "
        "address or localhost, not as '", host.value_or(""), "'"));
  }
  if (host && (*origin == absl::StrCat("http://", *host) ||
               *origin == absl::StrCat("https://", *host))) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "a page of ", *origin, " may not call this node's API; only the node's own pages may"));
}

std::string Index() {
  std::string json = "{\"methods\": [";
  bool first = true;
  auto add = [&](const std::string& path, const std::string& request, const std::string& response,
                 bool streaming, const std::string& body) {
    absl::StrAppend(&json, first ? "\n" : ",\n", "  {\"path\": \"/api/v1/", path,
                    "\", \"request\": \"", request, "\", \"response\": \"", response,
                    "\", \"streaming\": ", streaming ? "true" : "false", ", \"body\": \"", body,
                    "\"}");
    first = false;
  };
  for (const auto& [path, method] : Methods()) {
    add(path, method.request->full_name(), method.response->full_name(), method.streaming,
        method.changes ? "JSON (POST)" : "JSON (POST) or query parameters (GET)");
  }
  add("PublishService/Publish", "lmx.v1.PublishHeader (query parameters)",
      "lmx.v1.PublishResponse", false, "the CSV file (POST)");
  return json + "\n]}\n";
}

}  // namespace

void ServeApi(HttpServer* http, ApiOptions options) {
  auto shared = std::make_shared<ApiOptions>(std::move(options));
  http->Get("/api/v1/?", [](const HttpServer::Request&) {
    return HttpServer::Answer{200, kJson, Index()};
  });
  auto route = [shared](const HttpServer::Request& request) -> HttpServer::Answer {
    const std::string& path = request.matches.at(0);
    if (absl::Status same = SameOrigin(*shared, request); !same.ok()) return ErrorAnswer(same);
    if (path == "PublishService/Publish") {
      if (request.method != "POST") {
        return ErrorAnswer(absl::InvalidArgumentError(
            "a publish is a POST whose body is the CSV file"));
      }
      return Publish(*shared, request);
    }
    auto method = Methods().find(path);
    if (method == Methods().end()) {
      return ErrorAnswer(absl::NotFoundError(
          absl::StrCat("/api/v1/", path, " is no method; GET /api/v1 lists them")));
    }
    if (method->second.changes && request.method != "POST") {
      return ErrorAnswer(absl::InvalidArgumentError(
          absl::StrCat("/api/v1/", path, " changes the node: call it with POST")));
    }
    return Call(*shared, method->second, request);
  };
  http->Get("/api/v1/(.+)", route);
  http->Post("/api/v1/(.+)", route);
}

}  // namespace lmx
