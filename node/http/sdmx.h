// SDMX REST data queries on the node's HTTP endpoint, answered from its
// QueryEngine. The paths of SDMX REST 3.0 and 2.1 map onto one query:
//
//   GET /sdmx/3.0/data/dataflow/LMX/{FLOW|SHORTAGE|VACANCY_AGG}/1.0/{key}
//       ?c[OCCUPATION]=7321,7111&c[TIME_PERIOD]=ge:2024-01+le:2024-12
//       &c[OBS_VALUE]=gt:100&updatedAfter=2025-01-01T00:00:00Z
//       &firstNObservations=1&lastNObservations=2&asOf=2025-06-01T00:00:00Z
//       &includeHistory=true&attributes=none&measures=all&detail=dataonly
//       &dimensionAtObservation=AllDimensions
//   GET /sdmx/2.1/data/{LMX,FLOW,1.0|FLOW}/{key}/{provider}?startPeriod=&endPeriod=
//
// The key has one part per key dimension, in order, separated by '.'; a
// part is '*' or empty for any code, or codes joined by '+' (OR). In c[],
// ',' is OR and '+' AND, with the operators eq, ne, gt, ge, lt, le, sw, ew
// and co, on dimensions, TIME_PERIOD, OBS_VALUE and attributes.
//
// Formats, by format= or the Accept header (quality values honoured):
// SDMX-CSV 2.0.0 and 1.0.0 (labels=id|both), SDMX-JSON 2.0.0, SDMX-ML 2.1
// generic and structure-specific data, flat or in series, and their
// time-series messages. What is asked for and not served is 406, never
// another format. Unsupported features answer 501, bad syntax 400, a query
// matching nothing 404 (SDMX REST status codes).
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
  kCsv,                   // SDMX-CSV 2.0.0: application/vnd.sdmx.data+csv;version=2.0.0
  kCsv1,                  // SDMX-CSV 1.0.0: application/vnd.sdmx.data+csv;version=1.0.0
  kGenericXml,            // SDMX-ML 2.1 GenericData / GenericTimeSeriesData
  kStructureSpecificXml,  // SDMX-ML 2.1 StructureSpecificData / ...TimeSeriesData
  kJson,                  // SDMX-JSON 2.0.0 data message
};

enum class SdmxDetail { kFull, kDataOnly, kSeriesKeysOnly, kNoData };

// One term of a c[] filter: op is eq, ne, gt, ge, lt, le, sw, ew or co.
struct SdmxCondition {
  std::string op;
  std::string value;
};

// c[X]=A,B+C: X is A, or X is both B and C.
struct SdmxComponentFilter {
  size_t component;  // as SdmxDataflow::Component numbers them
  std::vector<std::vector<SdmxCondition>> any;
};

class SdmxLabels;

struct SdmxDataQuery {
  const SdmxDataflow* flow = nullptr;
  SdmxFormat format = SdmxFormat::kCsv;
  // labels=both (SDMX-CSV): columns and codes with their names.
  bool labels = false;
  // Asked for as text/csv: answered as text/csv (the same SDMX-CSV 2.0.0).
  bool text_csv = false;
  // dimensionAtObservation: TIME_PERIOD (the default, series) or
  // AllDimensions (flat). SDMX-CSV is always flat.
  bool series = true;
  // The SDMX-ML time-series message (GenericTimeSeriesData,
  // StructureSpecificTimeSeriesData) rather than the general one.
  bool time_series_message = false;
  SdmxDetail detail = SdmxDetail::kFull;
  // Which of the flow's values (OBS_VALUE, then the attributes) are
  // written: measures=, attributes= and detail=.
  std::vector<bool> shown;
  // Allowed codes per key dimension; an empty set allows any code.
  std::vector<std::set<std::string>> key;
  std::string from, to;           // TIME_PERIOD range, inclusive; empty is open
  std::set<std::string> periods;  // c[TIME_PERIOD]=2025,2026; empty allows any
  std::vector<SdmxComponentFilter> conditions;  // the rest of c[]
  std::optional<absl::Time> updated_after;
  std::string as_of;  // for the engine's Filter.as_of; empty is the latest
  bool include_history = false;
  int first_observations = 0;  // per series; 0 keeps all
  int last_observations = 0;   // per series; 0 keeps all
};

// The SDMX 2.1 data path after /sdmx/2.1/data/ ({flowRef}/{key}/{provider})
// as its SDMX 3.0 equivalent ("dataflow/LMX/FLOW/1.0/{key}").
absl::StatusOr<std::string> Sdmx21DataPath(absl::string_view path);

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

// The HTTP handler of /sdmx/3.0/data/(.*), or with `v21` of
// /sdmx/2.1/data/(.*): parses, authorizes the caller's bearer token like a
// gRPC read, and streams the answer. All three must outlive the handler.
HttpServer::Handler SdmxDataHandler(const QueryEngine* engine, const Access* access,
                                    const Codelists* codelists, bool v21 = false);

// The handler of /sdmx/3.0/availability/(.*): {context}/{agency}/{id}/
// {version}/{key}/{componentId} with c[], updatedAfter and mode=exact
// (the values the data query's answer holds) or available (for each
// dimension, the values still open beside the other selections). The
// answer is an SDMX-ML 2.1 actual ContentConstraint with the observation
// count (annotation obs_count) and the time range.
HttpServer::Handler SdmxAvailabilityHandler(const QueryEngine* engine, const Access* access);


}  // namespace lmx

#endif  // LMX_NODE_HTTP_SDMX_H_
