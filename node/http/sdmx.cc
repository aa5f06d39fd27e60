#include "node/http/sdmx.h"

#include <algorithm>
#include <cmath>
#include <memory>
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
#include "federation/base/status_macros.h"
#include "federation/base/text_formats.h"
#include "federation/base/timestamps.h"
#include "federation/classifications/time_period.h"
#include "node/http/sdmx_structure.h"

namespace lmx {
namespace {

// One observation as SDMX components: the key, the period, the values
// (OBS_VALUE, then the attributes); `published_at` for updatedAfter, and
// with includeHistory the span this revision was valid in.
struct Row {
  std::vector<std::string> key;
  std::string period;
  std::vector<std::string> values;
  absl::Time published_at;
  absl::Time valid_from = absl::InfinitePast();
  absl::Time valid_to = absl::InfiniteFuture();
  uint64_t version = 0;

  const std::string& Component(size_t i) const {
    return i < key.size() ? key[i] : i == key.size() ? period : values[i - key.size() - 1];
  }
};

std::string Number(int64_t value) { return absl::StrCat(value); }

Row FromObservation(const v1::Observation& observation) {
  Row row;
  const v1::Provenance* provenance = nullptr;
  if (observation.has_flow()) {
    const v1::Flow& f = observation.flow();
    row.key = {f.country(),     v1::FlowDirection_Name(f.direction()),
               f.counterpart(), f.occupation(),
               f.sex(),         f.age(),
               f.channel()};
    row.period = f.period();
    // A suppressed cell (C, D) has no count: its OBS_VALUE is missing, not
    // the 0 it is stored with.
    row.values = {f.conf_status() == v1::C || f.conf_status() == v1::D ? "" : Number(f.count()),
                  v1::ConfStatus_Name(f.conf_status())};
    provenance = &f.provenance();
  } else if (observation.has_shortage()) {
    const v1::Shortage& s = observation.shortage();
    row.key = {s.country(), s.occupation(), s.region(), s.activity()};
    row.period = s.period();
    row.values = {s.has_shortage_index() ? absl::StrCat(s.shortage_index()) : "",
                  v1::ShortageStatus_Name(s.status()),
                  s.has_hard_to_fill() ? Number(s.hard_to_fill()) : ""};
    provenance = &s.provenance();
  }
  if (provenance != nullptr) {
    row.published_at = FromTimestamp(provenance->published_at());
    row.version = provenance->version();
  }
  return row;
}

// The engine's filter for `query`: countries and the period window narrow
// its scan; everything else is checked on each row.
v1::Filter EngineFilter(const SdmxDataQuery& query) {
  v1::Filter filter;
  for (const std::string& country : query.key[0]) filter.add_countries(country);
  filter.set_from(query.from);
  filter.set_to(query.to);
  filter.set_as_of(query.as_of);
  return filter;
}

// Whether a component filter already excludes everything.
bool MatchesNothing(const SdmxDataQuery& query) {
  const std::set<std::string> none = {""};
  for (const auto& codes : query.key) {
    if (codes == none) return true;
  }
  return query.periods == none;
}

// Visits the rows of `query`'s dataflow that its engine filter lets
// through, until `visit` returns false; `at`, when given, fixes the
// versions read.
absl::Status ForEachRow(const SdmxDataQuery& query, const QueryEngine& engine,
                        const QueryEngine::Snapshot* at, const std::function<bool(Row&&)>& visit) {
  if (MatchesNothing(query)) return absl::OkStatus();
  v1::Filter filter = EngineFilter(query);
  if (query.flow->dataset != v1::DATASET_VACANCY_AGG) {
    v1::QueryRequest request;
    request.set_dataset(query.flow->dataset);
    *request.mutable_filter() = filter;
    return engine.Query(
        request,
        [&](const v1::Observation& observation) { return visit(FromObservation(observation)); },
        nullptr, at);
  }
  // Vacancy microdata stay national: the dataflow is their aggregate by
  // month of posting, as `lmx aggregate vacancies` counts them.
  v1::AggregateRequest request;
  request.set_dataset(v1::DATASET_VACANCY);
  for (const char* dimension : {"country", "occupation", "region", "activity", "period"}) {
    request.add_by()->set_dimension(dimension);
  }
  *request.mutable_filter() = filter;
  ASSIGN_OR_RETURN(AggregateResult result, engine.Aggregate(request, nullptr, at));
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

// A period's months, for comparing TIME_PERIOD as the engine's window does.
std::optional<std::pair<int, int>> Months(const std::string& text) {
  auto period = TimePeriod::Parse(text);
  if (!period.ok()) return std::nullopt;
  return std::make_pair(period->first_month(), period->last_month());
}

// One c[] term against a value. TIME_PERIOD compares as periods (ge: starts
// at or after; le: ends at or before), numbers as numbers, the rest as text.
bool Holds(const SdmxCondition& c, const std::string& value, bool time) {
  const std::string& op = c.op;
  double x = 0, y = 0;
  const bool numbers = !time && absl::SimpleAtod(value, &x) && absl::SimpleAtod(c.value, &y);
  if (op == "eq") return numbers ? x == y : value == c.value;
  if (op == "ne") return numbers ? x != y : value != c.value;
  if (value.empty()) return false;
  if (op == "sw") return absl::StartsWith(value, c.value);
  if (op == "ew") return absl::EndsWith(value, c.value);
  if (op == "co") return absl::StrContains(value, c.value);
  if (op == "nc") return !absl::StrContains(value, c.value);
  int order = 0;  // value <=> c.value
  if (time) {
    auto a = Months(value), b = Months(c.value);
    if (!a || !b) return false;
    if (op == "ge") return a->first >= b->first;
    if (op == "gt") return a->first > b->second;
    if (op == "le") return a->second <= b->second;
    if (op == "lt") return a->second < b->first;
    return false;
  }
  if (numbers) {
    order = x < y ? -1 : x > y ? 1 : 0;
  } else {
    order = value.compare(c.value) < 0 ? -1 : value.compare(c.value) > 0 ? 1 : 0;
  }
  if (op == "gt") return order > 0;
  if (op == "ge") return order >= 0;
  if (op == "lt") return order < 0;
  if (op == "le") return order <= 0;
  return false;
}

// Which of `query`'s constraints `row` fails: kNone, the one component
// whose constraints it fails (the key's dimensions, TIME_PERIOD, then the
// values, as SdmxDataflow::Component numbers them), or kSeveral.
constexpr int kNone = -1, kSeveral = -2;

int FailedComponent(const SdmxDataQuery& query, const Row& row) {
  if (query.updated_after && row.published_at <= *query.updated_after) return kSeveral;
  int failed = kNone;
  auto fail = [&](size_t component) {
    if (failed == kNone || failed == static_cast<int>(component)) {
      failed = static_cast<int>(component);
    } else {
      failed = kSeveral;
    }
  };
  for (size_t i = 0; i < query.key.size(); ++i) {
    if (!query.key[i].empty() && query.key[i].count(row.key[i]) == 0) fail(i);
  }
  if (!query.periods.empty() && query.periods.count(row.period) == 0) fail(query.key.size());
  for (const SdmxComponentFilter& filter : query.conditions) {
    if (failed == kSeveral) break;
    const std::string& value = row.Component(filter.component);
    const bool time = filter.component == query.key.size();
    bool any = false;
    for (const auto& all : filter.any) {
      any = std::all_of(all.begin(), all.end(),
                        [&](const SdmxCondition& c) { return Holds(c, value, time); });
      if (any) break;
    }
    if (!any) fail(filter.component);
  }
  return failed;
}

bool Matches(const SdmxDataQuery& query, const Row& row) {
  return FailedComponent(query, row) == kNone;
}

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

std::string DateTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

// One data set of the answer: all of it, or with includeHistory one
// dissemination (the batch that published its revisions).
struct DataSetInfo {
  const char* action = "Information";  // SDMX-JSON and SDMX-ML spell it out
  std::optional<absl::Time> valid_from;
};

// Writes one format. The caller hands it the data sets in order, and in
// each either observations (flat) or series, each with its observations.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual std::string Head() = 0;
  virtual void BeginDataSet(const DataSetInfo& info, std::string* out) = 0;
  virtual void BeginSeries(const Row& row, std::string* out) = 0;
  virtual void EndSeries(std::string* out) = 0;
  virtual void Obs(const Row& row, std::string* out) = 0;
  // An observation of a series whose key alone is written
  // (detail=serieskeysonly or nodata).
  virtual void Unwritten(const Row&) {}
  virtual void EndDataSet(std::string* out) = 0;
  virtual std::string Tail() = 0;
};

// SDMX-CSV 2.0.0 (STRUCTURE, STRUCTURE_ID, ACTION, ...) or 1.0.0
// (DATAFLOW, ...): the components in the DSD's order, dimensions, measure,
// attributes. With `labels` (labels=both), columns are "ID: name" and coded
// values "code: label". includeHistory adds VALID_FROM and VALID_TO after
// ACTION. Series keys only: the key's columns alone.
class CsvWriter : public Writer {
 public:
  CsvWriter(const SdmxDataQuery& query, const SdmxLabels* labels)
      : query_(query), flow_(*query.flow), labels_(query.labels ? labels : nullptr) {
    keys_only_ = query.detail == SdmxDetail::kSeriesKeysOnly || query.detail == SdmxDetail::kNoData;
  }

