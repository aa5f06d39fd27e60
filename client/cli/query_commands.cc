// The read commands: query, aggregate, shortages, shortage-list, flows, match, completeness.
#include "client/cli/commands.h"


#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "federation/classifications/datasets.h"
#include "federation/classifications/time_period.h"

namespace lmx::cli {

// The dimensions besides country, period and occupation that `lmx query`
// and `lmx aggregate` filter by, each with its own flag.
constexpr const char* kDimensionFilters[] = {"region",    "activity",    "education", "sex",
                                             "age",       "direction",   "counterpart",
                                             "channel"};

absl::StatusOr<v1::Filter> ParseFilter(const Arguments& args) {
  v1::Filter filter;
  for (absl::string_view country : absl::StrSplit(args.Get("country"), ',', absl::SkipEmpty())) {
    filter.add_countries(std::string(country));
  }
  filter.set_occupation(args.Get("occupation"));
  filter.set_period(args.Get("period"));
  filter.set_from(args.Get("from"));
  filter.set_to(args.Get("to"));
  filter.set_as_of(args.Get("as_of"));
  if (!filter.period().empty() && (!filter.from().empty() || !filter.to().empty())) {
    return UsageError("use --period or --from/--to, not both");
  }
  // --sex=F, --counterpart=SAU,ARE, ...: the node checks them against the
  // dataset's dimensions.
  for (const char* dimension : kDimensionFilters) {
    if (args.Has(dimension)) (*filter.mutable_where())[dimension] = args.Get(dimension);
  }
  return filter;
}

const std::set<std::string> kFilterFlags = {
    "country", "occupation", "period", "from",      "to",          "as_of",   "format",
    "region",  "activity",   "education", "sex",    "age",        "direction", "counterpart",
    "channel"};

Cell Optional(bool present, double value) { return present ? Cell::Real(value) : Cell::Null(); }
Cell OptionalInt(bool present, int64_t value) {
  return present ? Cell::Integer(value) : Cell::Null();
}

// The columns and cells of `lmx query` for each dataset.
std::vector<std::string> QueryColumns(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE:
      return {"country",  "period",       "occupation",     "region",
              "activity", "status",       "shortage_index", "hard_to_fill",
              "version",  "published_at", "classification", "national_codes"};
    case v1::DATASET_VACANCY:
      return {"country",    "vacancy_id",   "posted",         "closes",
              "occupation", "activity",     "region",         "positions",
              "education",  "skills",       "title",          "status",
              "version",    "published_at", "classification", "national_codes"};
    default:
      return {"country", "occupation",   "period",         "direction",     "counterpart",
              "sex",     "age",          "channel",        "count",         "conf_status",
              "version", "published_at", "classification", "national_codes"};
  }
}

std::vector<Cell> QueryCells(const v1::Observation& o) {
  auto provenance = [](const v1::Provenance& p, std::vector<Cell>* cells) {
    cells->push_back(Cell::Integer(static_cast<int64_t>(p.version())));
    cells->push_back(Cell::Text(FormatTime(p.published_at())));
    // Which crosswalk version mapped it, and from which national codes.
    cells->push_back(
        Cell::Text(p.classification().empty()
                       ? ""
                       : absl::StrCat(p.classification(), " v", p.classification_version())));
    cells->push_back(Cell::List({p.national_codes().begin(), p.national_codes().end()}));
  };
  std::vector<Cell> cells;
  if (o.has_shortage()) {
    const auto& s = o.shortage();
    cells = {Cell::Text(s.country()),
             Cell::Text(s.period()),
             Cell::Text(s.occupation()),
             Cell::Text(s.region()),
             Cell::Text(s.activity()),
             Cell::Text(v1::ShortageStatus_Name(s.status())),
             Optional(s.has_shortage_index(), s.shortage_index()),
             OptionalInt(s.has_hard_to_fill(), s.hard_to_fill())};
    provenance(s.provenance(), &cells);
  } else if (o.has_vacancy()) {
    const auto& v = o.vacancy();
    cells = {Cell::Text(v.country()),    Cell::Text(v.vacancy_id()),
             Cell::Text(v.posted()),     Cell::Text(v.closes()),
             Cell::Text(v.occupation()), Cell::Text(v.activity()),
             Cell::Text(v.region()),     Cell::Integer(v.positions()),
             Cell::Text(v.education()),  Cell::List({v.skills().begin(), v.skills().end()}),
             Cell::Text(v.title()),      Cell::Text(v1::VacancyStatus_Name(v.status()))};
    provenance(v.provenance(), &cells);
  } else {
    const auto& f = o.flow();
    cells = {Cell::Text(f.country()),     Cell::Text(f.occupation()),
             Cell::Text(f.period()),      Cell::Text(v1::FlowDirection_Name(f.direction())),
             Cell::Text(f.counterpart()), Cell::Text(f.sex()),
             Cell::Text(f.age()),         Cell::Text(f.channel()),
             Cell::Integer(f.count()),    Cell::Text(v1::ConfStatus_Name(f.conf_status()))};
    provenance(f.provenance(), &cells);
  }
  return cells;
}

