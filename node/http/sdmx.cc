#include "node/http/sdmx.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "node/http/sdmx_structure.h"
#include "federation/base/status_macros.h"
#include "federation/base/text_formats.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

absl::Status BadSyntax(absl::string_view message) { return absl::InvalidArgumentError(message); }

// One observation as SDMX-CSV values: the key, the period, the measures
// and the attributes; `published_at` for updatedAfter.
struct Row {
  std::vector<std::string> key;
  std::string period;
  std::vector<std::string> values;
  absl::Time published_at;
};

std::string Number(int64_t value) { return absl::StrCat(value); }

Row FromObservation(const v1::Observation& observation) {
  Row row;
  if (observation.has_flow()) {
    const v1::Flow& f = observation.flow();
    row.key = {f.country(),     v1::FlowDirection_Name(f.direction()),
               f.counterpart(), f.occupation(),
               f.sex(),         f.age(),
               f.channel()};
    row.period = f.period();
    row.values = {Number(f.count()), v1::ConfStatus_Name(f.conf_status())};
    row.published_at = FromTimestamp(f.provenance().published_at());
  } else if (observation.has_shortage()) {
    const v1::Shortage& s = observation.shortage();
    row.key = {s.country(), s.occupation(), s.region(), s.activity()};
    row.period = s.period();
    row.values = {v1::ShortageStatus_Name(s.status()),
                  s.has_shortage_index() ? absl::StrCat(s.shortage_index()) : "",
                  s.has_hard_to_fill() ? Number(s.hard_to_fill()) : ""};
    row.published_at = FromTimestamp(s.provenance().published_at());
  }
  return row;
}

// Visits the rows of `query`'s dataflow that its engine filter lets
// through, until `visit` returns false.
absl::Status ForEachRow(const SdmxDataQuery& query, const QueryEngine& engine,
                        const std::function<bool(Row&&)>& visit) {
  // A component filter that left a dimension no code matches nothing.
  const std::set<std::string> none = {""};
  for (const auto& codes : query.key) {
    if (codes == none) return absl::OkStatus();
  }
  if (query.periods == none) return absl::OkStatus();
  v1::Filter filter;
  // Countries narrow the engine's scan; everything else is checked here.
  for (const std::string& country : query.key[0]) filter.add_countries(country);
  filter.set_from(query.from);
  filter.set_to(query.to);
  if (query.flow->dataset != v1::DATASET_VACANCY_AGG) {
    v1::QueryRequest request;
    request.set_dataset(query.flow->dataset);
    *request.mutable_filter() = filter;
    return engine.Query(request, [&](const v1::Observation& observation) {
      return visit(FromObservation(observation));
    });
  }
  // Vacancy microdata stay national: the dataflow is their aggregate by
  // month of posting, as `lmx aggregate vacancies` counts them.
  v1::AggregateRequest request;
  request.set_dataset(v1::DATASET_VACANCY);
  for (const char* dimension : {"country", "occupation", "region", "activity", "period"}) {
    request.add_by()->set_dimension(dimension);
  }
  *request.mutable_filter() = filter;
  ASSIGN_OR_RETURN(AggregateResult result, engine.Aggregate(request));
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < result.columns.size(); ++i) column[result.columns[i]] = i;
  // Measures follow the grouping columns.
  const size_t groupings = static_cast<size_t>(request.by_size());
  auto measure = [&](const v1::AggregateRow& aggregate, const std::string& name) -> std::string {
    auto it = column.find(name);
    if (it == column.end() || it->second < groupings) return "";
    const v1::Value& value = aggregate.measures(static_cast<int>(it->second - groupings));
    if (value.has_integer()) return Number(value.integer());
    if (value.has_real()) return absl::StrCat(value.real());
    return "";
  };
  for (const v1::AggregateRow& aggregate : result.rows) {
    Row row;
    row.key.assign(aggregate.keys().begin(), aggregate.keys().begin() + 4);
    row.period = aggregate.keys(4);
    row.values = {measure(aggregate, "vacancies"), measure(aggregate, "positions")};
    row.published_at = absl::InfiniteFuture();  // an aggregate is as new as its data
    if (!visit(std::move(row))) break;
  }
  return absl::OkStatus();
}

