#include "node/replication/log_builder.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "federation/classifications/datasets.h"
#include "federation/statistics/disclosure.h"
#include "federation/classifications/time_period.h"
#include "lmx/v1/classification.pb.h"
#include "federation/protocol/observation_codec.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

v1::LogCell Cell(std::string key, const v1::Observation& observation) {
  v1::LogCell cell;
  cell.set_key(std::move(key));
  cell.set_value(EncodeObservation(observation));
  return cell;
}

// Calls `visit` for every observation of `dataset` in `period`, as of
// `version` of the node's own batches.
absl::Status ScanPeriod(const Store& store, const std::string& country, v1::Dataset dataset,
                        const std::string& period_text, uint64_t version,
                        const std::function<void(const StoredValue&, v1::Observation&)>& visit) {
  ASSIGN_OR_RETURN(TimePeriod period, TimePeriod::Parse(period_text));
  KeyRange range = DatasetRange(dataset, country, period.first_month(), period.first_month());
  VersionLimits limits{{country, version}};
  absl::Status error;
  RETURN_IF_ERROR(store.Scan(range.begin, range.end, limits, [&](const StoredValue& stored) {
    auto observation = DecodeObservation(stored.value);
    if (!observation.ok()) {
      error = observation.status();
      return false;
    }
    const std::string& of =
        observation->has_flow() ? observation->flow().period() : observation->shortage().period();
    if (of == period_text) visit(stored, *observation);
    return true;
  }));
  return error;
}

// Monthly vacancy aggregates of the node's vacancies as of `version`.
using AggregateCells = std::map<std::string, v1::Observation>;
absl::StatusOr<AggregateCells> VacancyAggregates(const Store& store, const std::string& country,
                                                 uint64_t version) {
  AggregateCells cells;
  if (version == 0) return cells;
  KeyRange range = DatasetRange(v1::DATASET_VACANCY, country);
  absl::Status error;
  RETURN_IF_ERROR(store.Scan(range.begin, range.end, VersionLimits{{country, version}},
                             [&](const StoredValue& stored) {
                               auto observation = DecodeObservation(stored.value);
                               if (!observation.ok()) {
                                 error = observation.status();
                                 return false;
                               }
                               const v1::Vacancy& v = observation->vacancy();
                               if (v.status() == v1::CANCELLED) return true;
                               v1::Observation cell;
                               auto* a = cell.mutable_vacancy_aggregate();
                               a->set_country(country);
                               a->set_period(v.posted().substr(0, 7));
                               a->set_occupation(v.occupation());
                               a->set_region(v.region());
                               a->set_activity(v.activity());
                               auto [it, added] = cells.emplace(ObservationKey(cell), cell);
                               auto* sum = it->second.mutable_vacancy_aggregate();
                               sum->set_vacancies(sum->vacancies() + 1);
                               sum->set_positions(sum->positions() + v.positions());
                               return true;
                             }));
  RETURN_IF_ERROR(error);
  return cells;
}

}  // namespace

absl::Status LogBuilder::ShortageCells(const BatchInfo& batch,
                                       std::vector<v1::LogCell>* cells) const {
  for (const auto& period : batch.periods) {
    RETURN_IF_ERROR(ScanPeriod(*store_, country_, v1::DATASET_SHORTAGE, period, batch.version,
                               [&](const StoredValue& stored, v1::Observation& observation) {
                                 if (stored.version != batch.version) return;
                                 cells->push_back(Cell(std::string(stored.key), observation));
                               }));
  }
  return absl::OkStatus();
}

absl::Status LogBuilder::FlowCells(const BatchInfo& batch, std::vector<v1::LogCell>* cells,
                                   uint64_t* suppressed) const {
  // Disclosure control needs the whole table of a period as it stands after
  // the batch, so every cell of each period the batch wrote is republished:
  // a revision can change which other cells must be withheld.
  for (const auto& period : batch.periods) {
    std::vector<v1::Flow> table;
    std::vector<std::string> keys;
    RETURN_IF_ERROR(ScanPeriod(*store_, country_, v1::DATASET_FLOW, period, batch.version,
                               [&](const StoredValue& stored, v1::Observation& observation) {
                                 keys.emplace_back(stored.key);
                                 table.push_back(std::move(*observation.mutable_flow()));
                               }));
    DisclosureReport report = ApplyDisclosure(threshold_, &table);
    *suppressed += report.primary + report.secondary;
    for (size_t i = 0; i < table.size(); ++i) {
      v1::Observation observation;
      *observation.mutable_flow() = std::move(table[i]);
      cells->push_back(Cell(std::move(keys[i]), observation));
    }
  }
  return absl::OkStatus();
}

