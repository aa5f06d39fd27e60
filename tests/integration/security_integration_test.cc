// The attack table of docs/security.md, against real lmx-node processes:
// a region of KEN and UGA made by `lmx region init --tls` (a CA and member
// certificates made at run time with OpenSSL), tokens made by `lmx admin
// token create`, and callers that bypass the `lmx` client to send what a
// hostile program would. Each refusal is checked for its status code, for
// nothing written, and for the node serving on.
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lmx/v1/admin.grpc.pb.h"
#include "lmx/v1/federation.grpc.pb.h"
#include "lmx/v1/publish.grpc.pb.h"
#include "lmx/v1/query.grpc.pb.h"
#include "tests/support/node_process.h"
#include "tests/support/tcp_proxy.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kShortages[] =
    "ref_area,period,occupation,status\n"
    "KEN,2025-Q1,2221,SHORTAGE\n"
    "KEN,2025-Q1,7115,SURPLUS\n";

// Who calls: a token, a client certificate, or neither.
struct Caller {
  Caller() = default;
  Caller(std::string t, std::string c = "") : token(std::move(t)), cert_dir(std::move(c)) {}
  std::string token;
  std::string cert_dir;  // a member's data dir holding tls.pem and tls.key
};

class SecureRegionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("secure");
    CliResult init = RunLmx({"region", "init", "--dir=" + dir_, "--countries=KEN,UGA", "--tls"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    for (const char* role : {"admin", "publisher", "reader", "analyst"}) {
      CliResult made = RunLmx({"admin", "token", "create", "--config=" + dir_ + "/KEN/config.json",
                               absl::StrCat("--name=ken-", role), absl::StrCat("--role=", role)});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      tokens_[role] = std::string(absl::StripAsciiWhitespace(made.out));
    }
    ca_ = ReadFile(dir_ + "/ca.pem");
    // Each node pulls from the other through a proxy, so both can start on
    // ports chosen at run time.
    ken_to_uga_ = std::make_unique<TcpProxy>();
    uga_to_ken_ = std::make_unique<TcpProxy>();
    ken_ = Start("KEN", "--peers=UGA=" + ken_to_uga_->address());
    uga_ = Start("UGA", "--peers=KEN=" + uga_to_ken_->address());
    ken_to_uga_->SetTarget(uga_->address());
    uga_to_ken_->SetTarget(ken_->address());
  }

  void TearDown() override {
    ken_.reset();
    uga_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<NodeProcess> Start(const std::string& id, const std::string& peers,
                                     std::vector<std::string> environment = {}) {
    auto node = std::make_unique<NodeProcess>(id, dir_ + "/" + id);
    std::string error;
    EXPECT_TRUE(node->Start(&error, {"--region=" + dir_ + "/region.json", peers}, environment))
        << error;
    return node;
  }

  std::shared_ptr<grpc::Channel> Channel(const NodeProcess& node, const Caller& caller,
                                         const std::string& ca) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ca;
    if (!caller.cert_dir.empty()) {
      options.pem_cert_chain = ReadFile(caller.cert_dir + "/tls.pem");
      options.pem_private_key = ReadFile(caller.cert_dir + "/tls.key");
    }
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    return grpc::CreateCustomChannel(node.address(), grpc::SslCredentials(options), args);
  }

  void Prepare(grpc::ClientContext* context, const Caller& caller) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!caller.token.empty()) context->AddMetadata("authorization", "Bearer " + caller.token);
  }

  // A publish as any program could send it: the header, then `rows`, then
  // the end message unless `end` is false.
  grpc::Status Publish(const Caller& caller, const v1::PublishHeader& header,
                       const std::vector<v1::Row>& rows, v1::PublishResponse* summary = nullptr,
                       bool end = true) {
    auto stub = v1::PublishService::NewStub(Channel(*ken_, caller, ca_));
    grpc::ClientContext context;
    Prepare(&context, caller);
    auto stream = stub->Publish(&context);
    v1::PublishRequest request;
    *request.mutable_header() = header;
    stream->Write(request);
    request.Clear();
    for (const auto& row : rows) *request.mutable_rows()->add_rows() = row;
    if (!rows.empty()) stream->Write(request);
    if (end) {
      request.Clear();
      request.mutable_end()->set_rows(rows.size());
      stream->Write(request);
    }
    stream->WritesDone();
    v1::PublishResponse response;
    while (stream->Read(&response)) {
      if (summary != nullptr) summary->MergeFrom(response);
    }
    return stream->Finish();
  }

  static v1::PublishHeader ShortageHeader(const std::string& source = "hostile.csv") {
    v1::PublishHeader header;
    header.set_dataset(v1::DATASET_SHORTAGE);
    header.set_source(source);
    for (const char* column : {"ref_area", "period", "occupation", "status"}) {
      header.add_columns(column);
    }
    return header;
  }

  static v1::Row ShortageRow(uint64_t line, const std::string& ref_area,
                             const std::string& occupation = "2221") {
    v1::Row row;
    row.set_line(line);
    for (const std::string& field :
         {ref_area, std::string("2025-Q1"), occupation, std::string("SHORTAGE")}) {
      row.add_fields(field);
    }
    return row;
  }

  grpc::Status QueryStatus(const Caller& caller, v1::Dataset dataset, int* rows = nullptr) {
    auto stub = v1::QueryService::NewStub(Channel(*ken_, caller, ca_));
    grpc::ClientContext context;
    Prepare(&context, caller);
    v1::QueryRequest request;
    request.set_dataset(dataset);
    auto reader = stub->Query(&context, request);
    v1::QueryResponse response;
    int n = 0;
    while (reader->Read(&response)) n += response.observations_size();
    if (rows != nullptr) *rows = n;
    return reader->Finish();
  }

  // Shortage rows KEN holds, read by its admin.
  int Stored() {
    int rows = -1;
    grpc::Status status = QueryStatus({tokens_["admin"]}, v1::DATASET_SHORTAGE, &rows);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return rows;
  }

  CliResult Lmx(std::vector<std::string> args) {
    args.insert(args.begin(), {"--node=" + ken_->address(), "--tls_ca=" + dir_ + "/ca.pem"});
    return RunLmx(args);
  }

  std::string dir_;
  std::string ca_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<TcpProxy> ken_to_uga_;
  std::unique_ptr<TcpProxy> uga_to_ken_;
  std::unique_ptr<NodeProcess> ken_;
  std::unique_ptr<NodeProcess> uga_;
};