bool Matches(const SdmxDataQuery& query, const Row& row) {
  for (size_t i = 0; i < query.key.size(); ++i) {
    if (!query.key[i].empty() && query.key[i].count(row.key[i]) == 0) return false;
  }
  if (!query.periods.empty() && query.periods.count(row.period) == 0) return false;
  if (query.updated_after && row.published_at <= *query.updated_after) return false;
  return true;
}

// With `labels` (labels=both), columns are "ID: name" and coded values
// "code: label"; STRUCTURE_ID carries the dataflow's name.
std::string CsvHead(const SdmxDataflow& flow, const SdmxLabels* labels) {
  std::string line = "STRUCTURE,STRUCTURE_ID,ACTION";
  auto add = [&](const char* column) {
    line.push_back(',');
    line.append(CsvField(labels == nullptr ? std::string(column) : labels->Column(column)));
  };
  for (const char* column : flow.dimensions) add(column);
  add("TIME_PERIOD");
  for (const char* column : flow.measures) add(column);
  for (const char* column : flow.attributes) add(column);
  line.push_back('\n');
  return line;
}

void AppendCsvLine(const SdmxDataflow& flow, const Row& row, const SdmxLabels* labels,
                   std::string* line) {
  absl::StrAppend(line, "dataflow,");
  std::string structure = absl::StrCat("LMX:", flow.id, "(1.0)");
  line->append(labels == nullptr ? structure
                                 : CsvField(absl::StrCat(structure, ": ", SdmxDataflowName(flow))));
  line->append(",I");
  auto add = [&](const char* component, const std::string& value) {
    line->push_back(',');
    line->append(
        CsvField(labels == nullptr || value.empty() ? value : labels->Value(component, value)));
  };
  for (size_t i = 0; i < row.key.size(); ++i) add(flow.dimensions[i], row.key[i]);
  add("TIME_PERIOD", row.period);
  for (size_t i = 0; i < row.values.size(); ++i) {
    add(i < flow.measures.size() ? flow.measures[i] : flow.attributes[i - flow.measures.size()],
        row.values[i]);
  }
  line->push_back('\n');
}

std::string GenericXmlHead(const SdmxDataflow& flow) {
  const std::string structure = absl::StrCat("LMX_", flow.id, "_1_0");
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<message:GenericData"
      " xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\""
      " xmlns:generic=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic\""
      " xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n"
      "<message:Header><message:ID>LMX_",
      flow.id, "_", absl::ToUnixMicros(absl::Now()),
      "</message:ID><message:Test>false</message:Test><message:Prepared>",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
      "</message:Prepared><message:Sender id=\"LMX\"/><message:Structure structureID=\"", structure,
      "\" dimensionAtObservation=\"AllDimensions\"><common:Structure><URN>"
      "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=LMX:DSD_",
      flow.id, "(1.0)</URN></common:Structure></message:Structure></message:Header>\n",
      "<message:DataSet structureRef=\"", structure, "\">\n");
}

void AppendGenericXmlObs(const SdmxDataflow& flow, const Row& row, std::string* out) {
  out->append("<generic:Obs><generic:ObsKey>");
  for (size_t i = 0; i < row.key.size(); ++i) {
    absl::StrAppend(out, "<generic:Value id=\"", flow.dimensions[i], "\" value=\"",
                    XmlText(row.key[i]), "\"/>");
  }
  absl::StrAppend(out, "<generic:Value id=\"TIME_PERIOD\" value=\"", XmlText(row.period),
                  "\"/></generic:ObsKey>");
  // The primary measure, then the other measures, which the DSD declares
  // as attributes, and the attributes, each when it has a value.
  if (!row.values[flow.primary].empty()) {
    absl::StrAppend(out, "<generic:ObsValue value=\"", XmlText(row.values[flow.primary]), "\"/>");
  }
  std::string attributes;
  for (size_t i : flow.MlAttributes()) {
    if (row.values[i].empty()) continue;
    absl::StrAppend(&attributes, "<generic:Value id=\"", flow.ValueId(i), "\" value=\"",
                    XmlText(row.values[i]), "\"/>");
  }
  if (!attributes.empty()) {
    absl::StrAppend(out, "<generic:Attributes>", attributes, "</generic:Attributes>");
  }
  out->append("</generic:Obs>\n");
}

