#include "node/query/policy.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "federation/classifications/time_period.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

bool National(const v1::Shortage& s) { return s.region() == kTotal && s.activity() == kTotal; }

std::string Label(absl::string_view occupation) {
  const ClassCode* code = Codelists::Isco().Find(occupation);
  return code == nullptr ? "" : code->label;
}

absl::StatusOr<std::string> CountryArgument(const Codelists& codelists, absl::string_view name,
                                            absl::string_view value) {
  auto code = codelists.Country(value);
  if (!code.ok()) return Invalid(absl::StrCat(name, ": ", code.status().message()));
  return *code;
}

absl::StatusOr<std::optional<TimePeriod>> PeriodArgument(absl::string_view name,
                                                         absl::string_view value) {
  if (value.empty()) return std::optional<TimePeriod>();
  auto period = TimePeriod::Parse(value);
  if (!period.ok()) return Invalid(absl::StrCat(name, ": ", period.status().message()));
  return std::optional<TimePeriod>(*period);
}

// Groups the rows of an aggregate by their keys, with the first measure.
using Counts = std::map<std::vector<std::string>, int64_t>;
Counts CountsOf(const AggregateResult& result) {
  Counts counts;
  for (const auto& row : result.rows) {
    counts[{row.keys().begin(), row.keys().end()}] += row.measures(0).integer();
  }
  return counts;
}

v1::Grouping By(const std::string& dimension, int level = 0) {
  v1::Grouping grouping;
  grouping.set_dimension(dimension);
  grouping.set_level(level);
  return grouping;
}

}  // namespace

