// Answers every read from the node's own store: observation queries,
// aggregates with ISCO/ISIC roll-up, and the employer's shortage view.
//
// Reads never leave the node. Each answer is taken at one set of per-origin
// versions (the latest, or `as_of`), so a publish that commits during a
// query is either wholly in the answer or wholly out of it.
//
//   QueryEngine engine(store, codelists);
//   engine.Query(request, [](const v1::Observation& o) { ...; return true; });
#ifndef LMX_NODE_QUERY_QUERY_ENGINE_H_
#define LMX_NODE_QUERY_QUERY_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "federation/classifications/codelists.h"
#include "lmx/v1/query.pb.h"
#include "node/query/flow_cache.h"
#include "node/storage/store.h"

namespace lmx {

struct AggregateResult {
  std::vector<std::string> columns;
  std::vector<v1::AggregateRow> rows;  // sorted by keys
};

class QueryEngine {
 public:
  QueryEngine(const Store* store, std::shared_ptr<const Codelists> codelists)
      : store_(store), codelists_(std::move(codelists)), flow_columns_(store) {}
  ~QueryEngine();

  // Rebuilds the cached flow columns in the background after every change
  // of `store` (the one the engine reads), so that the first aggregate
  // after a publish or a catch-up does not wait for them.
  void KeepColumnsWarm(Store* store);

  // Every answer says how fresh it is: `origins`, when given, receives the
  // version and publication time of every origin the answer was read at,
  // before the first observation is emitted.
  using Origins = std::vector<v1::OriginState>;

  // Versions fixed once, for several reads that must agree with each other
  // (a table and its breakdowns): given to Query or Aggregate, it replaces
  // the filter's as_of.
  struct Snapshot {
    std::shared_ptr<const BatchCatalog> catalog;
    VersionLimits limits;
  };
  // The latest versions, or those of `as_of` (as Filter.as_of reads it).
  absl::StatusOr<Snapshot> Pin(absl::string_view as_of) const;

  // Calls `emit` for every matching observation, with its provenance filled
  // in, until it returns false. Bad filters are INVALID_ARGUMENT.
  absl::Status Query(const v1::QueryRequest& request,
                     const std::function<bool(const v1::Observation&)>& emit,
                     Origins* origins = nullptr, const Snapshot* at = nullptr) const;

  absl::StatusOr<AggregateResult> Aggregate(const v1::AggregateRequest& request,
                                            Origins* origins = nullptr,
                                            const Snapshot* at = nullptr) const;

  // One row per country holding data on the occupation or a code above or
  // below it, sorted by country.
  absl::StatusOr<std::vector<v1::ShortageViewRow>> Shortages(const v1::ShortageViewRequest& request,
                                                             Origins* origins = nullptr) const;

  // The latest version of every origin the node holds.
  Origins Latest() const;

 private:
  struct Plan;
  // Fixes the versions a read sees and reports them to `origins`.
  absl::StatusOr<Plan> MakePlan(v1::Dataset dataset, const v1::Filter& filter, Origins* origins,
                                const Snapshot* at = nullptr) const;
  absl::Status Scan(const Plan& plan,
                    const std::function<bool(const v1::Observation&)>& emit) const;

  // A group of a flow aggregate: its keys, its count and the countries in
  // it.
  struct FlowGroup {
    std::vector<std::string> keys;
    int64_t count = 0;
    std::vector<std::string> countries;
  };
  // Aggregates flows from each origin's cached columns; nullopt when it
  // cannot (totals to resolve, too many codes), and the store is read.
  absl::StatusOr<std::optional<std::vector<FlowGroup>>> AggregateFlowColumns(
      const Plan& plan, const std::vector<v1::Grouping>& by) const;

  const Store* store_;
  std::shared_ptr<const Codelists> codelists_;
  FlowCache flow_columns_;
  std::unique_ptr<FlowCache::Warmer> warmer_;
  Store* listened_ = nullptr;
  int listener_ = 0;
};

// The employer view's answer for `occupation` in one country, from its
// observations on that code, on codes below it and on codes above it (not
// empty): the latest period, then the exact code, else the narrower codes
// combined, else the nearest broader code.
v1::ShortageViewRow LatestShortage(const std::string& occupation,
                                   const std::vector<v1::Shortage>& observations);

}  // namespace lmx

#endif  // LMX_NODE_QUERY_QUERY_ENGINE_H_
