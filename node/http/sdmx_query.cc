// Reading SDMX REST data queries (node/http/sdmx.h): the path of SDMX REST
// 3.0 or 2.1, the query parameters, and the Accept header's negotiation.
#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/strings/str_format.h"
#include "federation/base/status_macros.h"
#include "federation/classifications/time_period.h"
#include "node/http/sdmx.h"

namespace lmx {
namespace {

absl::Status BadSyntax(absl::string_view message) { return absl::InvalidArgumentError(message); }

constexpr char kServed[] =
    "lmx serves SDMX-CSV 2.0.0 and 1.0.0 (application/vnd.sdmx.data+csv), SDMX-JSON 2.0.0 "
    "(application/vnd.sdmx.data+json;version=2.0.0) and SDMX-ML 2.1 generic and "
    "structure-specific data (application/vnd.sdmx.genericdata+xml;version=2.1, "
    "application/vnd.sdmx.structurespecificdata+xml;version=2.1)";

// The format one media range asks for, if lmx serves it.
std::optional<SdmxFormat> Served(const SdmxMediaRange& range, SdmxDataQuery* query) {
  const std::string& t = range.type;
  if (t == "*/*" || t == "application/*" || t == "text/*" || t == "text/csv" ||
      t == "application/csv") {
    query->text_csv = t == "text/csv" || t == "text/*";
    return SdmxFormat::kCsv;
  }
  if (t == "application/vnd.sdmx.data+csv") {
    // SERIES_KEY/OBS_KEY columns and normalized times are not written.
    auto keys = range.parameters.find("keys");
    if (keys != range.parameters.end() && keys->second != "none") return std::nullopt;
    auto time = range.parameters.find("timeformat");
    if (time != range.parameters.end() && time->second != "original") return std::nullopt;
    auto labels = range.parameters.find("labels");
    if (labels != range.parameters.end()) {
      if (labels->second != "id" && labels->second != "both") return std::nullopt;
      query->labels = labels->second == "both";
    }
    if (range.Version({"2.0.0", "2.0"})) return SdmxFormat::kCsv;
    if (range.Version({"1.0.0", "1.0"})) return SdmxFormat::kCsv1;
    return std::nullopt;
  }
  if (t == "application/vnd.sdmx.data+json" || t == "application/json") {
    if (range.Version({"2.0.0", "2.0"})) return SdmxFormat::kJson;
    return std::nullopt;
  }
  if (t == "application/xml" || t == "text/xml") return SdmxFormat::kGenericXml;
  struct Xml {
    const char* type;
    SdmxFormat format;
    bool time_series;
  };
  for (const Xml& xml :
       {Xml{"application/vnd.sdmx.genericdata+xml", SdmxFormat::kGenericXml, false},
        Xml{"application/vnd.sdmx.generictimeseriesdata+xml", SdmxFormat::kGenericXml, true},
        Xml{"application/vnd.sdmx.structurespecificdata+xml", SdmxFormat::kStructureSpecificXml,
            false},
        Xml{"application/vnd.sdmx.structurespecifictimeseriesdata+xml",
            SdmxFormat::kStructureSpecificXml, true}}) {
    if (t == xml.type && range.Version({"2.1"})) {
      query->time_series_message = xml.time_series;
      return xml.format;
    }
  }
  // application/vnd.sdmx.data+xml is SDMX-ML 3.0, which lmx does not write.
  return std::nullopt;
}

absl::Status Negotiate(absl::string_view accept, SdmxDataQuery* query) {
  for (const SdmxMediaRange& range : ParseSdmxAccept(accept)) {
    if (auto format = Served(range, query)) {
      query->format = *format;
      return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("Accept: ", accept, " names no format lmx serves (406); ", kServed));
}

absl::Status SetFormat(absl::string_view value, SdmxDataQuery* query) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "csvfile" || v == "sdmx-csv" || v == "csv") {
    query->format = SdmxFormat::kCsv;
  } else if (v == "csvfilewithlabels") {
    query->format = SdmxFormat::kCsv;
    query->labels = true;
  } else if (v == "genericdata" || v == "sdmx-ml" || v == "xml") {
    query->format = SdmxFormat::kGenericXml;
  } else if (v == "generictimeseriesdata") {
    query->format = SdmxFormat::kGenericXml;
    query->time_series_message = true;
  } else if (v == "structurespecificdata") {
    query->format = SdmxFormat::kStructureSpecificXml;
  } else if (v == "structurespecifictimeseriesdata") {
    query->format = SdmxFormat::kStructureSpecificXml;
    query->time_series_message = true;
  } else if (v == "jsondata" || v == "sdmx-json" || v == "json") {
    query->format = SdmxFormat::kJson;
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        "format '", value,
        "' is not served (406); lmx serves format=csvfile, csvfilewithlabels, jsondata, "
        "genericdata, generictimeseriesdata, structurespecificdata and "
        "structurespecifictimeseriesdata"));
  }
  return absl::OkStatus();
}