absl::StatusOr<v1::ShortageListResponse> PolicyViews::ShortageList(
    const v1::ShortageListRequest& request) const {
  if (request.country().empty()) return Invalid("country: is required");
  ASSIGN_OR_RETURN(std::string country, CountryArgument(*codelists_, "country", request.country()));
  ASSIGN_OR_RETURN(std::optional<TimePeriod> until, PeriodArgument("period", request.period()));
  v1::ShortageListRule rule;
  const auto& asked = request.rule();
  rule.set_min_periods(asked.has_min_periods() ? asked.min_periods() : defaults_.min_periods);
  rule.set_last_periods(asked.has_last_periods() ? asked.last_periods() : defaults_.last_periods);
  rule.set_index_above(asked.has_index_above() ? asked.index_above() : defaults_.index_above);
  if (rule.last_periods() < 1 || rule.last_periods() > 120) {
    return Invalid("rule.last_periods: must be 1 to 120");
  }
  if (rule.min_periods() < 1 || rule.min_periods() > rule.last_periods()) {
    return Invalid(
        absl::StrCat("rule.min_periods: must be 1 to last_periods (", rule.last_periods(), ")"));
  }
  if (!(rule.index_above() >= -1 && rule.index_above() <= 1)) {
    return Invalid("rule.index_above: must be within [-1, 1]");
  }

  // The country's national observations, by period then occupation.
  std::map<TimePeriod, std::map<std::string, v1::Shortage>> by_period;
  v1::QueryRequest query;
  query.set_dataset(v1::DATASET_SHORTAGE);
  query.mutable_filter()->add_countries(country);
  query.mutable_filter()->set_to(request.period());  // periods ending within it, or all
  query.mutable_filter()->set_as_of(request.as_of());
  v1::ShortageListResponse response;
  QueryEngine::Origins origins;
  RETURN_IF_ERROR(engine_->Query(
      query,
      [&](const v1::Observation& o) {
        const v1::Shortage& s = o.shortage();
        if (!National(s)) return true;
        auto period = TimePeriod::Parse(s.period());
        if (!period.ok()) return true;  // checked at publication; never trusted
        by_period[*period][s.occupation()] = s;
        return true;
      },
      &origins));
  for (auto& origin : origins) *response.add_origins() = std::move(origin);
  if (by_period.empty()) {
    return absl::NotFoundError(
        absl::StrCat(country, " has published no national shortage observation",
                     until ? absl::StrCat(" up to ", until->ToString()) : std::string(),
                     " (this node holds what it has replicated; see lmx peers)"));
  }

  // The window: the n periods that end with the latest period of the
  // country's reporting frequency, reported or not. That frequency is the
  // one of `--period` when the country reports in it, else the one most of
  // its observations have (the coarser on a tie): a few monthly figures do
  // not turn a quarterly list into a monthly one.
  std::map<TimePeriod::Frequency, size_t> observations;
  for (const auto& [period, occupations] : by_period) {
    observations[period.frequency()] += occupations.size();
  }
  TimePeriod::Frequency frequency = observations.begin()->first;
  for (const auto& [f, count] : observations) {
    if (count > observations[frequency]) frequency = f;
  }
  if (until && observations.count(until->frequency())) frequency = until->frequency();
  std::optional<TimePeriod> last_reported;
  for (const auto& [period, unused] : by_period) {
    if (period.frequency() == frequency) last_reported = period;  // in time order
  }
  const TimePeriod latest = *last_reported;
  std::vector<TimePeriod> window;
  for (int back = static_cast<int>(rule.last_periods()) - 1; back >= 0; --back) {
    if (auto period = latest.Before(back)) window.push_back(*period);
  }
  response.set_country(country);
  for (const auto& period : window) response.add_periods(period.ToString());
  *response.mutable_rule() = rule;
  std::set<std::string> occupations;
  auto reported = [&](const TimePeriod& period) -> const std::map<std::string, v1::Shortage>& {
    static const auto* none = new std::map<std::string, v1::Shortage>();
    auto it = by_period.find(period);
    return it == by_period.end() ? *none : it->second;
  };
  for (const auto& period : window) {
    for (const auto& [occupation, unused] : reported(period)) occupations.insert(occupation);
  }
  const auto& last = reported(latest);
  for (const auto& occupation : occupations) {
    v1::ShortageListEntry entry;
    entry.set_occupation(occupation);
    entry.set_label(Label(occupation));
    uint32_t shortages = 0;
    for (const auto& period : window) {
      auto it = reported(period).find(occupation);
      if (it == reported(period).end()) continue;
      const v1::Shortage& s = it->second;
      if (s.status() == v1::SHORTAGE) ++shortages;
      v1::ShortageEvidence* evidence = entry.add_evidence();
      evidence->set_period(s.period());
      evidence->set_status(s.status());
      if (s.has_shortage_index()) evidence->set_shortage_index(s.shortage_index());
      if (s.has_hard_to_fill()) evidence->set_hard_to_fill(s.hard_to_fill());
    }
    entry.set_shortage_periods(shortages);
    entry.set_persistent(shortages >= rule.min_periods());
    auto now = last.find(occupation);
    entry.set_acute(now != last.end() && now->second.has_shortage_index() &&
                    now->second.shortage_index() > rule.index_above());
    if (entry.persistent() || entry.acute()) *response.add_entries() = std::move(entry);
  }
  return response;
}

