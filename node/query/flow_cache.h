// Each origin's flows, decoded once per version into columns of interned
// codes, so that regional aggregates over millions of flow observations
// read small integers instead of parsing protobuf per observation.
//
// A version never changes once committed, so an origin's columns stay
// right until it publishes flows again; batches of other datasets leave
// them alone. A FlowCache::Warmer rebuilds them in the background after
// every change of the store, so aggregates rarely wait for a build.
//
//   FlowCache cache(store);
//   auto columns = cache.Get("KEN", limits);  // builds on first use
//   FlowCache::Warmer warmer(&cache);
//   store->AddListener([&] { warmer.Changed(); });
//   for (size_t r = 0; r < columns->rows(); ++r) ... columns->code(kOccupation, r) ...
#ifndef LMX_NODE_QUERY_FLOW_CACHE_H_
#define LMX_NODE_QUERY_FLOW_CACHE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "federation/statistics/totals.h"
#include "lmx/v1/observation.pb.h"
#include "node/storage/store.h"

namespace lmx {

// What flows are rolled up by: the grouped dimensions and the filters.
struct FlowShape {
  // The grouped dimensions, as positions in FlowCell::dims, each with the
  // ISCO level occupations roll up to (0: as stored; other dimensions 0).
  std::vector<std::pair<int, int>> by;
  // Whether code `code` of dimension `d` passes the filters; empty: all do.
  std::function<bool(int d, const std::string& code)> keep;
  // The shape in full, groupings and filters: its roll-ups are remembered
  // under it. Empty: never remembered.
  std::string id;
};

// One origin's flows rolled up by a shape: each group's keys (in the
// order of FlowShape::by) and its count. Only groups with a row in them.
struct FlowRollUp {
  std::vector<std::vector<std::string>> keys;
  std::vector<int64_t> counts;
};

// One origin's flows at one version. Dimensions are those of FlowCell:
// country, period, direction, counterpart, occupation, sex, age, channel.
class FlowColumns {
 public:
  // The origin's latest flow batch these columns hold, and when it was
  // published (which tells a version apart from one of a reset origin).
  uint64_t version() const { return version_; }
  size_t rows() const { return counts_.size(); }
  // The code of dimension `d` in row `r`, as an index into codes(d).
  uint16_t code(int d, size_t r) const { return columns_[d][r]; }
  const std::vector<std::string>& codes(int d) const { return codes_[d]; }
  int64_t count(size_t r) const { return counts_[r]; }

  // The flows rolled up by `shape`: remembered from an earlier call with
  // the same shape id, or summed now (on both cores when there are many
  // rows) and remembered when the answer is small beside the rows. A
  // version never changes, so neither does its roll-up: cost follows the
  // answer, not the data, for every shape asked before.
  std::shared_ptr<const FlowRollUp> RollUp(const FlowShape& shape) const;

 private:
  friend class FlowCache;
  class Builder;
  FlowRollUp Sum(const FlowShape& shape) const;
  uint64_t version_ = 0;
  absl::Time published_at_;
  std::array<std::vector<std::string>, kFlowDimensions> codes_;
  std::array<std::vector<uint16_t>, kFlowDimensions> columns_;
  std::vector<int64_t> counts_;
  mutable absl::Mutex rollups_mu_;
  // Remembered roll-ups by shape id, and the ids oldest first (at most
  // kRememberedShapes are kept).
  mutable std::map<std::string, std::shared_ptr<const FlowRollUp>> rollups_
      ABSL_GUARDED_BY(rollups_mu_);
  mutable std::vector<std::string> remembered_ ABSL_GUARDED_BY(rollups_mu_);
};

class FlowCache {
 public:
  // Roll-ups remembered per origin version.
  static constexpr size_t kRememberedShapes = 64;

  explicit FlowCache(const Store* store);
  ~FlowCache();

  // `origin`'s flows at the version `limits` gives it, from the cache or
  // read now. FAILED_PRECONDITION when a dimension has more distinct codes
  // than the columns hold (the caller then reads the store itself).
  absl::StatusOr<std::shared_ptr<const FlowColumns>> Get(const std::string& origin,
                                                         const VersionLimits& limits) const;

  // The columns held for `origin` now, whatever their version (nullptr:
  // none); never builds.
  std::shared_ptr<const FlowColumns> Held(const std::string& origin) const;

  // Builds the columns of every origin at its latest version, where they
  // are not built yet, and rolls each up by the shapes most answers use
  // (every dimension alone, occupation at each ISCO level, with and
  // without country).
  void Warm() const;

  // Rolls up by the same shapes the columns committing batches installed
  // since the last call (the Warmer calls it after every change, without
  // waiting for the store to be quiet).
  void RollUpInstalled() const;

  // Builds an origin's columns from the rows of its flow batch as they are
  // put, so that a batch committed (published here or replicated) has its
  // columns at once, without being read back: the first aggregate after a
  // catch-up waits for nothing. Only a first flow batch, or one whose
  // origin's earlier columns are held, is taken this way; anything else is
  // left to Get and the Warmer. For Store::SetBatchObserver.
  Store::ObserverFactory Observer();

  // Keeps the cache warm from a thread of its own: after a change it waits
  // until the store has been quiet for `quiet` (a catch-up commits many
  // versions in a row), then warms the cache.
  class Warmer {
   public:
    explicit Warmer(const FlowCache* cache, absl::Duration quiet = absl::Milliseconds(200));
    ~Warmer();
    // Says the store changed; never blocks.
    void Changed();
    // How many times the cache was warmed (for tests).
    uint64_t rounds() const;

   private:
    void Run();

    const FlowCache* cache_;
    const absl::Duration quiet_;
    mutable absl::Mutex mu_;
    uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
    uint64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;
    bool stop_ ABSL_GUARDED_BY(mu_) = false;
    std::thread thread_;
  };

 private:
  absl::StatusOr<std::shared_ptr<const FlowColumns>> Build(const std::string& origin,
                                                           const BatchInfo* batch) const;

  class Observed;
  // What an observer reaches the cache through, for as long as it lives.
  struct Link {
    absl::Mutex mu;
    const FlowCache* cache ABSL_GUARDED_BY(mu) = nullptr;
  };
  using CodeIndex = std::array<absl::flat_hash_map<std::string, uint16_t>, kFlowDimensions>;
  // Adds one flow as a row; false when a dimension has too many codes.
  static bool AddRow(const v1::Flow& flow, FlowColumns* columns, CodeIndex* index);
  // Puts rows in key order, a key put twice once (its last).
  static void SortByKey(FlowColumns* columns);
  static std::shared_ptr<FlowColumns> Merge(const FlowColumns& held, const FlowColumns& batch);
  // Takes columns built from a committing batch (Observed).
  void Install(const std::string& origin, std::shared_ptr<FlowColumns> columns,
               const BatchCatalog& before) const;

  const Store* store_;
  std::shared_ptr<Link> link_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const FlowColumns>> cached_ ABSL_GUARDED_BY(mu_);
  // Origins whose columns a thread is building now.
  mutable std::set<std::string> building_ ABSL_GUARDED_BY(mu_);
  // Columns committing batches installed, not rolled up yet.
  mutable std::vector<std::shared_ptr<const FlowColumns>> installed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmx

#endif  // LMX_NODE_QUERY_FLOW_CACHE_H_
