#include "federation/protocol/observation_codec.h"

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"

namespace lmx {
namespace {

// Period layout in a key: year (2 bytes, big-endian), month of the year the
// period starts in (0-11), frequency (1 year, 2 quarter, 3 month). This sorts
// periods by start month, then longest first.
void AppendPeriodBytes(std::string* key, int first_month, int frequency) {
  char bytes[4];
  absl::big_endian::Store16(bytes, static_cast<uint16_t>(first_month / 12));
  bytes[2] = static_cast<char>(first_month % 12);
  bytes[3] = static_cast<char>(frequency);
  key->append(bytes, sizeof bytes);
}

void AppendPeriod(std::string* key, absl::string_view period) {
  auto parsed = TimePeriod::Parse(period);
  // Keys are only made of validated observations; a bad period sorts first.
  if (!parsed.ok()) return AppendPeriodBytes(key, 0, 0);
  AppendPeriodBytes(key, parsed->first_month(), static_cast<int>(parsed->frequency()));
}

// Dimension codes never contain NUL, so a NUL terminator keeps the order of
// the codes and stops one key from being a prefix of another.
void AppendCode(std::string* key, absl::string_view code) {
  key->append(code.data(), code.size());
  key->push_back('\0');
}

std::string Prefix(v1::Dataset dataset, absl::string_view country) {
  std::string key(1, static_cast<char>(dataset));
  key.append(country.data(), country.size());
  return key;
}

// The smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xFF) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace

std::string ObservationKey(const v1::Observation& observation) {
  std::string key;
  switch (observation.kind_case()) {
    case v1::Observation::kShortage: {
      const auto& s = observation.shortage();
      key = Prefix(v1::DATASET_SHORTAGE, s.country());
      AppendPeriod(&key, s.period());
      AppendCode(&key, s.occupation());
      AppendCode(&key, s.region());
      AppendCode(&key, s.activity());
      break;
    }
    case v1::Observation::kVacancy: {
      const auto& v = observation.vacancy();
      key = Prefix(v1::DATASET_VACANCY, v.country());
      AppendCode(&key, v.vacancy_id());
      break;
    }
    case v1::Observation::kFlow: {
      const auto& f = observation.flow();
      key = Prefix(v1::DATASET_FLOW, f.country());
      AppendPeriod(&key, f.period());
      key.push_back(static_cast<char>(f.direction()));
      AppendCode(&key, f.counterpart());
      AppendCode(&key, f.occupation());
      AppendCode(&key, f.sex());
      AppendCode(&key, f.age());
      AppendCode(&key, f.channel());
      break;
    }
    case v1::Observation::kVacancyAggregate: {
      const auto& a = observation.vacancy_aggregate();
      key = Prefix(v1::DATASET_VACANCY_AGG, a.country());
      AppendPeriod(&key, a.period());
      AppendCode(&key, a.occupation());
      AppendCode(&key, a.region());
      AppendCode(&key, a.activity());
      break;
    }
    case v1::Observation::KIND_NOT_SET:
      break;
  }
  return key;
}

std::string CrosswalkKey(absl::string_view origin, absl::string_view id) {
  std::string key = Prefix(v1::DATASET_CROSSWALK, origin);
  AppendCode(&key, id);
  return key;
}

std::string EncodeObservation(const v1::Observation& observation) {
  return observation.SerializeAsString();
}

absl::StatusOr<v1::Observation> DecodeObservation(absl::string_view value) {
  v1::Observation observation;
  if (!observation.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("stored observation does not parse");
  }
  return observation;
}

KeyRange DatasetRange(v1::Dataset dataset, absl::string_view country,
                      std::optional<int> first_month, std::optional<int> last_month) {
  std::string prefix = Prefix(dataset, country);
  KeyRange range{prefix, PrefixEnd(prefix)};
  bool has_period =
      dataset != v1::DATASET_VACANCY && dataset != v1::DATASET_CROSSWALK && country.size() == 3;
  if (has_period && first_month) AppendPeriodBytes(&range.begin, *first_month, 0);
  if (has_period && last_month) {
    range.end = prefix;
    AppendPeriodBytes(&range.end, *last_month + 1, 0);
  }
  return range;
}

}  // namespace lmx