absl::StatusOr<std::vector<v1::MirrorRow>> PolicyViews::Mirror(
    const v1::MirrorFlowsRequest& request, QueryEngine::Origins* origins) const {
  std::string only_origin, only_destination;
  if (!request.corridor().empty()) {
    std::vector<std::string> sides = absl::StrSplit(request.corridor(), '-');
    if (sides.size() != 2) return Invalid("corridor: must be ORIGIN-DESTINATION, e.g. UGA-KEN");
    ASSIGN_OR_RETURN(only_origin, CountryArgument(*codelists_, "corridor", sides[0]));
    ASSIGN_OR_RETURN(only_destination, CountryArgument(*codelists_, "corridor", sides[1]));
    if (only_origin == only_destination) {
      return Invalid(absl::StrCat("corridor: ", only_origin, "-", only_destination,
                                  " has the same country at both ends"));
    }
  }
  // The corridor totals, and the breakdowns by major group, by sex and by
  // both, each aggregated on its own so that the totals rule (a published
  // total, or the sum of its details) applies to each.
  v1::AggregateRequest totals;
  totals.set_dataset(v1::DATASET_FLOW);
  totals.mutable_filter()->set_period(request.period());
  totals.mutable_filter()->set_from(request.from());
  totals.mutable_filter()->set_to(request.to());
  totals.mutable_filter()->set_as_of(request.as_of());
  for (const char* d : {"period", "country", "direction", "counterpart"}) *totals.add_by() = By(d);
  v1::AggregateRequest by_occupation = totals, by_sex = totals, by_both = totals;
  *by_occupation.add_by() = By("occupation", 1);
  *by_sex.add_by() = By("sex");
  *by_both.add_by() = By("occupation", 1);
  *by_both.add_by() = By("sex");
  // One set of versions for the four: a batch arriving meanwhile is in all
  // of them or in none.
  ASSIGN_OR_RETURN(QueryEngine::Snapshot at, engine_->Pin(request.as_of()));
  ASSIGN_OR_RETURN(AggregateResult total_result, engine_->Aggregate(totals, origins, &at));
  ASSIGN_OR_RETURN(AggregateResult occupation_result,
                   engine_->Aggregate(by_occupation, nullptr, &at));
  ASSIGN_OR_RETURN(AggregateResult sex_result, engine_->Aggregate(by_sex, nullptr, &at));
  ASSIGN_OR_RETURN(AggregateResult both_result, engine_->Aggregate(by_both, nullptr, &at));
  std::set<std::string> members;
  for (const auto& origin : *origins) members.insert(origin.origin());

  // One side of a corridor in a period: its total and its breakdowns,
  // keyed by (occupation, sex) with `_T` for what is not broken down. A
  // detail `_T` (what a side published without that breakdown) is left
  // out: it is no group.
  using Cell = std::pair<std::string, std::string>;
  struct Side {
    std::optional<int64_t> total;
    std::map<Cell, int64_t> by_occupation, by_sex, by_both;
  };
  struct Corridor {
    Side out, in;
  };
  // Period keys sort as text here; rows are put in time order below.
  std::map<std::tuple<std::string, std::string, std::string>, Corridor> corridors;
  auto side = [&](const std::vector<std::string>& keys) -> Side* {
    const std::string &period = keys[0], &country = keys[1], &direction = keys[2],
                      &counterpart = keys[3];
    bool out = direction == "OUTFLOW";
    if (!out && direction != "INFLOW") return nullptr;
    const std::string& origin = out ? country : counterpart;
    const std::string& destination = out ? counterpart : country;
    if (origin == destination || !members.count(origin) || !members.count(destination)) {
      return nullptr;
    }
    if (!only_origin.empty() && (origin != only_origin || destination != only_destination)) {
      return nullptr;
    }
    Corridor& corridor = corridors[{origin, destination, period}];
    return out ? &corridor.out : &corridor.in;
  };
  const std::string total(kTotal);
  for (const auto& [keys, count] : CountsOf(total_result)) {
    if (Side* s = side(keys)) s->total = s->total.value_or(0) + count;
  }
  for (const auto& [keys, count] : CountsOf(occupation_result)) {
    Side* s = side(keys);
    if (s != nullptr && keys[4] != kTotal) s->by_occupation[{keys[4], total}] += count;
  }
  for (const auto& [keys, count] : CountsOf(sex_result)) {
    Side* s = side(keys);
    if (s != nullptr && keys[4] != kTotal) s->by_sex[{total, keys[4]}] += count;
  }
  for (const auto& [keys, count] : CountsOf(both_result)) {
    Side* s = side(keys);
    if (s != nullptr && keys[4] != kTotal && keys[5] != kTotal) {
      s->by_both[{keys[4], keys[5]}] += count;
    }
  }

  auto row_of = [](const std::string& origin, const std::string& destination,
                   const std::string& period, const Cell& cell, std::optional<int64_t> out,
                   std::optional<int64_t> in) {
    v1::MirrorRow row;
    row.set_origin(origin);
    row.set_destination(destination);
    row.set_period(period);
    row.set_occupation(cell.first);
    row.set_sex(cell.second);
    if (out) row.set_outflow(*out);
    if (in) row.set_inflow(*in);
    if (out && in) {
      row.set_difference(*in - *out);
      int64_t larger = std::max(*in, *out);
      row.set_relative(larger == 0 ? 0.0 : static_cast<double>(*in - *out) / larger);
    } else {
      row.set_missing(out ? destination : origin);
    }
    return row;
  };
  std::vector<v1::MirrorRow> rows;
  for (const auto& [key, corridor] : corridors) {
    // Named references, not bindings: a lambda below captures them (C++17).
    const std::string& origin = std::get<0>(key);
    const std::string& destination = std::get<1>(key);
    const std::string& period = std::get<2>(key);
    rows.push_back(
        row_of(origin, destination, period, {total, total}, corridor.out.total, corridor.in.total));
    // A breakdown is compared where both sides report it; a group only one
    // side reports has the other side missing.
    auto compare = [&](const std::map<Cell, int64_t>& out, const std::map<Cell, int64_t>& in) {
      if (out.empty() || in.empty()) return;
      std::set<Cell> cells;
      for (const auto& [cell, unused] : out) cells.insert(cell);
      for (const auto& [cell, unused] : in) cells.insert(cell);
      for (const Cell& cell : cells) {
        auto o = out.find(cell);
        auto i = in.find(cell);
        rows.push_back(row_of(origin, destination, period, cell,
                              o == out.end() ? std::nullopt : std::optional<int64_t>(o->second),
                              i == in.end() ? std::nullopt : std::optional<int64_t>(i->second)));
      }
    };
    compare(corridor.out.by_occupation, corridor.in.by_occupation);
    compare(corridor.out.by_sex, corridor.in.by_sex);
    compare(corridor.out.by_both, corridor.in.by_both);
  }
  // In time order within a corridor (2025, 2025-Q1, 2025-01, ...); the
  // rows of one period keep their order.
  auto order = [](const std::string& text) {
    auto period = TimePeriod::Parse(text);
    return period.ok()
               ? std::make_pair(period->first_month(), static_cast<int>(period->frequency()))
               : std::make_pair(-1, 0);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const v1::MirrorRow& a, const v1::MirrorRow& b) {
    if (a.origin() != b.origin()) return a.origin() < b.origin();
    if (a.destination() != b.destination()) return a.destination() < b.destination();
    return order(a.period()) < order(b.period());
  });
  return rows;
}