  std::string Head() override {
    const bool v1 = query_.format == SdmxFormat::kCsv1;
    std::string line = v1 ? "DATAFLOW" : "STRUCTURE,STRUCTURE_ID,ACTION";
    if (query_.include_history && !v1) line += ",VALID_FROM,VALID_TO";
    auto add = [&](const char* column) {
      line.push_back(',');
      line.append(CsvField(labels_ == nullptr ? std::string(column)
                                              : labels_->Column(column, &flow_)));
    };
    for (const char* column : flow_.dimensions) add(column);
    if (!keys_only_) {
      add("TIME_PERIOD");
      for (size_t i = 0; i < flow_.values(); ++i) {
        if (query_.shown[i]) add(flow_.ValueId(i));
      }
    }
    line.push_back('\n');
    return line;
  }
  void BeginDataSet(const DataSetInfo&, std::string*) override {}
  void BeginSeries(const Row& row, std::string* out) override {
    if (keys_only_) Line(row, out);
  }
  void EndSeries(std::string*) override {}
  void Obs(const Row& row, std::string* out) override { Line(row, out); }
  void EndDataSet(std::string*) override {}
  std::string Tail() override { return ""; }

 private:
  void Line(const Row& row, std::string* line) {
    const std::string structure = absl::StrCat("LMX:", flow_.id, "(1.0)");
    if (query_.format == SdmxFormat::kCsv1) {
      line->append(structure);
    } else {
      absl::StrAppend(line, "dataflow,");
      line->append(labels_ == nullptr
                       ? structure
                       : CsvField(absl::StrCat(structure, ": ", SdmxDataflowName(flow_))));
      line->append(query_.include_history ? ",R" : ",I");
      if (query_.include_history) {
        absl::StrAppend(line, ",", DateTime(row.valid_from), ",",
                        row.valid_to == absl::InfiniteFuture() ? "" : DateTime(row.valid_to));
      }
    }
    auto add = [&](const char* component, const std::string& value) {
      line->push_back(',');
      line->append(CsvField(labels_ == nullptr || value.empty() ? value
                                                                : labels_->Value(component, value)));
    };
    for (size_t i = 0; i < row.key.size(); ++i) add(flow_.dimensions[i], row.key[i]);
    if (!keys_only_) {
      add("TIME_PERIOD", row.period);
      for (size_t i = 0; i < row.values.size(); ++i) {
        if (query_.shown[i]) add(flow_.ValueId(i), row.values[i]);
      }
    }
    line->push_back('\n');
  }

