// SDMX 3.0 REST structure queries on the node's HTTP endpoint, answered in
// SDMX-ML 2.1 Structure messages (what R's rsdmx and most SDMX tools read):
//
//   GET /sdmx/3.0/structure/{codelist|conceptscheme|datastructure|dataflow}
//       /{agency}/{id}/{version}
//
// The codelists are the region's (SPEC §2) with SDMX's special codes: ISCO-08
// with its hierarchy (CL_OCCUPATION), ISIC Rev.4, ISCED 2011, ISO 3166-1 and
// 3166-2, SEX, AGE, and the enumerations of the datasets. `*` (or `all`)
// matches any agency or id, and `*`, `~` or `latest` any version.
#ifndef LMX_NODE_SDMX_STRUCTURE_H_
#define LMX_NODE_SDMX_STRUCTURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federation/codelists.h"
#include "node/http_server.h"

namespace lmx {

// The Structure message answering `path` (what follows /sdmx/3.0/structure/):
// NOT_FOUND when nothing matches, INVALID_ARGUMENT for bad syntax.
absl::StatusOr<std::string> SdmxStructure(const Codelists& codelists, absl::string_view path);

// The handler of /sdmx/3.0/structure/(.*). Structures hold no data: anyone
// who reaches the endpoint may read them.
HttpServer::Handler SdmxStructureHandler(const Codelists* codelists);

}  // namespace lmx

#endif  // LMX_NODE_SDMX_STRUCTURE_H_
