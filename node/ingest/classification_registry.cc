#include "node/ingest/classification_registry.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "federation/classifications/time_period.h"
#include "federation/harmonization/crosswalk_import.h"
#include "federation/protocol/observation_codec.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"
#include "federation/classifications/occupation_search.h"

namespace lmx {
namespace {

absl::Status NotFound(absl::string_view message) { return absl::NotFoundError(message); }

v1::Code ToCode(const Classification& classification, const ClassCode& code) {
  v1::Code out;
  out.set_code(code.code);
  out.set_label(code.label);
  out.set_level(code.level);
  out.set_parent(code.parent);
  out.set_level_name(classification.LevelName(code.level));
  return out;
}

v1::ClassificationInfo DescribeRegional(const Classification& classification) {
  v1::ClassificationInfo info;
  info.set_id(classification.id());
  info.set_name(classification.name());
  info.set_kind(v1::ClassificationInfo::REGIONAL);
  info.set_source(classification.source());
  info.set_codes(static_cast<int64_t>(classification.codes().size()));
  for (const auto& level : classification.level_names()) info.add_levels(level);
  return info;
}

// TIME_PERIOD is a grammar, so its "codes" are made on demand: a year holds
// its quarters, a quarter its months.
v1::ClassificationInfo DescribeTimePeriod() {
  v1::ClassificationInfo info;
  info.set_id(std::string(kTimePeriodId));
  info.set_name("Reporting periods: YYYY, YYYY-Qn, YYYY-MM (ISO 8601, as SDMX writes them)");
  info.set_kind(v1::ClassificationInfo::REGIONAL);
  info.set_source("ISO 8601 / SDMX TIME_PERIOD");
  for (const char* level : {"year", "quarter", "month"}) info.add_levels(level);
  return info;
}

v1::Code PeriodCode(const TimePeriod& period) {
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  v1::Code code;
  code.set_code(period.ToString());
  int first = period.first_month() % 12;
  int year = period.year();
  switch (period.frequency()) {
    case TimePeriod::Frequency::kAnnual:
      code.set_level(1);
      code.set_level_name("year");
      code.set_label(absl::StrCat("Year ", year));
      break;
    case TimePeriod::Frequency::kQuarterly:
      code.set_level(2);
      code.set_level_name("quarter");
      code.set_parent(absl::StrCat(year));
      code.set_label(absl::StrCat(kMonths[first], " to ", kMonths[first + 2], " ", year));
      break;
    case TimePeriod::Frequency::kMonthly:
      code.set_level(3);
      code.set_level_name("month");
      code.set_parent(absl::StrCat(year, "-Q", first / 3 + 1));
      code.set_label(absl::StrCat(kMonths[first], " ", year));
      break;
  }
  return code;
}

absl::StatusOr<v1::ShowClassificationResponse> ShowTimePeriod(const std::string& text) {
  v1::ShowClassificationResponse response;
  *response.mutable_classification() = DescribeTimePeriod();
  if (text.empty()) return response;
  auto period = TimePeriod::Parse(text);
  if (!period.ok()) return NotFound(period.status().message());
  *response.mutable_code() = PeriodCode(*period);
  for (std::string parent = response.code().parent(); !parent.empty();) {
    v1::Code ancestor = PeriodCode(*TimePeriod::Parse(parent));
    parent = ancestor.parent();
    *response.add_ancestors() = std::move(ancestor);
  }
  std::reverse(response.mutable_ancestors()->begin(), response.mutable_ancestors()->end());
  int year = period->year();
  if (period->frequency() == TimePeriod::Frequency::kAnnual) {
    for (int q = 1; q <= 4; ++q) {
      *response.add_children() = PeriodCode(*TimePeriod::Parse(absl::StrCat(year, "-Q", q)));
    }
  } else if (period->frequency() == TimePeriod::Frequency::kQuarterly) {
    for (int m = period->first_month() % 12 + 1; m <= period->last_month() % 12 + 1; ++m) {
      *response.add_children() = PeriodCode(TimePeriod::Month(year, m));
    }
  }
  return response;
}

v1::BatchUse ToBatchUse(const BatchInfo& batch) {
  v1::BatchUse use;
  use.set_version(batch.version);
  *use.mutable_published_at() = ToTimestamp(batch.published_at);
  use.set_dataset(static_cast<v1::Dataset>(batch.dataset));
  use.set_source(batch.source);
  use.set_rows(batch.rows);
  use.set_observations(batch.observations);
  use.set_classification_version(batch.classification_version);
  return use;
}

}  // namespace

ClassificationRegistry::ClassificationRegistry(const Store* store,
                                               std::shared_ptr<const Codelists> codelists,
                                               std::string country)
    : store_(store), codelists_(std::move(codelists)), country_(std::move(country)) {}

absl::StatusOr<std::shared_ptr<const Crosswalk>> ClassificationRegistry::Compile(
    absl::string_view origin, absl::string_view id, uint64_t version,
    absl::string_view value) const {
  std::string key = absl::StrCat(origin, "/", id);
  {
    absl::MutexLock lock(&mu_);
    auto it = compiled_.find(key);
    if (it != compiled_.end() && it->second->version() == version) return it->second;
  }
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("stored crosswalk ", id, " of ", origin, " at version ", version, " ", why));
  };
  v1::Crosswalk proto;
  if (!proto.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return corrupt("does not parse");
  }
  // A crosswalk may come from a peer: the rules the import enforces are
  // checked again, so that mapping never divides by a zero weight.
  for (const auto& entry : proto.entries()) {
    if (entry.targets().empty() || entry.targets_size() > kMaxTargetsPerCode) {
      return corrupt(absl::StrCat("has a code with ", entry.targets_size(), " targets"));
    }
    for (const auto& target : entry.targets()) {
      if (target.weight_nanos() <= 0 || target.weight_nanos() > kMaxWeight * kWeightUnit ||
          Codelists::Isco().Find(target.code()) == nullptr) {
        return corrupt(absl::StrCat("maps '", entry.source(), "' to '", target.code(),
                                    "' with an invalid code or weight"));
      }
    }
  }
  auto compiled = std::make_shared<const Crosswalk>(std::string(origin), version, std::move(proto));
  absl::MutexLock lock(&mu_);
  auto& cached = compiled_[key];
  // Only the newest version stays cached: that is what publishes map with.
  if (cached == nullptr || cached->version() < version) cached = compiled;
  return compiled;
}