absl::StatusOr<MatchResult> PolicyViews::Match(const v1::MatchRequest& request,
                                               QueryEngine::Origins* origins) const {
  std::string occupation;
  if (!request.occupation().empty()) {
    auto code = codelists_->Occupation(request.occupation());
    if (!code.ok()) return Invalid(absl::StrCat("occupation: ", code.status().message()));
    occupation = *code;
  }
  std::string only_destination, only_origin;
  if (!request.destination().empty()) {
    ASSIGN_OR_RETURN(only_destination,
                     CountryArgument(*codelists_, "destination", request.destination()));
  }
  if (!request.origin().empty()) {
    ASSIGN_OR_RETURN(only_origin, CountryArgument(*codelists_, "origin", request.origin()));
  }
  ASSIGN_OR_RETURN(std::optional<TimePeriod> period, PeriodArgument("period", request.period()));
  size_t level = request.level() != 0 ? request.level()
                 : occupation.empty() ? 2
                                      : occupation.size();
  if (level < 1 || level > 4) return Invalid("level: must be 1 to 4 (ISCO major to unit groups)");
  if (level < occupation.size()) {
    return Invalid(absl::StrCat("level: ", level, " is above occupation ", occupation, " (level ",
                                occupation.size(), ")"));
  }

  // National observations on codes at or below the level, by country and
  // group.
  std::map<std::pair<std::string, std::string>, std::vector<v1::Shortage>> observed;
  v1::QueryRequest query;
  query.set_dataset(v1::DATASET_SHORTAGE);
  query.mutable_filter()->set_occupation(occupation);
  query.mutable_filter()->set_period(request.period());
  query.mutable_filter()->set_as_of(request.as_of());
  // One set of versions for the statuses, the flows and the vacancies.
  ASSIGN_OR_RETURN(QueryEngine::Snapshot at, engine_->Pin(request.as_of()));
  RETURN_IF_ERROR(engine_->Query(
      query,
      [&](const v1::Observation& o) {
        const v1::Shortage& s = o.shortage();
        if (!National(s) || s.occupation().size() < level) return true;
        observed[{s.occupation().substr(0, level), s.country()}].push_back(s);
        return true;
      },
      origins, &at));

  // Each country's latest standing in each group.
  struct Standing {
    std::string country;
    v1::ShortageViewRow row;
    double index = 0;
  };
  std::map<std::string, std::pair<std::vector<Standing>, std::vector<Standing>>> groups;
  for (const auto& [key, observations] : observed) {
    const auto& [group, country] = key;
    Standing standing{country, LatestShortage(group, observations)};
    const v1::ShortageViewRow& row = standing.row;
    if (row.period().empty()) continue;  // no period that parses
    standing.index = row.has_shortage_index()       ? row.shortage_index()
                     : row.status() == v1::SHORTAGE ? 0.5
                     : row.status() == v1::SURPLUS  ? -0.5
                                                    : 0.0;
    bool destination =
        row.status() == v1::SHORTAGE && (only_destination.empty() || country == only_destination);
    bool origin = row.status() == v1::SURPLUS && (only_origin.empty() || country == only_origin);
    if (!destination && !origin) continue;
    (destination ? groups[group].first : groups[group].second).push_back(std::move(standing));
  }

  // The pairs: a positive gap between a country in shortage and one in
  // surplus (a status whose index says otherwise makes none).
  MatchResult result;
  for (const auto& [group, sides] : groups) {
    for (const Standing& short_in : sides.first) {
      for (const Standing& surplus_in : sides.second) {
        const double gap = (short_in.index - surplus_in.index) / 2;
        if (short_in.country == surplus_in.country || !(gap > 0)) continue;
        v1::MatchRow row;
        row.set_occupation(group);
        row.set_label(Label(group));
        row.set_destination(short_in.country);
        row.set_destination_period(short_in.row.period());
        if (short_in.row.has_shortage_index()) {
          row.set_destination_index(short_in.row.shortage_index());
        }
        row.set_origin(surplus_in.country);
        row.set_origin_period(surplus_in.row.period());
        if (surplus_in.row.has_shortage_index()) {
          row.set_origin_index(surplus_in.row.shortage_index());
        }
        row.set_score(gap);  // times the vacancy term, below
        result.rows.push_back(std::move(row));
      }
    }
  }
  if (period) result.window = period->ToString();
  if (result.rows.empty()) return result;

  // Flows and vacancies of each group in each pair's window: the request's
  // period, or the year of the destination's status, so that a pair's
  // numbers never depend on which other pairs are in the answer.
  struct Counted {
    Counts flows;
    std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> open;
  };
  std::map<std::string, Counted> windows;
  for (v1::MatchRow& row : result.rows) {
    row.set_window(period ? period->ToString() : row.destination_period().substr(0, 4));
    windows[row.window()];
  }
  for (auto& [window, counted] : windows) {
    v1::AggregateRequest flows;
    flows.set_dataset(v1::DATASET_FLOW);
    flows.mutable_filter()->set_period(window);
    flows.mutable_filter()->set_occupation(occupation);
    flows.mutable_filter()->set_as_of(request.as_of());
    for (const char* d : {"country", "direction", "counterpart"}) *flows.add_by() = By(d);
    *flows.add_by() = By("occupation", static_cast<int>(level));
    ASSIGN_OR_RETURN(AggregateResult flow_result, engine_->Aggregate(flows, nullptr, &at));
    counted.flows = CountsOf(flow_result);
    v1::AggregateRequest vacancies;
    vacancies.set_dataset(v1::DATASET_VACANCY);
    *vacancies.mutable_filter() = flows.filter();
    *vacancies.add_by() = By("country");
    *vacancies.add_by() = By("occupation", static_cast<int>(level));
    ASSIGN_OR_RETURN(AggregateResult vacancy_result, engine_->Aggregate(vacancies, nullptr, &at));
    for (const auto& row : vacancy_result.rows) {
      auto& sums = counted.open[{row.keys(0), row.keys(1)}];
      sums.first += row.measures(0).integer();
      sums.second += row.measures(1).integer();
    }
  }
  for (v1::MatchRow& row : result.rows) {
    const Counted& counted = windows[row.window()];
    auto in = counted.flows.find({row.destination(), "INFLOW", row.origin(), row.occupation()});
    if (in != counted.flows.end()) row.set_inflow(in->second);
    auto out = counted.flows.find({row.origin(), "OUTFLOW", row.destination(), row.occupation()});
    if (out != counted.flows.end()) row.set_outflow(out->second);
    auto vacant = counted.open.find({row.destination(), row.occupation()});
    if (vacant != counted.open.end()) {
      row.set_vacancies(vacant->second.first);
      row.set_positions(vacant->second.second);
    }
    row.set_score(row.score() * (1 + std::log10(1.0 + static_cast<double>(row.positions()))));
  }
  std::sort(result.rows.begin(), result.rows.end(),
            [](const v1::MatchRow& a, const v1::MatchRow& b) {
              if (a.score() != b.score()) return a.score() > b.score();
              return std::tie(a.occupation(), a.destination(), a.origin()) <
                     std::tie(b.occupation(), b.destination(), b.origin());
            });
  return result;
}