// Prints a streamed answer. The first message carries the freshness (and,
// for aggregates, the columns): `columns` turns it, or no message at all,
// into the header, and `rows` writes each message's rows.
template <typename Response>
int PrintAnswer(
    Format format,
    const std::function<absl::Status(const std::function<void(const Response&)>&)>& call,
    const std::function<std::vector<std::string>(const Response*)>& columns,
    const std::function<void(const Response&, TableWriter*)>& rows) {
  auto out = TableWriter::Create(format, std::cout);
  bool begun = false;
  google::protobuf::RepeatedPtrField<v1::OriginState> origins;
  absl::Status status = call([&](const Response& response) {
    if (!begun) {
      out->Begin(columns(&response));
      origins = response.origins();
      begun = true;
    }
    rows(response, out.get());
  });
  if (!status.ok()) return Report(status);
  if (!begun) out->Begin(columns(nullptr));
  out->End();
  ReportFreshness(format, origins);
  return kOk;
}

int Query(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow(kFilterFlags));
  v1::QueryRequest request;
  ASSIGN_OR_EXIT(v1::Dataset dataset, ParseDataset(args, 1));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "query shortages|vacancies|flows [filters]"));
  request.set_dataset(dataset);
  ASSIGN_OR_EXIT(*request.mutable_filter(), ParseFilter(args));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::QueryResponse>(
      format, [&](const auto& receive) { return client->Query(request, receive); },
      [&](const v1::QueryResponse*) { return QueryColumns(request.dataset()); },
      [](const v1::QueryResponse& response, TableWriter* out) {
        for (const auto& observation : response.observations()) out->Row(QueryCells(observation));
      });
}

int Aggregate(const Arguments& args) {
  std::set<std::string> allowed = kFilterFlags;
  allowed.insert("by");
  RETURN_IF_USAGE_ERROR(args.Allow(allowed));
  v1::AggregateRequest request;
  ASSIGN_OR_EXIT(v1::Dataset dataset, ParseDataset(args, 1));
  RETURN_IF_USAGE_ERROR(
      ExpectPositional(args, 2, "aggregate shortages|vacancies|flows --by=DIM[:LEVEL],..."));
  request.set_dataset(dataset);
  if (args.Get("by").empty()) return Report(UsageError("aggregate needs --by=DIM[:LEVEL],..."));
  for (absl::string_view by : absl::StrSplit(args.Get("by"), ',', absl::SkipEmpty())) {
    ASSIGN_OR_EXIT(*request.add_by(), ParseGrouping(request.dataset(), by));
  }
  ASSIGN_OR_EXIT(*request.mutable_filter(), ParseFilter(args));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::AggregateResponse>(
      format, [&](const auto& receive) { return client->Aggregate(request, receive); },
      [](const v1::AggregateResponse* first) {
        return first == nullptr
                   ? std::vector<std::string>{}
                   : std::vector<std::string>(first->columns().begin(), first->columns().end());
      },
      [](const v1::AggregateResponse& response, TableWriter* out) {
        for (const auto& row : response.rows()) {
          std::vector<Cell> cells;
          for (const auto& key : row.keys()) cells.push_back(Cell::Text(key));
          for (const auto& value : row.measures()) {
            cells.push_back(value.has_integer() ? Cell::Integer(value.integer())
                            : value.has_real()  ? Cell::Real(value.real())
                                                : Cell::Null());
          }
          cells.push_back(Cell::Integer(row.countries()));
          out->Row(cells);
        }
      });
}