// An SDMX-JSON 2.0.0 data message, streamed: the data set's observations
// first, keyed by the positions of their values, then the structure, which
// lists the values in the order they were first met. (Members of a JSON
// object have no order; this one lets the answer stream.)
class JsonData {
 public:
  explicit JsonData(const SdmxDataflow& flow)
      : flow_(flow), dimensions_(flow.dimensions.size() + 1), attributes_(flow.attributes.size()) {}

  std::string Head() const {
    const absl::Time now = absl::Now();
    return absl::StrCat(
        "{\"meta\":{\"schema\":\"https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/"
        "data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json\",\"id\":\"LMX_",
        flow_.id, "_", absl::ToUnixMicros(now), "\",\"test\":false,\"prepared\":\"",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone()),
        "\",\"contentLanguages\":[\"en\"],\"sender\":{\"id\":\"LMX\"}},"
        "\"data\":{\"dataSets\":[{\"structure\":0,\"action\":\"Information\",\"links\":[{"
        "\"urn\":\"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=LMX:",
        flow_.id, "(1.0)\",\"rel\":\"dataflow\"}],\"observations\":{");
  }

  void AppendObs(const Row& row, std::string* out) {
    if (observations_++ > 0) out->push_back(',');
    out->push_back('"');
    for (size_t i = 0; i <= row.key.size(); ++i) {
      if (i > 0) out->push_back(':');
      absl::StrAppend(out, dimensions_[i].Index(i < row.key.size() ? row.key[i] : row.period));
    }
    out->append("\":[");
    for (size_t i = 0; i < flow_.measures.size(); ++i) {
      if (i > 0) out->push_back(',');
      const std::string& value = row.values[i];
      double number = 0;
      if (value.empty()) {
        out->append("null");
      } else if (absl::SimpleAtod(value, &number) && std::isfinite(number)) {
        out->append(value);
      } else {
        out->append(JsonString(value));
      }
    }
    for (size_t i = 0; i < flow_.attributes.size(); ++i) {
      const std::string& value = row.values[flow_.measures.size() + i];
      out->push_back(',');
      out->append(value.empty() ? "null" : absl::StrCat(attributes_[i].Index(value)));
    }
    out->push_back(']');
  }

  std::string Tail() const {
    std::string out = absl::StrCat(
        "}}],\"structures\":[{\"links\":[{\"urn\":\"urn:sdmx:org.sdmx.infomodel.datastructure."
        "DataStructure=LMX:DSD_",
        flow_.id,
        "(1.0)\",\"rel\":\"datastructure\"}],\"dataSets\":[0],"
        "\"dimensions\":{\"dataSet\":[],\"series\":[],\"observation\":[");
    for (size_t i = 0; i < dimensions_.size(); ++i) {
      bool time = i == flow_.dimensions.size();
      const char* id = time ? "TIME_PERIOD" : flow_.dimensions[i];
      absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":\"", id, "\",\"name\":\"", id,
                      "\",\"keyPosition\":", i, time ? ",\"roles\":[\"TIME_PERIOD\"]" : "",
                      ",\"values\":[");
      const auto& values = dimensions_[i].values;
      for (size_t v = 0; v < values.size(); ++v) {
        // Codes are ids; periods are values.
        absl::StrAppend(&out, v > 0 ? "," : "",
                        time ? absl::StrCat("{\"value\":", JsonString(values[v]), "}")
                             : absl::StrCat("{\"id\":", JsonString(values[v]),
                                            ",\"name\":", JsonString(values[v]), "}"));
      }
      out += "]}";
    }
    out += "]},\"measures\":{\"observation\":[";
    for (size_t i = 0; i < flow_.measures.size(); ++i) {
      absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":\"", flow_.measures[i], "\",\"name\":\"",
                      flow_.measures[i], "\"}");
    }
    out += "]},\"attributes\":{\"dataSet\":[],\"series\":[],\"observation\":[";
    for (size_t i = 0; i < flow_.attributes.size(); ++i) {
      absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":\"", flow_.attributes[i], "\",\"name\":\"",
                      flow_.attributes[i], "\",\"relationship\":{\"observation\":{}}");
      const auto& values = attributes_[i].values;
      if (!values.empty()) {
        out += ",\"values\":[";
        for (size_t v = 0; v < values.size(); ++v) {
          absl::StrAppend(&out, v > 0 ? "," : "", "{\"id\":", JsonString(values[v]),
                          ",\"name\":", JsonString(values[v]), "}");
        }
        out += "]";
      }
      out += "}";
    }
    return out + "]}}]}}\n";
  }

 private:
  // The values of one component, numbered as they are first met.
  struct Values {
    std::map<std::string, size_t> index;
    std::vector<std::string> values;
    size_t Index(const std::string& value) {
      auto [it, added] = index.emplace(value, values.size());
      if (added) values.push_back(value);
      return it->second;
    }
  };

  const SdmxDataflow& flow_;
  std::vector<Values> dimensions_;  // the key's, then TIME_PERIOD
  std::vector<Values> attributes_;
  uint64_t observations_ = 0;
};

}  // namespace

