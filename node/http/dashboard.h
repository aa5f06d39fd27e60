// The regional dashboard the node serves at `/dashboard` (node/http/dashboard.html): a
// plain page whose script reads one JSON document, /api/dashboard, built
// here from the node's replica:
//   - shortages: per country and ISCO major group, the statuses of the
//     country's latest shortage period, and the one shown (the most
//     frequent; a tie is BALANCED);
//   - corridors: flows of one period (the latest by default) from origin to
//     destination, as each country reported them, totals counted once;
//   - shortage_lists: per country, the occupations its shortage list holds
//     by the node's rule (docs/policy.md);
//   - completeness: per country and dataset, the periods reported, the
//     latest version and when it was published;
//   - freshness: per origin, the version applied here, the newest a peer
//     holds, and the age of the last contact.
#ifndef LMX_NODE_HTTP_DASHBOARD_H_
#define LMX_NODE_HTTP_DASHBOARD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "node/access/access.h"
#include "node/http/http_server.h"
#include "node/query/policy.h"
#include "node/query/query_engine.h"
#include "node/replication/replication.h"
#include "node/storage/store.h"

namespace lmx {

// The JSON document of the dashboard; `period` picks the corridors' period
// (empty: the latest). `replication` may be null.
absl::StatusOr<std::string> DashboardJson(const QueryEngine& engine, const PolicyViews& policy,
                                          const Store& store, const Replication* replication,
                                          absl::string_view period, absl::Time now = absl::Now());

// The handlers of `/dashboard` (the page) and `/api/dashboard` (its data, for the
// analyst role, as flows are in it). All must outlive the server.
void ServeDashboard(HttpServer* http, const QueryEngine* engine, const PolicyViews* policy,
                    const Store* store, const Replication* replication, const Access* access);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_DASHBOARD_H_