absl::StatusOr<std::shared_ptr<const Crosswalk>> ClassificationRegistry::Find(
    absl::string_view origin, absl::string_view id, absl::string_view as_of) const {
  auto catalog = store_->Catalog();
  ASSIGN_OR_RETURN(VersionLimits limits, catalog->Resolve(as_of));
  const std::string upper = absl::AsciiStrToUpper(id);
  auto found = store_->Get(CrosswalkKey(origin, upper), limits);
  if (absl::IsNotFound(found.status())) {
    return NotFound(absl::StrCat("no classification '", id, "' at ", origin,
                                 as_of.empty() ? "" : absl::StrCat(" as of ", as_of),
                                 " (lmx classifications list shows those known)"));
  }
  if (!found.ok()) return found.status();
  return Compile(origin, upper, found->version, found->value);
}

absl::StatusOr<std::vector<std::shared_ptr<const Crosswalk>>> ClassificationRegistry::Latest()
    const {
  std::vector<std::shared_ptr<const Crosswalk>> crosswalks;
  KeyRange range = DatasetRange(v1::DATASET_CROSSWALK);
  absl::Status compile_status;
  auto catalog = store_->Catalog();
  RETURN_IF_ERROR(
      store_->Scan(range.begin, range.end, catalog->Latest(), [&](const StoredValue& stored) {
        // The logical key is dataset byte, origin, then the id and a NUL.
        absl::string_view id = stored.key.substr(4, stored.key.size() - 5);
        auto compiled = Compile(stored.origin, id, stored.version, stored.value);
        if (!compiled.ok()) {
          compile_status = compiled.status();
          return false;
        }
        crosswalks.push_back(*std::move(compiled));
        return true;
      }));
  RETURN_IF_ERROR(compile_status);
  return crosswalks;
}

