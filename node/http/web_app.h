// The web application (client/web), served from the files compiled into the
// node: the page routes (/, /find, /occupation/2221, /explore, /corridors,
// /lists, /publish, /region) all answer the one shell page, whose script
// draws the page from the path; /web/... answers the modules, the
// stylesheet, the world map and the country list. The pages call only this
// node (/api/v1/, node/http/api.h): the answers carry a Content Security
// Policy that lets them reach nothing else.
//
//   ServeWebApp(&http);
#ifndef LMX_NODE_HTTP_WEB_APP_H_
#define LMX_NODE_HTTP_WEB_APP_H_

#include "node/http/http_server.h"

namespace lmx {

// The headers every page and asset carries: the CSP, no sniffing, no
// referrer, no framing.
const std::vector<std::pair<std::string, std::string>>& WebAppHeaders();

// Registers the page routes and /web/(.+). Before HttpServer::Start.
void ServeWebApp(HttpServer* http);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_WEB_APP_H_
