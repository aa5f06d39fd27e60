#include "node/http/dashboard.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "federation/classifications/datasets.h"
#include "node/http/dashboard_html.h"
#include "federation/base/status_macros.h"
#include "federation/base/text_formats.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

std::string Time(absl::Time time) {
  return JsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone()));
}

// Per country and major group, the statuses of its latest shortage period.
absl::StatusOr<std::string> Shortages(const QueryEngine& engine) {
  // country -> period -> major group -> counts of SHORTAGE, BALANCED, SURPLUS
  std::map<std::string, std::map<std::string, std::map<char, std::array<int, 3>>>> seen;
  v1::QueryRequest request;
  request.set_dataset(v1::DATASET_SHORTAGE);
  RETURN_IF_ERROR(engine.Query(request, [&](const v1::Observation& observation) {
    const v1::Shortage& s = observation.shortage();
    char group = s.occupation().empty() ? '_' : s.occupation()[0];
    if (group < '0' || group > '9' || s.status() < v1::SHORTAGE || s.status() > v1::SURPLUS) {
      return true;
    }
    ++seen[s.country()][s.period()][group][s.status() - v1::SHORTAGE];
    return true;
  }));
  std::vector<std::string> countries;
  static constexpr const char* kStatus[] = {"SHORTAGE", "BALANCED", "SURPLUS"};
  for (const auto& [country, periods] : seen) {
    const auto& [period, groups] = *periods.rbegin();
    std::vector<std::string> cells;
    for (const auto& [group, counts] : groups) {
      int shown = 1;  // BALANCED unless one status is the most frequent alone
      if (counts[0] > std::max(counts[1], counts[2])) shown = 0;
      if (counts[2] > std::max(counts[0], counts[1])) shown = 2;
      cells.push_back(absl::StrCat("{\"group\":\"", std::string(1, group), "\",\"status\":\"",
                                   kStatus[shown], "\",\"shortage\":", counts[0],
                                   ",\"balanced\":", counts[1], ",\"surplus\":", counts[2], "}"));
    }
    countries.push_back(absl::StrCat("{\"country\":", JsonString(country),
                                     ",\"period\":", JsonString(period), ",\"cells\":[",
                                     absl::StrJoin(cells, ","), "]}"));
  }
  return absl::StrCat("[", absl::StrJoin(countries, ","), "]");
}

// Flows of one period from origin to destination, as reported.
absl::StatusOr<std::string> Corridors(const QueryEngine& engine, absl::string_view wanted) {
  v1::AggregateRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  for (const char* dimension : {"period", "country", "direction", "counterpart"}) {
    request.add_by()->set_dimension(dimension);
  }
  ASSIGN_OR_RETURN(AggregateResult result, engine.Aggregate(request));
  std::set<std::string> periods;
  for (const auto& row : result.rows) periods.insert(row.keys(0));
  std::string period(wanted);
  if (period.empty() && !periods.empty()) period = *periods.rbegin();
  std::vector<std::string> rows;
  for (const auto& row : result.rows) {
    if (row.keys(0) != period) continue;
    const std::string& reporter = row.keys(1);
    const std::string& direction = row.keys(2);
    const std::string& counterpart = row.keys(3);
    // An outflow leaves the reporter; inflows and returns arrive there.
    bool leaving = direction == "OUTFLOW";
    rows.push_back(absl::StrCat("{\"origin\":", JsonString(leaving ? reporter : counterpart),
                                ",\"destination\":", JsonString(leaving ? counterpart : reporter),
                                ",\"reporter\":", JsonString(reporter),
                                ",\"direction\":", JsonString(direction),
                                ",\"count\":", row.measures(0).integer(), "}"));
  }
  std::vector<std::string> quoted;
  for (const auto& p : periods) quoted.push_back(JsonString(p));
  return absl::StrCat("{\"period\":", JsonString(period), ",\"periods\":[",
                      absl::StrJoin(quoted, ","), "],\"rows\":[", absl::StrJoin(rows, ","), "]}");
}

// Per country and dataset: the periods reported, the latest version
// (PolicyViews::Completeness, as `lmx completeness` shows it).
absl::StatusOr<std::string> Completeness(const std::vector<v1::CompletenessRow>& rows) {
  std::map<std::string, std::vector<std::string>> countries;
  for (const auto& row : rows) {
    std::vector<std::string> periods;
    for (const auto& p : row.periods()) periods.push_back(JsonString(p.period()));
    countries[row.country()].push_back(
        absl::StrCat("{\"dataset\":", JsonString(DatasetWord(row.dataset())), ",\"periods\":[",
                     absl::StrJoin(periods, ","), "],\"version\":", row.version(),
                     ",\"published_at\":", Time(FromTimestamp(row.published_at())), "}"));
  }
  std::vector<std::string> out;
  for (const auto& [country, datasets] : countries) {
    out.push_back(absl::StrCat("{\"country\":", JsonString(country), ",\"datasets\":[",
                               absl::StrJoin(datasets, ","), "]}"));
  }
  return absl::StrCat("[", absl::StrJoin(out, ","), "]");
}

