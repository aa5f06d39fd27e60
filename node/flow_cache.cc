#include "node/flow_cache.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "node/observation_codec.h"

namespace lmx {

absl::StatusOr<std::shared_ptr<const FlowColumns>> FlowCache::Get(
    const std::string& origin, const VersionLimits& limits) const {
  auto limit = limits.find(origin);
  uint64_t version = limit == limits.end() ? 0 : limit->second;
  {
    absl::MutexLock lock(&mu_);
    auto it = cached_.find(origin);
    if (it != cached_.end() && it->second->version() == version) return it->second;
  }
  // Built outside the lock: two aggregates may both build, and the second
  // simply replaces the first with the same columns.
  auto built = Build(origin, limits);
  if (!built.ok()) return built.status();
  absl::MutexLock lock(&mu_);
  cached_[origin] = *built;
  return *built;
}

absl::StatusOr<std::shared_ptr<const FlowColumns>> FlowCache::Build(
    const std::string& origin, const VersionLimits& limits) const {
  auto columns = std::make_shared<FlowColumns>();
  auto limit = limits.find(origin);
  columns->version_ = limit == limits.end() ? 0 : limit->second;
  if (columns->version_ == 0) return std::shared_ptr<const FlowColumns>(columns);
  std::array<absl::flat_hash_map<std::string, uint16_t>, kFlowDimensions> index;
  auto intern = [&](int d, const std::string& code) -> absl::StatusOr<uint16_t> {
    auto [it, added] = index[d].emplace(code, static_cast<uint16_t>(columns->codes_[d].size()));
    if (added) {
      if (columns->codes_[d].size() >= UINT16_MAX) {
        return absl::FailedPreconditionError(
            absl::StrCat(origin, "'s flows have more than 65,535 codes in one dimension"));
      }
      columns->codes_[d].push_back(code);
    }
    return it->second;
  };
  VersionLimits only{{origin, columns->version_}};
  KeyRange range = DatasetRange(v1::DATASET_FLOW, origin, std::nullopt, std::nullopt);
  absl::Status failed;
  v1::Observation observation;  // reused: its strings keep their buffers
  absl::Status scanned = store_->Scan(range.begin, range.end, only, [&](const StoredValue& stored) {
    observation.Clear();
    if (!observation.ParseFromArray(stored.value.data(), static_cast<int>(stored.value.size())) ||
        !observation.has_flow()) {
      failed = absl::DataLossError(absl::StrCat("a stored flow of ", origin, " does not decode"));
      return false;
    }
    const v1::Flow& f = observation.flow();
    const std::string& direction = v1::FlowDirection_Name(f.direction());
    const std::string* dims[kFlowDimensions] = {&f.country(),     &f.period(),     &direction,
                                                &f.counterpart(), &f.occupation(), &f.sex(),
                                                &f.age(),         &f.channel()};
    for (int d = 0; d < kFlowDimensions; ++d) {
      auto code = intern(d, *dims[d]);
      if (!code.ok()) {
        failed = code.status();
        return false;
      }
      columns->columns_[d].push_back(*code);
    }
    columns->counts_.push_back(f.count());
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return std::shared_ptr<const FlowColumns>(columns);
}

}  // namespace lmx
