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
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "federation/statistics/totals.h"
#include "node/storage/store.h"

namespace lmx {

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

 private:
  friend class FlowCache;
  uint64_t version_ = 0;
  absl::Time published_at_;
  std::array<std::vector<std::string>, kFlowDimensions> codes_;
  std::array<std::vector<uint16_t>, kFlowDimensions> columns_;
  std::vector<int64_t> counts_;
};

class FlowCache {
 public:
  explicit FlowCache(const Store* store) : store_(store) {}

  // `origin`'s flows at the version `limits` gives it, from the cache or
  // read now. FAILED_PRECONDITION when a dimension has more distinct codes
  // than the columns hold (the caller then reads the store itself).
  absl::StatusOr<std::shared_ptr<const FlowColumns>> Get(const std::string& origin,
                                                         const VersionLimits& limits) const;

  // Builds the columns of every origin at its latest version, where they
  // are not built yet.
  void Warm() const;

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

  const Store* store_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const FlowColumns>> cached_ ABSL_GUARDED_BY(mu_);
  // Origins whose columns a thread is building now.
  mutable std::set<std::string> building_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmx

#endif  // LMX_NODE_QUERY_FLOW_CACHE_H_