  const SdmxDataQuery& query_;
  const SdmxDataflow& flow_;
  const SdmxLabels* labels_;
  bool keys_only_ = false;
};

constexpr char kMessageNs[] = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message";
constexpr char kCommonNs[] = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common";

std::string StructureRef(const SdmxDataflow& flow) { return absl::StrCat("LMX_", flow.id, "_1_0"); }

std::string DsdUrn(const SdmxDataflow& flow) {
  return absl::StrCat("urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=LMX:DSD_", flow.id,
                      "(1.0)");
}

// The SDMX-ML 2.1 message header, shared by the generic and the
// structure-specific messages.
std::string XmlHeader(const SdmxDataQuery& query, absl::string_view extra_attributes) {
  const SdmxDataflow& flow = *query.flow;
  return absl::StrCat(
      "<message:Header><message:ID>LMX_", flow.id, "_", absl::ToUnixMicros(absl::Now()),
      "</message:ID><message:Test>false</message:Test><message:Prepared>", Now(),
      "</message:Prepared><message:Sender id=\"LMX\"/><message:Structure structureID=\"",
      StructureRef(flow), "\"", extra_attributes, " dimensionAtObservation=\"",
      query.series ? "TIME_PERIOD" : "AllDimensions", "\"><common:Structure><URN>", DsdUrn(flow),
      "</URN></common:Structure></message:Structure></message:Header>\n");
}

std::string DataSetAttributes(const DataSetInfo& info) {
  std::string out = absl::StrCat(" action=\"", info.action, "\"");
  if (info.valid_from) absl::StrAppend(&out, " validFromDate=\"", DateTime(*info.valid_from), "\"");
  return out;
}

// What the SDMX-ML 2.1 data messages share: the query, the root element,
// and how data sets and the message end.
class XmlWriter : public Writer {
 public:
  XmlWriter(const SdmxDataQuery& query, const char* root)
      : query_(query), flow_(*query.flow), root_(root) {}
  void EndDataSet(std::string* out) override { out->append("</message:DataSet>\n"); }
  std::string Tail() override { return absl::StrCat("</message:", root_, ">\n"); }

 protected:
  const SdmxDataQuery& query_;
  const SdmxDataflow& flow_;
  const char* root_;
};

// SDMX-ML 2.1 GenericData (or GenericTimeSeriesData): each value an element
// naming its component.
class GenericXmlWriter : public XmlWriter {
 public:
  explicit GenericXmlWriter(const SdmxDataQuery& query)
      : XmlWriter(query, query.time_series_message ? "GenericTimeSeriesData" : "GenericData") {}

  std::string Head() override {
    return absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message:", root_,
                        " xmlns:message=\"", kMessageNs,
                        "\" xmlns:generic=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/"
                        "data/generic\" xmlns:common=\"",
                        kCommonNs, "\">\n", XmlHeader(query_, ""));
  }
  void BeginDataSet(const DataSetInfo& info, std::string* out) override {
    absl::StrAppend(out, "<message:DataSet structureRef=\"", StructureRef(flow_), "\"",
                    DataSetAttributes(info), ">\n");
  }
  void BeginSeries(const Row& row, std::string* out) override {
    out->append("<generic:Series><generic:SeriesKey>");
    for (size_t i = 0; i < row.key.size(); ++i) Value(flow_.dimensions[i], row.key[i], out);
    out->append("</generic:SeriesKey>");
  }
  void EndSeries(std::string* out) override { out->append("</generic:Series>\n"); }
  void Obs(const Row& row, std::string* out) override {
    out->append("<generic:Obs>");
    if (query_.series) {
      absl::StrAppend(out, "<generic:ObsDimension value=\"", XmlText(row.period), "\"/>");
    } else {
      out->append("<generic:ObsKey>");
      for (size_t i = 0; i < row.key.size(); ++i) Value(flow_.dimensions[i], row.key[i], out);
      Value("TIME_PERIOD", row.period, out);
      out->append("</generic:ObsKey>");
    }
    if (query_.shown[0] && !row.values[0].empty()) {
      absl::StrAppend(out, "<generic:ObsValue value=\"", XmlText(row.values[0]), "\"/>");
    }
    std::string attributes;
    for (size_t i = 1; i < row.values.size(); ++i) {
      if (query_.shown[i] && !row.values[i].empty()) {
        Value(flow_.ValueId(i), row.values[i], &attributes);
      }
    }
    if (!attributes.empty()) {
      absl::StrAppend(out, "<generic:Attributes>", attributes, "</generic:Attributes>");
    }
    out->append("</generic:Obs>\n");
  }

 private:
  static void Value(absl::string_view id, absl::string_view value, std::string* out) {
    absl::StrAppend(out, "<generic:Value id=\"", id, "\" value=\"", XmlText(value), "\"/>");
  }
};

// SDMX-ML 2.1 StructureSpecificData (or ...TimeSeriesData): each value an
// XML attribute named by its component, in the DSD's own namespace, whose
// schema /sdmx/3.0/schema/datastructure/LMX/DSD_{id}/1.0 serves.
class StructureSpecificXmlWriter : public XmlWriter {
 public:
  explicit StructureSpecificXmlWriter(const SdmxDataQuery& query)
      : XmlWriter(query, query.time_series_message ? "StructureSpecificTimeSeriesData"
                                                   : "StructureSpecificData") {}

  std::string Head() override {
    const std::string ns = SdmxStructureSpecificNamespace(flow_, query_.series);
    return absl::StrCat(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message:", root_, " xmlns:message=\"",
        kMessageNs,
        "\" xmlns:ss=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific\""
        " xmlns:ns1=\"",
        XmlText(ns), "\" xmlns:common=\"", kCommonNs,
        "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
        XmlHeader(query_, absl::StrCat(" namespace=\"", XmlText(ns), "\"")));
  }
  void BeginDataSet(const DataSetInfo& info, std::string* out) override {
    absl::StrAppend(out, "<message:DataSet ss:structureRef=\"", StructureRef(flow_),
                    "\" ss:dataScope=\"DataStructure\" xsi:type=\"ns1:DataSetType\"",
                    absl::StrReplaceAll(DataSetAttributes(info),
                                        {{" action", " ss:action"}, {" valid", " ss:valid"}}),
                    ">\n");
  }
  void BeginSeries(const Row& row, std::string* out) override {
    out->append("<Series");
    for (size_t i = 0; i < row.key.size(); ++i) Attribute(flow_.dimensions[i], row.key[i], out);
    out->append(">");
  }
  void EndSeries(std::string* out) override { out->append("</Series>\n"); }
  void Obs(const Row& row, std::string* out) override {
    out->append("<Obs");
    if (!query_.series) {
      for (size_t i = 0; i < row.key.size(); ++i) Attribute(flow_.dimensions[i], row.key[i], out);
    }
    Attribute("TIME_PERIOD", row.period, out);
    for (size_t i = 0; i < row.values.size(); ++i) {
      if (query_.shown[i] && !row.values[i].empty()) {
        Attribute(flow_.ValueId(i), row.values[i], out);
      }
    }
    out->append("/>\n");
  }

