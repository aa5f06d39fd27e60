// Harmonization: turns observations coded in a national classification into
// observations in ISCO-08, by the region's mapping rules (SPEC §2,
// docs/harmonization.md):
//
//  - counts are split over a national code's targets in proportion to the
//    weights, exactly: the parts always add up to the count (SplitCount);
//  - shortage indicators of several contributions to one cell are combined
//    by one rule, the same the employer's shortage view uses
//    (ShortageCombiner);
//  - contributions of several national codes to one cell add up;
//  - a vacancy, which cannot be split, goes to the most specific ISCO group
//    that holds every target of its code (CommonOccupation).
//
//   Harmonizer harmonizer(crosswalk);
//   for (auto& national : rows) harmonizer.Add(national);  // flows, shortages
//   harmonizer.Drain([&](const v1::Observation& mapped) { ...; });
#ifndef LMX_FEDERATION_HARMONIZATION_HARMONIZE_H_
#define LMX_FEDERATION_HARMONIZATION_HARMONIZE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "federation/harmonization/crosswalk.h"
#include "lmx/v1/observation.pb.h"

namespace lmx {

// Shortage index at or above which a combined status is SHORTAGE; at or
// below its negative, SURPLUS; BALANCED in between.
inline constexpr double kShortageThreshold = 0.1;
v1::ShortageStatus StatusFromIndex(double index);

// Splits `count` over parts in proportion to `weights` (each positive), so
// that the parts add up to `count` exactly. Each part gets the whole part
// of its quota; the units left over go one each to the parts with the
// largest remainders (largest-remainder method). Ties go to the larger
// weight, then to the earlier part. Exact: no floating point is involved.
std::vector<int64_t> SplitCount(int64_t count, const std::vector<int64_t>& weights);

// Combines the shortage indicators that several observations give for one
// cell, each with a weight:
//  - one contribution keeps its status, index and hard-to-fill count;
//  - otherwise, when any gives an index, the index is the weighted mean of
//    those given, and the status follows from it (StatusFromIndex);
//  - otherwise the status is the one with the largest total weight, and a
//    tie between statuses goes to BALANCED;
//  - hard-to-fill counts add up; absent when none was given.
class ShortageCombiner {
 public:
  void Add(double weight, v1::ShortageStatus status, std::optional<double> index,
           std::optional<int64_t> hard_to_fill);
  // Sets status, shortage_index and hard_to_fill of `out`.
  void Fill(v1::Shortage* out) const;
  int parts() const { return parts_; }

 private:
  int parts_ = 0;
  v1::ShortageStatus first_status_ = v1::SHORTAGE_STATUS_UNSPECIFIED;
  std::array<double, 4> status_weight_{};  // by ShortageStatus number
  double index_weight_ = 0;
  double index_sum_ = 0;
  int64_t hard_to_fill_ = 0;
  bool any_hard_to_fill_ = false;
};

// The most specific ISCO-08 group that contains every code in `codes`
// (ISCO codes are positional, so their longest common prefix), or _U when
// they lie in different major groups.
std::string CommonOccupation(const std::vector<std::string>& codes);

class Harmonizer {
 public:
  explicit Harmonizer(std::shared_ptr<const Crosswalk> crosswalk);

  const Crosswalk& crosswalk() const { return *crosswalk_; }

  // Takes a validated observation whose occupation is a national code of
  // the crosswalk, or a special code (_T, _U, _Z), which passes unmapped.
  // A vacancy comes back mapped at once. Shortages and flows are held, so
  // that contributions to the same ISCO cell combine, and nothing comes
  // back. The caller has checked that the code has a mapping.
  std::optional<v1::Observation> Add(v1::Observation observation);

  // Emits every held cell as one observation, in no particular order, and
  // stops at the first error `emit` returns.
  absl::Status Drain(const std::function<absl::Status(const v1::Observation&)>& emit);

  // Cells held so far.
  size_t cells() const { return cells_.size(); }

 private:
  // One ISCO cell: the sum or combination of its contributions, and the
  // crosswalk entries they came from.
  struct Cell {
    int64_t count = 0;
    ShortageCombiner shortage;
    std::vector<int> entries;
  };
  // The measures of one national observation.
  struct Contribution {
    std::optional<int64_t> count;  // the flow count, or the hard-to-fill count
    std::optional<double> index;
    v1::ShortageStatus status = v1::SHORTAGE_STATUS_UNSPECIFIED;  // flows have none
  };
  // Adds `count_part` of the contribution's count, and `weight` of its
  // shortage indicators, to the cell `cell_key`. `entry` is the crosswalk
  // entry it came from, or -1 for a special code.
  void Contribute(std::string cell_key, int entry, const Contribution& contribution,
                  std::optional<int64_t> count_part, double weight);
  void SetProvenance(const std::vector<int>& entries, v1::Provenance* provenance) const;

  std::shared_ptr<const Crosswalk> crosswalk_;
  // Keyed by the cell's observation without its measures, serialized.
  absl::flat_hash_map<std::string, Cell> cells_;
};

}  // namespace lmx

#endif  // LMX_FEDERATION_HARMONIZATION_HARMONIZE_H_
