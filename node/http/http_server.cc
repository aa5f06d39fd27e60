#include "node/http/http_server.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace lmx {

struct HttpServer::Impl {
  httplib::Server server;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {
  // Scrapes and a few readers, not a web site: a few threads, and idle
  // connections closed soon, so that slow callers cannot hold them all.
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(4); };
  impl_->server.set_keep_alive_timeout(2);
  impl_->server.set_read_timeout(10, 0);
  impl_->server.set_write_timeout(30, 0);
  impl_->server.set_payload_max_length(64 << 10);
}

HttpServer::~HttpServer() { Stop(); }

std::optional<std::string> HttpServer::Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

void HttpServer::Get(const std::string& pattern, Handler handler) {
  impl_->server.Get(
      pattern, [handler = std::move(handler)](const httplib::Request& in, httplib::Response& out) {
        Request request;
        request.path = in.path;
        request.parameters.insert(in.params.begin(), in.params.end());
        for (const auto& [name, value] : in.headers) {
          request.headers.emplace(absl::AsciiStrToLower(name), value);
        }
        request.remote = absl::StrCat(in.remote_addr, ":", in.remote_port);
        for (size_t i = 1; i < in.matches.size(); ++i)
          request.matches.push_back(in.matches[i].str());
        Answer answer = handler(request);
        out.status = answer.status;
        if (!answer.stream) {
          out.set_content(std::move(answer.body), answer.content_type.c_str());
          return;
        }
        out.set_chunked_content_provider(answer.content_type, [stream = std::move(answer.stream)](
                                                                  size_t, httplib::DataSink& sink) {
          // Parts are gathered into chunks of about 64 KiB: one chunk a line
          // would cost a write each.
          std::string chunk;
          bool open = true;
          auto flush = [&] {
            open = open && sink.write(chunk.data(), chunk.size());
            chunk.clear();
            return open;
          };
          stream([&](absl::string_view part) {
            chunk.append(part.data(), part.size());
            return chunk.size() < (64 << 10) || flush();
          });
          if (!chunk.empty()) flush();
          sink.done();
          return true;
        });
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
  // stop() does nothing until the server runs: wait for it, so that a Stop
  // right after Start cannot leave the thread serving forever.
  auto deadline = absl::Now() + absl::Seconds(10);
  while (!impl_->server.is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::StrCat(address.substr(0, colon), ":", port);
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  impl_->server.stop();
  thread_.join();
}

}  // namespace lmx