Action SdmxAction(const SdmxDataflow& flow) {
  switch (flow.dataset) {
    case v1::DATASET_SHORTAGE:
      return Action::kQueryShortages;
    case v1::DATASET_VACANCY_AGG:
      return Action::kAggregateVacancies;
    default:
      return Action::kQueryFlows;
  }
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
    if (parts.size() >= 1 && parts.size() < 3) {
      return absl::UnimplementedError(
          "lmx serves the data of one dataflow at a time: "
          "/sdmx/3.0/data/dataflow/LMX/{FLOW|SHORTAGE|VACANCY_AGG}");
    }
    return BadSyntax("expected /sdmx/3.0/data/dataflow/LMX/{FLOW|SHORTAGE|VACANCY_AGG}/1.0/{key}");
  }
  if (parts[0] != "dataflow" && parts[0] != "*") {
    return absl::UnimplementedError(
        absl::StrCat("context '", parts[0], "': lmx serves data by dataflow only"));
  }
  if (parts.size() < 4) parts.push_back("~");
  SdmxDataQuery query;
  query.flow = FindSdmxDataflow(parts[2]);
  static const std::set<std::string> kVersions = {"1.0", "*", "~", "+", "latest"};
  if ((parts[1] != "LMX" && parts[1] != "*") || query.flow == nullptr ||
      kVersions.count(parts[3]) == 0) {
    return absl::NotFoundError(absl::StrCat("no dataflow ", parts[1], ":", parts[2], "(", parts[3],
                                            "); lmx has LMX:FLOW, LMX:SHORTAGE and "
                                            "LMX:VACANCY_AGG, version 1.0"));
  }
  const auto& dimensions = query.flow->dimensions;
  query.key.resize(dimensions.size());
  std::string key = parts.size() == 5 ? parts[4] : "*";
  if (key != "*" && key != "all" && !key.empty()) {
    std::vector<std::string> codes = absl::StrSplit(key, '.');
    if (codes.size() != dimensions.size()) {
      return BadSyntax(absl::StrCat("key '", key, "' has ", codes.size(), " parts; ",
                                    query.flow->id, " has ", dimensions.size(), " (",
                                    absl::StrJoin(dimensions, "."), ")"));
    }
    for (size_t i = 0; i < codes.size(); ++i) {
      if (codes[i].empty() || codes[i] == "*") continue;
      for (absl::string_view code : absl::StrSplit(codes[i], '+')) {
        if (code.empty()) return BadSyntax(absl::StrCat("key '", key, "': an empty code"));
        query.key[i].insert(std::string(code));
      }
    }
  }
  for (const auto& [name, value] : parameters) {
    if (absl::StartsWith(name, "c[") && absl::EndsWith(name, "]")) {
      std::string component = name.substr(2, name.size() - 3);
      bool time = component == "TIME_PERIOD";
      auto dimension = std::find(dimensions.begin(), dimensions.end(), component);
      if (!time && dimension == dimensions.end()) {
        return BadSyntax(absl::StrCat(name, ": ", query.flow->id, " has no dimension ", component,
                                      " (", absl::StrJoin(dimensions, ", "), ", TIME_PERIOD)"));
      }
      std::set<std::string> codes;
      // '+' joins values; a client that form-encodes the query sends it
      // as a space, which no code contains.
      for (absl::string_view term : absl::StrSplit(value, absl::ByAnyChar("+ "))) {
        std::string op = "eq";
        if (size_t colon = term.find(':'); colon != absl::string_view::npos && colon == 2) {
          op = std::string(term.substr(0, 2));
          term.remove_prefix(3);
        }
        if (term.empty()) return BadSyntax(absl::StrCat(name, ": an empty value"));
        if (op == "eq") {
          codes.insert(std::string(term));
        } else if (time && op == "ge") {
          query.from = std::string(term);
        } else if (time && op == "le") {
          query.to = std::string(term);
        } else {
          return absl::UnimplementedError(absl::StrCat(name, ": the operator '", op,
                                                       "' is not served; lmx serves eq, and ge "
                                                       "and le on TIME_PERIOD"));
        }
      }
      std::set<std::string>& allowed =
          time ? query.periods : query.key[dimension - dimensions.begin()];
      if (!codes.empty()) {
        // A component filter narrows the key's choice for its dimension.
        if (!allowed.empty()) {
          std::set<std::string> both;
          for (const auto& code : codes) {
            if (allowed.count(code)) both.insert(code);
          }
          if (both.empty()) both.insert("");  // nothing can match
          codes = std::move(both);
        }
        allowed = std::move(codes);
      }
    } else if (name == "updatedAfter") {
      absl::Time time;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
        return BadSyntax(absl::StrCat("updatedAfter: '", value,
                                      "' is not an RFC 3339 date-time (2025-01-31T00:00:00Z)"));
      }
      query.updated_after = time;
    } else if (name == "lastNObservations") {
      // Kept per series while the data is read: bounded, so that no query
      // holds a dataset in memory many times over.
      constexpr int kMaxLastObservations = 1000;
      if (!absl::SimpleAtoi(value, &query.last_observations) || query.last_observations < 1 ||
          query.last_observations > kMaxLastObservations) {
        return BadSyntax(absl::StrCat("lastNObservations: '", value, "' is not a number from 1 to ",
                                      kMaxLastObservations));
      }
    } else if (name == "dimensionAtObservation") {
      if (value != "AllDimensions") {
        return absl::UnimplementedError(
            "dimensionAtObservation: SDMX-CSV gives every dimension on each line "
            "(AllDimensions)");
      }
    } else if (name == "labels") {
      if (value != "id" && value != "both") {
        return BadSyntax(absl::StrCat("labels: '", value, "' is not id or both"));
      }
      query.labels = value == "both";
    } else if (name == "format") {
      if (value == "csvfile" || value == "sdmx-csv" || value == "csv") {
        query.format = SdmxFormat::kCsv;
      } else if (value == "genericdata" || value == "sdmx-ml" || value == "xml") {
        query.format = SdmxFormat::kGenericXml;
      } else if (value == "jsondata" || value == "sdmx-json" || value == "json") {
        query.format = SdmxFormat::kJson;
      } else {
        return absl::FailedPreconditionError(
            absl::StrCat("format '", value,
                         "': lmx serves SDMX-CSV 2.0 (format=csvfile), SDMX-JSON 2.0 "
                         "(format=jsondata) and SDMX-ML 2.1 generic data (format=genericdata)"));
      }
      format_given = true;
    } else if (name == "attributes" || name == "measures" || name == "includeHistory" ||
               name == "firstNObservations" || name == "asOf") {
      return absl::UnimplementedError(absl::StrCat(name, " is not served yet"));
    } else {
      return BadSyntax(absl::StrCat("unknown parameter '", name, "'"));
    }
  }
  if (!format_given && !accept.empty()) {
    // The first type of the Accept header that lmx serves.
    std::string types = absl::AsciiStrToLower(accept);
    size_t csv = std::min(types.find("csv"), types.find("*/*"));
    size_t xml = types.find("xml");
    size_t json = types.find("json");
    size_t first = std::min({csv, xml, json});
    if (first == std::string::npos) {
      return absl::FailedPreconditionError(
          absl::StrCat("Accept: ", accept,
                       ": lmx serves SDMX-CSV 2.0 (application/vnd.sdmx.data+csv), SDMX-JSON 2.0 "
                       "(application/vnd.sdmx.data+json) and SDMX-ML 2.1 generic data "
                       "(application/vnd.sdmx.genericdata+xml)"));
    }
    query.format = first == xml    ? SdmxFormat::kGenericXml
                   : first == json ? SdmxFormat::kJson
                                   : SdmxFormat::kCsv;
  }
  if (query.updated_after && query.flow->dataset == v1::DATASET_VACANCY_AGG) {
    return absl::UnimplementedError(
        "updatedAfter: VACANCY_AGG is computed from the latest vacancies, not kept by update");
  }
  return query;
}