 private:
  static void Attribute(absl::string_view id, absl::string_view value, std::string* out) {
    absl::StrAppend(out, " ", id, "=\"", XmlText(value), "\"");
  }
};

// An SDMX-JSON 2.0.0 data message, streamed: the data sets' observations
// first, keyed by the positions of their values, then the structure, which
// lists the values in the order they were first met, with their names from
// the codelists. (Members of a JSON object have no order; this one lets the
// answer stream.)
class JsonWriter : public Writer {
 public:
  JsonWriter(const SdmxDataQuery& query, const SdmxLabels* labels)
      : query_(query),
        flow_(*query.flow),
        labels_(labels),
        dimensions_(flow_.dimensions.size() + 1),
        values_(flow_.values()) {}

  std::string Head() override {
    return absl::StrCat(
        "{\"meta\":{\"schema\":\"https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/"
        "data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json\",\"id\":\"LMX_",
        flow_.id, "_", absl::ToUnixMicros(absl::Now()), "\",\"test\":false,\"prepared\":\"", Now(),
        "\",\"contentLanguages\":[\"en\"],\"sender\":{\"id\":\"LMX\"}},\"data\":{\"dataSets\":[");
  }
  void BeginDataSet(const DataSetInfo& info, std::string* out) override {
    if (data_sets_++ > 0) out->push_back(',');
    absl::StrAppend(out, "{\"structure\":0,\"action\":\"", info.action, "\"");
    if (info.valid_from) absl::StrAppend(out, ",\"validFrom\":\"", DateTime(*info.valid_from), "\"");
    absl::StrAppend(out,
                    ",\"links\":[{\"urn\":\"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=LMX:",
                    flow_.id, "(1.0)\",\"rel\":\"dataflow\"}],",
                    query_.series ? "\"series\":{" : "\"observations\":{");
    members_ = 0;
  }
  void BeginSeries(const Row& row, std::string* out) override {
    if (members_++ > 0) out->push_back(',');
    out->push_back('"');
    for (size_t i = 0; i < row.key.size(); ++i) {
      if (i > 0) out->push_back(':');
      absl::StrAppend(out, dimensions_[i].Index(row.key[i]));
    }
    out->append("\":{\"observations\":{");
    observations_ = 0;
  }
  void EndSeries(std::string* out) override { out->append("}}"); }
  void Obs(const Row& row, std::string* out) override {
    uint64_t& count = query_.series ? observations_ : members_;
    if (count++ > 0) out->push_back(',');
    out->push_back('"');
    if (!query_.series) {
      for (size_t i = 0; i < row.key.size(); ++i) {
        absl::StrAppend(out, dimensions_[i].Index(row.key[i]), ":");
      }
    }
    absl::StrAppend(out, dimensions_.back().Index(row.period), "\":[");
    bool first = true;
    for (size_t i = 0; i < row.values.size(); ++i) {
      if (!query_.shown[i]) continue;
      if (!first) out->push_back(',');
      first = false;
      const std::string& value = row.values[i];
      if (value.empty()) {
        out->append("null");
      } else if (i > 0 || Coded(i)) {
        // Attributes, and a coded measure, are the index of their value.
        absl::StrAppend(out, values_[i].Index(value));
      } else {
        double number = 0;
        out->append(absl::SimpleAtod(value, &number) && std::isfinite(number) ? value
                                                                               : JsonString(value));
      }
    }
    out->push_back(']');
  }
  void Unwritten(const Row& row) override { dimensions_.back().Index(row.period); }
  void EndDataSet(std::string* out) override { out->append("}}"); }

  std::string Tail() override {
    std::string out = absl::StrCat(
        "],\"structures\":[{\"links\":[{\"urn\":\"", DsdUrn(flow_),
        "\",\"rel\":\"datastructure\"}],\"dataSets\":[");
    for (int i = 0; i < data_sets_; ++i) absl::StrAppend(&out, i > 0 ? "," : "", i);
    const size_t time = flow_.dimensions.size();
    auto dimension = [&](size_t i) {
      const char* id = flow_.ComponentId(i);
      std::string json = absl::StrCat("{\"id\":\"", id, "\",\"name\":", JsonString(Name(id)),
                                      ",\"keyPosition\":", i,
                                      i == time ? ",\"roles\":[\"TIME_PERIOD\"]" : "",
                                      ",\"values\":[");
      const auto& values = dimensions_[i].values;
      for (size_t v = 0; v < values.size(); ++v) {
        // Codes have ids and names; periods are values.
        absl::StrAppend(&json, v > 0 ? "," : "",
                        i == time ? absl::StrCat("{\"value\":", JsonString(values[v]), "}")
                                  : CodeJson(id, values[v]));
      }
      return json + "]}";
    };
    out += "],\"dimensions\":{\"dataSet\":[],\"series\":[";
    if (query_.series) {
      for (size_t i = 0; i < time; ++i) absl::StrAppend(&out, i > 0 ? "," : "", dimension(i));
    }
    out += "],\"observation\":[";
    bool first = true;
    for (size_t i = query_.series ? time : 0; i <= time; ++i) {
      absl::StrAppend(&out, first ? "" : ",", dimension(i));
      first = false;
    }
    out += "]},\"measures\":{\"observation\":[";
    if (query_.shown[0]) {
      absl::StrAppend(&out, "{\"id\":\"OBS_VALUE\",\"name\":",
                      JsonString(labels_ ? labels_->Name("OBS_VALUE", &flow_) : "OBS_VALUE"),
                      Values(0), "}");
    }
    out += "]},\"attributes\":{\"dataSet\":[],\"series\":[],\"observation\":[";
    first = true;
    for (size_t i = 1; i < flow_.values(); ++i) {
      if (!query_.shown[i]) continue;
      const char* id = flow_.ValueId(i);
      absl::StrAppend(&out, first ? "" : ",", "{\"id\":\"", id, "\",\"name\":", JsonString(Name(id)),
                      ",\"relationship\":{\"observation\":{}}", Values(i), "}");
      first = false;
    }
    return out + "]}}]}}\n";
  }

