// The HTTP/JSON API (node/http/api.h, docs/api.md) of real nodes, called as
// a browser or a script calls it, with Debian's cpp-httplib client: its
// figures equal the CLI's, a CSV body publishes (streamed) all or nothing,
// and tokens and roles are those of gRPC, refusals audited.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lmx/v1/publish.pb.h"
#include "grpcpp/grpcpp.h"
#include "lmx/v1/query.grpc.pb.h"
#include "tests/support/flow_files.h"
#include "tests/support/region_test_base.h"
#include "tests/support/wait.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ApiTest : public RegionTestBase {
 protected:
  void SetUp() override {
    RegionTestBase::SetUp();
    Start("UGA", {});
    StartWithHttp("KEN", {"--peers=UGA=" + nodes_["UGA"]->address()});
  }

  void StartWithHttp(const std::string& id, std::vector<std::string> flags) {
    const std::string ready = dir_ + "/" + id + ".http";
    flags.push_back("--http_listen=127.0.0.1:0");
    flags.push_back("--http_ready_file=" + ready);
    Start(id, flags);
    http_ = std::string(absl::StripTrailingAsciiWhitespace(ReadFile(ready)));
  }

  httplib::Client Client() {
    std::vector<std::string> parts = absl::StrSplit(http_, ':');
    httplib::Client client(parts[0], std::stoi(parts[1]));
    client.set_read_timeout(60, 0);
    return client;
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type = "application/json",
                       const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return Client().Post(path.c_str(), headers, body, type.c_str());
  }

  // The merged messages of a streamed answer (a JSON array).
  static v1::AggregateResponse Aggregated(const std::string& json) {
    v1::AggregateResponse merged;
    std::string body(absl::StripAsciiWhitespace(json));
    EXPECT_TRUE(absl::StartsWith(body, "[") && absl::EndsWith(body, "]")) << body;
    // One message a line: ",\n" apart.
    for (absl::string_view line : absl::StrSplit(body.substr(1, body.size() - 2), ",\n")) {
      v1::AggregateResponse part;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &part).ok())
          << line;
      merged.MergeFrom(part);
    }
    return merged;
  }

  // `lmx aggregate flows --by=occupation:1 --format=csv` as occupation ->
  // count.
  std::map<std::string, std::string> CliSums(const std::string& id) {
    CliResult cli = Lmx(id, {"aggregate", "flows", "--by=occupation:1", "--format=csv"});
    EXPECT_EQ(cli.exit_code, 0) << cli.err;
    std::map<std::string, std::string> sums;
    for (auto& row : CsvAnswer(cli.out)) sums[row["occupation"]] = row["count"];
    return sums;
  }

  std::map<std::string, std::string> ApiSums() {
    auto answer = Post("/api/v1/QueryService/Aggregate",
                       R"({"dataset": "DATASET_FLOW", "by": [{"dimension": "occupation", "level": 1}]})");
    EXPECT_TRUE(answer);
    if (!answer) return {};
    EXPECT_EQ(answer->status, 200) << answer->body;
    std::map<std::string, std::string> sums;
    const v1::AggregateResponse merged = Aggregated(answer->body);
    for (const auto& row : merged.rows()) {
      EXPECT_EQ(row.keys_size(), 1) << answer->body;
      EXPECT_EQ(row.measures_size(), 1) << answer->body;
      if (row.keys_size() != 1 || row.measures_size() != 1) continue;
      sums[row.keys(0)] = absl::StrCat(row.measures(0).integer());
    }
    return sums;
  }

  std::string http_;
};

TEST_F(ApiTest, ACsvBodyPublishesAndTheAnswersEqualTheCli) {
  Sums sums;
  const std::string file = FlowFile(1, 2400, &sums);
  auto published = Post("/api/v1/PublishService/Publish?dataset=flows&source=flows.csv", file,
                        "text/csv");
  ASSERT_TRUE(published);
  ASSERT_EQ(published->status, 200) << published->body;
  v1::PublishResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(published->body, &response).ok());
  EXPECT_TRUE(response.written());
  EXPECT_EQ(response.version(), 1u);
  EXPECT_EQ(response.accepted(), 2400u);

  const auto api = ApiSums();
  EXPECT_EQ(api, CliSums("KEN"));
  int64_t total = 0;
  for (const auto& [group, count] : sums) total += count;
  int64_t api_total = 0;
  for (const auto& [group, count] : api) api_total += std::stoll(count);
  EXPECT_EQ(api_total, total);

  // GET with query parameters, for a link or curl.
  auto shortages = Client().Get("/api/v1/QueryService/Describe");
  ASSERT_TRUE(shortages);
  EXPECT_EQ(shortages->status, 200);
  EXPECT_THAT(shortages->body, HasSubstr("\"country\":\"KEN\""));
}

