#include "federation/harmonization/crosswalk_import.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "federation/classifications/codelists.h"
#include "federation/harmonization/crosswalk.h"
#include "federation/base/row_errors.h"

namespace lmx {
namespace {

// The header names a crosswalk reads; any other column is ignored.
constexpr absl::string_view kSource = "source";
constexpr absl::string_view kTarget = "target";
constexpr absl::string_view kWeight = "weight";
constexpr absl::string_view kLabel = "label";

// No control characters other than tab in a code or a label.
bool IsPrintable(absl::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7F;
  });
}

}  // namespace

CrosswalkImport::CrosswalkImport(std::string id, const Classification& target,
                                 const std::vector<std::string>& columns, uint64_t header_line,
                                 std::vector<v1::RowError>* errors)
    : id_(std::move(id)), target_(target), width_(columns.size()) {
  auto fail = [&](absl::string_view reason) {
    errors->push_back(MakeError(header_line, "header", reason));
    header_ok_ = false;
  };
  constexpr size_t kMaxColumns = 64;
  if (columns.size() > kMaxColumns) {
    fail(absl::StrCat("has ", columns.size(), " columns; at most ", kMaxColumns, " are read"));
    return;
  }
  absl::flat_hash_map<std::string, int> named;
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(columns[i]));
    bool known = name == kSource || name == kTarget || name == kWeight || name == kLabel;
    if (known && !named.emplace(name, static_cast<int>(i)).second) {
      fail(absl::StrCat("column '", name, "' appears twice"));
    }
  }
  auto column = [&](absl::string_view name) {
    auto it = named.find(name);
    return it == named.end() ? -1 : it->second;
  };
  weight_column_ = column(kWeight);
  label_column_ = column(kLabel);
  if (named.contains(kSource) || named.contains(kTarget)) {
    source_column_ = column(kSource);
    target_column_ = column(kTarget);
    if (source_column_ < 0 || target_column_ < 0) {
      fail(absl::StrCat("names '", source_column_ < 0 ? kTarget : kSource, "' but not '",
                        source_column_ < 0 ? kSource : kTarget,
                        "'; name both, or neither to read the first two columns as source "
                        "and target"));
    }
    return;
  }
  if (columns.size() < 2) {
    fail("a crosswalk needs a source and a target column");
    return;
  }
  // A crosswalk as published: source, target, and perhaps a weight.
  if (weight_column_ < 0 && label_column_ != 2 && columns.size() >= 3) maybe_weight_column_ = 2;
  if (weight_column_ == 0 || weight_column_ == 1 || label_column_ == 0 || label_column_ == 1) {
    fail(
        "the first two columns are read as source and target; name them 'source' and "
        "'target' to use other columns");
  }
}

