// The node's HTTP endpoint (`--http_listen`), served by Debian's cpp-httplib
// on a small pool of its own threads. It answers GET requests on the paths
// it is given: /metrics (node/server/metrics.h), SDMX data (node/http/sdmx.h),
// the web application (node/http/web_assets.h), and POST requests of the
// HTTP/JSON API (node/http/api.h), whose bodies it streams.
//
//   HttpServer http;
//   http.Get("/metrics", [&](const HttpServer::Request&) {
//     return HttpServer::Answer{200, "text/plain", text()};
//   });
//   absl::StatusOr<std::string> bound = http.Start("127.0.0.1:0");
//   ...
//   http.Stop();
#ifndef LMX_NODE_HTTP_HTTP_SERVER_H_
#define LMX_NODE_HTTP_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

class HttpServer {
 public:
  struct Request {
    std::string path;
    std::multimap<std::string, std::string> parameters;  // decoded query
    std::map<std::string, std::string> headers;          // names lower-cased
    std::string remote;                                  // the caller's address
    std::vector<std::string> matches;                    // the path pattern's groups
    std::string method;                                  // "GET" or "POST"
    // POST: the body's length when the caller said it, else 0.
    uint64_t content_length = 0;
    // POST: reads the body in pieces as they arrive, handing each to
    // `receive` until it returns false. True once the whole body was read;
    // false when it ended early (the caller went away, or sent less than
    // it said) or `receive` stopped. Once only.
    std::function<bool(const std::function<bool(absl::string_view)>& receive)> read_body;
    // The header's value, or none.
    std::optional<std::string> Header(const std::string& lower_case_name) const;
  };
  // Writes part of a streamed answer; false once the caller is gone.
  using Write = std::function<bool(absl::string_view)>;
  struct Answer {
    int status = 200;
    std::string content_type;
    std::string body;
    // When set, the answer is streamed (chunked) from it instead of `body`.
    std::function<void(const Write&)> stream;
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  };
  using Handler = std::function<Answer(const Request&)>;

  HttpServer();
  ~HttpServer();  // stops the server

  // Answers GET requests whose path matches `pattern` (an ECMAScript
  // regular expression over the whole path) with what `handler` returns.
  // Before Start only.
  void Get(const std::string& pattern, Handler handler);
  // Answers POST requests the same way; the handler reads the body with
  // Request::read_body, as it arrives, so a body may be larger than memory.
  void Post(const std::string& pattern, Handler handler);

  // Lets pages of `origins` ("https://stat.example.org", or "*" for any)
  // read paths starting with `path_prefix` from a browser: OPTIONS
  // preflights are answered (Authorization may be sent, so tokens work),
  // and answers to those origins carry Access-Control-Allow-Origin. No
  // origin is allowed unless given. Before Start only.
  void AllowCrossOrigin(const std::string& path_prefix, std::vector<std::string> origins);

  // Listens on `address` ("host:port"; port 0 picks a free one) and serves
  // in the background. Returns the address bound.
  absl::StatusOr<std::string> Start(const std::string& address);
  // Stops serving and waits for the server's thread; idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace lmx

#endif  // LMX_NODE_HTTP_HTTP_SERVER_H_