// An xs:dateTime: with an offset as given, without one in the node's local
// time, as the specification reads it; a date alone is its first instant.
absl::StatusOr<absl::Time> ParseDateTime(absl::string_view name, absl::string_view value) {
  absl::Time time;
  std::string error;
  const std::string text(value);
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  for (const char* format : {"%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, text, absl::LocalTimeZone(), &time, &error)) return time;
  }
  return BadSyntax(absl::StrCat(name, ": '", value,
                                "' is not an xs:dateTime (2025-01-31T00:00:00Z, or without an "
                                "offset in the node's local time)"));
}

constexpr int kMaxObservations = 1000;

absl::Status ReadCount(absl::string_view name, absl::string_view value, int* count) {
  // Kept per series while the data is read: bounded, so that no query
  // holds a dataset in memory many times over.
  if (!absl::SimpleAtoi(value, count) || *count < 1 || *count > kMaxObservations) {
    return BadSyntax(absl::StrCat(name, ": '", value, "' is not a number from 1 to ",
                                  kMaxObservations));
  }
  return absl::OkStatus();
}

const std::set<std::string>& Operators() {
  static const auto* operators =
      new std::set<std::string>{"eq", "ne", "gt", "ge", "lt", "le", "sw", "ew", "co", "nc"};
  return *operators;
}

// c[X]=value: OR-groups (',') of AND-terms ('+', or the space a form-encoded
// '+' arrives as), each term an optional "op:" and a value.
absl::StatusOr<std::vector<std::vector<SdmxCondition>>> ParseConditions(absl::string_view name,
                                                                        absl::string_view value) {
  std::vector<std::vector<SdmxCondition>> any;
  for (absl::string_view group : absl::StrSplit(value, ',')) {
    std::vector<SdmxCondition> all;
    for (absl::string_view term : absl::StrSplit(group, absl::ByAnyChar("+ "))) {
      SdmxCondition condition{"eq", ""};
      if (term.size() == 3 && term[2] == ':' && Operators().count(std::string(term.substr(0, 2)))) {
        return BadSyntax(absl::StrCat(name, ": '", term, "' has an operator and no value"));
      }
      if (term.size() > 3 && term[2] == ':' && Operators().count(std::string(term.substr(0, 2)))) {
        condition.op = std::string(term.substr(0, 2));
        term.remove_prefix(3);
      } else if (term.size() >= 3 && term[2] == ':' &&
                 absl::ascii_isalpha(static_cast<unsigned char>(term[0])) &&
                 absl::ascii_isalpha(static_cast<unsigned char>(term[1])) &&
                 !absl::ascii_isupper(static_cast<unsigned char>(term[0]))) {
        return BadSyntax(absl::StrCat(name, ": unknown operator '", term.substr(0, 2),
                                      "'; SDMX's are eq, ne, gt, ge, lt, le, sw, ew, co and nc"));
      }
      if (term.empty()) return BadSyntax(absl::StrCat(name, ": an empty value"));
      condition.value = std::string(term);
      all.push_back(std::move(condition));
    }
    any.push_back(std::move(all));
  }
  return any;
}

// Whether every group is one plain code: c[X]=A,B, which the key's sets
// express and the engine's scan can use.
bool PlainCodes(const std::vector<std::vector<SdmxCondition>>& any, std::set<std::string>* codes) {
  for (const auto& all : any) {
    if (all.size() != 1 || all[0].op != "eq") return false;
    codes->insert(all[0].value);
  }
  return true;
}

// A component filter narrows the key's choice for its dimension.
void Narrow(std::set<std::string> codes, std::set<std::string>* allowed) {
  if (!allowed->empty()) {
    std::set<std::string> both;
    for (const auto& code : codes) {
      if (allowed->count(code)) both.insert(code);
    }
    if (both.empty()) both.insert("");  // nothing can match
    codes = std::move(both);
  }
  *allowed = std::move(codes);
}

// attributes= and measures=: which values are written.
absl::Status Select(const SdmxDataflow& flow, absl::string_view name, absl::string_view value,
                    std::vector<bool>* shown) {
  const bool measures = name == "measures";
  const size_t first = measures ? 0 : 1, last = measures ? 1 : flow.values();
  auto all = [&](bool on) {
    for (size_t i = first; i < last; ++i) (*shown)[i] = on;
  };
  if (value == "all" || (!measures && (value == "dsd" || value == "obs"))) {
    all(true);
    return absl::OkStatus();
  }
  // lmx's attributes are all attached to observations: none is reference
  // metadata, or at the data set's or a series' level.
  if (value == "none" || (!measures && (value == "msd" || value == "dataset" || value == "series"))) {
    all(false);
    return absl::OkStatus();
  }
  all(false);
  for (absl::string_view id : absl::StrSplit(value, ',')) {
    bool found = false;
    for (size_t i = first; i < last; ++i) {
      if (id == flow.ValueId(i)) found = (*shown)[i] = true;
    }
    if (!found) {
      std::vector<std::string> ids;
      for (size_t i = first; i < last; ++i) ids.push_back(flow.ValueId(i));
      return BadSyntax(absl::StrCat(name, ": ", flow.id, " has no ",
                                    measures ? "measure " : "attribute ", id, " (",
                                    measures ? "all, none, " : "dsd, all, none, ",
                                    absl::StrJoin(ids, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

// A TIME_PERIOD in a filter as lmx's periods are: YYYY, YYYY-Qn, YYYY-MM,
// SDMX's reporting forms of them (2025-A1, 2025-M07), or a date, which a
// ge/gt reads as the first whole month from it and a le/lt as the last
// whole month up to it. Semesters and weeks are not periods lmx keeps.
absl::Status NormalizePeriod(absl::string_view name, SdmxCondition* c) {
  std::string& v = c->value;
  if (v.size() == 7 && v[4] == '-' && v[5] == 'A' && v[6] == '1') v = v.substr(0, 4);
  if (v.size() == 8 && v[4] == '-' && v[5] == 'M') v = absl::StrCat(v.substr(0, 4), "-", v.substr(6));
  if (TimePeriod::Parse(v).ok()) return absl::OkStatus();
  auto date = Date::Parse(v);
  if (date.ok() && c->op != "eq" && c->op != "ne") {
    int year = date->year, month = date->month;
    const bool first_day = date->day == 1;
    const bool last_day = !Date::Parse(absl::StrFormat("%04d-%02d-%02d", year, month, date->day + 1)).ok();
    if ((c->op == "ge" || c->op == "gt") && !first_day) ++month;
    if ((c->op == "le" || c->op == "lt") && !last_day) --month;
    if (c->op == "gt" && first_day) c->op = "ge";
    if (c->op == "lt" && last_day) c->op = "le";
    if (month == 13) ++year, month = 1;
    if (month == 0) --year, month = 12;
    v = absl::StrFormat("%04d-%02d", year, month);
    return absl::OkStatus();
  }
  if (absl::StrContains(v, "-S") || absl::StrContains(v, "-W") || absl::StrContains(v, "-D")) {
    return absl::UnimplementedError(absl::StrCat(
        name, ": '", v, "': lmx keeps years, quarters and months; semesters, weeks and days are "
                        "not periods of its data"));
  }
  return BadSyntax(absl::StrCat(name, ": '", v,
                                "' is not a period (2025, 2025-Q3, 2025-07) or a date "
                                "(2025-07-01)"));
}

}  // namespace

absl::StatusOr<std::string> Sdmx21DataPath(absl::string_view path) {
  // {flowRef}/{key}/{providerRef}; flowRef is FLOW, LMX,FLOW or
  // LMX,FLOW,1.0. lmx's data have one provider each, the origin: the key's
  // REF_AREA names it, so only "all" is a provider here.
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.empty() || parts.size() > 3) {
    return BadSyntax("expected /sdmx/2.1/data/{LMX,FLOW,1.0}/{key}/{provider}");
  }
  std::vector<std::string> ref = absl::StrSplit(parts[0], ',');
  if (ref.size() > 3) return BadSyntax(absl::StrCat("flow reference '", parts[0], "'"));
  std::string agency = ref.size() >= 2 ? ref[0] : "LMX";
  std::string id = ref.size() >= 2 ? ref[1] : ref[0];
  std::string version = ref.size() == 3 ? ref[2] : "latest";
  if (parts.size() == 3 && parts[2] != "all" && parts[2] != "*" && parts[2] != "ALL") {
    return absl::NotFoundError(absl::StrCat(
        "data provider '", parts[2], "': lmx's providers are its origins; choose one with the key's "
        "REF_AREA and ask for provider 'all'"));
  }
  return absl::StrCat("dataflow/", agency, "/", id, "/", version, "/",
                      parts.size() >= 2 ? parts[1] : "*");
}

absl::StatusOr<SdmxDataQuery> ParseSdmxDataQuery(
    absl::string_view path, const std::multimap<std::string, std::string>& parameters,
    absl::string_view accept) {
  bool format_given = false;
  // {context}/{agency}/{id}/{version}/{key}: dataflow/LMX/FLOW/1.0/KEY. As
  // the specification allows, the version and the key may be left out (the
  // latest, all of it), and the context may be * (lmx's data are all by
  // dataflow). Versions: 1.0, or the wildcards +, ~, * and latest.
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.size() < 3 || parts.size() > 5) {
    if (parts.size() < 3) {
      return absl::UnimplementedError(
          "lmx serves the data of one dataflow at a time: "
          "/sdmx/3.0/data/dataflow/LMX/{FLOW|SHORTAGE|VACANCY_AGG}");
    }
    return BadSyntax("expected /sdmx/3.0/data/dataflow/LMX/{FLOW|SHORTAGE|VACANCY_AGG}/1.0/{key}");
  }
  if (parts[0] != "dataflow" && parts[0] != "*") {
    if (parts[0] == "datastructure" || parts[0] == "provisionagreement") {
      return absl::UnimplementedError(
          absl::StrCat("context '", parts[0], "': lmx serves data by dataflow only"));
    }
    return BadSyntax(absl::StrCat("context '", parts[0],
                                  "' is not dataflow, datastructure, provisionagreement or *"));
  }
  // Several dataflows, or any: lmx answers one at a time.
  if (parts.size() >= 3 && (parts[2] == "*" || absl::StrContains(parts[2], ','))) {
    return absl::UnimplementedError(
        absl::StrCat("dataflow '", parts[2],
                     "': lmx serves the data of one dataflow at a time (FLOW, SHORTAGE or "
                     "VACANCY_AGG)"));
  }
  if (parts.size() < 4) parts.push_back("~");
  SdmxDataQuery query;
  query.flow = FindSdmxDataflow(parts[2]);
  static const std::set<std::string> kVersions = {"1.0", "1.0.0", "*", "~", "+", "latest"};
  const bool lmx_agency = parts[1] == "LMX" || parts[1] == "*" || parts[1] == "all" ||
                          absl::StrContains(absl::StrCat(",", parts[1], ","), ",LMX,");
  if (!lmx_agency || query.flow == nullptr ||
      kVersions.count(parts[3]) == 0) {
    return absl::NotFoundError(absl::StrCat("no dataflow ", parts[1], ":", parts[2], "(", parts[3],
                                            "); lmx has LMX:FLOW, LMX:SHORTAGE and "
                                            "LMX:VACANCY_AGG, version 1.0"));
  }
  const SdmxDataflow& flow = *query.flow;
  const auto& dimensions = flow.dimensions;
  query.key.resize(dimensions.size());
  query.shown.assign(flow.values(), true);
  std::string key = parts.size() == 5 ? parts[4] : "*";
  if (absl::StrContains(key, ',')) {
    return absl::UnimplementedError(absl::StrCat(
        "key '", key, "': several keys in one query are not served; ask for each, or join codes "
                      "with '+' in one key"));
  }
  if (key != "*" && key != "all" && !key.empty()) {
    std::vector<std::string> codes = absl::StrSplit(key, '.');
    // Dimensions left out at the end are wildcards (SDMX REST).
    if (codes.size() < dimensions.size()) codes.resize(dimensions.size());
    if (codes.size() != dimensions.size()) {
      return BadSyntax(absl::StrCat("key '", key, "' has ", codes.size(), " parts; ", flow.id,
                                    " has ", dimensions.size(), " (",
                                    absl::StrJoin(dimensions, "."), ")"));
    }
    for (size_t i = 0; i < codes.size(); ++i) {
      if (codes[i].empty() || codes[i] == "*") continue;
      for (absl::string_view code : absl::StrSplit(codes[i], absl::ByAnyChar("+ "))) {
        if (code.empty()) return BadSyntax(absl::StrCat("key '", key, "': an empty code"));
        query.key[i].insert(std::string(code));
      }
    }
  }
  bool dimension_at_observation_given = false;
  std::set<std::string> filtered;
  std::set<std::string> given;
  for (const auto& [name, value] : parameters) {
    if (!absl::StartsWith(name, "c[") && !given.insert(name).second) {
      return BadSyntax(absl::StrCat(name, " is given twice"));
    }
    if (absl::StartsWith(name, "c[") && absl::EndsWith(name, "]")) {
      std::string component = name.substr(2, name.size() - 3);
      int index = flow.Component(component);
      if (index < 0) {
        std::vector<std::string> ids;
        for (size_t i = 0; i < flow.components(); ++i) ids.push_back(flow.ComponentId(i));
        return BadSyntax(absl::StrCat(name, ": ", flow.id, " has no component ", component, " (",
                                      absl::StrJoin(ids, ", "), ")"));
      }
      if (!filtered.insert(component).second) {
        return BadSyntax(absl::StrCat(name, ": given twice; join the values with ',' (or) and "
                                            "'+' (and)"));
      }
      ASSIGN_OR_RETURN(auto any, ParseConditions(name, value));
      const size_t i = static_cast<size_t>(index);
      const bool time = i == dimensions.size();
      if (time) {
        for (auto& all : any) {
          for (SdmxCondition& c : all) RETURN_IF_ERROR(NormalizePeriod(name, &c));
        }
      }
      // The measure and the counts are numbers: an order against text is
      // a mistake, not a query matching nothing.
      const std::string id = flow.ComponentId(i);
      if (id == "OBS_VALUE" || id == "HARD_TO_FILL" || id == "POSITIONS") {
        for (const auto& all : any) {
          for (const SdmxCondition& c : all) {
            double number = 0;
            if (c.op != "sw" && c.op != "ew" && c.op != "co" && c.op != "nc" &&
                !absl::SimpleAtod(c.value, &number)) {
              return BadSyntax(absl::StrCat(name, ": '", c.value, "' is not a number"));
            }
          }
        }
      }
      std::set<std::string> codes;
      if (i < dimensions.size() && PlainCodes(any, &codes)) {
        Narrow(std::move(codes), &query.key[i]);
        continue;
      }
      if (time && PlainCodes(any, &codes)) {
        Narrow(std::move(codes), &query.periods);
        continue;
      }
      if (time && any.size() == 1) {
        // One range narrows the engine's scan; the terms are checked too.
        for (const SdmxCondition& c : any[0]) {
          if (c.op == "ge") query.from = c.value;
          if (c.op == "le") query.to = c.value;
        }
      }
      query.conditions.push_back({i, std::move(any)});
    } else if (name == "startPeriod" || name == "endPeriod") {
      // SDMX 2.1's time range.
      SdmxCondition c{name == "startPeriod" ? "ge" : "le", value};
      RETURN_IF_ERROR(NormalizePeriod(name, &c));
      (name == "startPeriod" ? query.from : query.to) = c.value;
      query.conditions.push_back({dimensions.size(), {{c}}});
    } else if (name == "updatedAfter") {
      ASSIGN_OR_RETURN(query.updated_after, ParseDateTime(name, value));
    } else if (name == "asOf") {
      ASSIGN_OR_RETURN(absl::Time time, ParseDateTime(name, value));
      // A date alone reads as `lmx --as_of` reads it: the end of that day.
      const bool date = value.size() == 10 && value[4] == '-' && value[7] == '-';
      query.as_of =
          date ? value : absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
    } else if (name == "includeHistory") {
      // xs:boolean
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        return BadSyntax(absl::StrCat("includeHistory: '", value, "' is not true or false"));
      }
      query.include_history = value == "true" || value == "1";
    } else if (name == "lastNObservations") {
      RETURN_IF_ERROR(ReadCount(name, value, &query.last_observations));
    } else if (name == "firstNObservations") {
      RETURN_IF_ERROR(ReadCount(name, value, &query.first_observations));
    } else if (name == "dimensionAtObservation") {
      if (value == "AllDimensions") {
        query.series = false;
      } else if (value == "TIME_PERIOD") {
        query.series = true;
      } else if (flow.Component(value) >= 0 &&
                 static_cast<size_t>(flow.Component(value)) < dimensions.size()) {
        return absl::UnimplementedError(absl::StrCat(
            "dimensionAtObservation=", value,
            ": lmx serves time series (TIME_PERIOD) and flat data (AllDimensions), not "
            "cross-sections"));
      } else {
        return BadSyntax(absl::StrCat("dimensionAtObservation: ", flow.id, " has no dimension ",
                                      value));
      }
      dimension_at_observation_given = true;
    } else if (name == "detail") {
      if (value == "full") {
        query.detail = SdmxDetail::kFull;
      } else if (value == "dataonly") {
        query.detail = SdmxDetail::kDataOnly;
      } else if (value == "serieskeysonly") {
        query.detail = SdmxDetail::kSeriesKeysOnly;
      } else if (value == "nodata") {
        query.detail = SdmxDetail::kNoData;
      } else {
        return BadSyntax(absl::StrCat("detail: '", value,
                                      "' is not full, dataonly, serieskeysonly or nodata"));
      }
    } else if (name == "attributes" || name == "measures") {
      RETURN_IF_ERROR(Select(flow, name, value, &query.shown));
    } else if (name == "labels") {
      if (value != "id" && value != "both") {
        return BadSyntax(absl::StrCat("labels: '", value, "' is not id or both"));
      }
      query.labels = value == "both";
    } else if (name == "format") {
      RETURN_IF_ERROR(SetFormat(value, &query));
      format_given = true;
    } else if (name == "offset" || name == "limit" || name == "sort" ||
               name == "reportingYearStartDay") {
      return absl::UnimplementedError(absl::StrCat(name, " is not served"));
    } else {
      return BadSyntax(absl::StrCat("unknown parameter '", name, "'"));
    }
  }
  if (!format_given && !accept.empty()) RETURN_IF_ERROR(Negotiate(accept, &query));
  if (query.time_series_message) {
    if (dimension_at_observation_given && !query.series) {
      return absl::FailedPreconditionError(
          "a time-series message has TIME_PERIOD at the observation, not AllDimensions");
    }
    query.series = true;
  }
  if (query.detail == SdmxDetail::kDataOnly) {
    for (size_t i = 1; i < query.shown.size(); ++i) query.shown[i] = false;
  }
  if (query.detail == SdmxDetail::kNoData || query.detail == SdmxDetail::kSeriesKeysOnly) {
    // Series keys, without observations: only the series view has them.
    std::fill(query.shown.begin(), query.shown.end(), false);
    query.series = true;
  }
  if (query.updated_after && flow.dataset == v1::DATASET_VACANCY_AGG) {
    return absl::UnimplementedError(
        "updatedAfter: VACANCY_AGG is computed from the latest vacancies, not kept by update");
  }
  if (query.include_history && flow.dataset == v1::DATASET_VACANCY_AGG) {
    return absl::UnimplementedError(
        "includeHistory: VACANCY_AGG is computed from the latest vacancies; its history is that "
        "of the vacancies, which stay national");
  }
  if (query.include_history && query.format == SdmxFormat::kCsv1) {
    return absl::FailedPreconditionError(
        "includeHistory: SDMX-CSV 1.0.0 has no ACTION or validity columns to carry revisions "
        "(406); ask for SDMX-CSV 2.0.0");
  }
  if (query.include_history && (query.first_observations || query.last_observations)) {
    return absl::UnimplementedError(
        "includeHistory with firstNObservations or lastNObservations is not served: ask for the "
        "history of the periods you want with c[TIME_PERIOD]");
  }
  if (query.updated_after && !query.as_of.empty()) {
    absl::Time as_of;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, query.as_of, &as_of, &error) &&
        absl::ParseTime("%Y-%m-%d", query.as_of, absl::UTCTimeZone(), &as_of, &error)) {
      as_of += absl::Hours(24);
    }
    if (*query.updated_after > as_of) {
      return BadSyntax("updatedAfter is after asOf: nothing can have changed in between");
    }
  }
  return query;
}

}  // namespace lmx