// The shortage list of every country that published shortages, by the
// node's rule (PolicyViews::ShortageList, as `lmx shortage-list` shows it).
absl::StatusOr<std::string> ShortageLists(const PolicyViews& policy,
                                          const std::vector<v1::CompletenessRow>& rows) {
  std::vector<std::string> lists;
  for (const auto& row : rows) {
    if (row.dataset() != v1::DATASET_SHORTAGE) continue;
    v1::ShortageListRequest request;
    request.set_country(row.country());
    auto list = policy.ShortageList(request);
    if (absl::IsNotFound(list.status())) continue;  // subnational figures only
    RETURN_IF_ERROR(list.status());
    std::vector<std::string> entries;
    for (const auto& entry : list->entries()) {
      entries.push_back(absl::StrCat("{\"occupation\":", JsonString(entry.occupation()),
                                     ",\"label\":", JsonString(entry.label()),
                                     ",\"persistent\":", entry.persistent() ? "true" : "false",
                                     ",\"acute\":", entry.acute() ? "true" : "false",
                                     ",\"shortage_periods\":", entry.shortage_periods(), "}"));
    }
    std::vector<std::string> periods;
    for (const auto& p : list->periods()) periods.push_back(JsonString(p));
    lists.push_back(absl::StrCat("{\"country\":", JsonString(list->country()), ",\"periods\":[",
                                 absl::StrJoin(periods, ","),
                                 "],\"min_periods\":", list->rule().min_periods(),
                                 ",\"index_above\":", list->rule().index_above(), ",\"entries\":[",
                                 absl::StrJoin(entries, ","), "]}"));
  }
  return absl::StrCat("[", absl::StrJoin(lists, ","), "]");
}

// Per origin: what is applied here, what peers hold, when last heard of.
// `state` is the replication's, or null without one.
std::string Freshness(const Store& store, const v1::PeersResponse* state, absl::Time now) {
  std::vector<std::string> origins;
  if (state != nullptr) {
    for (const auto& origin : state->origins()) {
      std::string contact = "null";
      if (origin.has_last_contact()) {
        contact = absl::StrFormat(
            "%.1f", absl::ToDoubleSeconds(now - FromTimestamp(origin.last_contact())));
      }
      origins.push_back(absl::StrCat(
          "{\"origin\":", JsonString(origin.origin()), ",\"applied\":", origin.applied(),
          ",\"head\":", origin.head(), ",\"published_at\":",
          origin.has_published_at() ? Time(FromTimestamp(origin.published_at())) : "null",
          ",\"last_contact_age_seconds\":", contact, ",\"digest\":", JsonString(origin.digest()),
          "}"));
    }
  } else {
    for (const auto& [origin, version] : store.Catalog()->Latest()) {
      origins.push_back(absl::StrCat("{\"origin\":", JsonString(origin), ",\"applied\":", version,
                                     ",\"head\":", version, "}"));
    }
  }
  return absl::StrCat("[", absl::StrJoin(origins, ","), "]");
}

}  // namespace

absl::StatusOr<std::string> DashboardJson(const QueryEngine& engine, const PolicyViews& policy,
                                          const Store& store, const Replication* replication,
                                          absl::string_view period, absl::Time now) {
  ASSIGN_OR_RETURN(std::string shortages, Shortages(engine));
  ASSIGN_OR_RETURN(std::string corridors, Corridors(engine, period));
  ASSIGN_OR_RETURN(std::vector<v1::CompletenessRow> reported,
                   policy.Completeness(v1::CompletenessRequest()));
  ASSIGN_OR_RETURN(std::string completeness, Completeness(reported));
  ASSIGN_OR_RETURN(std::string lists, ShortageLists(policy, reported));
  // Read once: it takes the replication's lock and reads pinned keys.
  std::optional<v1::PeersResponse> state;
  if (replication != nullptr) state = replication->State();
  std::string node = state ? state->node() : "";
  return absl::StrCat("{\"node\":", JsonString(node), ",\"generated_at\":", Time(now),
                      ",\"shortages\":", shortages, ",\"corridors\":", corridors,
                      ",\"shortage_lists\":", lists, ",\"completeness\":", completeness,
                      ",\"freshness\":", Freshness(store, state ? &*state : nullptr, now), "}\n");
}

void ServeDashboard(HttpServer* http, const QueryEngine* engine, const PolicyViews* policy,
                    const Store* store, const Replication* replication, const Access* access) {
  http->Get("/dashboard", [](const HttpServer::Request&) {
    return HttpServer::Answer{200, "text/html; charset=utf-8", std::string(kDashboardHtml),
                              nullptr, {}};
  });
  http->Get("/api/dashboard", [=](const HttpServer::Request& request) -> HttpServer::Answer {
    Access::Caller caller;
    caller.address = request.remote;
    caller.authorization = request.Header("authorization");
    auto who = access->Authorize(caller, Action::kAggregateFlows, "HTTP /api/dashboard");
    const char* kText = "text/plain; charset=utf-8";
    if (!who.ok()) {
      int code = absl::IsUnauthenticated(who.status()) ? 401 : 403;
      return {code, kText, absl::StrCat(who.status().message(), "\n"), nullptr, {}};
    }
    auto period = request.parameters.find("period");
    auto json = DashboardJson(*engine, *policy, *store, replication,
                              period == request.parameters.end() ? "" : period->second);
    if (!json.ok()) {
      int code = absl::IsInvalidArgument(json.status()) ? 400 : 500;
      return {code, kText, absl::StrCat(json.status().message(), "\n"), nullptr, {}};
    }
    return {200, "application/json", *std::move(json), nullptr, {}};
  });
}

}  // namespace lmx
