// A national classification's crosswalk to ISCO-08, as ingest uses it: for
// each national code, the regional codes it maps to and the share of its
// data each one receives. The stored and replicated form is the proto
// lmx.v1.Crosswalk; this class indexes one version of it for lookup.
//
//   Crosswalk soc("KEN", 3, proto);
//   const v1::CrosswalkEntry* entry = soc.Find("29-1141");   // -> 2221, 2222
//   soc.NoMapping("99-9999");  // "no mapping for '99-9999' in SOC2010"
#ifndef LMX_FEDERATION_HARMONIZATION_CROSSWALK_H_
#define LMX_FEDERATION_HARMONIZATION_CROSSWALK_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lmx/v1/classification.pb.h"

namespace lmx {

// Weights are exact decimals, kept as integer billionths, so that shares
// and splits are computed without floating-point rounding.
inline constexpr int64_t kWeightUnit = 1000000000;
// Largest weight accepted, in whole units.
inline constexpr int64_t kMaxWeight = 1000000;

// Parses a positive decimal weight such as "1", "0.25" or ".5" into
// billionths. More than nine decimals are rounded to the nearest billionth;
// a weight that rounds to zero, a negative one or an exponent is an error.
absl::StatusOr<int64_t> ParseWeight(absl::string_view text);

// Whether `id` can name a national classification: a letter, then up to 31
// letters, digits, '_', '-' or '.'. Returns it upper-cased.
absl::StatusOr<std::string> NationalClassificationId(absl::string_view id);

class Crosswalk {
 public:
  // Indexes `proto`, the import that `origin` logged as `version`.
  Crosswalk(std::string origin, uint64_t version, v1::Crosswalk proto);
  Crosswalk(const Crosswalk&) = delete;
  Crosswalk& operator=(const Crosswalk&) = delete;

  const std::string& id() const { return proto_.id(); }
  const std::string& origin() const { return origin_; }
  uint64_t version() const { return version_; }
  const v1::Crosswalk& proto() const { return proto_; }

  // The position of a national code's entry, matched exactly, or -1.
  int Find(absl::string_view source) const;
  const v1::CrosswalkEntry& entry(int position) const { return proto_.entries(position); }
  // The sum of an entry's weights: a target's share is its weight over this.
  static int64_t TotalWeight(const v1::CrosswalkEntry& entry);

  // The error for a national code without a mapping.
  absl::Status NoMapping(absl::string_view source) const;

 private:
  std::string origin_;
  uint64_t version_;
  v1::Crosswalk proto_;
  absl::flat_hash_map<std::string, int> index_;
};

}  // namespace lmx

#endif  // LMX_FEDERATION_HARMONIZATION_CROSSWALK_H_
