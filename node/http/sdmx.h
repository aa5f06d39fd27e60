// SDMX 3.0 REST data queries on the node's HTTP endpoint, answered from
// its QueryEngine in SDMX-CSV 2.0 (labels=id), in SDMX-JSON 2.0.0, or for
// FLOW, whose one measure fits it, in SDMX-ML 2.1 generic data (what R's
// rsdmx reads):
//
//   GET /sdmx/3.0/data/dataflow/LMX/{FLOW|SHORTAGE|VACANCY_AGG}/1.0/{key}
//       ?c[DIM]=A+B&c[TIME_PERIOD]=ge:2024-01+le:2024-12
//       &updatedAfter=2025-01-01T00:00:00Z&lastNObservations=2
//
// The key has one part per key dimension of the dataflow, in order,
// separated by '.'; a part is '*' or empty for any code, or codes joined by
// '+'. "*" or "all" alone match everything. Unsupported features answer 501,
// bad syntax 400, a query matching nothing 404 (SDMX REST status codes).
#ifndef LMX_NODE_HTTP_SDMX_H_
#define LMX_NODE_HTTP_SDMX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lmx/v1/query.pb.h"
#include "node/access/access.h"
#include "node/http/http_server.h"
#include "node/http/sdmx_dataflows.h"
#include "node/query/query_engine.h"

namespace lmx {

enum class SdmxFormat {
  kCsv,         // SDMX-CSV 2.0: application/vnd.sdmx.data+csv;version=2.0.0
  kGenericXml,  // SDMX-ML 2.1 GenericData, AllDimensions
  kJson,        // SDMX-JSON 2.0.0 data message, AllDimensions
};

class SdmxLabels;

struct SdmxDataQuery {
  const SdmxDataflow* flow = nullptr;
  SdmxFormat format = SdmxFormat::kCsv;
  // labels=both (SDMX-CSV): columns and codes with their names.
  bool labels = false;
  // Allowed codes per key dimension; an empty set allows any code.
  std::vector<std::set<std::string>> key;
  std::string from, to;           // TIME_PERIOD range, inclusive; empty is open
  std::set<std::string> periods;  // c[TIME_PERIOD]=2025+2026; empty allows any
  std::optional<absl::Time> updated_after;
  int last_observations = 0;  // per series; 0 keeps all
};

// Reads a data query from the path after /sdmx/3.0/data/, the query
// parameters and the Accept header (empty when none). INVALID_ARGUMENT for
// bad syntax, NOT_FOUND for an unknown dataflow, FAILED_PRECONDITION for a
// format that cannot carry the dataflow or is not served (406),
// UNIMPLEMENTED for what lmx does not serve (yet).
absl::StatusOr<SdmxDataQuery> ParseSdmxDataQuery(
    absl::string_view path, const std::multimap<std::string, std::string>& parameters,
    absl::string_view accept = {});

// The action reading `flow` needs: the same as reading it over gRPC.
Action SdmxAction(const SdmxDataflow& flow);

// Calls `write` with the answer in the query's format, part by part (the
// header, each matching observation, the end) until it returns false.
// `matched` counts the observations written.
// `labels` names the columns and codes of an SDMX-CSV answer asked for with
// labels=both; without it such an answer has ids only.
absl::Status WriteSdmxData(const SdmxDataQuery& query, const QueryEngine& engine,
                           const std::function<bool(absl::string_view)>& write,
                           uint64_t* matched = nullptr, const SdmxLabels* labels = nullptr);

// The HTTP handler of /sdmx/3.0/data/(.*): parses, authorizes the caller's
// bearer token like a gRPC read, and streams the answer. All three must
// outlive the handler.
HttpServer::Handler SdmxDataHandler(const QueryEngine* engine, const Access* access,
                                    const Codelists* codelists);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_SDMX_H_
