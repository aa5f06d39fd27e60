#include "node/http/web_app.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
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

// Each asset's entity tag: a hash of its bytes, which change only with the
// binary, so that a browser revalidates a page's files with a 304. Made
// once, when the routes are registered.
using EntityTags = absl::flat_hash_map<const WebAsset*, std::string>;

std::shared_ptr<const EntityTags> MakeEntityTags() {
  auto tags = std::make_shared<EntityTags>();
  for (const WebAsset& asset : WebAssets()) {
    const std::string_view bytes(asset.body.data(), asset.body.size());
    (*tags)[&asset] =
        absl::StrCat("\"", absl::Hex(std::hash<std::string_view>()(bytes)), "-", bytes.size(), "\"");
  }
  return tags;
}

HttpServer::Answer Serve(const EntityTags& tags, const WebAsset* asset,
                         const HttpServer::Request& request) {
  if (asset == nullptr) {
    HttpServer::Answer missing{404, "text/plain; charset=utf-8", "no such file\n", nullptr, {}};
    missing.headers = WebAppHeaders();
    return missing;
  }
  const std::string& tag = tags.at(asset);
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
  std::shared_ptr<const EntityTags> tags = MakeEntityTags();
  HttpServer::Handler shell = [tags](const HttpServer::Request& request) {
    return Serve(*tags, FindWebAsset("/web/index.html"), request);
  };
  for (const char* page : {"/", "/find", "/explore", "/corridors", "/lists", "/publish",
                           "/region", "/occupation/[0-9]{1,4}"}) {
    http->Get(page, shell);
  }
  http->Get("/web/(.+)", [tags](const HttpServer::Request& request) {
    return Serve(*tags, FindWebAsset(request.path), request);
  });
}

}  // namespace lmx
