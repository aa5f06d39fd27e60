#include "node/query/query_engine.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "federation/classifications/datasets.h"
#include "federation/harmonization/harmonize.h"
#include "federation/classifications/time_period.h"
#include "federation/statistics/totals.h"
#include "federation/protocol/observation_codec.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"

namespace lmx {

using v1::Observation;

// One dimension of Filter.where (at the level its codes are given in) and
// the codes it must have.
struct WhereFilter {
  v1::Grouping dimension;
  std::set<std::string> codes;
};

struct QueryEngine::Plan {
  v1::Dataset dataset = v1::DATASET_UNSPECIFIED;
  // What is scanned: the dataset, and for vacancy aggregates also the
  // VACANCY_AGG cells replicated from other origins.
  std::vector<v1::Dataset> scanned;
  std::shared_ptr<const BatchCatalog> catalog;
  VersionLimits limits;
  std::vector<std::string> countries;  // sorted
  std::string occupation;              // empty: any
  std::optional<int> first_month;      // period window, inclusive
  std::optional<int> last_month;
  std::vector<WhereFilter> where;  // Filter.where
};

namespace {

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

// The value of a dimension of an observation, at a roll-up level.
std::string DimensionValue(const Observation& o, const v1::Grouping& g) {
  const std::string& d = g.dimension();
  if (o.has_shortage()) {
    const auto& s = o.shortage();
    if (d == "country") return s.country();
    if (d == "period") return s.period();
    if (d == "occupation") return Codelists::RollUpOccupation(s.occupation(), g.level());
    if (d == "region") return s.region();
    if (d == "activity") return Codelists::RollUpActivity(s.activity(), g.level());
  } else if (o.has_vacancy()) {
    const auto& v = o.vacancy();
    if (d == "country") return v.country();
    if (d == "period") return v.posted().substr(0, 7);
    if (d == "occupation") return Codelists::RollUpOccupation(v.occupation(), g.level());
    if (d == "region") return v.region();
    if (d == "activity") return Codelists::RollUpActivity(v.activity(), g.level());
    if (d == "education") return v.education();
  } else if (o.has_vacancy_aggregate()) {
    const auto& a = o.vacancy_aggregate();
    if (d == "country") return a.country();
    if (d == "period") return a.period();
    if (d == "occupation") return Codelists::RollUpOccupation(a.occupation(), g.level());
    if (d == "region") return a.region();
    if (d == "activity") return Codelists::RollUpActivity(a.activity(), g.level());
    if (d == "education") return "_U";  // not in the aggregate
  } else if (o.has_flow()) {
    const auto& f = o.flow();
    if (d == "country") return f.country();
    if (d == "period") return f.period();
    if (d == "direction") return v1::FlowDirection_Name(f.direction());
    if (d == "counterpart") return f.counterpart();
    if (d == "occupation") return Codelists::RollUpOccupation(f.occupation(), g.level());
    if (d == "sex") return f.sex();
    if (d == "age") return f.age();
    if (d == "channel") return f.channel();
  }
  return "";
}

const std::string& CountryOf(const Observation& o) {
  if (o.has_shortage()) return o.shortage().country();
  if (o.has_vacancy()) return o.vacancy().country();
  if (o.has_vacancy_aggregate()) return o.vacancy_aggregate().country();
  return o.flow().country();
}

// Where each grouping's dimension sits in a FlowCell.
std::vector<int> FlowPositions(const std::vector<v1::Grouping>& by) {
  auto dimensions = AggregateDimensions(v1::DATASET_FLOW);
  std::vector<int> positions;
  for (const auto& grouping : by) {
    positions.push_back(
        static_cast<int>(std::find(dimensions.begin(), dimensions.end(), grouping.dimension()) -
                         dimensions.begin()));
  }
  return positions;
}

// A flow code as a group key: occupations rolled up to the grouping's level.
std::string FlowGroupKey(const v1::Grouping& grouping, const std::string& code) {
  return grouping.dimension() == "occupation" ? Codelists::RollUpOccupation(code, grouping.level())
                                              : code;
}

// The period an observation refers to; a vacancy's is its month of posting.
std::optional<TimePeriod> TimePeriodOf(const Observation& o) {
  auto period = TimePeriod::Parse(ReportingPeriodOf(o));
  if (!period.ok()) return std::nullopt;
  return *period;
}

// Measures of one aggregate row.
struct Accumulator {
  int64_t first = 0;   // count / vacancies / observations
  int64_t second = 0;  // positions / hard_to_fill
  double index_sum = 0;
  int64_t index_count = 0;
  bool any_second = false;  // whether any hard_to_fill was reported
  std::set<std::string> countries;
  std::string last_country;  // origins come in runs: most inserts are skipped