v1::ClassificationInfo ClassificationRegistry::Describe(const Crosswalk& crosswalk) const {
  const v1::Crosswalk& proto = crosswalk.proto();
  v1::ClassificationInfo info;
  info.set_id(proto.id());
  info.set_name(absl::StrCat(proto.id(), " (national, mapped to ", proto.target(), ")"));
  info.set_kind(v1::ClassificationInfo::NATIONAL);
  info.set_source(proto.source_file());
  info.set_codes(proto.entries_size());
  info.add_levels("code");
  info.set_origin(crosswalk.origin());
  info.set_target(proto.target());
  info.set_version(crosswalk.version());
  auto catalog = store_->Catalog();  // held: the store swaps catalogs on commit
  if (const BatchInfo* batch = catalog->Find(crosswalk.origin(), crosswalk.version())) {
    *info.mutable_imported_at() = ToTimestamp(batch->published_at);
  }
  absl::flat_hash_set<std::string> targets;
  int64_t pairs = 0;
  for (const auto& entry : proto.entries()) {
    pairs += entry.targets_size();
    for (const auto& target : entry.targets()) targets.insert(target.code());
  }
  info.set_pairs(pairs);
  info.set_targets(static_cast<int64_t>(targets.size()));
  info.set_weighted(proto.weighted());
  return info;
}

absl::StatusOr<v1::ListClassificationsResponse> ClassificationRegistry::List() const {
  v1::ListClassificationsResponse response;
  for (const Classification* classification : codelists_->All()) {
    *response.add_classifications() = DescribeRegional(*classification);
  }
  *response.add_classifications() = DescribeTimePeriod();
  ASSIGN_OR_RETURN(auto crosswalks, Latest());
  for (const auto& crosswalk : crosswalks) *response.add_classifications() = Describe(*crosswalk);
  return response;
}

absl::StatusOr<v1::ShowClassificationResponse> ClassificationRegistry::Show(
    const v1::ShowClassificationRequest& request) const {
  std::string id = absl::AsciiStrToUpper(request.id());
  if (id == kTimePeriodId) return ShowTimePeriod(request.code());
  if (const Classification* classification = codelists_->Find(id)) {
    return ShowRegional(*classification, request.code());
  }
  return ShowNational(request);
}

absl::StatusOr<v1::ShowClassificationResponse> ClassificationRegistry::ShowRegional(
    const Classification& classification, const std::string& text) const {
  v1::ShowClassificationResponse response;
  *response.mutable_classification() = DescribeRegional(classification);
  if (text.empty()) {
    for (const ClassCode* top : classification.Children("")) {
      *response.add_top() = ToCode(classification, *top);
    }
    return response;
  }
  // ISCO codes are digits; the other lists are upper-case (countries also
  // by alpha-2 or number).
  std::string code = absl::AsciiStrToUpper(text);
  if (classification.id() == kIso3166Part1) {
    if (auto alpha3 = codelists_->Country(code); alpha3.ok()) code = *alpha3;
  }
  const ClassCode* found = classification.Find(code);
  if (found == nullptr) {
    return NotFound(absl::StrCat("'", text, "' is not a code of ", classification.id()));
  }
  *response.mutable_code() = ToCode(classification, *found);
  for (const ClassCode* ancestor : classification.Ancestors(code)) {
    *response.add_ancestors() = ToCode(classification, *ancestor);
  }
  for (const ClassCode* child : classification.Children(code)) {
    *response.add_children() = ToCode(classification, *child);
  }
  if (classification.id() != kIsco08) return response;
  ASSIGN_OR_RETURN(auto crosswalks, Latest());
  for (const auto& crosswalk : crosswalks) {
    for (const auto& entry : crosswalk->proto().entries()) {
      for (const auto& target : entry.targets()) {
        if (target.code() != code) continue;
        v1::MappedSource* source = response.add_mapped_from();
        source->set_origin(crosswalk->origin());
        source->set_classification(crosswalk->id());
        source->set_version(crosswalk->version());
        source->set_code(entry.source());
        source->set_label(entry.label());
        source->set_share(static_cast<double>(target.weight_nanos()) /
                          static_cast<double>(Crosswalk::TotalWeight(entry)));
      }
    }
  }
  return response;
}

