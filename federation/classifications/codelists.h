// The region's codelists (SPEC §2): the registry of its classifications,
// the one place that says whether a code is valid, and that turns accepted
// spellings into the canonical code.
//
// ISCO-08, ISIC Rev.4, ISCED 2011, SEX and AGE are compiled into the binary
// from classifications/*.csv. ISO 3166-1 and 3166-2 are read at start from
// Debian's iso-codes package. Every check returns the canonical code, or an
// INVALID_ARGUMENT whose message names the value ("'9999' is not an ISCO-08
// code"), ready to be prefixed with file, line and column.
//
//   auto codelists = Codelists::Load("/usr/share/iso-codes/json");
//   (*codelists)->Country("ke");        // "KEN"
//   (*codelists)->Occupation("2512");   // "2512"
//   (*codelists)->Find("ISCO08")->Find("2221")->label;  // "Nursing professionals"
#ifndef LMX_FEDERATION_CLASSIFICATIONS_CODELISTS_H_
#define LMX_FEDERATION_CLASSIFICATIONS_CODELISTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federation/classifications/classification.h"

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

// Whether `code` (upper-case) is a special code that `special` allows.
bool IsAllowedSpecial(absl::string_view code, unsigned special);

// The registry's ids.
inline constexpr absl::string_view kIsco08 = "ISCO08";
inline constexpr absl::string_view kIsic4 = "ISIC4";
inline constexpr absl::string_view kIsced11 = "ISCED11";
inline constexpr absl::string_view kSexId = "SEX";
inline constexpr absl::string_view kAgeId = "AGE";
inline constexpr absl::string_view kIso3166Part1 = "ISO3166-1";
inline constexpr absl::string_view kIso3166Part2 = "ISO3166-2";
// A grammar rather than a list: YYYY, YYYY-Qn, YYYY-MM (time_period.h).
inline constexpr absl::string_view kTimePeriodId = "TIME_PERIOD";

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

  // The registry: every codelist by id (kIsco08, ...), in a fixed order.
  // TIME_PERIOD is a grammar, not a list, and is not among them.
  const Classification* Find(absl::string_view id) const;
  const std::vector<const Classification*>& All() const { return all_; }
  static const Classification& Isco();

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
  // special codes, come back unchanged. Both are a few instructions: ISCO
  // codes are positional, and ISIC divisions index a table.
  static std::string RollUpOccupation(absl::string_view code, int level);
  static std::string RollUpActivity(absl::string_view code, int level);

 private:
  Codelists() = default;

  std::unique_ptr<Classification> countries_;     // ISO 3166-1 by alpha-3
  std::unique_ptr<Classification> subdivisions_;  // ISO 3166-2
  std::vector<const Classification*> all_;
  absl::flat_hash_map<std::string, std::string> country_alpha3_;  // any spelling -> alpha-3
  absl::flat_hash_map<std::string, std::string> country_alpha2_;  // alpha-3 -> alpha-2
};

}  // namespace lmx

#endif  // LMX_FEDERATION_CLASSIFICATIONS_CODELISTS_H_
