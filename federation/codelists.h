// The region's codelists (SPEC §2): the one place that says whether a code is
// valid, and that turns accepted spellings into the canonical code.
//
// ISCO-08 is compiled into the binary from classifications/isco08.csv.
// ISO 3166-1 and 3166-2 are read at start from Debian's iso-codes package.
// ISIC Rev.4, ISCED 2011, SEX, AGE and the SDMX special codes are small
// fixed lists. Every check returns the canonical code, or an
// INVALID_ARGUMENT whose message names the value ("'9999' is not an ISCO-08
// code"), ready to be prefixed with file, line and column.
//
//   auto codelists = Codelists::Load("/usr/share/iso-codes/json");
//   (*codelists)->Country("ke");        // "KEN"
//   (*codelists)->Occupation("2512");   // "2512"
#ifndef LMX_FEDERATION_CODELISTS_H_
#define LMX_FEDERATION_CODELISTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

// SDMX special codes.
inline constexpr absl::string_view kTotal = "_T";
inline constexpr absl::string_view kNotApplicable = "_Z";
inline constexpr absl::string_view kUnknown = "_U";

// Which special codes a column accepts besides its codelist.
enum SpecialCodes : unsigned {
  kNoSpecial = 0,
  kAllowTotal = 1,
  kAllowUnknown = 2,
  kAllowNotApplicable = 4,
};

// One ISCO-08 group.
struct IscoGroup {
  std::string code;    // "2512"
  int level = 0;       // 1 major, 2 sub-major, 3 minor, 4 unit group
  std::string parent;  // "251"; empty for a major group
  std::string label;
};

// Where iso-codes installs its JSON on Debian.
inline constexpr absl::string_view kDefaultIsoCodesDir = "/usr/share/iso-codes/json";

class Codelists {
 public:
  // Reads iso_3166-1.json and iso_3166-2.json from `iso_codes_dir`.
  static absl::StatusOr<std::shared_ptr<const Codelists>> Load(
      absl::string_view iso_codes_dir = kDefaultIsoCodesDir);

  // ISO 3166-1: accepts alpha-3, alpha-2 or numeric codes, any case, and
  // returns alpha-3.
  absl::StatusOr<std::string> Country(absl::string_view code, unsigned special = kNoSpecial) const;
  // ISO 3166-2: the subdivision must belong to `country` (alpha-3).
  absl::StatusOr<std::string> Region(absl::string_view code, absl::string_view country,
                                     unsigned special = kNoSpecial) const;
  // ISCO-08 at any level.
  absl::StatusOr<std::string> Occupation(absl::string_view code,
                                         unsigned special = kNoSpecial) const;
  const IscoGroup* FindOccupation(absl::string_view code) const;
  const std::vector<IscoGroup>& occupations() const { return isco_; }

  // ISIC Rev.4 section letter (A-U) or two-digit division.
  static absl::StatusOr<std::string> Activity(absl::string_view code,
                                              unsigned special = kNoSpecial);
  // ISCED 2011 level 0-8.
  static absl::StatusOr<std::string> Education(absl::string_view code,
                                               unsigned special = kNoSpecial);
  // SEX: F or M.
  static absl::StatusOr<std::string> Sex(absl::string_view code, unsigned special = kNoSpecial);
  // AGE: Y15T24, Y25T54, Y55T64, Y_GE65.
  static absl::StatusOr<std::string> Age(absl::string_view code, unsigned special = kNoSpecial);
  // Recruitment channel: the region has no fixed list yet, so any code of
  // letters, digits and underscores up to 32 characters, upper-cased.
  static absl::StatusOr<std::string> Channel(absl::string_view code, unsigned special = kNoSpecial);

  // Rolls a code up its hierarchy. Codes already at or above the level, and
  // special codes, come back unchanged.
  static std::string RollUpOccupation(absl::string_view code, int level);
  static std::string RollUpActivity(absl::string_view code, int level);

 private:
  Codelists() = default;

  std::vector<IscoGroup> isco_;
  absl::flat_hash_map<std::string, size_t> isco_index_;
  absl::flat_hash_map<std::string, std::string> country_alpha3_;  // any spelling -> alpha-3
  absl::flat_hash_map<std::string, std::string> country_alpha2_;  // alpha-3 -> alpha-2
  absl::flat_hash_set<std::string> subdivisions_;
};

}  // namespace lmx

#endif  // LMX_FEDERATION_CODELISTS_H_
