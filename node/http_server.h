// The node's HTTP endpoint (`--http_listen`), served by Debian's cpp-httplib
// on a small pool of its own threads. It answers GET requests on the paths
// it is given; for now /metrics (node/metrics.h).
//
//   HttpServer http;
//   http.Get("/metrics", [&] { return HttpServer::Answer{200, "text/plain", text()}; });
//   absl::StatusOr<std::string> bound = http.Start("127.0.0.1:0");
//   ...
//   http.Stop();
#ifndef LMX_NODE_HTTP_SERVER_H_
#define LMX_NODE_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace lmx {

class HttpServer {
 public:
  struct Answer {
    int status = 200;
    std::string content_type;
    std::string body;
  };

  HttpServer();
  ~HttpServer();  // stops the server

  // Answers GET `path` with what `handler` returns. Before Start only.
  void Get(const std::string& path, std::function<Answer()> handler);

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

#endif  // LMX_NODE_HTTP_SERVER_H_
