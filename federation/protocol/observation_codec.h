// How observations are laid out in the store: logical keys that sort by
// dataset, country, period and dimensions, and values that carry the rest
// (docs/storage.md has the byte layout).
//
// A logical key identifies an observation across revisions: re-publishing
// an observation with the same key makes a new version of it.
#ifndef LMX_FEDERATION_PROTOCOL_OBSERVATION_CODEC_H_
#define LMX_FEDERATION_PROTOCOL_OBSERVATION_CODEC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federation/classifications/time_period.h"
#include "lmx/v1/observation.pb.h"

namespace lmx {

// The logical key of an observation whose fields were validated.
std::string ObservationKey(const v1::Observation& observation);

// The logical key of `origin`'s crosswalk `id`: one key per crosswalk, so
// that each import is a new version of the whole crosswalk.
std::string CrosswalkKey(absl::string_view origin, absl::string_view id);

// The stored value: the observation without the provenance that the key and
// the batch catalog already hold (origin, version, time).
std::string EncodeObservation(const v1::Observation& observation);
absl::StatusOr<v1::Observation> DecodeObservation(absl::string_view value);

// A half-open key range [begin, end) for a scan.
struct KeyRange {
  std::string begin;
  std::string end;
};

// All keys of a dataset, optionally of one country, optionally restricted
// to periods that start within [from, to] (month numbers as in TimePeriod).
// Vacancies and crosswalks have no period in their key, so the period
// bounds are ignored for them.
KeyRange DatasetRange(v1::Dataset dataset, absl::string_view country = "",
                      std::optional<int> first_month = std::nullopt,
                      std::optional<int> last_month = std::nullopt);

}  // namespace lmx

#endif  // LMX_FEDERATION_PROTOCOL_OBSERVATION_CODEC_H_
