#include "federation/harmonization/harmonize.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "federation/classifications/codelists.h"
#include "federation/classifications/datasets.h"

namespace lmx {

v1::ShortageStatus StatusFromIndex(double index) {
  // Means are computed in floating point: (0.3 + 0 + 0) / 3 is
  // 0.09999999999999999, which must count as the threshold itself.
  constexpr double kSlack = 1e-9;
  if (index >= kShortageThreshold - kSlack) return v1::SHORTAGE;
  if (index <= -kShortageThreshold + kSlack) return v1::SURPLUS;
  return v1::BALANCED;
}

std::vector<int64_t> SplitCount(int64_t count, const std::vector<int64_t>& weights) {
  std::vector<int64_t> parts(weights.size(), 0);
  if (weights.empty()) return parts;
  // Counts are at most 1e9 and weights at most 1e15 billionths, so the
  // products need 128 bits.
  __int128 total = 0;
  for (int64_t weight : weights) total += weight;
  if (total <= 0) return parts;  // callers pass positive weights
  std::vector<__int128> remainders(weights.size());
  int64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    __int128 quota = static_cast<__int128>(count) * weights[i];
    parts[i] = static_cast<int64_t>(quota / total);
    remainders[i] = quota % total;
    assigned += parts[i];
  }
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (remainders[a] != remainders[b]) return remainders[a] > remainders[b];
    return weights[a] > weights[b];
  });
  // Fewer units are left over than there are parts.
  for (int64_t left = count - assigned, i = 0; left > 0; --left, ++i) ++parts[order[i]];
  return parts;
}

void ShortageCombiner::Add(double weight, v1::ShortageStatus status, std::optional<double> index,
                           std::optional<int64_t> hard_to_fill) {
  if (parts_++ == 0) first_status_ = status;
  if (status >= 0 && status < static_cast<int>(status_weight_.size())) {
    status_weight_[status] += weight;
  }
  if (index) {
    index_weight_ += weight;
    index_sum_ += weight * *index;
  }
  if (hard_to_fill) {
    hard_to_fill_ += *hard_to_fill;
    any_hard_to_fill_ = true;
  }
}

void ShortageCombiner::Fill(v1::Shortage* out) const {
  out->clear_shortage_index();
  out->clear_hard_to_fill();
  if (any_hard_to_fill_) out->set_hard_to_fill(hard_to_fill_);
  if (index_weight_ > 0) out->set_shortage_index(index_sum_ / index_weight_);
  if (parts_ == 1) {
    out->set_status(first_status_);
  } else if (index_weight_ > 0) {
    out->set_status(StatusFromIndex(out->shortage_index()));
  } else {
    // Weights are shares such as 1/3, so equal totals may differ in the
    // last bits: within a billionth is a tie.
    constexpr double kTie = 1e-9;
    v1::ShortageStatus best = v1::BALANCED;
    double best_weight = -1;
    bool tie = false;
    for (v1::ShortageStatus status : {v1::SHORTAGE, v1::BALANCED, v1::SURPLUS}) {
      double weight = status_weight_[status];
      if (weight > best_weight + kTie) {
        best = status, best_weight = weight, tie = false;
      } else if (weight > best_weight - kTie) {
        tie = true;
      }
    }
    out->set_status(tie ? v1::BALANCED : best);
  }
}

std::string CommonOccupation(const std::vector<std::string>& codes) {
  if (codes.empty()) return std::string(kUnknown);
  std::string common = codes.front();
  for (const std::string& code : codes) {
    size_t same = 0;
    while (same < common.size() && same < code.size() && common[same] == code[same]) ++same;
    common.resize(same);
  }
  return common.empty() ? std::string(kUnknown) : common;
}

Harmonizer::Harmonizer(std::shared_ptr<const Crosswalk> crosswalk)
    : crosswalk_(std::move(crosswalk)) {}

std::optional<v1::Observation> Harmonizer::Add(v1::Observation observation) {
  std::string* occupation = MutableOccupation(&observation);
  const std::string code = *occupation;
  int position = crosswalk_->Find(code);
  if (observation.has_vacancy()) {
    if (position < 0) return observation;  // a special code
    std::vector<std::string> targets;
    for (const auto& target : crosswalk_->entry(position).targets()) {
      targets.push_back(target.code());
    }
    *occupation = CommonOccupation(targets);
    SetProvenance({position}, MutableProvenance(&observation));
    return observation;
  }
  // Take the measures out: what remains, with each target's code, is the
  // key of the cell the contribution goes to.
  Contribution contribution;
  if (observation.has_flow()) {
    contribution.count = observation.flow().count();
    observation.mutable_flow()->clear_count();
  } else {
    v1::Shortage* s = observation.mutable_shortage();
    if (s->has_hard_to_fill()) contribution.count = s->hard_to_fill();
    if (s->has_shortage_index()) contribution.index = s->shortage_index();
    contribution.status = s->status();
    s->clear_hard_to_fill();
    s->clear_shortage_index();
    s->clear_status();
  }
  if (position < 0) {
    Contribute(observation.SerializeAsString(), -1, contribution, contribution.count, 1.0);
    return std::nullopt;
  }
  const v1::CrosswalkEntry& entry = crosswalk_->entry(position);
  std::vector<int64_t> weights;
  for (const auto& target : entry.targets()) weights.push_back(target.weight_nanos());
  std::vector<int64_t> parts;
  if (contribution.count) parts = SplitCount(*contribution.count, weights);
  double total = static_cast<double>(Crosswalk::TotalWeight(entry));
  for (int i = 0; i < entry.targets_size(); ++i) {
    *occupation = entry.targets(i).code();
    Contribute(observation.SerializeAsString(), position, contribution,
               contribution.count ? std::optional<int64_t>(parts[i]) : std::nullopt,
               static_cast<double>(weights[i]) / total);
  }
  return std::nullopt;
}

void Harmonizer::Contribute(std::string cell_key, int entry, const Contribution& contribution,
                            std::optional<int64_t> count_part, double weight) {
  Cell& cell = cells_[std::move(cell_key)];
  if (entry >= 0) cell.entries.push_back(entry);
  if (contribution.status == v1::SHORTAGE_STATUS_UNSPECIFIED) {
    cell.count += count_part.value_or(0);
    return;
  }
  cell.shortage.Add(weight, contribution.status, contribution.index, count_part);
}

void Harmonizer::SetProvenance(const std::vector<int>& entries, v1::Provenance* provenance) const {
  if (entries.empty()) return;
  provenance->set_classification(crosswalk_->id());
  provenance->set_classification_version(crosswalk_->version());
  std::vector<int> sorted = entries;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  // Entries are sorted by code, so their positions give the codes in order.
  for (int position : sorted) provenance->add_national_codes(crosswalk_->entry(position).source());
}

absl::Status Harmonizer::Drain(const std::function<absl::Status(const v1::Observation&)>& emit) {
  v1::Observation observation;
  for (auto& [key, cell] : cells_) {
    if (!observation.ParseFromString(key)) return absl::InternalError("harmonizer cell key");
    if (observation.has_flow()) {
      observation.mutable_flow()->set_count(cell.count);
    } else {
      cell.shortage.Fill(observation.mutable_shortage());
    }
    SetProvenance(cell.entries, MutableProvenance(&observation));
    absl::Status status = emit(observation);
    if (!status.ok()) return status;
  }
  cells_.clear();
  return absl::OkStatus();
}

}  // namespace lmx