int Shortages(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"occupation", "period", "as_of", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "shortages --occupation=CODE [--period=]"));
  if (args.Get("occupation").empty()) {
    return Report(UsageError("shortages needs --occupation=CODE"));
  }
  v1::ShortageViewRequest request;
  request.set_occupation(args.Get("occupation"));
  request.set_period(args.Get("period"));
  request.set_as_of(args.Get("as_of"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::ShortageViewResponse>(
      format, [&](const auto& receive) { return client->Shortages(request, receive); },
      [](const v1::ShortageViewResponse*) {
        return std::vector<std::string>{"country",     "occupation",     "period",
                                        "status",      "shortage_index", "hard_to_fill",
                                        "basis",       "scope",          "observed_occupations",
                                        "published_at"};
      },
      [](const v1::ShortageViewResponse& response, TableWriter* out) {
        for (const auto& row : response.rows()) {
          out->Row({Cell::Text(row.country()), Cell::Text(row.occupation()),
                    Cell::Text(row.period()), Cell::Text(v1::ShortageStatus_Name(row.status())),
                    Optional(row.has_shortage_index(), row.shortage_index()),
                    OptionalInt(row.has_hard_to_fill(), row.hard_to_fill()),
                    Cell::Text(v1::ShortageBasis_Name(row.basis())),
                    Cell::Text(row.subnational() ? "subnational" : "national"),
                    Cell::Text(absl::StrJoin(row.observed_occupations(), "|")),
                    Cell::Text(FormatTime(row.published_at()))});
        }
      });
}

int ShortageList(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow(
      {"country", "period", "as_of", "format", "min_periods", "last_periods", "index_above"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "shortage-list --country=X [--period=]"));
  if (args.Get("country").empty()) return Report(UsageError("shortage-list needs --country=X"));
  v1::ShortageListRequest request;
  request.set_country(args.Get("country"));
  request.set_period(args.Get("period"));
  request.set_as_of(args.Get("as_of"));
  auto* rule = request.mutable_rule();
  RETURN_IF_USAGE_ERROR(
      ParseCount(args, "min_periods", [&](uint32_t v) { rule->set_min_periods(v); }));
  RETURN_IF_USAGE_ERROR(
      ParseCount(args, "last_periods", [&](uint32_t v) { rule->set_last_periods(v); }));
  if (args.Has("index_above")) {
    double t = 0;
    if (!absl::SimpleAtod(args.Get("index_above"), &t)) {
      return Report(UsageError("--index_above must be a number in [-1, 1]"));
    }
    rule->set_index_above(t);
  }
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::ShortageListResponse list, client->ShortageList(request));
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"occupation", "label", "listed", "shortage_periods", "period", "status",
              "shortage_index", "hard_to_fill"});
  for (const auto& entry : list.entries()) {
    std::string listed = entry.persistent() && entry.acute() ? "persistent, acute"
                         : entry.persistent()                ? "persistent"
                                                             : "acute";
    for (const auto& e : entry.evidence()) {
      out->Row({Cell::Text(entry.occupation()), Cell::Text(entry.label()), Cell::Text(listed),
                Cell::Integer(entry.shortage_periods()), Cell::Text(e.period()),
                Cell::Text(v1::ShortageStatus_Name(e.status())),
                Optional(e.has_shortage_index(), e.shortage_index()),
                OptionalInt(e.has_hard_to_fill(), e.hard_to_fill())});
    }
  }
  out->End();
  // The rule and the window, in every format (stderr keeps CSV and JSON
  // clean): an empty list is an answer only with them.
  std::cerr << list.country() << " shortage list for "
            << (list.periods().empty() ? "" : list.periods(list.periods_size() - 1)) << ": "
            << list.entries_size() << (list.entries_size() == 1 ? " occupation" : " occupations")
            << " SHORTAGE in at least " << list.rule().min_periods() << " of "
            << absl::StrJoin(list.periods(), ", ") << ", or with shortage_index above "
            << list.rule().index_above() << " in the latest\n";
  ReportFreshness(format, list.origins());
  return kOk;
}