TEST_F(ApiTest, BadRowsComeBackAsFieldViolationsAndNothingIsWritten) {
  Sums ignored;
  std::string file = FlowFile(2, 240, &ignored);
  file += "2024-01,OUTFLOW,UGA,not-a-number,2221,F,Y25T54,BILATERAL\n";
  file += "2024-01,SIDEWAYS,UGA,3,2221,F,Y25T54,BILATERAL\n";
  auto answer = Post("/api/v1/PublishService/Publish?dataset=flows&source=bad.csv", file,
                     "text/csv");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_THAT(answer->body, HasSubstr("\"status\":\"INVALID_ARGUMENT\""));
  EXPECT_THAT(answer->body, HasSubstr("google.rpc.BadRequest"));
  EXPECT_THAT(answer->body, HasSubstr("\"field\":\"bad.csv:242: count\""));
  EXPECT_THAT(answer->body, HasSubstr("\"field\":\"bad.csv:243: direction\""));
  EXPECT_THAT(answer->body, HasSubstr("nothing was written"));
  EXPECT_EQ(ApiSums(), (std::map<std::string, std::string>{}));
}

TEST_F(ApiTest, AnUploadCutShortWritesNothing) {
  Sums ignored;
  // The client says how long its body is and stops halfway.
  const std::string file = FlowFile(3, 24000, &ignored);
  std::vector<std::string> parts = absl::StrSplit(http_, ':');
  httplib::Client client(parts[0], std::stoi(parts[1]));
  client.set_read_timeout(20, 0);
  size_t sent = 0;
  auto answer = client.Post(
      "/api/v1/PublishService/Publish?dataset=flows&source=cut.csv", file.size(),
      [&](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset >= file.size() / 2) return false;  // the connection goes
        size_t n = std::min<size_t>(64 << 10, file.size() - offset);
        sink.write(file.data() + offset, n);
        sent += n;
        return true;
      },
      "text/csv");
  EXPECT_GT(sent, 0u);
  // Whatever the client heard, the node wrote nothing and serves on.
  EXPECT_EQ(ApiSums(), (std::map<std::string, std::string>{}));
  CliResult peers = Lmx("KEN", {"peers", "--format=csv"});
  for (auto& row : CsvAnswer(peers.out)) {
    if (row["origin"] == "KEN") EXPECT_EQ(row["version"], "0");
  }
}

// What a raw HTTP client gets back for `request` (which asks the node to
// close the connection after its answer).
std::string RawExchange(const std::string& address, const std::string& request) {
  std::vector<std::string> parts = absl::StrSplit(address, ':');
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(parts[1])));
  ::inet_pton(AF_INET, parts[0].c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
  ::close(fd);
  return answer;
}

TEST_F(ApiTest, AnUploadWithoutALengthIsRefusedAndAnythingButAsciiInATokenTooAndTheNodeServesOn) {
  // A body that ends when the connection does cannot be told from a whole
  // file.
  Sums ignored;
  const std::string file = FlowFile(5, 240, &ignored);
  // (Its body is left out: the node answers before reading one, and a
  // reset for unread bytes would eat the answer.)
  std::string answer = RawExchange(
      http_, "POST /api/v1/PublishService/Publish?dataset=flows HTTP/1.1\r\nHost: x\r\n"
             "Connection: close\r\n\r\n");
  EXPECT_THAT(answer, HasSubstr("411")) << answer;
  EXPECT_THAT(answer, HasSubstr("Content-Length"));
  // gRPC metadata takes printable ASCII only.
  answer = RawExchange(http_, "GET /api/v1/QueryService/Describe HTTP/1.1\r\nHost: x\r\n"
                              "Authorization: Bearer \x80\x01abc\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(answer, HasSubstr("401")) << answer;
  // The node serves on, and `vacancies` names its dataset as in `lmx publish`.
  auto vacancies = Post("/api/v1/PublishService/Publish?dataset=vacancies&dry_run=true",
                        "vacancy_id,posted,occupation,positions\n", "text/csv");
  ASSERT_TRUE(vacancies);
  EXPECT_THAT(vacancies->body, ::testing::Not(HasSubstr("expected shortages, vacancies")));
  EXPECT_EQ(ApiSums(), (std::map<std::string, std::string>{}));
}

TEST_F(ApiTest, ErrorsAreJsonWithTheCanonicalCode) {
  auto missing = Client().Get("/api/v1/QueryService/NoSuchMethod");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("\"status\":\"NOT_FOUND\""));

  auto broken = Post("/api/v1/QueryService/Aggregate", "{\"dataset\": ");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
  EXPECT_THAT(broken->body, HasSubstr("not a JSON lmx.v1.AggregateRequest"));

  auto bad_as_of = Client().Get("/api/v1/QueryService/Shortages?occupation=2221&as_of=tomorrow");
  ASSERT_TRUE(bad_as_of);
  EXPECT_EQ(bad_as_of->status, 400);
  EXPECT_THAT(bad_as_of->body, HasSubstr("as_of"));

  auto bad_parameter = Client().Get("/api/v1/QueryService/Shortages?occupation=2221&colour=red");
  ASSERT_TRUE(bad_parameter);
  EXPECT_EQ(bad_parameter->status, 400);
  EXPECT_THAT(bad_parameter->body, HasSubstr("has no field colour"));
}

