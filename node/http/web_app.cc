#include "node/http/web_app.h"

#include <string>
#include <utility>
#include <vector>

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

HttpServer::Answer Serve(const WebAsset* asset) {
  if (asset == nullptr) {
    HttpServer::Answer missing{404, "text/plain; charset=utf-8", "no such file\n", nullptr};
    missing.headers = WebAppHeaders();
    return missing;
  }
  HttpServer::Answer answer{200, std::string(asset->content_type), std::string(asset->body),
                            nullptr};
  answer.headers = WebAppHeaders();
  return answer;
}

}  // namespace

void ServeWebApp(HttpServer* http) {
  HttpServer::Handler shell = [](const HttpServer::Request&) {
    return Serve(FindWebAsset("/web/index.html"));
  };
  for (const char* page : {"/", "/find", "/explore", "/corridors", "/lists", "/publish",
                           "/region", "/occupation/[0-9]{1,4}"}) {
    http->Get(page, shell);
  }
  http->Get("/web/(.+)", [](const HttpServer::Request& request) {
    return Serve(FindWebAsset(request.path));
  });
}

}  // namespace lmx