  void AddCountry(const std::string& country) {
    if (country == last_country) return;
    last_country = country;
    countries.insert(country);
  }
};

// Combines several shortage observations (narrower codes, or regions) by
// the region's one rule for combining shortage indicators.
void CombineNarrower(const std::vector<const v1::Shortage*>& parts, v1::ShortageViewRow* row) {
  ShortageCombiner combiner;
  for (const auto* part : parts) {
    combiner.Add(
        1.0, part->status(),
        part->has_shortage_index() ? std::optional<double>(part->shortage_index()) : std::nullopt,
        part->has_hard_to_fill() ? std::optional<int64_t>(part->hard_to_fill()) : std::nullopt);
    if (std::find(row->observed_occupations().begin(), row->observed_occupations().end(),
                  part->occupation()) == row->observed_occupations().end()) {
      row->add_observed_occupations(part->occupation());
    }
  }
  v1::Shortage combined;
  combiner.Fill(&combined);
  row->set_status(combined.status());
  if (combined.has_shortage_index()) row->set_shortage_index(combined.shortage_index());
  if (combined.has_hard_to_fill()) row->set_hard_to_fill(combined.hard_to_fill());
}

// The view of `occupation` from one country's observations: the latest
// period (the one ending last, the more specific on a tie), and in it the
// exact code, else the narrower codes, else the nearest broader code.
v1::ShortageViewRow ShortageRowOf(const std::string& occupation,
                                  const std::vector<v1::Shortage>& observations) {
  // Periods were checked when published; one that does not parse (from
  // a peer of another version) is passed over, never trusted.
  std::optional<TimePeriod> latest;
  for (const auto& s : observations) {
    auto period = TimePeriod::Parse(s.period());
    if (!period.ok()) continue;
    if (!latest || period->last_month() > latest->last_month() ||
        (period->last_month() == latest->last_month() &&
         period->frequency() > latest->frequency())) {
      latest = *period;
    }
  }
  v1::ShortageViewRow row;
  row.set_occupation(occupation);
  if (!latest) return row;
  std::vector<const v1::Shortage*> exact, narrower, broader;
  size_t broader_level = 0;
  for (const auto& s : observations) {
    auto period = TimePeriod::Parse(s.period());
    if (!period.ok() || !(*period == *latest)) continue;
    const std::string& code = s.occupation();
    if (code == occupation) {
      exact.push_back(&s);
    } else if (code.size() > occupation.size()) {
      narrower.push_back(&s);
    } else if (code.size() >= broader_level) {
      if (code.size() > broader_level) broader.clear();
      broader_level = code.size();
      broader.push_back(&s);
    }
  }
  row.set_period(latest->ToString());
  const auto& parts = !exact.empty() ? exact : !narrower.empty() ? narrower : broader;
  row.set_basis(!exact.empty() ? v1::EXACT : !narrower.empty() ? v1::NARROWER : v1::BROADER);
  if (parts.size() == 1) {
    const v1::Shortage& single = *parts.front();
    row.set_status(single.status());
    if (single.has_shortage_index()) row.set_shortage_index(single.shortage_index());
    if (single.has_hard_to_fill()) row.set_hard_to_fill(single.hard_to_fill());
    row.add_observed_occupations(single.occupation());
  } else {
    CombineNarrower(parts, &row);
  }
  for (const auto* part : parts) {
    if (part->provenance().version() > row.version()) {
      row.set_version(part->provenance().version());
      *row.mutable_published_at() = part->provenance().published_at();
    }
  }
  return row;
}

// The freshness of each origin at `limits`, sorted by origin.
std::vector<v1::OriginState> StatesOf(const BatchCatalog& catalog, const VersionLimits& limits) {
  std::vector<v1::OriginState> origins;
  for (const auto& [origin, version] : limits) {
    v1::OriginState state;
    state.set_origin(origin);
    state.set_version(version);
    if (const BatchInfo* batch = catalog.Find(origin, version)) {
      *state.mutable_published_at() = ToTimestamp(batch->published_at);
    }
    origins.push_back(std::move(state));
  }
  std::sort(origins.begin(), origins.end(),
            [](const auto& a, const auto& b) { return a.origin() < b.origin(); });
  return origins;
}

// Rows come sorted by their codes as text; a period column must sort by
// time instead (2025, 2025-Q1, 2025-01, 2025-02, ...).
void SortByTime(const std::vector<v1::Grouping>& by, std::vector<v1::AggregateRow>* rows) {
  std::vector<size_t> periods;
  for (size_t i = 0; i < by.size(); ++i) {
    if (by[i].dimension() == "period") periods.push_back(i);
  }
  if (periods.empty()) return;
  auto less = [&](const v1::AggregateRow& a, const v1::AggregateRow& b) {
    for (int i = 0; i < a.keys_size(); ++i) {
      if (a.keys(i) == b.keys(i)) continue;
      bool period =
          std::find(periods.begin(), periods.end(), static_cast<size_t>(i)) != periods.end();
      auto pa = period ? TimePeriod::Parse(a.keys(i)) : absl::StatusOr<TimePeriod>();
      auto pb = period ? TimePeriod::Parse(b.keys(i)) : absl::StatusOr<TimePeriod>();
      if (pa.ok() && pb.ok()) return *pa < *pb;
      return a.keys(i) < b.keys(i);
    }
    return false;
  };
  std::stable_sort(rows->begin(), rows->end(), less);
}

}  // namespace

QueryEngine::~QueryEngine() {
  // The listener goes first, so nothing calls the warmer as it stops.
  if (listened_ != nullptr) {
    listened_->RemoveListener(listener_);
    listened_->SetBatchObserver(nullptr);
  }
}

void QueryEngine::KeepColumnsWarm(Store* store) {
  if (warmer_ != nullptr) return;
  warmer_ = std::make_unique<FlowCache::Warmer>(&flow_columns_);
  listened_ = store;
  listener_ = store->AddListener([warmer = warmer_.get()] { warmer->Changed(); });
  store->SetBatchObserver(flow_columns_.Observer());
  warmer_->Changed();  // what the store already holds
}

absl::StatusOr<QueryEngine::Snapshot> QueryEngine::Pin(absl::string_view as_of) const {
  Snapshot at;
  at.catalog = store_->Catalog();
  ASSIGN_OR_RETURN(at.limits, at.catalog->Resolve(as_of));
  return at;
}

namespace {

// Filter.where, checked against the dataset's dimensions. Country, period
// and occupation have fields of their own.
absl::Status PlanWhere(v1::Dataset dataset, const v1::Filter& filter,
                       std::vector<WhereFilter>* where) {
  const std::vector<std::string> dimensions = AggregateDimensions(dataset);
  std::map<std::string, std::string> sorted(filter.where().begin(), filter.where().end());
  for (const auto& [name, text] : sorted) {
    if (name == "country" || name == "period" || name == "occupation") {
      return Invalid(absl::StrCat("where: filter ", name, " with its own field (countries, ",
                                  "period or from/to, occupation), not with where"));
    }
    if (std::find(dimensions.begin(), dimensions.end(), name) == dimensions.end()) {
      return Invalid(absl::StrCat("where: ", DatasetWord(dataset), " have no dimension '", name,
                                  "'; they have ", absl::StrJoin(dimensions, ", ")));
    }
    WhereFilter w;
    w.dimension.set_dimension(name);
    for (absl::string_view code : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      code = absl::StripAsciiWhitespace(code);
      // An ISIC section letter stands for its divisions.
      if (name == "activity" && code.size() == 1 && absl::ascii_isalpha(code[0])) {
        w.dimension.set_level(1);
      }
      w.codes.insert(std::string(code));
    }
    if (w.codes.empty()) return Invalid(absl::StrCat("where: ", name, " names no code"));
    if (name == "activity" && w.dimension.level() == 1 &&
        std::any_of(w.codes.begin(), w.codes.end(), [](const std::string& c) {
          return c.size() != 1;
        })) {
      return Invalid("where: activity takes ISIC sections (A) or divisions (01), not both");
    }
    where->push_back(std::move(w));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QueryEngine::Plan> QueryEngine::MakePlan(v1::Dataset dataset,
                                                        const v1::Filter& filter, Origins* origins,
                                                        const Snapshot* at) const {
  if (AggregateDimensions(dataset).empty()) {
    return Invalid("dataset must be shortages, vacancies or flows");
  }
  Plan plan;
  plan.dataset = dataset;
  plan.scanned = {dataset};
  if (at != nullptr) {
    plan.catalog = at->catalog;
    plan.limits = at->limits;
  } else {
    plan.catalog = store_->Catalog();
    ASSIGN_OR_RETURN(plan.limits, plan.catalog->Resolve(filter.as_of()));
  }
  if (origins != nullptr) *origins = StatesOf(*plan.catalog, plan.limits);
  for (const std::string& country : filter.countries()) {
    auto code = codelists_->Country(country);
    if (!code.ok()) return Invalid(absl::StrCat("country: ", code.status().message()));
    plan.countries.push_back(*code);
  }
  if (plan.countries.empty()) {
    for (const auto& [origin, version] : plan.limits) plan.countries.push_back(origin);
  }
  std::sort(plan.countries.begin(), plan.countries.end());
  plan.countries.erase(std::unique(plan.countries.begin(), plan.countries.end()),
                       plan.countries.end());
  if (!filter.occupation().empty()) {
    auto code = codelists_->Occupation(filter.occupation(),
                                       kAllowTotal | kAllowUnknown | kAllowNotApplicable);
    if (!code.ok()) return Invalid(absl::StrCat("occupation: ", code.status().message()));
    plan.occupation = *code;
  }
  auto window = [&](absl::string_view name, absl::string_view text, bool start) -> absl::Status {
    if (text.empty()) return absl::OkStatus();
    auto period = TimePeriod::Parse(text);
    if (!period.ok()) return Invalid(absl::StrCat(name, ": ", period.status().message()));
    if (start) {
      plan.first_month = std::max(plan.first_month.value_or(0), period->first_month());
    } else {
      plan.last_month = std::min(plan.last_month.value_or(1 << 30), period->last_month());
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(PlanWhere(dataset, filter, &plan.where));
  RETURN_IF_ERROR(window("period", filter.period(), true));
  RETURN_IF_ERROR(window("period", filter.period(), false));
  RETURN_IF_ERROR(window("from", filter.from(), true));
  RETURN_IF_ERROR(window("to", filter.to(), false));
  if (plan.first_month && plan.last_month && *plan.first_month > *plan.last_month) {
    return Invalid("the period window is empty: its start is after its end");
  }
  return plan;
}

absl::Status QueryEngine::Scan(const Plan& plan,
                               const std::function<bool(const Observation&)>& emit) const {
  bool more = true;
  absl::Status decode_error;
  for (const std::string& country : plan.countries) {
    for (v1::Dataset dataset : plan.scanned) {
      KeyRange range = DatasetRange(dataset, country, plan.first_month, plan.last_month);
      RETURN_IF_ERROR(
          store_->Scan(range.begin, range.end, plan.limits, [&](const StoredValue& stored) {
            auto observation = DecodeObservation(stored.value);
            if (!observation.ok()) {
              decode_error = observation.status();
              return false;
            }
            if (!plan.occupation.empty() &&
                !absl::StartsWith(OccupationOf(*observation), plan.occupation)) {
              return true;
            }
            for (const auto& where : plan.where) {
              if (where.codes.count(DimensionValue(*observation, where.dimension)) == 0) return true;
            }
            if (plan.first_month || plan.last_month) {
              auto period = TimePeriodOf(*observation);
              if (!period || period->first_month() < plan.first_month.value_or(0) ||
                  period->last_month() > plan.last_month.value_or(1 << 30)) {
                return true;
              }
            }
            v1::Provenance* provenance = MutableProvenance(&*observation);
            provenance->set_origin(std::string(stored.origin));
            provenance->set_version(stored.version);
            if (const BatchInfo* batch = plan.catalog->Find(stored.origin, stored.version)) {
              *provenance->mutable_published_at() = ToTimestamp(batch->published_at);
            }
            more = emit(*observation);
            return more;
          }));
      RETURN_IF_ERROR(decode_error);
      if (!more) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status QueryEngine::Query(const v1::QueryRequest& request,
                                const std::function<bool(const Observation&)>& emit,
                                Origins* origins, const Snapshot* at) const {
  ASSIGN_OR_RETURN(Plan plan, MakePlan(request.dataset(), request.filter(), origins, at));
  return Scan(plan, emit);
}

absl::StatusOr<AggregateResult> QueryEngine::Aggregate(const v1::AggregateRequest& request,
                                                       Origins* origins, const Snapshot* at) const {
  ASSIGN_OR_RETURN(Plan plan, MakePlan(request.dataset(), request.filter(), origins, at));
  // Other origins' vacancies arrive as VACANCY_AGG: microdata never leave
  // their node.
  if (plan.dataset == v1::DATASET_VACANCY) plan.scanned.push_back(v1::DATASET_VACANCY_AGG);
  std::vector<v1::Grouping> by;
  std::set<std::string> dimensions;
  for (const auto& grouping : request.by()) {
    if (!dimensions.insert(grouping.dimension()).second) {
      return Invalid(absl::StrCat("--by: '", grouping.dimension(), "' is named twice"));
    }
    std::string text = grouping.dimension();
    if (grouping.level() != 0) absl::StrAppend(&text, ":", grouping.level());
    ASSIGN_OR_RETURN(v1::Grouping checked, ParseGrouping(request.dataset(), text));
    by.push_back(checked);
  }

  // Vacancies are aggregated as VACANCY_AGG: by month of posting, cancelled
  // vacancies left out. Flows are summed as they come while their codes are
  // noted; only if those show published totals beside their details (or
  // nested occupation codes) are the flows collected again and resolved, so
  // that each is counted once (federation/statistics/totals.h).
  absl::flat_hash_map<std::vector<std::string>, Accumulator> groups;
  std::vector<std::string> keys(by.size());
  FlowCodes flow_codes;
  std::optional<std::vector<FlowGroup>> from_columns;
  if (request.dataset() == v1::DATASET_FLOW) {
    ASSIGN_OR_RETURN(from_columns, AggregateFlowColumns(plan, by));
  }
  if (from_columns) {
    for (auto& group : *from_columns) {
      Accumulator& acc = groups[group.keys];
      acc.first += group.count;
      acc.countries.insert(group.countries.begin(), group.countries.end());
    }
  } else {
    RETURN_IF_ERROR(Scan(plan, [&](const Observation& o) {
      if (o.has_vacancy() && o.vacancy().status() == v1::CANCELLED) return true;
      if (o.has_vacancy_aggregate() && o.vacancy_aggregate().vacancies() == 0) return true;
      for (size_t i = 0; i < by.size(); ++i) keys[i] = DimensionValue(o, by[i]);
      Accumulator& acc = groups[keys];
      acc.AddCountry(CountryOf(o));
      if (o.has_flow()) {
        const auto& f = o.flow();
        flow_codes.Add({&f.country(), &f.period(), nullptr, &f.counterpart(), &f.occupation(),
                        &f.sex(), &f.age(), &f.channel()});
        acc.first += f.count();
      } else if (o.has_vacancy_aggregate()) {
        acc.first += o.vacancy_aggregate().vacancies();
        acc.second += o.vacancy_aggregate().positions();
      } else if (o.has_vacancy()) {
        acc.first += 1;
        acc.second += o.vacancy().positions();
      } else if (o.has_shortage()) {
        acc.first += 1;
        acc.second += o.shortage().hard_to_fill();
        acc.any_second = acc.any_second || o.shortage().has_hard_to_fill();
        if (o.shortage().has_shortage_index()) {
          acc.index_sum += o.shortage().shortage_index();
          ++acc.index_count;
        }
      }
      return true;
    }));
  }
  if (flow_codes.NeedsResolving()) {
    std::vector<FlowCell> flows;
    RETURN_IF_ERROR(Scan(plan, [&](const Observation& o) {
      if (!o.has_flow()) return true;
      FlowCell cell;
      const auto& f = o.flow();
      cell.dims = {f.country(),     f.period(),     v1::FlowDirection_Name(f.direction()),
                   f.counterpart(), f.occupation(), f.sex(),
                   f.age(),         f.channel()};
      cell.count = f.count();
      flows.push_back(std::move(cell));
      return true;
    }));
    groups.clear();
    std::set<std::string> grouped;
    for (const auto& grouping : by) grouped.insert(grouping.dimension());
    std::vector<int> positions = FlowPositions(by);
    for (const FlowCell& cell : ResolveTotals(std::move(flows), grouped)) {
      for (size_t i = 0; i < by.size(); ++i) keys[i] = FlowGroupKey(by[i], cell.dims[positions[i]]);
      Accumulator& acc = groups[keys];
      acc.AddCountry(cell.dims[0]);
      acc.first += cell.count;
    }
  }

  AggregateResult result;
  for (const auto& grouping : by) result.columns.push_back(grouping.dimension());
  switch (request.dataset()) {
    case v1::DATASET_FLOW:
      result.columns.push_back("count");
      break;
    case v1::DATASET_VACANCY:
      result.columns.insert(result.columns.end(), {"vacancies", "positions"});
      break;
    default:
      result.columns.insert(result.columns.end(), {"observations", "mean_index", "hard_to_fill"});
  }
  result.columns.push_back("countries");
  // Rows in key order (then by time, below), whatever the hashing.
  std::vector<std::pair<const std::vector<std::string>*, const Accumulator*>> sorted;
  sorted.reserve(groups.size());
  for (const auto& [group_keys, acc] : groups) sorted.emplace_back(&group_keys, &acc);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [group_keys_ptr, acc_ptr] : sorted) {
    const std::vector<std::string>& group_keys = *group_keys_ptr;
    const Accumulator& acc = *acc_ptr;
    v1::AggregateRow row;
    for (const auto& key : group_keys) row.add_keys(key);
    row.add_measures()->set_integer(acc.first);
    if (request.dataset() == v1::DATASET_VACANCY) row.add_measures()->set_integer(acc.second);
    if (request.dataset() == v1::DATASET_SHORTAGE) {
      auto* mean = row.add_measures();
      if (acc.index_count > 0) mean->set_real(acc.index_sum / acc.index_count);
      auto* hard_to_fill = row.add_measures();
      if (acc.any_second) hard_to_fill->set_integer(acc.second);
    }
    row.set_countries(static_cast<int64_t>(acc.countries.size()));
    result.rows.push_back(std::move(row));
  }
  SortByTime(by, &result.rows);
  return result;
}

absl::StatusOr<std::optional<std::vector<QueryEngine::FlowGroup>>>
QueryEngine::AggregateFlowColumns(const Plan& plan, const std::vector<v1::Grouping>& by) const {
  // Each origin's columns, and whether totals would need resolving: the
  // codes of the columns are a superset of those of the filtered rows, so
  // "nothing to resolve" here means nothing to resolve there.
  std::vector<std::shared_ptr<const FlowColumns>> parts;
  FlowCodes codes;
  for (const std::string& country : plan.countries) {
    if (!plan.limits.count(country)) continue;
    auto columns = flow_columns_.Get(country, plan.limits);
    if (absl::IsFailedPrecondition(columns.status())) return std::nullopt;
    if (!columns.ok()) return columns.status();
    for (int d = 0; d < kFlowDimensions; ++d) {
      for (const auto& code : (*columns)->codes(d)) codes.AddCode(d, code);
    }
    parts.push_back(*std::move(columns));
  }
  if (codes.NeedsResolving()) return std::nullopt;
  // One shape for every origin: the groupings in dimension order (so that
  // `--by=a,b` and `--by=b,a` share their roll-ups) and the filters.
  std::vector<int> positions = FlowPositions(by);
  std::vector<size_t> order(by.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return positions[a] < positions[b]; });
  FlowShape shape;
  for (size_t i : order) {
    shape.by.emplace_back(positions[i], by[i].dimension() == "occupation" ? by[i].level() : 0);
    absl::StrAppend(&shape.id, shape.by.back().first, ":", shape.by.back().second, ",");
  }
  absl::StrAppend(&shape.id, "|", plan.occupation, "|", plan.first_month.value_or(-1), "|",
                  plan.last_month.value_or(-1));
  std::array<const WhereFilter*, kFlowDimensions> where{};
  const std::vector<std::string> dimensions = AggregateDimensions(v1::DATASET_FLOW);
  for (const WhereFilter& w : plan.where) {
    int d = static_cast<int>(std::find(dimensions.begin(), dimensions.end(), w.dimension.dimension()) -
                             dimensions.begin());
    if (d >= kFlowDimensions) return std::nullopt;
    where[d] = &w;
    absl::StrAppend(&shape.id, "|", d, "=", absl::StrJoin(w.codes, ","));
  }
  if (!plan.occupation.empty() || plan.first_month || plan.last_month || !plan.where.empty()) {
    shape.keep = [&](int d, const std::string& code) {
      if (d == 4 && !absl::StartsWith(code, plan.occupation)) return false;
      if (d == 1 && (plan.first_month || plan.last_month)) {
        auto period = TimePeriod::Parse(code);
        if (!period.ok() || period->first_month() < plan.first_month.value_or(0) ||
            period->last_month() > plan.last_month.value_or(1 << 30)) {
          return false;
        }
      }
      return where[d] == nullptr || where[d]->codes.count(code) > 0;
    };
  }
  struct Group {
    int64_t count = 0;
    std::vector<std::string> countries;  // each once, in origin order
  };
  absl::flat_hash_map<std::vector<std::string>, Group> groups;
  std::vector<std::string> keys(by.size());
  for (const auto& columns : parts) {
    if (columns->rows() == 0) continue;
    std::shared_ptr<const FlowRollUp> rolled = columns->RollUp(shape);
    const std::string& country = columns->codes(0).front();
    for (size_t g = 0; g < rolled->counts.size(); ++g) {
      for (size_t i = 0; i < order.size(); ++i) keys[order[i]] = rolled->keys[g][i];
      Group& group = groups[keys];
      group.count += rolled->counts[g];
      if (group.countries.empty() || group.countries.back() != country) group.countries.push_back(country);
    }
  }
  std::vector<FlowGroup> result;
  result.reserve(groups.size());
  for (auto& [group_keys, group] : groups) {
    result.push_back({group_keys, group.count, std::move(group.countries)});
  }
  return result;
}

absl::StatusOr<std::vector<v1::ShortageViewRow>> QueryEngine::Shortages(
    const v1::ShortageViewRequest& request, Origins* origins) const {
  if (request.occupation().empty()) return Invalid("occupation: is required");
  auto occupation = codelists_->Occupation(request.occupation());
  if (!occupation.ok()) return Invalid(absl::StrCat("occupation: ", occupation.status().message()));
  v1::Filter filter;
  filter.set_period(request.period());
  filter.set_as_of(request.as_of());
  ASSIGN_OR_RETURN(Plan plan, MakePlan(v1::DATASET_SHORTAGE, filter, origins));

  // Observations on the occupation, a code above it or a code below it, by
  // country and by whether they are national (all regions, all activities).
  struct Candidates {
    std::vector<v1::Shortage> national;
    std::vector<v1::Shortage> subnational;
  };
  std::map<std::string, Candidates> by_country;
  RETURN_IF_ERROR(Scan(plan, [&](const Observation& o) {
    const v1::Shortage& s = o.shortage();
    if (!absl::StartsWith(*occupation, s.occupation()) &&
        !absl::StartsWith(s.occupation(), *occupation)) {
      return true;
    }
    Candidates& candidates = by_country[s.country()];
    bool national = s.region() == kTotal && s.activity() == kTotal;
    (national ? candidates.national : candidates.subnational).push_back(s);
    return true;
  }));

  std::vector<v1::ShortageViewRow> rows;
  for (const auto& [country, candidates] : by_country) {
    // National figures speak for the country; regional or sectoral ones
    // only when it published no national figure.
    bool national = !candidates.national.empty();
    v1::ShortageViewRow row =
        ShortageRowOf(*occupation, national ? candidates.national : candidates.subnational);
    row.set_country(country);
    row.set_subnational(!national);
    rows.push_back(std::move(row));
  }
  return rows;
}

v1::ShortageViewRow LatestShortage(const std::string& occupation,
                                   const std::vector<v1::Shortage>& observations) {
  return ShortageRowOf(occupation, observations);
}

QueryEngine::Origins QueryEngine::Latest() const {
  auto catalog = store_->Catalog();
  return StatesOf(*catalog, catalog->Latest());
}

}  // namespace lmx