bool CrosswalkImport::AddRow(const v1::Row& row, std::vector<v1::RowError>* errors) {
  const uint64_t line = row.line();
  const auto& fields = row.fields();
  if (static_cast<size_t>(fields.size()) != width_) {
    errors->push_back(MakeError(
        line, "row", absl::StrCat("has ", fields.size(), " fields, the header has ", width_)));
    return false;
  }
  // Nothing is read, or quoted in an error, before it is known to be UTF-8.
  size_t before_fields = errors->size();
  for (int i = 0; i < fields.size(); ++i) {
    absl::Status checked = CheckFieldBytes(fields[i]);
    if (checked.ok()) continue;
    std::string name = i == source_column_   ? std::string(kSource)
                       : i == target_column_ ? std::string(kTarget)
                       : i == weight_column_ ? std::string(kWeight)
                       : i == label_column_  ? std::string(kLabel)
                                             : absl::StrCat("column ", i + 1);
    errors->push_back(MakeError(line, name, checked.message()));
  }
  if (errors->size() != before_fields) return false;
  auto field = [&](int column) {
    return column < 0 ? absl::string_view() : absl::StripAsciiWhitespace(fields[column]);
  };
  if (maybe_weight_column_ >= 0) {
    // The first row decides, so that one mistyped weight later on is an
    // error rather than a silent switch to equal shares.
    if (ParseWeight(field(maybe_weight_column_)).ok()) weight_column_ = maybe_weight_column_;
    maybe_weight_column_ = -1;
  }
  size_t before = errors->size();
  absl::string_view source = field(source_column_);
  absl::string_view target = field(target_column_);
  absl::string_view label = field(label_column_);
  if (source.empty()) {
    errors->push_back(MakeError(line, kSource, "is required"));
  } else if (source.size() > 200 || !IsPrintable(source)) {
    errors->push_back(
        MakeError(line, kSource, "is not a code (at most 200 bytes, no control characters)"));
  }
  if (target.empty()) {
    errors->push_back(MakeError(line, kTarget, "is required"));
  } else if (target_.Find(target) == nullptr) {
    errors->push_back(MakeError(
        line, kTarget,
        absl::StrCat("'", target, "' is not ",
                     target_.id() == kIsco08 ? "an ISCO-08" : "a " + target_.id(), " code")));
  }
  int64_t weight = kWeightUnit;
  if (weight_column_ >= 0) {
    auto parsed = ParseWeight(field(weight_column_));
    if (parsed.ok()) {
      weight = *parsed;
    } else {
      errors->push_back(MakeError(line, kWeight, parsed.status().message()));
    }
  }
  if (label.size() > 500 || !IsPrintable(label)) {
    errors->push_back(
        MakeError(line, kLabel, "is longer than 500 bytes or has control characters"));
  }
  if (errors->size() != before) return false;

  // The bounds first, so that a hostile file cannot grow what is kept.
  if (pairs_ >= kMaxCrosswalkPairs) {
    errors->push_back(MakeError(
        line, "row", absl::StrCat("the crosswalk has more than ", kMaxCrosswalkPairs, " pairs")));
    return false;
  }
  auto existing = entries_.find(source);
  if (existing != entries_.end() &&
      existing->second.targets.size() >= static_cast<size_t>(kMaxTargetsPerCode)) {
    errors->push_back(
        MakeError(line, kSource,
                  absl::StrCat("'", source, "' has more than ", kMaxTargetsPerCode, " targets")));
    return false;
  }
  std::string pair = absl::StrCat(source, std::string(1, '\0'), target);
  if (auto [it, added] = pair_lines_.emplace(pair, line); !added) {
    errors->push_back(
        MakeError(line, "row", absl::StrCat("repeats the pair of line ", it->second)));
    return false;
  }
  Entry& entry = existing != entries_.end() ? existing->second : entries_[std::string(source)];
  if (entry.label.empty()) entry.label = std::string(label);
  entry.targets.push_back({std::string(target), weight});
  ++pairs_;
  return true;
}

v1::Crosswalk CrosswalkImport::Finish(const std::string& source_file,
                                      std::vector<std::string>* notices) const {
  v1::Crosswalk crosswalk;
  crosswalk.set_id(id_);
  crosswalk.set_target(target_.id());
  crosswalk.set_source_file(source_file);
  crosswalk.set_weighted(weight_column_ >= 0);
  size_t split = 0;
  size_t normalized = 0;
  std::string example;
  for (const auto& [source, entry] : entries_) {
    v1::CrosswalkEntry* out = crosswalk.add_entries();
    out->set_source(source);
    out->set_label(entry.label);
    std::vector<Target> targets = entry.targets;
    std::sort(targets.begin(), targets.end(),
              [](const Target& a, const Target& b) { return a.code < b.code; });
    int64_t total = 0;
    for (const Target& target : targets) {
      auto* t = out->add_targets();
      t->set_code(target.code);
      t->set_weight_nanos(target.weight);
      total += target.weight;
    }
    if (targets.size() > 1) ++split;
    // Weights count as summing to 1 within a millionth.
    if (crosswalk.weighted() && std::llabs(total - kWeightUnit) > kWeightUnit / 1000000) {
      if (normalized++ == 0) {
        example = absl::StrCat(" ('", source, "' sums to ",
                               static_cast<double>(total) / kWeightUnit, ")");
      }
    }
  }
  if (!crosswalk.weighted() && split > 0) {
    notices->push_back(absl::StrCat("no weight column: each of the ", split, " codes with several ",
                                    "targets is split equally over them"));
  }
  if (normalized > 0) {
    notices->push_back(absl::StrCat("the weights of ", normalized, " of ", entries_.size(),
                                    " codes do not sum to 1", example,
                                    "; each code's weights were normalized to shares"));
  }
  return crosswalk;
}

}  // namespace lmx
