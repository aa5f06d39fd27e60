#include "node/http/web_app.h"

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/web/web_assets.h"

namespace lmx {

const std::vector<std::pair<std::string, std::string>>& WebAppHeaders() {
  static const auto* headers = new std::vector<std::pair<std::string, std::string>>{
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      // The files change with the node's binary: revalidate, never guess.
      {"Cache-Control", "no-cache"},
  };
  return *headers;
}

namespace {

// An asset's entity tag: a hash of its bytes, which change only with the
// binary, so that a browser revalidates a page's files with a 304.
const std::string& EntityTag(const WebAsset& asset) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* tags = new absl::flat_hash_map<const WebAsset*, std::string>();
  absl::MutexLock lock(&mu);
  std::string& tag = (*tags)[&asset];
  if (tag.empty()) {
    tag = absl::StrCat("\"", absl::Hex(std::hash<std::string_view>()(std::string_view(asset.body.data(), asset.body.size()))), "-",
                       asset.body.size(), "\"");
  }
  return tag;
}

HttpServer::Answer Serve(const WebAsset* asset, const HttpServer::Request& request) {
  if (asset == nullptr) {
    HttpServer::Answer missing{404, "text/plain; charset=utf-8", "no such file\n", nullptr, {}};
    missing.headers = WebAppHeaders();
    return missing;
  }
  const std::string& tag = EntityTag(*asset);
  HttpServer::Answer answer{200, std::string(asset->content_type), "", nullptr, WebAppHeaders()};
  answer.headers.emplace_back("ETag", tag);
  if (request.Header("if-none-match") == tag) {
    answer.status = 304;
    return answer;
  }
  answer.body = std::string(asset->body);
  return answer;
}

}  // namespace

void ServeWebApp(HttpServer* http) {
  HttpServer::Handler shell = [](const HttpServer::Request& request) {
    return Serve(FindWebAsset("/web/index.html"), request);
  };
  for (const char* page : {"/", "/find", "/explore", "/corridors", "/lists", "/publish",
                           "/region", "/occupation/[0-9]{1,4}"}) {
    http->Get(page, shell);
  }
  http->Get("/web/(.+)", [](const HttpServer::Request& request) {
    return Serve(FindWebAsset(request.path), request);
  });
}

}  // namespace lmx