absl::StatusOr<std::vector<v1::CompletenessRow>> PolicyViews::Completeness(
    const v1::CompletenessRequest& request) const {
  ASSIGN_OR_RETURN(std::optional<TimePeriod> from, PeriodArgument("from", request.from()));
  ASSIGN_OR_RETURN(std::optional<TimePeriod> to, PeriodArgument("to", request.to()));
  if (from && to && from->first_month() > to->last_month()) {
    return Invalid(absl::StrCat("from/to: the period window is empty (", from->ToString(),
                                " is after ", to->ToString(), ")"));
  }
  switch (request.dataset()) {
    case v1::DATASET_UNSPECIFIED:
    case v1::DATASET_SHORTAGE:
    case v1::DATASET_VACANCY:
    case v1::DATASET_FLOW:
      break;
    default:
      return Invalid("dataset: must be shortages, vacancies or flows");
  }
  auto catalog = store_->Catalog();
  std::map<std::pair<std::string, int>, v1::CompletenessRow> rows;
  std::map<std::pair<std::string, int>, std::map<TimePeriod, v1::ReportedPeriod>> periods;
  for (const auto& [origin, head] : catalog->Latest()) {
    for (const BatchInfo& batch : catalog->Batches(origin)) {
      if (batch.dataset != v1::DATASET_SHORTAGE && batch.dataset != v1::DATASET_VACANCY &&
          batch.dataset != v1::DATASET_FLOW) {
        continue;
      }
      if (request.dataset() != v1::DATASET_UNSPECIFIED && batch.dataset != request.dataset()) {
        continue;
      }
      std::pair<std::string, int> key{origin, batch.dataset};
      v1::CompletenessRow& row = rows[key];
      row.set_country(origin);
      row.set_dataset(static_cast<v1::Dataset>(batch.dataset));
      row.set_version(batch.version);
      *row.mutable_published_at() = ToTimestamp(batch.published_at);
      for (const auto& text : batch.periods) {
        auto period = TimePeriod::Parse(text);
        if (!period.ok()) continue;
        if (from && period->first_month() < from->first_month()) continue;
        if (to && period->last_month() > to->last_month()) continue;
        v1::ReportedPeriod& reported = periods[key][*period];
        reported.set_period(text);
        reported.set_version(batch.version);
        *reported.mutable_published_at() = ToTimestamp(batch.published_at);
      }
    }
  }
  std::vector<v1::CompletenessRow> result;
  for (auto& [key, row] : rows) {
    for (auto& [unused, reported] : periods[key]) *row.add_periods() = std::move(reported);
    result.push_back(std::move(row));
  }
  return result;
}

}  // namespace lmx