TEST_F(SecureRegionTest, NoTokenAndAWrongTokenAreUnauthenticatedAndWriteNothing) {
  v1::PublishHeader header = ShortageHeader();
  std::vector<v1::Row> rows = {ShortageRow(2, "KEN")};
  grpc::Status none = Publish({}, header, rows);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << none.error_message();
  grpc::Status wrong = Publish({"lmx_00000000_0123456789abcdef"}, header, rows);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong.error_message();
  // A real token's id with a wrong secret is no better.
  std::string forged = tokens_["publisher"];
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(Publish({forged}, header, rows).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(QueryStatus({}, v1::DATASET_SHORTAGE).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Stored(), 0);

  // Through the CLI: exit 1 and a clear reason.
  WriteFile(dir_ + "/s.csv", kShortages);
  CliResult cli = Lmx({"publish", "shortages", dir_ + "/s.csv"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("needs credentials"));
  EXPECT_EQ(Stored(), 0);
  // The node serves on, and the right token publishes.
  cli = Lmx({"--token=" + tokens_["publisher"], "publish", "shortages", dir_ + "/s.csv"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(Stored(), 2);
}

TEST_F(SecureRegionTest, AReaderCannotPublishOrReadFlowsAndAnAnalystCan) {
  Caller reader{tokens_["reader"]};
  grpc::Status published = Publish(reader, ShortageHeader(), {ShortageRow(2, "KEN")});
  EXPECT_EQ(published.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(published.error_message(), HasSubstr("needs publisher,admin"));
  EXPECT_EQ(Stored(), 0);
  EXPECT_EQ(QueryStatus(reader, v1::DATASET_FLOW).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(QueryStatus(reader, v1::DATASET_VACANCY).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  CliResult aggregate = Lmx({"--token=" + reader.token, "aggregate", "flows", "--by=occupation:1"});
  EXPECT_EQ(aggregate.exit_code, 1);
  EXPECT_THAT(aggregate.err, HasSubstr("QueryService.Aggregate (flows) needs"));
  // What a reader may see, it sees.
  EXPECT_TRUE(QueryStatus(reader, v1::DATASET_SHORTAGE).ok());
  EXPECT_EQ(Lmx({"--token=" + reader.token, "aggregate", "vacancies", "--by=country"}).exit_code,
            0);
  EXPECT_TRUE(QueryStatus({tokens_["analyst"]}, v1::DATASET_FLOW).ok());
  // An analyst does not write either.
  EXPECT_EQ(Publish({tokens_["analyst"]}, ShortageHeader(), {ShortageRow(2, "KEN")}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecureRegionTest, APublisherAtKenCannotWriteUgandasData) {
  v1::PublishResponse summary;
  grpc::Status status = Publish({tokens_["publisher"]}, ShortageHeader(),
                                {ShortageRow(2, "KEN"), ShortageRow(3, "UGA", "7115")}, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "hostile.csv:3: ref_area");
  EXPECT_EQ(Stored(), 0);  // the KEN row of the same batch is not written either
}

TEST_F(SecureRegionTest, OnlyRegionMembersPullAndAPeerNeverPublishes) {
  // A certificate from another CA: the TLS handshake fails, nothing is
  // called.
  std::string outside = dir_ + "/outside";
  ASSERT_EQ(RunLmx({"region", "init", "--dir=" + outside, "--countries=UGA", "--tls"}).exit_code,
            0);
  {
    auto stub = v1::Federation::NewStub(Channel(*ken_, {"", outside + "/UGA"}, ca_));
    grpc::ClientContext context;
    Prepare(&context, {});
    v1::PullRequest request;
    request.set_node("UGA");
    auto reader = stub->Pull(&context, request);
    v1::PullResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  // A certificate of the region's CA for a country outside the region.
  std::string stranger = dir_ + "/stranger";
  std::filesystem::create_directories(stranger);
  std::filesystem::copy(dir_ + "/ca.pem", stranger + "/ca.pem");
  std::filesystem::copy(dir_ + "/ca.key", stranger + "/ca.key");
  ASSERT_EQ(RunLmx({"region", "init", "--dir=" + stranger, "--countries=BDI", "--tls"}).exit_code,
            0);
  auto pull = [&](const Caller& caller) {
    auto stub = v1::Federation::NewStub(Channel(*ken_, caller, ca_));
    grpc::ClientContext context;
    Prepare(&context, caller);
    auto reader = stub->Pull(&context, v1::PullRequest());
    v1::PullResponse response;
    if (reader->Read(&response)) {
      context.TryCancel();
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  };
  grpc::Status bdi = pull({"", stranger + "/BDI"});
  EXPECT_EQ(bdi.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(bdi.error_message(), HasSubstr("not a member of the region"));
  // Tokens are for people: even an admin does not pull.
  EXPECT_EQ(pull({tokens_["admin"]}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // UGA's own certificate pulls, and publishes nothing.
  EXPECT_TRUE(pull({"", dir_ + "/UGA"}).ok());
  grpc::Status published = Publish({"", dir_ + "/UGA"}, ShortageHeader(), {ShortageRow(2, "KEN")});
  EXPECT_EQ(published.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Stored(), 0);

  // The real link between KEN and UGA still carries data.
  WriteFile(dir_ + "/s.csv", kShortages);
  ASSERT_EQ(
      Lmx({"--token=" + tokens_["publisher"], "publish", "shortages", dir_ + "/s.csv"}).exit_code,
      0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::chrono::steady_clock::now() < deadline) {
    rows = CsvAnswer(RunLmx({"--node=" + uga_->address(), "--tls_ca=" + dir_ + "/ca.pem", "query",
                             "shortages", "--format=csv"})
                         .out);
    if (rows.size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
  }
  EXPECT_EQ(rows.size(), 2u);
}

TEST_F(SecureRegionTest, OversizedAndMalformedMessagesAreRefusedAndTheNodeServesOn) {
  Caller publisher{tokens_["publisher"]};
  // One message over the node's 4 MiB limit.
  v1::Row huge = ShortageRow(2, "KEN");
  huge.set_fields(2, std::string(5 << 20, '1'));
  grpc::Status oversized = Publish(publisher, ShortageHeader(), {huge});
  EXPECT_EQ(oversized.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << oversized.error_message();
  // Bytes that are no protobuf, to a unary and to a streaming method.
  for (const char* method : {"/lmx.v1.QueryService/Describe", "/lmx.v1.QueryService/Query"}) {
    grpc::ClientContext context;
    Prepare(&context, publisher);
    grpc::Status status = CallRaw(Channel(*ken_, {}, ca_), &context, method,
                                  std::string("\xff\xff\xff\xff\x0f not a protobuf", 21));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL)
        << method << ": " << status.error_message();
  }
  // A stream cut short, or with a message the node cannot read, writes
  // nothing of what came before.
  grpc::Status unended =
      Publish(publisher, ShortageHeader(), {ShortageRow(2, "KEN")}, nullptr, false);
  EXPECT_EQ(unended.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unended.error_message(), HasSubstr("without its end message"));
  {
    grpc::GenericStub raw(Channel(*ken_, {}, ca_));
    grpc::ClientContext context;
    Prepare(&context, publisher);
    grpc::CompletionQueue queue;
    auto call = raw.PrepareCall(&context, "/lmx.v1.PublishService/Publish", &queue);
    void* tag;
    bool ok;
    call->StartCall(reinterpret_cast<void*>(1));
    queue.Next(&tag, &ok);
    std::vector<std::string> messages;
    v1::PublishRequest request;
    *request.mutable_header() = ShortageHeader();
    messages.push_back(request.SerializeAsString());
    request.Clear();
    *request.mutable_rows()->add_rows() = ShortageRow(2, "KEN");
    messages.push_back(request.SerializeAsString());
    messages.push_back(std::string("\x12\xff\xff\xff\x7f", 5));  // a length past the end
    for (const auto& bytes : messages) {
      grpc::Slice slice(bytes);
      grpc::ByteBuffer buffer(&slice, 1);
      call->Write(buffer, reinterpret_cast<void*>(2));
      queue.Next(&tag, &ok);
    }
    call->WritesDone(reinterpret_cast<void*>(3));
    queue.Next(&tag, &ok);
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(4));
    while (queue.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
    }
    EXPECT_FALSE(status.ok());
    queue.Shutdown();
    while (queue.Next(&tag, &ok)) {
    }
  }
  EXPECT_EQ(Stored(), 0);
  EXPECT_TRUE(QueryStatus({tokens_["reader"]}, v1::DATASET_SHORTAGE).ok());
}

TEST_F(SecureRegionTest, CsvBombsAreRefusedWithFileLineAndFieldAndWriteNothing) {
  std::string token = "--token=" + tokens_["publisher"];
  // A 2 MB field.
  std::string path = dir_ + "/huge-field.csv";
  WriteFile(path, absl::StrCat("ref_area,period,occupation,status\nKEN,2025-Q1,",
                               std::string(2 << 20, '2'), ",SHORTAGE\n"));
  CliResult result = Lmx({token, "publish", "shortages", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(path + ":2:"));
  EXPECT_THAT(result.err, HasSubstr("longer than"));
  // Two million columns.
  path = dir_ + "/columns.csv";
  std::string wide = "ref_area,period,occupation,status";
  for (int i = 0; i < 2000000; ++i) wide += ",x";
  WriteFile(path, wide + "\nKEN,2025-Q1,2221,SHORTAGE\n");
  result = Lmx({token, "publish", "shortages", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(path + ":1: header"));
  // Invalid UTF-8 in a row.
  path = dir_ + "/latin1.csv";
  WriteFile(path,
            "ref_area,period,occupation,status\nKEN,2025-Q1,2221,SHORTAGE\n"
            "KEN,2025-Q1,7115,SURPLUS\xe9\n");
  result = Lmx({token, "publish", "shortages", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(path + ":3:"));
  EXPECT_THAT(result.err, HasSubstr("not valid UTF-8"));
  EXPECT_EQ(Stored(), 0);

  // The same bombs sent past the client: the node checks for itself.
  Caller publisher{tokens_["publisher"]};
  v1::Row long_field = ShortageRow(2, "KEN");
  long_field.set_fields(2, std::string(100000, '2'));
  v1::Row bad_utf8 = ShortageRow(3, "KEN");
  bad_utf8.set_fields(3, "SHORTAGE\xc3\x28");
  grpc::Status status = Publish(publisher, ShortageHeader(), {long_field, bad_utf8});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("2 rows rejected; nothing was written"));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "hostile.csv:2: occupation");
  EXPECT_THAT(bad_request.field_violations(0).description(), HasSubstr("longer than 32768"));
  EXPECT_EQ(bad_request.field_violations(1).field(), "hostile.csv:3: status");
  EXPECT_EQ(bad_request.field_violations(1).description(), "is not valid UTF-8");
  // A crosswalk import checks its fields the same way.
  v1::PublishHeader crosswalk;
  crosswalk.set_dataset(v1::DATASET_CROSSWALK);
  crosswalk.set_source("soc.csv");
  crosswalk.set_classification("SOC2010");
  crosswalk.add_columns("source");
  crosswalk.add_columns("target");
  v1::Row pair;
  pair.set_line(2);
  pair.add_fields("29-1141\xff");
  pair.add_fields("2221");
  status = Publish(publisher, crosswalk, {pair});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "soc.csv:2: source");
  EXPECT_EQ(bad_request.field_violations(0).description(), "is not valid UTF-8");
  v1::PublishHeader wide_header = ShortageHeader();
  for (int i = 0; i < 100000; ++i) wide_header.add_columns("x");
  status = Publish(publisher, wide_header, {ShortageRow(2, "KEN")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Stored(), 0);
}

TEST_F(SecureRegionTest, TheAuditLogRecordsPublishesTokenChangesAndRefusalsAndKeepsNoSecret) {
  std::string admin = "--token=" + tokens_["admin"];
  WriteFile(dir_ + "/s.csv", kShortages);
  ASSERT_EQ(
      Lmx({"--token=" + tokens_["publisher"], "publish", "shortages", dir_ + "/s.csv"}).exit_code,
      0);
  EXPECT_EQ(Lmx({"--token=" + tokens_["reader"], "query", "flows"}).exit_code, 1);
  // A token made and revoked through the running node.
  CliResult made = Lmx({admin, "admin", "token", "create", "--name=temp", "--role=reader"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string temp = std::string(absl::StripAsciiWhitespace(made.out));
  EXPECT_EQ(Lmx({"--token=" + temp, "query", "shortages"}).exit_code, 0);
  EXPECT_EQ(Lmx({admin, "admin", "token", "revoke", "temp"}).exit_code, 0);
  CliResult revoked = Lmx({"--token=" + temp, "query", "shortages"});
  EXPECT_EQ(revoked.exit_code, 1);
  EXPECT_THAT(revoked.err, HasSubstr("not valid"));
  // A whole token pasted into revoke works, and is not repeated anywhere.
  made = Lmx({admin, "admin", "token", "create", "--name=pasted", "--role=analyst"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string pasted = std::string(absl::StripAsciiWhitespace(made.out));
  CliResult revoke = Lmx({admin, "admin", "token", "revoke", pasted});
  EXPECT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_THAT(revoke.out, HasSubstr("(pasted)"));
  EXPECT_EQ(Lmx({"--token=" + pasted, "query", "flows"}).exit_code, 1);
  // The last admin token stays: revoking it would lock the admins out.
  CliResult last = Lmx({admin, "admin", "token", "revoke", "ken-admin"});
  EXPECT_EQ(last.exit_code, 1);
  EXPECT_THAT(last.err, HasSubstr("last admin token"));
  EXPECT_EQ(Lmx({admin, "admin", "token", "list"}).exit_code, 0);
  // Non-admins do not read the audit log.
  EXPECT_EQ(Lmx({"--token=" + tokens_["analyst"], "admin", "audit"}).exit_code, 1);

  CliResult audit = Lmx({admin, "admin", "audit", "--format=csv"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  std::vector<std::string> actions;
  for (auto& row : CsvAnswer(audit.out)) {
    actions.push_back(
        absl::StrCat(row["action"], "|", row["outcome"], "|", row["principal"], "|", row["rows"]));
  }
  EXPECT_THAT(actions, ::testing::IsSupersetOf({
                           HasSubstr("publish shortages|OK|"),
                           HasSubstr("access refused|PERMISSION_DENIED|"),
                           HasSubstr("token create|OK|"),
                           HasSubstr("token revoke|OK|"),
                           HasSubstr("access refused|UNAUTHENTICATED|unknown token"),
                       }));
  EXPECT_THAT(audit.out, HasSubstr("(ken-publisher)"));
  EXPECT_THAT(audit.out, HasSubstr("s.csv"));
  // Never replicated: UGA's log knows nothing of KEN's callers.
  CliResult uga = RunLmx({"--node=" + uga_->address(), "--tls_ca=" + dir_ + "/ca.pem", "admin",
                          "audit", "--format=csv"});
  ASSERT_EQ(uga.exit_code, 0) << uga.err;
  EXPECT_THAT(uga.out, Not(HasSubstr("ken-publisher")));
  // No secret in the logs, the audit or the config file.
  std::string config = ReadFile(dir_ + "/KEN/config.json");
  for (const std::string& secret : {tokens_["admin"], tokens_["publisher"], temp, pasted}) {
    EXPECT_THAT(ken_->log(), Not(HasSubstr(secret)));
    EXPECT_THAT(audit.out, Not(HasSubstr(secret)));
    EXPECT_THAT(config, Not(HasSubstr(secret)));
  }
}

// Limits of one node, set low to be reached quickly.
TEST(NodeLimitsTest, BatchesOverTheRowLimitAndStalledStreamsAreCutAndWriteNothing) {
  std::string dir = MakeTempDir("limits");
  NodeProcess node("KEN", dir + "/KEN");
  std::string error;
  ASSERT_TRUE(node.Start(&error, {"--max_batch_rows=100", "--max_stream_duration=2s"})) << error;
  std::string rows = "ref_area,period,occupation,status\n";
  for (int month = 1; month <= 12; ++month) {
    for (const char* occupation :
         {"2221", "2211", "3221", "5120", "6111", "7115", "8322", "9312", "1120", "4110"}) {
      absl::StrAppend(&rows, "KEN,2025-", month < 10 ? "0" : "", month, ",", occupation,
                      ",SHORTAGE\n");
    }
  }
  WriteFile(dir + "/many.csv", rows);
  CliResult result =
      RunLmx({"--node=" + node.address(), "publish", "shortages", dir + "/many.csv"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("more than 100 rows in one batch"));

  // A client that sends its header and then nothing.
  auto channel = grpc::CreateChannel(node.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::PublishService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Publish(&context);
  v1::PublishRequest request;
  request.mutable_header()->set_dataset(v1::DATASET_SHORTAGE);
  for (const char* column : {"ref_area", "period", "occupation", "status"}) {
    request.mutable_header()->add_columns(column);
  }
  stream->Write(request);
  v1::PublishResponse response;
  while (stream->Read(&response)) {
  }
  grpc::Status stalled = stream->Finish();
  EXPECT_FALSE(stalled.ok());
  CliResult audit = RunLmx({"--node=" + node.address(), "admin", "audit", "--format=csv"});
  EXPECT_THAT(audit.out, HasSubstr("RESOURCE_EXHAUSTED"));
  EXPECT_THAT(audit.out, HasSubstr("DEADLINE_EXCEEDED"));
  CliResult stored = RunLmx({"--node=" + node.address(), "query", "shortages", "--format=csv"});
  EXPECT_EQ(stored.exit_code, 0);
  EXPECT_TRUE(CsvAnswer(stored.out).empty());
  node.Stop(SIGTERM);
  std::filesystem::remove_all(dir);
}

TEST(SecureDefaultsTest, BeyondLoopbackTheNodeNeedsCredentialsAndTlsOrSaysItIsInsecure) {
  std::string dir = MakeTempDir("defaults");
  // No credentials at all: loopback only, even with --insecure.
  CliResult result = RunProgram(LMX_NODE_BINARY, {"--country=KEN", "--data_dir=" + dir + "/KEN",
                                                  "--listen=0.0.0.0:0", "--insecure"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("serves loopback only"));
  // A token but no TLS: refused without --insecure ...
  ASSERT_EQ(RunLmx({"admin", "token", "create", "--config=" + dir + "/KEN/config.json",
                    "--name=ops", "--role=admin"})
                .exit_code,
            0);
  result = RunProgram(LMX_NODE_BINARY,
                      {"--country=KEN", "--data_dir=" + dir + "/KEN", "--listen=0.0.0.0:0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("needs TLS"));
  // ... and served with a warning with it.
  NodeProcess node("KEN", dir + "/KEN");
  std::string error;
  ASSERT_TRUE(node.Start(&error, {"--listen=0.0.0.0:0", "--insecure"})) << error;
  EXPECT_THAT(node.log(), HasSubstr("WARNING"));
  EXPECT_THAT(node.log(), HasSubstr("1 tokens in"));
  node.Stop(SIGTERM);
  // Loopback without credentials says what it is.
  NodeProcess open("UGA", dir + "/UGA");
  ASSERT_TRUE(open.Start(&error)) << error;
  EXPECT_THAT(open.log(), HasSubstr("no credentials configured: loopback only"));
  open.Stop(SIGTERM);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lmx::testing