absl::Status WriteSdmxData(const SdmxDataQuery& query, const QueryEngine& engine,
                           const std::function<bool(absl::string_view)>& write, uint64_t* matched,
                           const SdmxLabels* labels) {
  if (!query.labels) labels = nullptr;
  const SdmxDataflow& flow = *query.flow;
  const bool xml = query.format == SdmxFormat::kGenericXml;
  const bool json = query.format == SdmxFormat::kJson;
  JsonData json_data(flow);
  std::string line = xml ? GenericXmlHead(flow) : json ? json_data.Head() : CsvHead(flow, labels);
  if (!write(line)) return absl::OkStatus();
  uint64_t written = 0;
  auto emit = [&](const Row& row) {
    line.clear();
    if (xml) {
      AppendGenericXmlObs(flow, row, &line);
    } else if (json) {
      json_data.AppendObs(row, &line);
    } else {
      AppendCsvLine(flow, row, labels, &line);
    }
    ++written;
    return write(line);
  };
  absl::Status status;
  if (query.last_observations == 0) {
    status =
        ForEachRow(query, engine, [&](Row&& row) { return !Matches(query, row) || emit(row); });
  } else {
    // The last N periods of each series: only those are kept while reading.
    std::map<std::vector<std::string>, std::map<std::string, Row>> series;
    status = ForEachRow(query, engine, [&](Row&& row) {
      if (!Matches(query, row)) return true;
      auto& periods = series[row.key];
      std::string period = row.period;
      periods[std::move(period)] = std::move(row);
      if (periods.size() > static_cast<size_t>(query.last_observations)) {
        periods.erase(periods.begin());
      }
      return true;
    });
    for (const auto& [key, periods] : series) {
      bool open = true;
      for (const auto& [period, row] : periods) {
        if (!(open = emit(row))) break;
      }
      if (!open) break;
    }
  }
  if (matched != nullptr) *matched = written;
  if (status.ok() && xml) write("</message:DataSet>\n</message:GenericData>\n");
  if (status.ok() && json) write(json_data.Tail());
  return status;
}

