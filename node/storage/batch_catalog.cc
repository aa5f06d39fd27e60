#include "node/storage/batch_catalog.h"

#include <algorithm>

#include "federation/base/timestamps.h"
#include "absl/strings/numbers.h"
#include "federation/classifications/time_period.h"

namespace lmx {

VersionLimits BatchCatalog::Latest() const {
  VersionLimits limits;
  for (const auto& [origin, batches] : origins_) limits[origin] = batches.back().version;
  return limits;
}

VersionLimits BatchCatalog::AsOf(absl::Time time) const {
  VersionLimits limits;
  for (const auto& [origin, batches] : origins_) {
    auto after = std::upper_bound(
        batches.begin(), batches.end(), time,
        [](absl::Time t, const BatchInfo& batch) { return t < batch.published_at; });
    limits[origin] = after == batches.begin() ? 0 : std::prev(after)->version;
  }
  return limits;
}

VersionLimits BatchCatalog::AsOfVersion(uint64_t version) const {
  VersionLimits limits;
  for (const auto& [origin, batches] : origins_) {
    limits[origin] = std::min(version, batches.back().version);
  }
  return limits;
}

const BatchInfo* BatchCatalog::Find(absl::string_view origin, uint64_t version) const {
  auto it = origins_.find(origin);
  if (it == origins_.end() || version == 0 || version > it->second.size()) return nullptr;
  // Versions are gap-free from 1, so version v sits at index v - 1.
  const BatchInfo& batch = it->second[version - 1];
  return batch.version == version ? &batch : nullptr;
}

const std::vector<BatchInfo>& BatchCatalog::Batches(absl::string_view origin) const {
  static const auto* none = new std::vector<BatchInfo>();
  auto it = origins_.find(origin);
  return it == origins_.end() ? *none : it->second;
}

absl::StatusOr<VersionLimits> BatchCatalog::Resolve(absl::string_view as_of) const {
  if (as_of.empty()) return Latest();
  uint64_t version = 0;
  if (absl::SimpleAtoi(as_of, &version)) return AsOfVersion(version);
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, as_of, &time, &error)) return AsOf(time);
  // A bare date means the end of that day (UTC): "as it stood on that date".
  if (auto date = Date::Parse(as_of); date.ok()) {
    time = absl::FromCivil(absl::CivilDay(date->year, date->month, date->day) + 1,
                           absl::UTCTimeZone()) -
           absl::Nanoseconds(1);
    return AsOf(time);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("as_of: '", as_of,
                   "' is not a version number, a date (YYYY-MM-DD) or an RFC 3339 date-time"));
}

void BatchCatalog::Remove(absl::string_view origin) { origins_.erase(origin); }

void BatchCatalog::Add(BatchInfo batch) {
  std::string origin = batch.origin;
  origins_[origin].push_back(std::move(batch));
}

BatchInfo FromBatchRecord(const internal::BatchRecord& record) {
  BatchInfo info;
  info.origin = record.origin();
  info.version = record.version();
  info.published_at = FromTimestamp(record.published_at());
  info.dataset = record.dataset();
  info.source = record.source();
  info.rows = record.rows();
  info.observations = record.observations();
  info.classification = record.classification();
  info.classification_version = record.classification_version();
  info.periods.assign(record.periods().begin(), record.periods().end());
  info.replicated = record.replicated();
  info.release_id = record.release_id();
  return info;
}

internal::BatchRecord ToBatchRecord(const BatchInfo& info) {
  internal::BatchRecord record;
  record.set_origin(info.origin);
  record.set_version(info.version);
  *record.mutable_published_at() = ToTimestamp(info.published_at);
  record.set_dataset(info.dataset);
  record.set_source(info.source);
  record.set_rows(info.rows);
  record.set_observations(info.observations);
  record.set_classification(info.classification);
  record.set_classification_version(info.classification_version);
  for (const auto& period : info.periods) record.add_periods(period);
  record.set_replicated(info.replicated);
  record.set_release_id(info.release_id);
  return record;
}

}  // namespace lmx
