#include "federation/harmonization/crosswalk.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace lmx {

absl::StatusOr<int64_t> ParseWeight(absl::string_view text) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' ", why));
  };
  size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  absl::string_view fraction = dot == absl::string_view::npos ? "" : text.substr(dot + 1);
  bool digits_only = !text.empty() && text != ".";
  for (char c : whole) digits_only = digits_only && absl::ascii_isdigit(c);
  for (char c : fraction) digits_only = digits_only && absl::ascii_isdigit(c);
  if (!digits_only) return invalid("is not a decimal weight such as 0.25");
  // Leading zeros aside, more whole digits than kMaxWeight has cannot fit.
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (whole.size() > 7) return invalid(absl::StrCat("is more than ", kMaxWeight));
  int64_t units = 0;
  for (char c : whole) units = units * 10 + (c - '0');
  if (units > kMaxWeight) return invalid(absl::StrCat("is more than ", kMaxWeight));
  int64_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) {
    nanos = nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  // Round half up on the tenth decimal.
  if (fraction.size() > 9 && fraction[9] >= '5') ++nanos;
  int64_t weight = units * kWeightUnit + nanos;
  if (weight > kMaxWeight * kWeightUnit) return invalid(absl::StrCat("is more than ", kMaxWeight));
  if (weight == 0) return invalid("is not positive; leave a pair out rather than weigh it 0");
  return weight;
}

absl::StatusOr<std::string> NationalClassificationId(absl::string_view id) {
  std::string upper = absl::AsciiStrToUpper(id);
  bool ok = !upper.empty() && upper.size() <= 32 && absl::ascii_isalpha(upper[0]);
  for (char c : upper) ok = ok && (absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.');
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", id,
                     "' is not a classification id (a letter, then up to 31 letters, digits, "
                     "'_', '-' or '.')"));
  }
  return upper;
}

Crosswalk::Crosswalk(std::string origin, uint64_t version, v1::Crosswalk proto)
    : origin_(std::move(origin)), version_(version), proto_(std::move(proto)) {
  index_.reserve(proto_.entries_size());
  for (int i = 0; i < proto_.entries_size(); ++i) index_.emplace(proto_.entries(i).source(), i);
}

int Crosswalk::Find(absl::string_view source) const {
  auto it = index_.find(source);
  return it == index_.end() ? -1 : it->second;
}

int64_t Crosswalk::TotalWeight(const v1::CrosswalkEntry& entry) {
  int64_t total = 0;
  for (const auto& target : entry.targets()) total += target.weight_nanos();
  return total;
}

absl::Status Crosswalk::NoMapping(absl::string_view source) const {
  return absl::InvalidArgumentError(absl::StrCat("no mapping for '", source, "' in ", id()));
}

}  // namespace lmx