namespace {

// Whether the caller asked for SDMX-JSON, read leniently: an error is
// answered in the format asked for even when the request is malformed.
bool WantsJson(const HttpServer::Request& request) {
  auto format = request.parameters.find("format");
  if (format != request.parameters.end()) return absl::StrContains(format->second, "json");
  return absl::StrContains(request.Header("accept").value_or(""), "json");
}

// An error answer: plain text, or for a caller that asked for SDMX-JSON a
// message with an `errors` array, whose codes are those of the SDMX web
// services guidelines (100 no results, 110 unauthorized, 140 syntax
// error, 150 semantic error, 500 internal error, 501 not implemented).
HttpServer::Answer Refusal(const absl::Status& status, bool json = false) {
  int code = 500, sdmx_code = 500;
  const char* title = "Internal server error";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = 400, sdmx_code = 140, title = "Syntax error";
      break;
    case absl::StatusCode::kUnauthenticated:
      code = 401, sdmx_code = 110, title = "Unauthorized";
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403, sdmx_code = 110, title = "Unauthorized";
      break;
    case absl::StatusCode::kNotFound:
      code = 404, sdmx_code = 100, title = "No results found";
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = 406, sdmx_code = 150, title = "Semantic error";
      break;
    case absl::StatusCode::kUnimplemented:
      code = 501, sdmx_code = 501, title = "Not implemented";
      break;
    default:
      break;
  }
  if (!json) {
    return {code, "text/plain; charset=utf-8", absl::StrCat(status.message(), "\n"), nullptr};
  }
  return {code, "application/vnd.sdmx.data+json; version=2.0.0",
          absl::StrCat("{\"errors\":[{\"code\":", sdmx_code, ",\"title\":", JsonString(title),
                       ",\"detail\":", JsonString(status.message()), "}]}\n"),
          nullptr};
}