 private:
  // The values of one component, numbered as they are first met.
  struct Values_ {
    std::map<std::string, size_t> index;
    std::vector<std::string> values;
    size_t Index(const std::string& value) {
      auto [it, added] = index.emplace(value, values.size());
      if (added) values.push_back(value);
      return it->second;
    }
  };

  bool Coded(size_t i) const { return labels_ != nullptr && labels_->Coded(flow_.ValueId(i)); }
  std::string Name(const char* id) const { return labels_ ? labels_->Name(id) : id; }
  std::string CodeJson(const char* component, const std::string& code) const {
    return absl::StrCat("{\"id\":", JsonString(code), ",\"name\":",
                        JsonString(labels_ ? labels_->Label(component, code) : code), "}");
  }
  // ,"values":[...] for a value that observations give by index. An
  // uncoded value is a string: the 2.0.0 schema's oneOf of integer and
  // number refuses every integer.
  std::string Values(size_t i) const {
    const auto& values = values_[i].values;
    if (values.empty()) return "";
    std::string out = ",\"values\":[";
    for (size_t v = 0; v < values.size(); ++v) {
      absl::StrAppend(&out, v > 0 ? "," : "",
                      Coded(i) ? CodeJson(flow_.ValueId(i), values[v])
                               : absl::StrCat("{\"value\":", JsonString(values[v]), "}"));
    }
    return out + "]";
  }

  const SdmxDataQuery& query_;
  const SdmxDataflow& flow_;
  const SdmxLabels* labels_;
  std::vector<Values_> dimensions_;  // the key's, then TIME_PERIOD
  std::vector<Values_> values_;      // OBS_VALUE's (when coded) and the attributes'
  int data_sets_ = 0;
  uint64_t members_ = 0;       // series or flat observations in the data set
  uint64_t observations_ = 0;  // in the series
};

std::unique_ptr<Writer> MakeWriter(const SdmxDataQuery& query, const SdmxLabels* labels) {
  switch (query.format) {
    case SdmxFormat::kGenericXml:
      return std::make_unique<GenericXmlWriter>(query);
    case SdmxFormat::kStructureSpecificXml:
      return std::make_unique<StructureSpecificXmlWriter>(query);
    case SdmxFormat::kJson:
      return std::make_unique<JsonWriter>(query, labels);
    default:
      return std::make_unique<CsvWriter>(query, labels);
  }
}

// Series of one country (the engine reads country by country), each in
// period order, cut to the first and last N observations. Kept compact: a
// series' key once, and per observation its period and values packed in
// one string (no allocation for most) with its sort key and validity, so
// that a country of a million observations holds tens of MB, not GB.
class SeriesBuffer {
 public:
  explicit SeriesBuffer(const SdmxDataQuery& query) : query_(query) {}
  void Add(Row&& row) {
    auto [it, added] = ids_.emplace(std::move(row.key), static_cast<uint32_t>(ids_.size()));
    Observation obs;
    obs.series = it->second;
    auto period = TimePeriod::Parse(row.period);
    obs.order = period.ok() ? period->first_month() * 4 + static_cast<int>(period->frequency()) : 0;
    obs.packed = std::move(row.period);
    for (const std::string& value : row.values) {
      obs.packed.push_back('\0');
      obs.packed += value;
    }
    obs.valid_from = row.valid_from;
    obs.valid_to = row.valid_to;
    observations_.push_back(std::move(obs));
  }
  bool empty() const { return observations_.empty(); }
  // Hands each series and its kept observations to `emit`, then forgets
  // them; false when `emit` did.
  bool Flush(const std::function<bool(const std::vector<Row>&)>& emit) {
    // Series in key order; within one, periods in order (ties keep the
    // order read).
    std::vector<uint32_t> rank(ids_.size());
    std::vector<const std::vector<std::string>*> keys(ids_.size());
    uint32_t next = 0;
    for (const auto& [key, id] : ids_) {
      rank[id] = next++;
      keys[id] = &key;
    }
    std::stable_sort(observations_.begin(), observations_.end(),
                     [&](const Observation& a, const Observation& b) {
                       return std::make_pair(rank[a.series], a.order) <
                              std::make_pair(rank[b.series], b.order);
                     });
    bool open = true;
    std::vector<Row> rows;
    const size_t first = query_.first_observations, last = query_.last_observations;
    for (size_t start = 0; start < observations_.size() && open;) {
      size_t end = start;
      while (end < observations_.size() && observations_[end].series == observations_[start].series) {
        ++end;
      }
      rows.clear();
      const size_t n = end - start;
      for (size_t i = 0; i < n; ++i) {
        const bool kept = query_.include_history || (first == 0 && last == 0) ||
                          (first && i < first) || (last && i + last >= n);
        if (kept) rows.push_back(Unpack(*keys[observations_[start].series], observations_[start + i]));
      }
      open = emit(rows);
      start = end;
    }
    ids_.clear();
    observations_.clear();
    return open;
  }

 private:
  struct Observation {
    uint32_t series;
    int order;           // the period's months and frequency
    std::string packed;  // period, then each value, separated by NUL
    absl::Time valid_from, valid_to;
  };

  static Row Unpack(const std::vector<std::string>& key, const Observation& obs) {
    Row row;
    row.key = key;
    std::vector<std::string> parts = absl::StrSplit(obs.packed, '\0');
    row.period = std::move(parts[0]);
    row.values.assign(std::make_move_iterator(parts.begin() + 1),
                      std::make_move_iterator(parts.end()));
    row.valid_from = obs.valid_from;
    row.valid_to = obs.valid_to;
    return row;
  }

