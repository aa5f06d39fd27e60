#include "node/http/sdmx_structure.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "federation/base/text_formats.h"

namespace lmx {
namespace {

constexpr char kAgency[] = "LMX";
constexpr char kVersion[] = "1.0";
constexpr char kConceptScheme[] = "CS_LMX";

std::string Name(absl::string_view text) {
  return absl::StrCat("<common:Name xml:lang=\"en\">", XmlText(text), "</common:Name>");
}

// A code list as SDMX sees it: id, name, and codes with their parents.
struct SdmxCodelist {
  std::string id;
  std::string name;
  std::vector<ClassCode> codes;
};

// The region's codelists under their SDMX ids, with SDMX's special codes.
std::vector<SdmxCodelist> RegionCodelists(const Codelists& codelists) {
  const std::vector<std::pair<absl::string_view, const char*>> ids = {
      {kIso3166Part1, "CL_AREA"}, {kIso3166Part2, "CL_REGION"}, {kIsco08, "CL_OCCUPATION"},
      {kIsic4, "CL_ACTIVITY"},    {kIsced11, "CL_EDUCATION"},   {kSexId, "CL_SEX"},
      {kAgeId, "CL_AGE"}};
  const std::vector<ClassCode> special = {
      {"_T", 1, "", "Total"}, {"_U", 1, "", "Unknown"}, {"_Z", 1, "", "Not applicable"}};
  std::vector<SdmxCodelist> lists;
  for (const auto& [registry_id, sdmx_id] : ids) {
    const Classification* classification = codelists.Find(registry_id);
    if (classification == nullptr) continue;
    // Every list has SDMX's totals and unknowns: SHORTAGE rows carry
    // REGION=_T for a national figure.
    SdmxCodelist list{sdmx_id, classification->name(), classification->codes()};
    list.codes.insert(list.codes.end(), special.begin(), special.end());
    lists.push_back(std::move(list));
  }
  auto flat = [](const char* id, const char* name,
                 std::vector<std::pair<const char*, const char*>> codes) {
    SdmxCodelist list{id, name, {}};
    for (const auto& [code, label] : codes) list.codes.push_back({code, 1, "", label});
    return list;
  };
  lists.push_back(flat("CL_DIRECTION", "Direction of a migrant-worker flow",
                       {{"INFLOW", "Inflow"}, {"OUTFLOW", "Outflow"}, {"RETURN", "Return"}}));
  lists.push_back(
      flat("CL_SHORTAGE_STATUS", "Skill shortage status",
           {{"SHORTAGE", "Shortage"}, {"BALANCED", "Balanced"}, {"SURPLUS", "Surplus"}}));
  lists.push_back(flat("CL_CONF_STATUS", "Confidentiality status",
                       {{"F", "Free"},
                        {"C", "Confidential (primary suppression)"},
                        {"D", "Secondary suppression"}}));
  return lists;
}

// The codelist a component is coded with; empty when it is not coded.
std::string CodelistOf(absl::string_view component) {
  static const std::vector<std::pair<const char*, const char*>> coded = {
      {"REF_AREA", "CL_AREA"},
      {"COUNTERPART_AREA", "CL_AREA"},
      {"REGION", "CL_REGION"},
      {"OCCUPATION", "CL_OCCUPATION"},
      {"ACTIVITY", "CL_ACTIVITY"},
      {"SEX", "CL_SEX"},
      {"AGE", "CL_AGE"},
      {"DIRECTION", "CL_DIRECTION"},
      {"CONF_STATUS", "CL_CONF_STATUS"},
      {"SHORTAGE_STATUS", "CL_SHORTAGE_STATUS"}};
  for (const auto& [name, list] : coded) {
    if (component == name) return list;
  }
  return "";
}

const std::vector<std::pair<const char*, const char*>>& Concepts() {
  static const auto* concepts = new std::vector<std::pair<const char*, const char*>>{
      {"REF_AREA", "Reference area (the reporting country)"},
      {"COUNTERPART_AREA", "Counterpart area"},
      {"REGION", "Subnational region (ISO 3166-2)"},
      {"OCCUPATION", "Occupation (ISCO-08)"},
      {"ACTIVITY", "Economic activity (ISIC Rev.4)"},
      {"SEX", "Sex"},
      {"AGE", "Age group"},
      {"DIRECTION", "Direction of the flow"},
      {"CHANNEL", "Recruitment channel"},
      {"TIME_PERIOD", "Time period"},
      {"OBS_VALUE", "Number of migrant workers"},
      {"CONF_STATUS", "Confidentiality status"},
      {"SHORTAGE_STATUS", "Skill shortage status"},
      {"SHORTAGE_INDEX", "Shortage index, -1 to 1 (positive is shortage)"},
      {"HARD_TO_FILL", "Hard-to-fill vacancies"},
      {"VACANCIES", "Vacancies posted"},
      {"POSITIONS", "Positions in those vacancies"},
  };
  return *concepts;
}

std::string ConceptRef(absl::string_view id) {
  return absl::StrCat(
      "<structure:ConceptIdentity><Ref id=\"", id, "\" maintainableParentID=\"", kConceptScheme,
      "\" maintainableParentVersion=\"", kVersion, "\" agencyID=\"", kAgency,
      "\" package=\"conceptscheme\" class=\"Concept\"/></structure:ConceptIdentity>");
}

std::string Representation(absl::string_view component) {
  std::string list = CodelistOf(component);
  if (list.empty()) return "";
  return absl::StrCat("<structure:LocalRepresentation><structure:Enumeration><Ref id=\"", list,
                      "\" version=\"", kVersion, "\" agencyID=\"", kAgency,
                      "\" package=\"codelist\" class=\"Codelist\"/></structure:Enumeration>"
                      "</structure:LocalRepresentation>");
}

std::string Urn(absl::string_view kind, absl::string_view id) {
  return absl::StrCat("urn:sdmx:org.sdmx.infomodel.", kind, "=", kAgency, ":", id, "(", kVersion,
                      ")");
}

std::string Maintainable(absl::string_view element, absl::string_view kind, absl::string_view id) {
  return absl::StrCat("<structure:", element, " id=\"", id, "\" agencyID=\"", kAgency,
                      "\" version=\"", kVersion, "\" urn=\"", Urn(kind, id), "\">");
}

std::string CodelistXml(const SdmxCodelist& list) {
  std::string out = Maintainable("Codelist", "codelist.Codelist", list.id) + Name(list.name);
  for (const ClassCode& code : list.codes) {
    absl::StrAppend(&out, "<structure:Code id=\"", XmlText(code.code), "\">", Name(code.label));
    if (!code.parent.empty()) {
      absl::StrAppend(&out, "<structure:Parent><Ref id=\"", XmlText(code.parent),
                      "\"/></structure:Parent>");
    }
    out += "</structure:Code>";
  }
  return out + "</structure:Codelist>\n";
}

std::string ConceptSchemeXml() {
  std::string out = Maintainable("ConceptScheme", "conceptscheme.ConceptScheme", kConceptScheme) +
                    Name("Concepts of the lmx labour market exchange");
  for (const auto& [id, name] : Concepts()) {
    absl::StrAppend(&out, "<structure:Concept id=\"", id, "\">", Name(name),
                    "</structure:Concept>");
  }
  return out + "</structure:ConceptScheme>\n";
}

}  // namespace

SdmxLabels::SdmxLabels(const Codelists& codelists) {
  for (const SdmxCodelist& list : RegionCodelists(codelists)) {
    auto& codes = labels_[list.id];
    for (const ClassCode& code : list.codes) codes[code.code] = code.label;
  }
}

std::string SdmxLabels::Column(absl::string_view component) const {
  for (const auto& [id, name] : Concepts()) {
    if (component == id) return absl::StrCat(id, ": ", name);
  }
  return std::string(component);
}

std::string SdmxLabels::Value(absl::string_view component, absl::string_view code) const {
  auto list = labels_.find(CodelistOf(component));
  if (list == labels_.end()) return std::string(code);
  auto label = list->second.find(code);
  if (label == list->second.end() || label->second.empty()) return std::string(code);
  return absl::StrCat(code, ": ", label->second);
}

namespace {

// SDMX-ML 2.1 has one primary measure (SdmxDataflow::primary); the other
// measures are observation attributes. Its id is always OBS_VALUE (the
// schema fixes it); its concept says what it measures (SHORTAGE_INDEX).
std::string DataStructureXml(const SdmxDataflow& flow) {
  std::string id = absl::StrCat("DSD_", flow.id);
  std::string out = Maintainable("DataStructure", "datastructure.DataStructure", id) +
                    Name(SdmxDataflowName(flow)) +
                    "<structure:DataStructureComponents>"
                    "<structure:DimensionList id=\"DimensionDescriptor\">";
  int position = 0;
  for (const char* dimension : flow.dimensions) {
    absl::StrAppend(&out, "<structure:Dimension id=\"", dimension, "\" position=\"", ++position,
                    "\">", ConceptRef(dimension), Representation(dimension),
                    "</structure:Dimension>");
  }
  absl::StrAppend(&out, "<structure:TimeDimension id=\"TIME_PERIOD\" position=\"", ++position,
                  "\">", ConceptRef("TIME_PERIOD"),
                  "<structure:LocalRepresentation><structure:TextFormat "
                  "textType=\"ObservationalTimePeriod\"/></structure:LocalRepresentation>"
                  "</structure:TimeDimension></structure:DimensionList>");
  const char* primary = flow.measures[flow.primary];
  std::vector<const char*> attributes;
  for (size_t i : flow.MlAttributes()) attributes.push_back(flow.ValueId(i));
  if (!attributes.empty()) {
    out += "<structure:AttributeList id=\"AttributeDescriptor\">";
    for (const char* attribute : attributes) {
      absl::StrAppend(
          &out, "<structure:Attribute id=\"", attribute, "\" assignmentStatus=\"Conditional\">",
          ConceptRef(attribute), Representation(attribute),
          "<structure:AttributeRelationship><structure:PrimaryMeasure><Ref id=\"OBS_VALUE\"/>"
          "</structure:PrimaryMeasure></structure:AttributeRelationship>"
          "</structure:Attribute>");
    }
    out += "</structure:AttributeList>";
  }
  absl::StrAppend(&out,
                  "<structure:MeasureList id=\"MeasureDescriptor\">"
                  "<structure:PrimaryMeasure id=\"OBS_VALUE\">",
                  ConceptRef(primary), Representation(primary),
                  "</structure:PrimaryMeasure></structure:MeasureList>"
                  "</structure:DataStructureComponents></structure:DataStructure>\n");
  return out;
}

std::string DataflowXml(const SdmxDataflow& flow) {
  return absl::StrCat(Maintainable("Dataflow", "datastructure.Dataflow", flow.id),
                      Name(SdmxDataflowName(flow)), "<structure:Structure><Ref id=\"DSD_", flow.id,
                      "\" version=\"", kVersion, "\" agencyID=\"", kAgency,
                      "\" package=\"datastructure\" class=\"DataStructure\"/>"
                      "</structure:Structure></structure:Dataflow>\n");
}

bool Any(absl::string_view part) { return part.empty() || part == "*" || part == "all"; }

}  // namespace

absl::StatusOr<std::string> SdmxStructure(const Codelists& codelists, absl::string_view path) {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  if (parts.empty() || parts.size() > 4) {
    return absl::InvalidArgumentError(
        "expected /sdmx/3.0/structure/{codelist|conceptscheme|datastructure|dataflow}"
        "/{agency}/{id}/{version}");
  }
  parts.resize(4);
  const std::string& type = parts[0];
  const std::string& agency = parts[1];
  const std::string& id = parts[2];
  const std::string& version = parts[3];
  if (!Any(agency) && agency != kAgency) {
    return absl::NotFoundError(absl::StrCat("no structures of agency ", agency, "; lmx's is LMX"));
  }
  if (!Any(version) && version != kVersion && version != "~" && version != "+" &&
      version != "latest") {
    return absl::NotFoundError(absl::StrCat("no version ", version, "; lmx's structures are 1.0"));
  }
  auto wanted = [&](absl::string_view candidate) { return Any(id) || id == candidate; };
  std::string element, body;
  if (type == "codelist") {
    element = "Codelists";
    for (const SdmxCodelist& list : RegionCodelists(codelists)) {
      if (wanted(list.id)) body += CodelistXml(list);
    }
  } else if (type == "conceptscheme") {
    element = "Concepts";
    if (wanted(kConceptScheme)) body = ConceptSchemeXml();
  } else if (type == "datastructure" || type == "dataflow") {
    bool dataflow = type == "dataflow";
    element = dataflow ? "Dataflows" : "DataStructures";
    for (const char* flow_id : {"FLOW", "SHORTAGE", "VACANCY_AGG"}) {
      const SdmxDataflow& flow = *FindSdmxDataflow(flow_id);
      if (!wanted(dataflow ? flow.id : absl::StrCat("DSD_", flow.id))) continue;
      body += dataflow ? DataflowXml(flow) : DataStructureXml(flow);
    }
  } else {
    return absl::NotFoundError(
        absl::StrCat("structure type '", type,
                     "': lmx serves codelist, conceptscheme, datastructure and dataflow"));
  }
  if (body.empty()) return absl::NotFoundError(absl::StrCat("no ", type, " ", id));
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<message:Structure"
      " xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\""
      " xmlns:structure=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\""
      " xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n"
      "<message:Header><message:ID>LMX_STRUCTURE</message:ID><message:Test>false</message:Test>"
      "<message:Prepared>",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
      "</message:Prepared><message:Sender id=\"LMX\"/></message:Header>\n"
      "<message:Structures><structure:",
      element, ">\n", body, "</structure:", element,
      "></message:Structures></message:Structure>\n");
}

HttpServer::Handler SdmxStructureHandler(const Codelists* codelists) {
  return [codelists](const HttpServer::Request& request) -> HttpServer::Answer {
    for (const auto& [name, value] : request.parameters) {
      bool plain = (name == "detail" && value == "full") ||
                   (name == "references" && value == "none") ||
                   (name == "format" && value == "sdmx-ml");
      if (!plain) {
        return {501, "text/plain; charset=utf-8",
                absl::StrCat(name, "=", value,
                             " is not served; structures come whole, without "
                             "references\n"),
                nullptr};
      }
    }
    auto answer = SdmxStructure(*codelists, request.matches.empty() ? "" : request.matches[0]);
    if (!answer.ok()) {
      return {absl::IsNotFound(answer.status()) ? 404 : 400, "text/plain; charset=utf-8",
              absl::StrCat(answer.status().message(), "\n"), nullptr};
    }
    return {200, "application/vnd.sdmx.structure+xml; version=2.1", *std::move(answer), nullptr};
  };
}

}  // namespace lmx
