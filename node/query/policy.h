// The regional policy views built on the replicated data (docs/policy.md):
// a country's occupational shortage list, bilateral mirror statistics of
// flows, candidate skills partnerships, and the completeness of reporting.
//
// Each view reads only through the query engine (or, for completeness, the
// batch catalog), so it sees exactly what `lmx query` and `lmx aggregate`
// see at the same node, with the same totals rule and roll-up.
//
//   PolicyViews views(&engine, store, codelists, ShortageListRule{});
//   auto list = views.ShortageList(request);
#ifndef LMX_NODE_QUERY_POLICY_H_
#define LMX_NODE_QUERY_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "federation/classifications/codelists.h"
#include "lmx/v1/query.pb.h"
#include "node/query/query_engine.h"
#include "node/storage/store.h"

namespace lmx {

// The node's shortage-list rule; a request may override any part of it.
struct ShortageListDefaults {
  uint32_t min_periods = 2;
  uint32_t last_periods = 3;
  double index_above = 0.5;
};

struct MatchResult {
  std::string window;
  std::vector<v1::MatchRow> rows;
};

class PolicyViews {
 public:
  PolicyViews(const QueryEngine* engine, const Store* store,
              std::shared_ptr<const Codelists> codelists, ShortageListDefaults defaults = {})
      : engine_(engine), store_(store), codelists_(std::move(codelists)), defaults_(defaults) {}

  // NOT_FOUND when the country has no national shortage observation in
  // reach; INVALID_ARGUMENT for a bad country, period or rule.
  absl::StatusOr<v1::ShortageListResponse> ShortageList(
      const v1::ShortageListRequest& request) const;

  // Rows sorted by origin, destination, period, then the total before the
  // breakdown. Only corridors between origins the node holds: a corridor
  // to a country outside the region has no second side to compare.
  absl::StatusOr<std::vector<v1::MirrorRow>> Mirror(const v1::MirrorFlowsRequest& request,
                                                    QueryEngine::Origins* origins) const;

  absl::StatusOr<MatchResult> Match(const v1::MatchRequest& request,
                                    QueryEngine::Origins* origins) const;

  // One row per origin and dataset it has published, sorted by country
  // then dataset.
  absl::StatusOr<std::vector<v1::CompletenessRow>> Completeness(
      const v1::CompletenessRequest& request) const;

 private:
  const QueryEngine* engine_;
  const Store* store_;
  std::shared_ptr<const Codelists> codelists_;
  ShortageListDefaults defaults_;
};

}  // namespace lmx

#endif  // LMX_NODE_QUERY_POLICY_H_