  const SdmxDataQuery& query_;
  std::map<std::vector<std::string>, uint32_t> ids_;
  std::vector<Observation> observations_;
};

// includeHistory: every revision of every matching observation, grouped
// by the batch that published it (one data set per dissemination), each
// valid until the next revision of its key.
absl::StatusOr<std::vector<std::pair<DataSetInfo, std::vector<Row>>>> History(
    const SdmxDataQuery& query, const QueryEngine& engine) {
  ASSIGN_OR_RETURN(QueryEngine::Snapshot latest, engine.Pin(query.as_of));
  struct Dissemination {
    absl::Time published_at;
    std::string origin;
    uint64_t version;
  };
  std::vector<Dissemination> batches;
  for (const auto& [origin, limit] : latest.limits) {
    if (!query.key[0].empty() && query.key[0].count(origin) == 0) continue;
    for (const BatchInfo& batch : latest.catalog->Batches(origin)) {
      if (batch.version > limit || batch.dataset != query.flow->dataset) continue;
      batches.push_back({batch.published_at, origin, batch.version});
    }
  }
  std::sort(batches.begin(), batches.end(), [](const Dissemination& a, const Dissemination& b) {
    return std::tie(a.published_at, a.origin, a.version) <
           std::tie(b.published_at, b.origin, b.version);
  });
  constexpr size_t kMaxDisseminations = 2000;
  if (batches.size() > kMaxDisseminations) {
    return absl::UnimplementedError(absl::StrCat(
        "includeHistory: ", batches.size(), " disseminations match; narrow the key (REF_AREA) or "
        "use updatedAfter (lmx serves at most ", kMaxDisseminations, ")"));
  }
  std::vector<std::pair<DataSetInfo, std::vector<Row>>> sets;
  // The revisions of each key, to close each one's validity.
  std::map<std::pair<std::vector<std::string>, std::string>, std::vector<std::pair<size_t, size_t>>>
      revisions;
  for (const Dissemination& batch : batches) {
    QueryEngine::Snapshot at{latest.catalog, {{batch.origin, batch.version}}};
    DataSetInfo info;
    info.action = "Replace";
    info.valid_from = batch.published_at;
    std::vector<Row> rows;
    RETURN_IF_ERROR(ForEachRow(query, engine, &at, [&](Row&& row) {
      if (row.version == batch.version && Matches(query, row)) {
        row.valid_from = batch.published_at;
        rows.push_back(std::move(row));
      }
      return true;
    }));
    if (rows.empty()) continue;
    for (size_t i = 0; i < rows.size(); ++i) {
      revisions[{rows[i].key, rows[i].period}].push_back({sets.size(), i});
    }
    sets.push_back({info, std::move(rows)});
  }
  for (const auto& [key, places] : revisions) {
    for (size_t i = 0; i + 1 < places.size(); ++i) {
      sets[places[i].first].second[places[i].second].valid_to =
          sets[places[i + 1].first].first.valid_from.value_or(absl::InfiniteFuture());
    }
  }
  return sets;
}

}  // namespace

absl::Status WriteSdmxData(const SdmxDataQuery& query, const QueryEngine& engine,
                           const std::function<bool(absl::string_view)>& write, uint64_t* matched,
                           const SdmxLabels* labels) {
  std::unique_ptr<Writer> writer = MakeWriter(query, labels);
  const bool keys_only =
      query.detail == SdmxDetail::kSeriesKeysOnly || query.detail == SdmxDetail::kNoData;
  std::string out = writer->Head();
  if (!write(out)) return absl::OkStatus();
  out.clear();
  uint64_t written = 0;
  bool open = true;
  auto flush = [&] {
    open = write(out);
    out.clear();
    return open;
  };
  // One series with its observations, or in a flat answer the observations.
  auto series = [&](const std::vector<Row>& rows) {
    if (rows.empty()) return true;
    if (query.series || keys_only) writer->BeginSeries(rows.front(), &out);
    for (const Row& row : rows) {
      if (keys_only) {
        writer->Unwritten(row);
      } else {
        writer->Obs(row, &out);
      }
    }
    if (query.series || keys_only) writer->EndSeries(&out);
    written += rows.size();
    return flush();
  };
  absl::Status status;
  if (query.include_history) {
    ASSIGN_OR_RETURN(auto sets, History(query, engine));
    for (auto& [info, rows] : sets) {
      writer->BeginDataSet(info, &out);
      SeriesBuffer buffer(query);
      for (Row& row : rows) buffer.Add(std::move(row));
      if (!buffer.Flush(series)) break;
      writer->EndDataSet(&out);
    }
  } else {
    DataSetInfo info;
    writer->BeginDataSet(info, &out);
    // SDMX-CSV is flat, whatever dimensionAtObservation says: it streams
    // unless observations are counted per series.
    const bool csv = query.format == SdmxFormat::kCsv || query.format == SdmxFormat::kCsv1;
    const bool grouped = (query.series && !csv) || keys_only || query.first_observations > 0 ||
                         query.last_observations > 0;
    if (!grouped) {
      status = ForEachRow(query, engine, nullptr, [&](Row&& row) {
        if (!Matches(query, row)) return true;
        writer->Obs(row, &out);
        ++written;
        return out.size() < (1 << 16) || flush();
      });
    } else {
      // Rows come country by country: a country's series are complete when
      // the next country starts.
      SeriesBuffer buffer(query);
      std::string country;
      status = ForEachRow(query, engine, nullptr, [&](Row&& row) {
        if (!Matches(query, row)) return true;
        if (row.key[0] != country && !buffer.empty() && !buffer.Flush(series)) return false;
        country = row.key[0];
        buffer.Add(std::move(row));
        return true;
      });
      if (status.ok() && open) buffer.Flush(series);
    }
    writer->EndDataSet(&out);
  }
  if (matched != nullptr) *matched = written;
  if (!status.ok() || !open) return status;
  out += writer->Tail();
  write(out);
  return absl::OkStatus();
}

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

