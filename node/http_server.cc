#include "node/http_server.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace lmx {

struct HttpServer::Impl {
  httplib::Server server;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {
  // Scrapes and a few readers, not a web site: two threads are plenty.
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  impl_->server.set_read_timeout(10, 0);
  impl_->server.set_write_timeout(10, 0);
  impl_->server.set_payload_max_length(64 << 10);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& path, std::function<Answer()> handler) {
  impl_->server.Get(
      path, [handler = std::move(handler)](const httplib::Request&, httplib::Response& response) {
        Answer answer = handler();
        response.status = answer.status;
        response.set_content(std::move(answer.body), answer.content_type.c_str());
      });
}

absl::StatusOr<std::string> HttpServer::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen=", address, ": expected HOST:PORT (port 0 picks one)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port == 0) {
    port = impl_->server.bind_to_any_port(host);
  } else if (!impl_->server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", address));
  }
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
  return absl::StrCat(address.substr(0, colon), ":", port);
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  impl_->server.stop();
  thread_.join();
}

}  // namespace lmx