absl::Status LogBuilder::VacancyCells(const BatchInfo& batch,
                                      std::vector<v1::LogCell>* cells) const {
  // The change the batch made to the monthly aggregates; a cell no vacancy
  // feeds any more is published as zero.
  ASSIGN_OR_RETURN(AggregateCells before, VacancyAggregates(*store_, country_, batch.version - 1));
  ASSIGN_OR_RETURN(AggregateCells after, VacancyAggregates(*store_, country_, batch.version));
  for (auto& [key, observation] : after) {
    auto old = before.find(key);
    if (old != before.end()) {
      bool same = old->second.vacancy_aggregate().vacancies() ==
                      observation.vacancy_aggregate().vacancies() &&
                  old->second.vacancy_aggregate().positions() ==
                      observation.vacancy_aggregate().positions();
      before.erase(old);
      if (same) continue;
    }
    cells->push_back(Cell(key, observation));
  }
  for (auto& [key, observation] : before) {
    observation.mutable_vacancy_aggregate()->set_vacancies(0);
    observation.mutable_vacancy_aggregate()->set_positions(0);
    cells->push_back(Cell(key, observation));
  }
  return absl::OkStatus();
}

absl::Status LogBuilder::CrosswalkCells(const BatchInfo& batch,
                                        std::vector<v1::LogCell>* cells) const {
  std::string key = CrosswalkKey(country_, batch.classification);
  auto found = store_->Get(key, VersionLimits{{country_, batch.version}});
  if (!found.ok()) return found.status();
  if (found->version != batch.version) return absl::OkStatus();
  v1::LogCell cell;
  cell.set_key(key);
  cell.set_value(std::move(found->value));
  cells->push_back(std::move(cell));
  return absl::OkStatus();
}

v1::LogChunk ChunkHeaderOf(const BatchInfo& batch) {
  v1::LogChunk header;
  header.set_origin(batch.origin);
  header.set_version(batch.version);
  *header.mutable_published_at() = ToTimestamp(batch.published_at);
  header.set_dataset(static_cast<v1::Dataset>(batch.dataset));
  header.set_source(batch.source);
  header.set_rows(batch.rows);
  header.set_classification(batch.classification);
  header.set_classification_version(batch.classification_version);
  header.set_release_id(batch.release_id);
  return header;
}

BatchInfo ReplicatedBatchOf(const v1::LogChunk& first) {
  BatchInfo meta;
  meta.replicated = true;
  meta.origin = first.origin();
  meta.version = first.version();
  meta.published_at = FromTimestamp(first.published_at());
  meta.dataset = first.dataset();
  meta.source = first.source();
  meta.rows = first.rows();
  meta.classification = first.classification();
  meta.classification_version = first.classification_version();
  meta.release_id = first.release_id();
  return meta;
}

absl::StatusOr<LogEntry> LogBuilder::Build(const BatchInfo& batch,
                                           const std::string& previous_hash) const {
  LogEntry entry;
  std::vector<v1::LogCell> cells;
  switch (batch.dataset) {
    case v1::DATASET_SHORTAGE:
      RETURN_IF_ERROR(ShortageCells(batch, &cells));
      break;
    case v1::DATASET_FLOW:
      RETURN_IF_ERROR(FlowCells(batch, &cells, &entry.suppressed));
      break;
    case v1::DATASET_VACANCY:
      RETURN_IF_ERROR(VacancyCells(batch, &cells));
      break;
    case v1::DATASET_CROSSWALK:
      RETURN_IF_ERROR(CrosswalkCells(batch, &cells));
      break;
    default:
      return absl::InternalError(
          absl::StrCat("batch ", batch.version, " has unknown dataset ", batch.dataset));
  }
  entry.cells = cells.size();

  v1::LogChunk header = ChunkHeaderOf(batch);
  header.set_origin(country_);
  header.set_public_key(identity_->public_key());
  header.set_previous_hash(previous_hash);

  entry.chunks = SignEntry(header, std::move(cells), *identity_, &entry.hash);
  return entry;
}

}  // namespace lmx