constexpr char kSdmxCsv[] = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8";
constexpr char kSdmxGenericXml[] = "application/vnd.sdmx.genericdata+xml; version=2.1";
constexpr char kSdmxJson[] = "application/vnd.sdmx.data+json; version=2.0.0";

}  // namespace

HttpServer::Handler SdmxDataHandler(const QueryEngine* engine, const Access* access,
                                    const Codelists* codelists) {
  auto labels = std::make_shared<const SdmxLabels>(*codelists);
  return [engine, access, labels](const HttpServer::Request& request) -> HttpServer::Answer {
    bool json = WantsJson(request);
    auto Refusal = [json](const absl::Status& status) { return lmx::Refusal(status, json); };
    auto query = ParseSdmxDataQuery(request.matches.empty() ? "" : request.matches[0],
                                    request.parameters, request.Header("accept").value_or(""));
    if (!query.ok()) return Refusal(query.status());
    Access::Caller caller;
    caller.address = request.remote;
    caller.authorization = request.Header("authorization");
    auto who =
        access->Authorize(caller, SdmxAction(*query->flow), absl::StrCat("HTTP ", request.path));
    if (!who.ok()) return Refusal(who.status());
    // A query that matches nothing is 404, which must be known before the
    // answer starts: the first match is looked for first. Any match means
    // at least one of the last N observations too.
    SdmxDataQuery probe = *query;
    probe.last_observations = 0;
    uint64_t matched = 0;
    int lines = 0;
    absl::Status probed = WriteSdmxData(
        probe, *engine, [&](absl::string_view) { return ++lines < 2; }, &matched);
    if (!probed.ok()) return Refusal(probed);
    if (matched == 0) return Refusal(absl::NotFoundError("no results for this query"));
    HttpServer::Answer answer;
    answer.content_type = query->format == SdmxFormat::kGenericXml ? kSdmxGenericXml
                          : query->format == SdmxFormat::kJson     ? kSdmxJson
                                                                   : kSdmxCsv;
    answer.stream = [engine, labels, query = *std::move(query)](const HttpServer::Write& write) {
      // An error after the answer started can only cut it short; nothing
      // may escape into the HTTP library, which would end the node.
      try {
        WriteSdmxData(query, *engine, write, nullptr, labels.get()).IgnoreError();
      } catch (const std::exception&) {
      }
    };
    return answer;
  };
}

}  // namespace lmx