namespace {

const char* ContentType(const SdmxDataQuery& query) {
  switch (query.format) {
    case SdmxFormat::kCsv1:
      return query.labels ? "application/vnd.sdmx.data+csv; version=1.0.0; labels=both; charset=utf-8"
                          : "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8";
    case SdmxFormat::kGenericXml:
      return query.time_series_message ? "application/vnd.sdmx.generictimeseriesdata+xml; version=2.1"
                                       : "application/vnd.sdmx.genericdata+xml; version=2.1";
    case SdmxFormat::kStructureSpecificXml:
      return query.time_series_message
                 ? "application/vnd.sdmx.structurespecifictimeseriesdata+xml; version=2.1"
                 : "application/vnd.sdmx.structurespecificdata+xml; version=2.1";
    case SdmxFormat::kJson:
      return "application/vnd.sdmx.data+json; version=2.0.0";
    default:
      if (query.text_csv) return "text/csv; charset=utf-8";
      return query.labels ? "application/vnd.sdmx.data+csv; version=2.0.0; labels=both; charset=utf-8"
                          : "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8";
  }
}

// Whether anything matches, known before the answer starts (404 otherwise).
absl::StatusOr<bool> AnyMatch(const SdmxDataQuery& query, const QueryEngine& engine) {
  if (query.include_history) {
    ASSIGN_OR_RETURN(auto sets, History(query, engine));
    return !sets.empty();
  }
  bool any = false;
  RETURN_IF_ERROR(ForEachRow(query, engine, nullptr, [&](Row&& row) {
    any = Matches(query, row);
    return !any;
  }));
  return any;
}

}  // namespace

