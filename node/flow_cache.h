// Each origin's flows, decoded once per version into columns of interned
// codes, so that regional aggregates over millions of flow observations
// read small integers instead of parsing protobuf per observation.
//
// A version never changes once committed, so the columns of (origin,
// version) stay right until the origin moves on; then only that origin is
// read again, on the next aggregate that needs it.
//
//   FlowCache cache(store);
//   auto columns = cache.Get("KEN", limits);  // builds on first use
//   for (size_t r = 0; r < columns->rows(); ++r) ... columns->code(kOccupation, r) ...
#ifndef LMX_NODE_FLOW_CACHE_H_
#define LMX_NODE_FLOW_CACHE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "federation/totals.h"
#include "node/store.h"

namespace lmx {

// One origin's flows at one version. Dimensions are those of FlowCell:
// country, period, direction, counterpart, occupation, sex, age, channel.
class FlowColumns {
 public:
  uint64_t version() const { return version_; }
  size_t rows() const { return counts_.size(); }
  // The code of dimension `d` in row `r`, as an index into codes(d).
  uint16_t code(int d, size_t r) const { return columns_[d][r]; }
  const std::vector<std::string>& codes(int d) const { return codes_[d]; }
  int64_t count(size_t r) const { return counts_[r]; }

 private:
  friend class FlowCache;
  uint64_t version_ = 0;
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

 private:
  absl::StatusOr<std::shared_ptr<const FlowColumns>> Build(const std::string& origin,
                                                           const VersionLimits& limits) const;

  const Store* store_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const FlowColumns>> cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmx

#endif  // LMX_NODE_FLOW_CACHE_H_
