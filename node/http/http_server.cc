#include "node/http/http_server.h"

#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace lmx {

struct HttpServer::Impl {
  httplib::Server server;
  // Cross-origin reads (AllowCrossOrigin).
  std::string cors_prefix;
  std::vector<std::string> cors_origins;

  bool CrossOriginAllowed(const httplib::Request& in) const {
    if (cors_origins.empty() || !absl::StartsWith(in.path, cors_prefix)) return false;
    const std::string origin = in.get_header_value("Origin");
    if (origin.empty()) return false;
    for (const std::string& allowed : cors_origins) {
      if (allowed == "*" || allowed == origin) return true;
    }
    return false;
  }
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {
  // Scrapes, the web application's readers and a few publishers: a few
  // threads, and idle connections closed soon, so that slow callers cannot
  // hold them all.
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(8); };
  impl_->server.set_keep_alive_timeout(2);
  // httplib writes an answer's headers and body apart: without TCP_NODELAY
  // the body waits for the ACK of the headers, which a browser on a
  // kept-alive connection delays by 40 ms, for every file and every call.
  impl_->server.set_tcp_nodelay(true);
  impl_->server.set_read_timeout(10, 0);
  impl_->server.set_write_timeout(30, 0);
  // A published file may be larger than memory: bodies are streamed to the
  // handlers (Post), which bound what they keep.
  impl_->server.set_payload_max_length(std::numeric_limits<size_t>::max());
  // Other requests carry no body worth reading: one is refused before it is
  // read, so that it cannot fill memory.
  impl_->server.set_post_routing_handler([impl = impl_.get()](const httplib::Request& in,
                                                               httplib::Response& out) {
    if (in.method == "OPTIONS" || !impl->CrossOriginAllowed(in)) return;
    out.set_header("Access-Control-Allow-Origin", in.get_header_value("Origin"));
    out.set_header("Access-Control-Expose-Headers", "Content-Type, Vary");
    out.set_header("Vary", "Origin, Accept");
  });
  impl_->server.set_pre_routing_handler([impl = impl_.get()](const httplib::Request& in,
                                                             httplib::Response& out) {
    uint64_t length = 0;
    const bool chunked = in.get_header_value("Transfer-Encoding").find("chunked") !=
                         std::string::npos;
    if (in.method != "POST" &&
        (chunked || (absl::SimpleAtoi(in.get_header_value("Content-Length"), &length) &&
                     length > (64 << 10)))) {
      out.status = 413;
      out.set_content("a request body of more than 64 KiB is taken only by POST\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    // A browser's preflight of a cross-origin read: answered here, for
    // the origins allowed; the read itself then carries the headers below.
    if (in.method == "OPTIONS" && !impl->cors_origins.empty() &&
        absl::StartsWith(in.path, impl->cors_prefix)) {
      if (!impl->CrossOriginAllowed(in)) {
        out.status = 403;
        out.set_content("this origin may not read this node's SDMX endpoint\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      out.status = 204;
      out.set_header("Access-Control-Allow-Origin", in.get_header_value("Origin"));
      out.set_header("Access-Control-Allow-Methods", "GET, OPTIONS");
      out.set_header("Access-Control-Allow-Headers",
                     "Authorization, Accept, Accept-Language, Content-Type");
      out.set_header("Access-Control-Max-Age", "600");
      out.set_header("Vary", "Origin");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Debian's httplib compresses every answer a caller accepts in brotli
    // at its slowest quality (11): 160 ms for the 100 KB world map, and a
    // large streamed answer at a few MB/s. Answers go out in gzip (quick,
    // and a third of the size) or as they are. httplib hands this handler
    // its own, non-const Request, so the header may be rewritten here.
    auto& headers = const_cast<httplib::Request&>(in).headers;
    auto accepted = headers.find("Accept-Encoding");
    if (accepted != headers.end()) {
      const bool gzip = accepted->second.find("gzip") != std::string::npos;
      headers.erase("Accept-Encoding");
      if (gzip) headers.emplace("Accept-Encoding", "gzip");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::AllowCrossOrigin(const std::string& path_prefix,
                                  std::vector<std::string> origins) {
  impl_->cors_prefix = path_prefix;
  impl_->cors_origins = std::move(origins);
}

std::optional<std::string> HttpServer::Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

namespace {

HttpServer::Request RequestOf(const httplib::Request& in) {
  HttpServer::Request request;
  request.path = in.path;
  request.method = in.method;
  request.parameters.insert(in.params.begin(), in.params.end());
  for (const auto& [name, value] : in.headers) {
    request.headers.emplace(absl::AsciiStrToLower(name), value);
  }
  request.remote = absl::StrCat(in.remote_addr, ":", in.remote_port);
  for (size_t i = 1; i < in.matches.size(); ++i) request.matches.push_back(in.matches[i].str());
  return request;
}

void Respond(HttpServer::Answer answer, httplib::Response& out) {
  out.status = answer.status;
  for (const auto& [name, value] : answer.headers) out.set_header(name.c_str(), value);
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
}

}  // namespace

void HttpServer::Get(const std::string& pattern, Handler handler) {
  impl_->server.Get(pattern, [handler = std::move(handler)](const httplib::Request& in,
                                                            httplib::Response& out) {
    Respond(handler(RequestOf(in)), out);
  });
}

void HttpServer::Post(const std::string& pattern, Handler handler) {
  impl_->server.Post(pattern, [handler = std::move(handler)](
                                  const httplib::Request& in, httplib::Response& out,
                                  const httplib::ContentReader& content) {
    Request request = RequestOf(in);
    if (in.has_header("Content-Length")) {
      absl::SimpleAtoi(in.get_header_value("Content-Length"), &request.content_length);
    }
    bool read = false;
    request.read_body = [&](const std::function<bool(absl::string_view)>& receive) {
      if (read) return false;
      read = true;
      uint64_t got = 0;
      bool stopped = false;
      bool whole = content([&](const char* data, size_t size) {
        got += size;
        if (!receive(absl::string_view(data, size))) stopped = true;
        return !stopped;
      });
      return whole && !stopped && (request.content_length == 0 || got == request.content_length);
    };
    Respond(handler(request), out);
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