// A page of another site cannot call the node from a browser: a POST with a
// foreign Origin writes nothing, even on an open node. The node's own pages
// (same Origin) and programs (no Origin) are served. A method that changes
// the node is POST only.
TEST_F(ApiTest, APageOfAnotherSiteIsRefusedAndAChangeNeedsAPost) {
  Sums ignored;
  const std::string file = FlowFile(2, 240, &ignored);
  const std::string publish = "/api/v1/PublishService/Publish?dataset=flows&source=f.csv";
  httplib::Headers foreign = {{"Origin", "http://evil.example"}};
  auto refused = Client().Post(publish.c_str(), foreign, file, "text/plain");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_THAT(refused->body, HasSubstr("http://evil.example may not call"));
  auto read = Client().Get("/api/v1/QueryService/Describe", foreign);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 403);
  EXPECT_TRUE(
      CsvAnswer(RunLmx({"--node=" + nodes_["KEN"]->address(), "query", "flows", "--format=csv"}).out)
          .empty());

  // A page of another site whose name was made to resolve to 127.0.0.1
  // sends its own name as Origin and Host: an open node answers browsers
  // only at loopback names.
  httplib::Headers rebound = {{"Origin", "http://evil.example:" + http_.substr(http_.rfind(':') + 1)},
                              {"Host", "evil.example:" + http_.substr(http_.rfind(':') + 1)}};
  auto rebinding = Client().Post(publish.c_str(), rebound, file, "text/csv");
  ASSERT_TRUE(rebinding);
  EXPECT_EQ(rebinding->status, 403);
  EXPECT_THAT(rebinding->body, HasSubstr("a loopback address or localhost"));

  httplib::Headers own = {{"Origin", "http://" + http_}};
  auto served = Client().Post(publish.c_str(), own, file, "text/csv");
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200) << served->body;

  // Query parameters add to a JSON body; the body does not wipe them.
  auto merged = Post("/api/v1/QueryService/Aggregate?filter.countries=UGA",
                     R"({"dataset": "DATASET_FLOW", "by": [{"dimension": "country"}]})");
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->status, 200) << merged->body;
  // UGA has published no flows; KEN's would show were the filter lost.
  EXPECT_THAT(merged->body, HasSubstr("\"rows\":[]"));

  auto cancel = Client().Get("/api/v1/AdminService/CancelRelease?id=1");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 400);
  EXPECT_THAT(cancel->body, HasSubstr("call it with POST"));
}