absl::StatusOr<v1::ShowClassificationResponse> ClassificationRegistry::ShowNational(
    const v1::ShowClassificationRequest& request) const {
  std::string origin =
      request.origin().empty() ? country_ : absl::AsciiStrToUpper(request.origin());
  auto crosswalk = Find(origin, request.id(), request.as_of());
  if (!crosswalk.ok()) return crosswalk.status();
  const Classification& isco = Codelists::Isco();
  auto mapped = [&](const v1::CrosswalkEntry& entry, const v1::CrosswalkTarget& target) {
    v1::MappedTarget out;
    if (const ClassCode* code = isco.Find(target.code())) {
      *out.mutable_target() = ToCode(isco, *code);
    } else {
      out.mutable_target()->set_code(target.code());
    }
    out.set_weight_nanos(target.weight_nanos());
    out.set_share(static_cast<double>(target.weight_nanos()) /
                  static_cast<double>(Crosswalk::TotalWeight(entry)));
    return out;
  };
  v1::ShowClassificationResponse response;
  *response.mutable_classification() = Describe(**crosswalk);
  if (!request.code().empty()) {
    int position = (*crosswalk)->Find(request.code());
    if (position < 0) return NotFound((*crosswalk)->NoMapping(request.code()).message());
    const v1::CrosswalkEntry& entry = (*crosswalk)->entry(position);
    response.mutable_code()->set_code(entry.source());
    response.mutable_code()->set_label(entry.label());
    response.mutable_code()->set_level(1);
    response.mutable_code()->set_level_name("code");
    for (const auto& target : entry.targets()) *response.add_targets() = mapped(entry, target);
    return response;
  }
  for (const auto& entry : (*crosswalk)->proto().entries()) {
    for (const auto& target : entry.targets()) {
      v1::CrosswalkPair* pair = response.add_pairs();
      pair->set_source(entry.source());
      pair->set_label(entry.label());
      *pair->mutable_target() = mapped(entry, target);
    }
  }
  // The audit trail: every import of this id, and every batch mapped with it.
  const std::string& id = (*crosswalk)->id();
  auto catalog = store_->Catalog();  // held: the store swaps catalogs on commit
  for (const BatchInfo& batch : catalog->Batches(origin)) {
    if (batch.classification != id) continue;
    *(batch.dataset == v1::DATASET_CROSSWALK ? response.add_imports()
                                             : response.add_mapped_batches()) = ToBatchUse(batch);
  }
  return response;
}

absl::StatusOr<v1::SearchOccupationsResponse> ClassificationRegistry::Search(
    const v1::SearchOccupationsRequest& request) const {
  constexpr uint32_t kDefaultLimit = 10, kMaxLimit = 100;
  if (request.limit() > kMaxLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit: at most ", kMaxLimit));
  }
  if (request.text().size() > 200) return absl::InvalidArgumentError("text: at most 200 bytes");
  const Classification& isco = Codelists::Isco();
  v1::SearchOccupationsResponse response;
  for (const OccupationMatch& match : OccupationSearch::Default().Find(
           request.text(), request.limit() == 0 ? kDefaultLimit : request.limit())) {
    v1::OccupationMatch* out = response.add_matches();
    *out->mutable_occupation() = ToCode(isco, *isco.Find(match.code));
    out->set_matched(match.matched);
    switch (match.source) {
      case OccupationMatch::kIscoTitle: out->set_source(v1::OccupationMatch::ISCO08_TITLE); break;
      case OccupationMatch::kEscoLabel: out->set_source(v1::OccupationMatch::ESCO_LABEL); break;
      case OccupationMatch::kEscoAltLabel:
        out->set_source(v1::OccupationMatch::ESCO_ALT_LABEL);
        break;
      case OccupationMatch::kCode: out->set_source(v1::OccupationMatch::ISCO08_CODE); break;
    }
    for (const std::string& also : match.also) out->add_also(also);
  }
  return response;
}

}  // namespace lmx
