// The web application's files, compiled in (client/web/CMakeLists.txt):
// the pages' modules and stylesheet under /web/, the world map and the
// ISO 3166 country list. The node serves them (node/http/web_app.h).
//
//   const WebAsset* app = FindWebAsset("/web/app.js");
//   app->content_type;  // "text/javascript; charset=utf-8"
#ifndef LMX_CLIENT_WEB_WEB_ASSETS_H_
#define LMX_CLIENT_WEB_WEB_ASSETS_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace lmx {

struct WebAsset {
  absl::string_view path;  // "/web/app.js"
  absl::string_view content_type;
  absl::string_view body;
};

const std::vector<WebAsset>& WebAssets();
// The asset at `path`, or null.
const WebAsset* FindWebAsset(absl::string_view path);

}  // namespace lmx

#endif  // LMX_CLIENT_WEB_WEB_ASSETS_H_