// The web application's files: the shell page for every page route, with
// its Content-Security-Policy; an asset revalidated with its ETag (304);
// gzip for a browser, never the slow brotli; nothing outside them.
TEST_F(ApiTest, TheWebAppsFilesCarryTheirPolicyRevalidateAndAreNeverBrotli) {
  for (const char* page : {"/", "/explore", "/occupation/2221", "/publish"}) {
    auto shell = Client().Get(page);
    ASSERT_TRUE(shell) << page;
    EXPECT_EQ(shell->status, 200) << page;
    EXPECT_THAT(shell->get_header_value("Content-Type"), HasSubstr("text/html"));
    EXPECT_THAT(shell->get_header_value("Content-Security-Policy"), HasSubstr("connect-src 'self'"));
    EXPECT_THAT(shell->body, HasSubstr("/web/app.js"));
  }
  auto script = Client().Get("/web/app.js", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_THAT(script->get_header_value("Content-Type"), HasSubstr("javascript"));
  EXPECT_EQ(script->get_header_value("Content-Encoding"), "gzip");
  const std::string tag = script->get_header_value("ETag");
  ASSERT_FALSE(tag.empty());
  auto again = Client().Get("/web/app.js", {{"If-None-Match", tag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto map = Client().Get("/web/countries-110m.json");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->status, 200);
  EXPECT_THAT(map->body, HasSubstr("\"Topology\""));
  for (const char* missing : {"/web/nothing.js", "/web/../node.cc", "/occupation/22210", "/find/x"}) {
    auto answer = Client().Get(missing);
    ASSERT_TRUE(answer) << missing;
    EXPECT_EQ(answer->status, 404) << missing;
  }
}

class SecureApiTest : public ApiTest {
 protected:
  void SetUp() override {
    RegionTestBase::SetUp();
    std::filesystem::create_directories(dir_ + "/KEN");
    for (const char* role : {"publisher", "reader", "analyst", "admin"}) {
      CliResult made = RunLmx({"admin", "token", "create", "--config=" + dir_ + "/KEN/config.json",
                               absl::StrCat("--name=ken-", role), absl::StrCat("--role=", role)});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      tokens_[role] = std::string(absl::StripAsciiWhitespace(made.out));
    }
    StartWithHttp("KEN", {});
  }
  std::map<std::string, std::string> tokens_;
};

TEST_F(SecureApiTest, TheRolesOfGrpcHoldAndRefusalsAreAudited) {
  Sums ignored;
  const std::string file = FlowFile(4, 240, &ignored);
  const std::string publish = "/api/v1/PublishService/Publish?dataset=flows&source=f.csv";
  auto anonymous = Post(publish, file, "text/csv");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  EXPECT_THAT(anonymous->body, HasSubstr("UNAUTHENTICATED"));

  auto reader_publish = Post(publish, file, "text/csv", tokens_["reader"]);
  ASSERT_TRUE(reader_publish);
  EXPECT_EQ(reader_publish->status, 403) << reader_publish->body;

  auto published = Post(publish, file, "text/csv", tokens_["publisher"]);
  ASSERT_TRUE(published);
  EXPECT_EQ(published->status, 200) << published->body;

  // A reader sees shortages, not flows, and is told why.
  const std::string flows =
      R"({"dataset": "DATASET_FLOW", "by": [{"dimension": "occupation", "level": 1}]})";
  auto refused = Post("/api/v1/QueryService/Aggregate", flows, "application/json",
                      tokens_["reader"]);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  EXPECT_THAT(refused->body, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(refused->body, HasSubstr("flows"));
  auto allowed = Post("/api/v1/QueryService/Aggregate", flows, "application/json",
                      tokens_["analyst"]);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200) << allowed->body;

  // The refusal is in the audit log, with the HTTP caller's address.
  CliResult audit = RunLmx({"--node=" + nodes_["KEN"]->address(), "--token=" + tokens_["admin"],
                            "admin", "audit", "--format=csv"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("http:127.0.0.1:"));
  EXPECT_THAT(audit.out, HasSubstr("PERMISSION_DENIED"));
  EXPECT_EQ(audit.out.find(tokens_["reader"]), std::string::npos) << "no secret in the audit";
}

TEST_F(SecureApiTest, ARemoteCallerCannotSayItIsAnHttpCaller) {
  // Only the node's own in-process calls may name an HTTP caller.
  auto channel = grpc::CreateChannel(nodes_["KEN"]->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::QueryService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + tokens_["reader"]);
  context.AddMetadata("lmx-on-behalf-of", "10.9.9.9:1");
  v1::AggregateRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  auto reader = stub->Aggregate(&context, request);
  v1::AggregateResponse response;
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  CliResult audit = RunLmx({"--node=" + nodes_["KEN"]->address(), "--token=" + tokens_["admin"],
                            "admin", "audit", "--format=csv"});
  EXPECT_THAT(audit.out, HasSubstr("ipv4:127.0.0.1:"));
  EXPECT_EQ(audit.out.find("10.9.9.9"), std::string::npos) << audit.out;
}

}  // namespace
}  // namespace lmx::testing
