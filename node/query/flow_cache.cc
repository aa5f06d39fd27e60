#include "node/query/flow_cache.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "federation/protocol/observation_codec.h"

namespace lmx {

namespace {

// The latest flow batch of `origin` at or below its limit, if any.
const BatchInfo* FlowBatch(const BatchCatalog& catalog, const std::string& origin,
                           const VersionLimits& limits) {
  auto limit = limits.find(origin);
  if (limit == limits.end()) return nullptr;
  const std::vector<BatchInfo>& batches = catalog.Batches(origin);
  // Batches are in version order; the newest flow batch is usually near
  // the end.
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
    if (it->version <= limit->second && it->dataset == v1::DATASET_FLOW) return &*it;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FlowColumns>> FlowCache::Get(
    const std::string& origin, const VersionLimits& limits) const {
  std::shared_ptr<const BatchCatalog> catalog = store_->Catalog();
  const BatchInfo* batch = FlowBatch(*catalog, origin, limits);
  const uint64_t version = batch == nullptr ? 0 : batch->version;
  const absl::Time published = batch == nullptr ? absl::Time() : batch->published_at;
  auto current = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> std::shared_ptr<const FlowColumns> {
    auto it = cached_.find(origin);
    if (it != cached_.end() && it->second->version_ == version &&
        it->second->published_at_ == published) {
      return it->second;
    }
    return nullptr;
  };
  {
    absl::MutexLock lock(&mu_);
    // A build under way (the warmer's, most often) is waited for rather
    // than repeated.
    auto idle = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return building_.count(origin) == 0; };
    mu_.Await(absl::Condition(&idle));
    if (auto hit = current()) return hit;
    building_.insert(origin);
  }
  auto built = Build(origin, batch);
  absl::MutexLock lock(&mu_);
  building_.erase(origin);
  if (!built.ok()) return built.status();
  // Builds of one origin never overlap (building_), so the last is the one
  // to keep, even after a reset origin starts its versions again.
  cached_[origin] = *built;
  return *built;
}

void FlowCache::Warm() const {
  VersionLimits latest = store_->Catalog()->Latest();
  for (const auto& [origin, version] : latest) {
    // An origin whose columns cannot be built is read from the store by
    // each aggregate, as without the cache.
    (void)Get(origin, latest);
  }
}

FlowCache::Warmer::Warmer(const FlowCache* cache, absl::Duration quiet)
    : cache_(cache), quiet_(quiet), thread_([this] { Run(); }) {}

FlowCache::Warmer::~Warmer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void FlowCache::Warmer::Changed() {
  absl::MutexLock lock(&mu_);
  ++changes_;
}

uint64_t FlowCache::Warmer::rounds() const {
  absl::MutexLock lock(&mu_);
  return rounds_;
}

void FlowCache::Warmer::Run() {
  // Warming is background work: queries and publishes come first.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  uint64_t warmed = 0;  // the changes the cache was last warmed after
  while (true) {
    absl::MutexLock lock(&mu_);
    auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || changes_ != warmed; };
    mu_.Await(absl::Condition(&woken));
    // Wait for a quiet moment: no change for `quiet_`.
    while (!stop_) {
      uint64_t seen = changes_;
      auto moved = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || changes_ != seen; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&moved), quiet_)) break;
    }
    if (stop_) return;
    warmed = changes_;
    mu_.Unlock();
    cache_->Warm();
    mu_.Lock();
    ++rounds_;
  }
}

absl::StatusOr<std::shared_ptr<const FlowColumns>> FlowCache::Build(const std::string& origin,
                                                                    const BatchInfo* batch) const {
  auto columns = std::make_shared<FlowColumns>();
  if (batch == nullptr) return std::shared_ptr<const FlowColumns>(columns);
  columns->version_ = batch->version;
  columns->published_at_ = batch->published_at;
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