int Flows(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(
      args.Allow({"mirror", "period", "from", "to", "corridor", "as_of", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "flows --mirror [--period=] [--corridor=A-B]"));
  if (!args.Has("mirror")) {
    return Report(UsageError(
        "flows needs --mirror (the flows themselves: lmx query flows, lmx aggregate flows)"));
  }
  if (args.Has("period") && (args.Has("from") || args.Has("to"))) {
    return Report(UsageError("use --period or --from/--to, not both"));
  }
  v1::MirrorFlowsRequest request;
  request.set_period(args.Get("period"));
  request.set_from(args.Get("from"));
  request.set_to(args.Get("to"));
  request.set_corridor(args.Get("corridor"));
  request.set_as_of(args.Get("as_of"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::MirrorFlowsResponse>(
      format, [&](const auto& receive) { return client->MirrorFlows(request, receive); },
      [](const v1::MirrorFlowsResponse*) {
        return std::vector<std::string>{"origin",   "destination", "period", "occupation",
                                        "sex",      "outflow",     "inflow", "difference",
                                        "relative", "missing"};
      },
      [](const v1::MirrorFlowsResponse& response, TableWriter* out) {
        for (const auto& r : response.rows()) {
          out->Row({Cell::Text(r.origin()), Cell::Text(r.destination()), Cell::Text(r.period()),
                    Cell::Text(r.occupation()), Cell::Text(r.sex()),
                    OptionalInt(r.has_outflow(), r.outflow()),
                    OptionalInt(r.has_inflow(), r.inflow()),
                    OptionalInt(r.has_difference(), r.difference()),
                    Optional(r.has_relative(), r.relative()), Cell::Text(r.missing())});
        }
      });
}

int Match(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(
      args.Allow({"occupation", "destination", "origin", "period", "level", "as_of", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(
      args, 1, "match [--occupation=CODE] [--destination=X] [--origin=Y] [--period=]"));
  v1::MatchRequest request;
  request.set_occupation(args.Get("occupation"));
  request.set_destination(args.Get("destination"));
  request.set_origin(args.Get("origin"));
  request.set_period(args.Get("period"));
  request.set_as_of(args.Get("as_of"));
  RETURN_IF_USAGE_ERROR(ParseCount(args, "level", [&](uint32_t v) { request.set_level(v); }));
  if (args.Has("level") && (request.level() < 1 || request.level() > 4)) {
    return Report(UsageError("--level must be 1 to 4 (ISCO major to unit groups)"));
  }
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::MatchResponse>(
      format, [&](const auto& receive) { return client->Match(request, receive); },
      [&](const v1::MatchResponse*) {
        return std::vector<std::string>{"occupation",
                                        "label",
                                        "destination",
                                        "destination_period",
                                        "destination_index",
                                        "origin",
                                        "origin_period",
                                        "origin_index",
                                        "inflow",
                                        "outflow",
                                        "vacancies",
                                        "positions",
                                        "window",
                                        "score"};
      },
      [](const v1::MatchResponse& response, TableWriter* out) {
        for (const auto& r : response.rows()) {
          out->Row({Cell::Text(r.occupation()), Cell::Text(r.label()), Cell::Text(r.destination()),
                    Cell::Text(r.destination_period()),
                    Optional(r.has_destination_index(), r.destination_index()),
                    Cell::Text(r.origin()), Cell::Text(r.origin_period()),
                    Optional(r.has_origin_index(), r.origin_index()),
                    OptionalInt(r.has_inflow(), r.inflow()),
                    OptionalInt(r.has_outflow(), r.outflow()), Cell::Integer(r.vacancies()),
                    Cell::Integer(r.positions()), Cell::Text(r.window()), Cell::Real(r.score())});
        }
      });
}

int Completeness(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"dataset", "from", "to", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "completeness [--dataset=] [--from= --to=]"));
  v1::CompletenessRequest request;
  if (args.Has("dataset")) {
    static const std::map<std::string, v1::Dataset> kDatasets = {
        {"shortages", v1::DATASET_SHORTAGE},
        {"vacancies", v1::DATASET_VACANCY},
        {"flows", v1::DATASET_FLOW}};
    auto it = kDatasets.find(args.Get("dataset"));
    if (it == kDatasets.end()) {
      return Report(UsageError("--dataset must be shortages, vacancies or flows"));
    }
    request.set_dataset(it->second);
  }
  request.set_from(args.Get("from"));
  request.set_to(args.Get("to"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  std::vector<v1::CompletenessRow> rows;
  google::protobuf::RepeatedPtrField<v1::OriginState> origins;
  bool first = true;
  absl::Status status = client->Completeness(request, [&](const v1::CompletenessResponse& r) {
    if (first) origins = r.origins();
    first = false;
    for (const auto& row : r.rows()) rows.push_back(row);
  });
  if (!status.ok()) return Report(status);
  // The matrix: a column per period any member reported, in time order.
  std::map<TimePeriod, std::string> periods;  // in TimePeriod's (storage) order
  for (const auto& row : rows) {
    for (const auto& p : row.periods()) {
      auto period = TimePeriod::Parse(p.period());
      if (period.ok()) periods[*period] = p.period();
    }
  }
  std::vector<std::string> columns = {"country", "dataset", "version", "published_at"};
  for (const auto& [order, period] : periods) columns.push_back(period);
  auto out = TableWriter::Create(format, std::cout);
  out->Begin(columns);
  for (const auto& row : rows) {
    std::map<std::string, uint64_t> reported;
    for (const auto& p : row.periods()) reported[p.period()] = p.version();
    std::vector<Cell> cells = {Cell::Text(row.country()), Cell::Text(DatasetWord(row.dataset())),
                               Cell::Integer(static_cast<int64_t>(row.version())),
                               Cell::Text(FormatTime(row.published_at()))};
    for (const auto& [order, period] : periods) {
      auto it = reported.find(period);
      cells.push_back(it == reported.end() ? Cell::Null()
                                           : Cell::Text(absl::StrCat("v", it->second)));
    }
    out->Row(cells);
  }
  out->End();
  ReportFreshness(format, origins);
  return kOk;
}

}  // namespace lmx::cli