HttpServer::Handler SdmxDataHandler(const QueryEngine* engine, const Access* access,
                                    const Codelists* codelists, bool v21) {
  auto labels = std::make_shared<const SdmxLabels>(*codelists);
  return [engine, access, labels, v21](const HttpServer::Request& request) -> HttpServer::Answer {
    const SdmxErrorFormat wanted = SdmxErrorFormatOf(request, SdmxErrorFormat::kText);
    auto Refusal = [wanted](const absl::Status& status) { return SdmxError(status, wanted); };
    std::string path = request.matches.empty() ? "" : request.matches[0];
    if (v21) {
      auto converted = Sdmx21DataPath(path);
      if (!converted.ok()) return Refusal(converted.status());
      path = *std::move(converted);
    }
    std::string accept = request.Header("accept").value_or("");
    // SDMX REST 2.1 answers SDMX-ML generic data by default.
    if (v21 && request.parameters.count("format") == 0 &&
        (accept.empty() || absl::StripAsciiWhitespace(accept) == "*/*")) {
      accept = "application/vnd.sdmx.genericdata+xml;version=2.1";
    }
    auto query = ParseSdmxDataQuery(path, request.parameters, accept);
    if (!query.ok()) return Refusal(query.status());
    Access::Caller caller;
    caller.address = request.remote;
    caller.authorization = request.Header("authorization");
    auto who =
        access->Authorize(caller, SdmxAction(*query->flow), absl::StrCat("HTTP ", request.path));
    if (!who.ok()) return Refusal(who.status());
    auto any = AnyMatch(*query, *engine);
    if (!any.ok()) return Refusal(any.status());
    if (!*any) return Refusal(absl::NotFoundError("no results for this query"));
    HttpServer::Answer answer;
    answer.content_type = ContentType(*query);
    answer.headers.push_back({"Vary", "Accept"});
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


namespace {

// What an availability query found: per component (the key's dimensions,
// then TIME_PERIOD) the values, and the matching observations' count.
struct Availability {
  std::vector<std::set<std::string>> values;
  uint64_t observations = 0;
};

// mode=exact: the values the data query's answer holds. mode=available:
// for each dimension, the values that a query keeping the other
// dimensions' selections would find data for (the choices still open).
absl::StatusOr<Availability> FindAvailability(const SdmxDataQuery& query,
                                              const QueryEngine& engine, bool available) {
  Availability found;
  const size_t time = query.key.size();
  found.values.resize(time + 1);
  SdmxDataQuery scan = query;
  if (available) {
    // Every dimension's own selection is left out for it: scan them all.
    for (auto& codes : scan.key) codes.clear();
    scan.periods.clear();
    scan.from.clear();
    scan.to.clear();
  }
  RETURN_IF_ERROR(ForEachRow(scan, engine, nullptr, [&](Row&& row) {
    const int failed = FailedComponent(query, row);
    if (failed == kSeveral) return true;
    if (failed == kNone) {
      ++found.observations;
    }
    for (size_t i = 0; i <= time; ++i) {
      // A row failing only dimension i's selection is a choice open for i.
      const bool counts = failed == kNone || (available && failed == static_cast<int>(i));
      if (counts) found.values[i].insert(i < time ? row.key[i] : row.period);
    }
    return true;
  }));
  return found;
}

// The availability as an SDMX-ML 2.1 structure message: an actual
// ContentConstraint attached to the dataflow, whose cube region lists the
// values, with the observation count as an annotation (as .Stat does).
std::string AvailabilityXml(const SdmxDataflow& flow, const Availability& found,
                            const std::set<std::string>& components, bool available) {
  std::string region;
  for (size_t i = 0; i < found.values.size(); ++i) {
    const char* id = flow.ComponentId(i);
    if (!components.empty() && components.count(id) == 0) continue;
    if (i + 1 == found.values.size()) {
      // The span of the periods: those the answer holds (exact) or those
      // still open (available).
      std::optional<std::pair<std::string, std::string>> span;
      for (const std::string& period : found.values[i]) {
        auto p = TimePeriod::Parse(period);
        if (!span) span = {period, period};
        auto a = TimePeriod::Parse(span->first), b = TimePeriod::Parse(span->second);
        if (p.ok() && a.ok() && *p < *a) span->first = period;
        if (p.ok() && b.ok() && *b < *p) span->second = period;
      }
      if (!span) continue;
      absl::StrAppend(&region, "<common:KeyValue id=\"TIME_PERIOD\"><common:TimeRange>"
                               "<common:StartPeriod isInclusive=\"true\">",
                      XmlText(span->first), "</common:StartPeriod>"
                      "<common:EndPeriod isInclusive=\"true\">",
                      XmlText(span->second),
                      "</common:EndPeriod></common:TimeRange></common:KeyValue>");
      continue;
    }
    if (found.values[i].empty()) continue;
    absl::StrAppend(&region, "<common:KeyValue id=\"", id, "\">");
    for (const std::string& value : found.values[i]) {
      absl::StrAppend(&region, "<common:Value>", XmlText(value), "</common:Value>");
    }
    region += "</common:KeyValue>";
  }
  const std::string id = absl::StrCat("CC_", flow.id);
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message:Structure xmlns:message=\"", kMessageNs,
      "\" xmlns:structure=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\" "
      "xmlns:common=\"",
      kCommonNs,
      "\">\n<message:Header><message:ID>LMX_AVAILABILITY</message:ID><message:Test>false"
      "</message:Test><message:Prepared>",
      Now(),
      "</message:Prepared><message:Sender id=\"LMX\"/></message:Header>\n<message:Structures>"
      "<structure:Constraints><structure:ContentConstraint id=\"",
      id, "\" agencyID=\"LMX\" version=\"1.0\" urn=\"urn:sdmx:org.sdmx.infomodel.registry."
      "ContentConstraint=LMX:",
      id, "(1.0)\" type=\"Actual\"><common:Annotations><common:Annotation><common:AnnotationTitle>",
      found.observations,
      "</common:AnnotationTitle><common:AnnotationType>obs_count</common:AnnotationType>"
      "</common:Annotation><common:Annotation><common:AnnotationTitle>",
      available ? "available" : "exact",
      "</common:AnnotationTitle><common:AnnotationType>mode</common:AnnotationType>"
      "</common:Annotation></common:Annotations><common:Name xml:lang=\"en\">Availability of ",
      XmlText(SdmxDataflowName(flow)),
      "</common:Name><structure:ConstraintAttachment><structure:Dataflow><Ref id=\"", flow.id,
      "\" version=\"1.0\" agencyID=\"LMX\" package=\"datastructure\" class=\"Dataflow\"/>"
      "</structure:Dataflow></structure:ConstraintAttachment><structure:CubeRegion "
      "include=\"true\">",
      region,
      "</structure:CubeRegion></structure:ContentConstraint></structure:Constraints>"
      "</message:Structures></message:Structure>\n");
}

}  // namespace

HttpServer::Handler SdmxAvailabilityHandler(const QueryEngine* engine, const Access* access) {
  return [engine, access](const HttpServer::Request& request) -> HttpServer::Answer {
    const SdmxErrorFormat wanted =
        SdmxErrorFormatOf(request, SdmxErrorFormat::kText) == SdmxErrorFormat::kJson
            ? SdmxErrorFormat::kJson
            : SdmxErrorFormat::kXml;
    auto Refusal = [wanted](const absl::Status& status) { return SdmxError(status, wanted); };
    // {context}/{agency}/{id}/{version}/{key}/{componentId}: the data
    // query's path, then the one dimension to report on.
    std::vector<std::string> parts =
        absl::StrSplit(request.matches.empty() ? "" : request.matches[0], '/');
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    std::set<std::string> components;  // empty for all
    if (parts.size() == 6) {
      if (parts.back() != "*" && parts.back() != "all") {
        for (absl::string_view id : absl::StrSplit(parts.back(), ',')) components.emplace(id);
      }
      parts.pop_back();
    }
    std::multimap<std::string, std::string> parameters;
    bool available = false;
    for (const auto& [name, value] : request.parameters) {
      if (name == "mode") {
        if (value != "exact" && value != "available") {
          return Refusal(absl::InvalidArgumentError(
              absl::StrCat("mode: '", value, "' is not exact or available")));
        }
        available = value == "available";
      } else if (name == "references") {
        if (value != "none") {
          return Refusal(absl::UnimplementedError(
              "references: the availability comes alone; ask /sdmx/3.0/structure/ for the "
              "dataflow with references=descendants"));
        }
      } else if (absl::StartsWith(name, "c[") || name == "updatedAfter") {
        parameters.emplace(name, value);
      } else {
        return Refusal(absl::InvalidArgumentError(absl::StrCat(
            "unknown parameter '", name, "' (availability takes c[], updatedAfter, mode, "
                                         "references)")));
      }
    }
    const std::string accept = request.Header("accept").value_or("");
    if (!SdmxAcceptsXml(accept, "application/vnd.sdmx.structure+xml")) {
      return Refusal(absl::FailedPreconditionError(absl::StrCat(
          "Accept: ", accept, ": lmx serves availability as SDMX-ML 2.1 "
                              "(application/vnd.sdmx.structure+xml;version=2.1) (406)")));
    }
    auto query = ParseSdmxDataQuery(absl::StrJoin(parts, "/"), parameters);
    if (!query.ok()) return Refusal(query.status());
    for (const std::string& component : components) {
      int index = query->flow->Component(component);
      if (index < 0 || static_cast<size_t>(index) > query->flow->dimensions.size()) {
        return Refusal(absl::InvalidArgumentError(
            absl::StrCat(query->flow->id, " has no dimension ", component, " (",
                         absl::StrJoin(query->flow->dimensions, ", "), ", TIME_PERIOD)")));
      }
    }
    Access::Caller caller;
    caller.address = request.remote;
    caller.authorization = request.Header("authorization");
    auto who =
        access->Authorize(caller, SdmxAction(*query->flow), absl::StrCat("HTTP ", request.path));
    if (!who.ok()) return Refusal(who.status());
    auto found = FindAvailability(*query, *engine, available);
    if (!found.ok()) return Refusal(found.status());
    // A dimension with no value left means no data: a cube region without
    // it would say "any value".
    bool empty = found->observations == 0 && !available;
    for (size_t i = 0; i < found->values.size(); ++i) {
      if (components.empty() || components.count(query->flow->ComponentId(i))) {
        empty = empty || found->values[i].empty();
      }
    }
    if (empty) return Refusal(absl::NotFoundError("no data for this query"));
    HttpServer::Answer answer{200, "application/vnd.sdmx.structure+xml; version=2.1",
                              AvailabilityXml(*query->flow, *found, components, available),
                              nullptr};
    answer.headers.push_back({"Vary", "Accept"});
    return answer;
  };
}

}  // namespace lmx
