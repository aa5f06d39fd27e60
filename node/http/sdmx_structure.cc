#include "node/http/sdmx_structure.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
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

std::string SdmxLabels::Name(absl::string_view component, const SdmxDataflow* flow) const {
  if (flow != nullptr && component == "OBS_VALUE") component = flow->measure_concept;
  for (const auto& [id, name] : Concepts()) {
    if (component == id) return name;
  }
  return std::string(component);
}

std::string SdmxLabels::Column(absl::string_view component, const SdmxDataflow* flow) const {
  std::string name = Name(component, flow);
  if (name == component) return name;
  return absl::StrCat(component, ": ", name);
}

std::string SdmxLabels::Label(absl::string_view component, absl::string_view code) const {
  auto list = labels_.find(CodelistOf(component));
  if (list == labels_.end()) return std::string(code);
  auto label = list->second.find(code);
  if (label == list->second.end() || label->second.empty()) return std::string(code);
  return label->second;
}

bool SdmxLabels::Coded(absl::string_view component) const {
  return !CodelistOf(component).empty();
}

std::string SdmxLabels::Value(absl::string_view component, absl::string_view code) const {
  auto list = labels_.find(CodelistOf(component));
  if (list == labels_.end()) return std::string(code);
  auto label = list->second.find(code);
  if (label == list->second.end() || label->second.empty()) return std::string(code);
  return absl::StrCat(code, ": ", label->second);
}

namespace {

// The primary measure's id is always OBS_VALUE (the schema fixes it); its
// concept says what it measures (SHORTAGE_INDEX).
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
  if (!flow.attributes.empty()) {
    out += "<structure:AttributeList id=\"AttributeDescriptor\">";
    for (const char* attribute : flow.attributes) {
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
                  ConceptRef(flow.measure_concept),
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

// The kinds of structure lmx has, in the order SDMX-ML 2.1's Structures
// element lists them.
enum class Kind { kDataflow, kCodelist, kConceptScheme, kDataStructure };

struct KindInfo {
  Kind kind;
  const char* type;     // in the REST path: dataflow
  const char* element;  // in SDMX-ML: Dataflows
  const char* item;     // Dataflow
  const char* urn;      // datastructure.Dataflow
  const char* json;     // in SDMX-JSON: dataflows
};

const std::vector<KindInfo>& Kinds() {
  static const auto* kinds = new std::vector<KindInfo>{
      {Kind::kDataflow, "dataflow", "Dataflows", "Dataflow", "datastructure.Dataflow", "dataflows"},
      {Kind::kCodelist, "codelist", "Codelists", "Codelist", "codelist.Codelist", "codelists"},
      {Kind::kConceptScheme, "conceptscheme", "Concepts", "ConceptScheme",
       "conceptscheme.ConceptScheme", "conceptSchemes"},
      {Kind::kDataStructure, "datastructure", "DataStructures", "DataStructure",
       "datastructure.DataStructure", "dataStructures"}};
  return *kinds;
}

using Artefact = std::pair<Kind, std::string>;  // sorted by kind, then id

// The dataflow of a dataflow or DSD artefact (DSD_FLOW is FLOW's).
const SdmxDataflow& FlowOf(const Artefact& artefact) {
  return *FindSdmxDataflow(artefact.first == Kind::kDataStructure ? artefact.second.substr(4)
                                                                  : artefact.second);
}

// Every artefact lmx has.
std::vector<Artefact> AllArtefacts(const std::vector<SdmxCodelist>& lists) {
  std::vector<Artefact> all;
  for (const char* id : {"FLOW", "SHORTAGE", "VACANCY_AGG"}) all.push_back({Kind::kDataflow, id});
  for (const SdmxCodelist& list : lists) all.push_back({Kind::kCodelist, list.id});
  all.push_back({Kind::kConceptScheme, kConceptScheme});
  for (const char* id : {"FLOW", "SHORTAGE", "VACANCY_AGG"}) {
    all.push_back({Kind::kDataStructure, absl::StrCat("DSD_", id)});
  }
  return all;
}

// What an artefact refers to: a dataflow its DSD; a DSD its concept
// scheme and the codelists of its components.
std::vector<Artefact> Children(const Artefact& artefact) {
  std::vector<Artefact> children;
  if (artefact.first == Kind::kDataflow) {
    children.push_back({Kind::kDataStructure, absl::StrCat("DSD_", artefact.second)});
  } else if (artefact.first == Kind::kDataStructure) {
    const SdmxDataflow& flow = FlowOf(artefact);
    children.push_back({Kind::kConceptScheme, kConceptScheme});
    std::set<std::string> lists;
    for (const char* dimension : flow.dimensions) lists.insert(CodelistOf(dimension));
    for (const char* attribute : flow.attributes) lists.insert(CodelistOf(attribute));
    lists.erase("");
    for (const std::string& list : lists) children.push_back({Kind::kCodelist, list});
  }
  return children;
}

bool Any(absl::string_view part) { return part.empty() || part == "*" || part == "all"; }

// A comma-separated list of ids, or any.
bool Listed(absl::string_view list, absl::string_view id) {
  if (Any(list)) return true;
  for (absl::string_view one : absl::StrSplit(list, ',')) {
    if (one == id || one == "*") return true;
  }
  return false;
}

struct StructureOptions {
  std::string base;  // "http://host:port", for stubs' absolute URLs
  std::string references = "none";
  std::string detail = "full";
  bool json = false;  // SDMX-JSON 2.0.0 structure message
};

const SdmxCodelist* ListOf(const Artefact& artefact, const std::vector<SdmxCodelist>& lists) {
  for (const SdmxCodelist& list : lists) {
    if (list.id == artefact.second) return &list;
  }
  return nullptr;
}

std::string ArtefactName(const Artefact& artefact, const std::vector<SdmxCodelist>& lists) {
  if (artefact.first == Kind::kConceptScheme) return "Concepts of the lmx labour market exchange";
  if (artefact.first == Kind::kCodelist) return ListOf(artefact, lists)->name;
  return SdmxDataflowName(FlowOf(artefact));
}

std::string StructureUrl(absl::string_view base, const KindInfo& info, absl::string_view id) {
  return absl::StrCat(base, "/sdmx/3.0/structure/", info.type, "/", kAgency, "/", id, "/",
                      kVersion);
}

// The artefact as SDMX-ML 2.1: whole, or as a stub (its identity and name,
// marked as defined elsewhere: the REST path that has it whole).
std::string ArtefactXml(const Artefact& artefact, const std::vector<SdmxCodelist>& lists,
                        bool stub, absl::string_view base) {
  const KindInfo& info = Kinds()[static_cast<size_t>(artefact.first)];
  if (stub) {
    return absl::StrCat("<structure:", info.item, " id=\"", artefact.second, "\" agencyID=\"",
                        kAgency, "\" version=\"", kVersion, "\" urn=\"",
                        Urn(info.urn, artefact.second),
                        "\" isExternalReference=\"true\" structureURL=\"",
                        StructureUrl(base, info, artefact.second), "\">",
                        Name(ArtefactName(artefact, lists)), "</structure:", info.item, ">\n");
  }
  switch (artefact.first) {
    case Kind::kDataflow:
      return DataflowXml(FlowOf(artefact));
    case Kind::kDataStructure:
      return DataStructureXml(FlowOf(artefact));
    case Kind::kConceptScheme:
      return ConceptSchemeXml();
    default:
      return CodelistXml(*ListOf(artefact, lists));
  }
}

std::string JsonName(absl::string_view name) {
  return absl::StrCat("\"name\":", JsonString(name), ",\"names\":{\"en\":", JsonString(name), "}");
}

std::string JsonRef(const KindInfo& info, absl::string_view id) {
  return JsonString(Urn(info.urn, id));
}

// The artefact as SDMX-JSON 2.0.0 structure metadata.
std::string ArtefactJson(const Artefact& artefact, const std::vector<SdmxCodelist>& lists,
                         bool stub, absl::string_view base) {
  const KindInfo& info = Kinds()[static_cast<size_t>(artefact.first)];
  std::string out = absl::StrCat("{\"id\":", JsonString(artefact.second), ",\"agencyID\":\"",
                                 kAgency, "\",\"version\":\"", kVersion, "\",",
                                 JsonName(ArtefactName(artefact, lists)));
  if (stub) {
    return absl::StrCat(out, ",\"isExternalReference\":true,\"links\":[{\"href\":",
                        JsonString(StructureUrl(base, info, artefact.second)),
                        ",\"rel\":\"external\"}]}");
  }
  if (artefact.first == Kind::kCodelist) {
    const SdmxCodelist& list = *ListOf(artefact, lists);
    out += ",\"codes\":[";
    for (size_t i = 0; i < list.codes.size(); ++i) {
      const ClassCode& code = list.codes[i];
      absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":", JsonString(code.code), ",",
                      JsonName(code.label));
      if (!code.parent.empty()) absl::StrAppend(&out, ",\"parent\":", JsonString(code.parent));
      out += "}";
    }
    out += "]";
  } else if (artefact.first == Kind::kConceptScheme) {
    out += ",\"concepts\":[";
    bool first = true;
    for (const auto& [id, name] : Concepts()) {
      absl::StrAppend(&out, first ? "" : ",", "{\"id\":\"", id, "\",", JsonName(name), "}");
      first = false;
    }
    out += "]";
  } else if (artefact.first == Kind::kDataflow) {
    absl::StrAppend(&out, ",\"structure\":",
                    JsonRef(Kinds()[static_cast<size_t>(Kind::kDataStructure)],
                            absl::StrCat("DSD_", artefact.second)));
  } else {
    const SdmxDataflow& flow = FlowOf(artefact);
    auto concept_ref = [](absl::string_view id) {
      return absl::StrCat("\"conceptIdentity\":",
                          JsonString(absl::StrCat("urn:sdmx:org.sdmx.infomodel.conceptscheme."
                                                  "Concept=",
                                                  kAgency, ":", kConceptScheme, "(", kVersion,
                                                  ").", id)));
    };
    auto representation = [](absl::string_view id) -> std::string {
      std::string list = CodelistOf(id);
      if (list.empty()) return "";
      return absl::StrCat(",\"localRepresentation\":{\"enumeration\":",
                          JsonRef(Kinds()[static_cast<size_t>(Kind::kCodelist)], list), "}");
    };
    out += ",\"dataStructureComponents\":{\"dimensionList\":{\"id\":\"DimensionDescriptor\","
           "\"dimensions\":[";
    for (size_t i = 0; i < flow.dimensions.size(); ++i) {
      absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":\"", flow.dimensions[i],
                      "\",\"position\":", i, ",", concept_ref(flow.dimensions[i]),
                      representation(flow.dimensions[i]), "}");
    }
    absl::StrAppend(&out, "],\"timeDimensions\":[{\"id\":\"TIME_PERIOD\",\"position\":",
                    flow.dimensions.size(), ",", concept_ref("TIME_PERIOD"),
                    ",\"localRepresentation\":{\"format\":{\"dataType\":"
                    "\"ObservationalTimePeriod\"}}}]},\"attributeList\":{\"id\":"
                    "\"AttributeDescriptor\",\"attributes\":[");
    for (size_t i = 0; i < flow.attributes.size(); ++i) {
      absl::StrAppend(&out, i > 0 ? "," : "", "{\"id\":\"", flow.attributes[i],
                      "\",\"usage\":\"optional\",\"attributeRelationship\":{\"observation\":{}},",
                      concept_ref(flow.attributes[i]), representation(flow.attributes[i]), "}");
    }
    absl::StrAppend(&out,
                    "]},\"measureList\":{\"id\":\"MeasureDescriptor\",\"measures\":[{\"id\":"
                    "\"OBS_VALUE\",",
                    concept_ref(flow.measure_concept), "}]}}");
  }
  return out + "}";
}

std::string Prepared() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

absl::StatusOr<std::string> Structure(const Codelists& codelists, absl::string_view path,
                                      const StructureOptions& options) {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.size() == 5 && parts[4] != "*" && parts[4] != "all") {
    return absl::UnimplementedError(
        absl::StrCat("item '", parts[4], "': lmx serves whole structures; ask for the scheme"));
  }
  if (parts.empty() || parts.size() > 5) {
    return absl::InvalidArgumentError(
        "expected structure/{codelist|conceptscheme|datastructure|dataflow}"
        "/{agency}/{id}/{version}");
  }
  parts.resize(4);
  const std::string& type = parts[0];
  const std::string& agency = parts[1];
  const std::string& id = parts[2];
  const std::string& version = parts[3];
  if (!Listed(agency, kAgency)) {
    return absl::NotFoundError(absl::StrCat("no structures of agency ", agency, "; lmx's is LMX"));
  }
  bool version_found = Any(version);
  for (absl::string_view v : absl::StrSplit(version, ',')) {
    if (v == kVersion || v == "1.0.0" || v == "~" || v == "+" || v == "latest" || v == "*") {
      version_found = true;
    }
  }
  if (!version_found) {
    return absl::NotFoundError(absl::StrCat("no version ", version, "; lmx's structures are 1.0"));
  }
  const bool any_type = type == "*" || type == "structure";
  const KindInfo* wanted_kind = nullptr;
  for (const KindInfo& info : Kinds()) {
    if (type == info.type) wanted_kind = &info;
  }
  if (!any_type && wanted_kind == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "structure type '", type,
        "': lmx serves codelist, conceptscheme, datastructure and dataflow (or * for all)"));
  }
  const std::vector<SdmxCodelist> lists = RegionCodelists(codelists);
  std::set<Artefact> matched;
  for (const Artefact& artefact : AllArtefacts(lists)) {
    if ((any_type || artefact.first == wanted_kind->kind) && Listed(id, artefact.second)) {
      matched.insert(artefact);
    }
  }
  if (matched.empty()) return absl::NotFoundError(absl::StrCat("no ", type, " ", id));
  // references=: what the matched artefacts refer to (children, or all
  // their descendants), what refers to them (parents, ancestors), parents
  // and their other children (parentsandsiblings), parents and
  // descendants (all), or the references of one type.
  const std::string& references = options.references;
  const KindInfo* of_type = nullptr;
  for (const KindInfo& info : Kinds()) {
    if (references == info.type) of_type = &info;
  }
  static const std::set<std::string> kReferences = {
      "none", "parents", "parentsandsiblings", "ancestors", "children", "descendants", "all"};
  // SDMX's other structure types: lmx has none, so none is referenced.
  static const std::set<std::string> kAbsentTypes = {
      "categorisation", "categoryscheme", "hierarchicalcodelist", "valuelist",
      "agencyscheme", "dataproviderscheme", "dataconsumerscheme", "organisationunitscheme",
      "metadatastructure", "metadataflow", "provisionagreement", "structureset", "process",
      "reportingtaxonomy", "dataconstraint", "metadataconstraint", "contentconstraint",
      "actualconstraint", "allowedconstraint", "attachmentconstraint", "transformationscheme",
      "rulesetscheme", "userdefinedoperatorscheme", "customtypescheme", "namepersonalisationscheme",
      "vtlmappingscheme", "representationmap", "conceptschememap", "codelistmap",
      "categoryschememap", "organisationschememap", "metadataproviderscheme",
      "metadataprovisionagreement", "hierarchy", "hierarchyassociation"};
  const bool absent_type = kAbsentTypes.count(references) > 0;
  if (kReferences.count(references) == 0 && of_type == nullptr && !absent_type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "references: '", references,
        "' is not none, parents, parentsandsiblings, ancestors, children, descendants, all or a "
        "structure type (codelist, conceptscheme, datastructure, dataflow)"));
  }
  const bool children = references == "children" || references == "descendants" ||
                        references == "all" || of_type != nullptr;
  const bool descendants = references == "descendants" || references == "all" || of_type != nullptr;
  const bool parents = references == "parents" || references == "parentsandsiblings" ||
                       references == "ancestors" || references == "all" || of_type != nullptr;
  const bool ancestors = references == "ancestors" || of_type != nullptr;
  std::set<Artefact> referenced;
  if (children) {
    std::vector<Artefact> todo(matched.begin(), matched.end());
    while (!todo.empty()) {
      Artefact next = todo.back();
      todo.pop_back();
      for (const Artefact& child : Children(next)) {
        if (referenced.insert(child).second && descendants) todo.push_back(child);
      }
    }
  }
  if (parents) {
    std::set<Artefact> level = matched;
    while (!level.empty()) {
      std::set<Artefact> found;
      for (const Artefact& candidate : AllArtefacts(lists)) {
        for (const Artefact& child : Children(candidate)) {
          if (level.count(child) && referenced.insert(candidate).second) found.insert(candidate);
        }
      }
      if (references == "parentsandsiblings") {
        for (const Artefact& parent : found) {
          for (const Artefact& sibling : Children(parent)) referenced.insert(sibling);
        }
      }
      if (!ancestors) break;
      level = std::move(found);
    }
  }
  if (of_type != nullptr) {
    std::set<Artefact> kept;
    for (const Artefact& artefact : referenced) {
      if (artefact.first == of_type->kind) kept.insert(artefact);
    }
    referenced = std::move(kept);
  }
  if (absent_type) referenced.clear();
  for (const Artefact& artefact : matched) referenced.erase(artefact);
  // detail=: stubs for all, or for the referenced artefacts only.
  const std::string& detail = options.detail;
  static const std::set<std::string> kDetails = {
      "full", "allstubs", "referencestubs", "allcompletestubs", "referencecompletestubs",
      "referencepartial", "raw"};
  if (kDetails.count(detail) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detail: '", detail,
        "' is not full, allstubs, referencestubs, allcompletestubs, referencecompletestubs, "
        "referencepartial or raw"));
  }
  const bool stub_all = detail == "allstubs" || detail == "allcompletestubs";
  const bool stub_references =
      stub_all || detail == "referencestubs" || detail == "referencecompletestubs";
  std::set<Artefact> all = matched;
  all.insert(referenced.begin(), referenced.end());
  std::string body;
  for (const KindInfo& info : Kinds()) {
    std::string elements;
    for (const Artefact& artefact : all) {
      if (artefact.first != info.kind) continue;
      const bool stub = matched.count(artefact) ? stub_all : stub_references;
      if (options.json) {
        absl::StrAppend(&elements, elements.empty() ? "" : ",", ArtefactJson(artefact, lists, stub, options.base));
      } else {
        elements += ArtefactXml(artefact, lists, stub, options.base);
      }
    }
    if (elements.empty()) continue;
    if (options.json) {
      absl::StrAppend(&body, body.empty() ? "" : ",", "\"", info.json, "\":[", elements, "]");
    } else {
      absl::StrAppend(&body, "<structure:", info.element, ">\n", elements, "</structure:",
                      info.element, ">\n");
    }
  }
  if (options.json) {
    return absl::StrCat(
        "{\"meta\":{\"schema\":\"https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/"
        "structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json\","
        "\"id\":\"LMX_STRUCTURE\",\"test\":false,\"prepared\":\"",
        Prepared(), "\",\"contentLanguages\":[\"en\"],\"sender\":{\"id\":\"LMX\"}},\"data\":{",
        body, "}}\n");
  }
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<message:Structure"
      " xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\""
      " xmlns:structure=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\""
      " xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n"
      "<message:Header><message:ID>LMX_STRUCTURE</message:ID><message:Test>false</message:Test>"
      "<message:Prepared>",
      Prepared(),
      "</message:Prepared><message:Sender id=\"LMX\"/></message:Header>\n"
      "<message:Structures>",
      body, "</message:Structures></message:Structure>\n");
}

}  // namespace

absl::StatusOr<std::string> SdmxStructure(const Codelists& codelists, absl::string_view path) {
  return Structure(codelists, path, StructureOptions());
}

std::string SdmxStructureSpecificNamespace(const SdmxDataflow& flow, bool series) {
  return absl::StrCat(Urn("datastructure.DataStructure", absl::StrCat("DSD_", flow.id)),
                      ":ObsLevelDim:", series ? "TIME_PERIOD" : "AllDimensions");
}

std::string SdmxStructureSpecificSchema(const SdmxDataflow& flow, bool series) {
  const std::string ns = XmlText(SdmxStructureSpecificNamespace(flow, series));
  auto attribute = [](absl::string_view id, absl::string_view type, bool required) {
    return absl::StrCat("<xs:attribute name=\"", id, "\" type=\"", type, "\" use=\"",
                        required ? "required" : "optional", "\"/>");
  };
  std::string dimensions;
  for (const char* dimension : flow.dimensions) {
    absl::StrAppend(&dimensions, attribute(dimension, "common:IDType", true));
  }
  std::string values = attribute("TIME_PERIOD", "common:ObservationalTimePeriodType", true) +
                       attribute("OBS_VALUE", "xs:double", false);
  for (const char* id : flow.attributes) {
    absl::StrAppend(&values, attribute(id, CodelistOf(id).empty() ? "xs:string" : "common:IDType",
                                       false));
  }
  auto restriction = [](absl::string_view name, absl::string_view base, absl::string_view body) {
    return absl::StrCat("<xs:complexType name=\"", name,
                        "\"><xs:complexContent><xs:restriction base=\"dsd:", base, "\">", body,
                        "</xs:restriction></xs:complexContent></xs:complexType>\n");
  };
  constexpr char kAnnotations[] = "<xs:element ref=\"common:Annotations\" minOccurs=\"0\"/>";
  constexpr char kProvider[] =
      "<xs:element name=\"DataProvider\" type=\"common:DataProviderReferenceType\" "
      "form=\"unqualified\" minOccurs=\"0\"/>";
  // Flat data sets hold observations; in series, series hold them.
  const char* child = series ? "Series" : "Obs";
  std::string types = restriction(
      "DataSetType", series ? "TimeSeriesDataSetType" : "DataSetType",
      absl::StrCat("<xs:sequence>", kAnnotations, kProvider,
                   "<xs:choice minOccurs=\"0\"><xs:element name=\"", child, "\" type=\"", child,
                   "Type\" form=\"unqualified\" maxOccurs=\"unbounded\"/></xs:choice></xs:sequence>"));
  if (series) {
    types += restriction("SeriesType", "TimeSeriesType",
                         absl::StrCat("<xs:sequence>", kAnnotations,
                                      "<xs:element name=\"Obs\" type=\"ObsType\" "
                                      "form=\"unqualified\" minOccurs=\"0\" "
                                      "maxOccurs=\"unbounded\"/></xs:sequence>",
                                      dimensions));
  }
  types += restriction("ObsType", series ? "TimeSeriesObsType" : "ObsType",
                       absl::StrCat("<xs:sequence>", kAnnotations, "</xs:sequence>",
                                    series ? "" : dimensions, values));
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns=\"",
      ns, "\" targetNamespace=\"", ns,
      "\" xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\" "
      "xmlns:dsd=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific\" "
      "elementFormDefault=\"qualified\" attributeFormDefault=\"unqualified\">\n"
      "<xs:import namespace=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\" "
      "schemaLocation=\"SDMXCommon.xsd\"/>\n"
      "<xs:import namespace=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/"
      "structurespecific\" schemaLocation=\"SDMXDataStructureSpecific.xsd\"/>\n",
      types, "</xs:schema>\n");
}

HttpServer::Handler SdmxSchemaHandler() {
  return [](const HttpServer::Request& request) -> HttpServer::Answer {
    auto refuse = [&](const absl::Status& status) {
      return SdmxError(status, SdmxErrorFormatOf(request, SdmxErrorFormat::kXml));
    };
    std::vector<std::string> parts =
        absl::StrSplit(request.matches.empty() ? "" : request.matches[0], '/');
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    if (parts.size() < 3 || parts.size() > 4) {
      return refuse(
          absl::InvalidArgumentError("expected /sdmx/3.0/schema/{datastructure|dataflow}/LMX/{id}/1.0"));
    }
    std::string id = parts[2];
    if (parts[0] == "datastructure" && absl::StartsWith(id, "DSD_")) id = id.substr(4);
    const SdmxDataflow* flow = FindSdmxDataflow(id);
    if ((parts[0] != "datastructure" && parts[0] != "dataflow") || parts[1] != kAgency ||
        flow == nullptr || (parts[0] == "datastructure" && id == parts[2])) {
      return refuse(absl::NotFoundError(absl::StrCat("no ", parts[0], " ", parts[1], ":", parts[2])));
    }
    bool series = true;
    for (const auto& [name, value] : request.parameters) {
      if (name == "dimensionAtObservation" && (value == "TIME_PERIOD" || value == "AllDimensions")) {
        series = value == "TIME_PERIOD";
      } else if (name == "explicitMeasure" && value == "false") {
      } else if (name == "dimensionAtObservation" || name == "explicitMeasure") {
        return refuse(absl::UnimplementedError(absl::StrCat(name, "=", value, " is not served")));
      } else {
        return refuse(absl::InvalidArgumentError(absl::StrCat("unknown parameter '", name, "'")));
      }
    }
    const std::string accept = request.Header("accept").value_or("");
    if (!SdmxAcceptsXml(accept, "application/vnd.sdmx.schema+xml")) {
      return refuse(absl::FailedPreconditionError(absl::StrCat(
          "Accept: ", accept,
          ": the schema is XML Schema (application/vnd.sdmx.schema+xml;version=2.1) (406)")));
    }
    return {200, "application/vnd.sdmx.schema+xml; version=2.1",
            SdmxStructureSpecificSchema(*flow, series), nullptr};
  };
}

HttpServer::Handler SdmxStructureHandler(const Codelists* codelists) {
  return [codelists](const HttpServer::Request& request) -> HttpServer::Answer {
    auto refuse = [&](const absl::Status& status) {
      return SdmxError(status, SdmxErrorFormatOf(request, SdmxErrorFormat::kXml));
    };
    StructureOptions options;
    if (auto host = request.Header("host")) options.base = absl::StrCat("http://", *host);
    bool format_given = false;
    for (const auto& [name, value] : request.parameters) {
      if (name == "references") {
        options.references = value;
      } else if (name == "detail") {
        options.detail = value;
      } else if (name == "format" && (value == "sdmx-ml" || value == "structure" || value == "xml" ||
                                      value == "sdmx-json" || value == "json")) {
        options.json = absl::StrContains(value, "json");
        format_given = true;
      } else if (name == "format") {
        return refuse(absl::FailedPreconditionError(
            absl::StrCat("format=", value, " is not served (406); structures come as sdmx-ml or "
                                           "sdmx-json")));
      } else {
        return refuse(absl::UnimplementedError(absl::StrCat(name, "=", value, " is not served")));
      }
    }
    // SDMX-ML 2.1 or SDMX-JSON 2.0.0 structures, as asked; another version
    // or format is 406.
    const std::string accept = request.Header("accept").value_or("");
    if (!format_given && !accept.empty()) {
      bool served = false;
      for (const SdmxMediaRange& range : ParseSdmxAccept(accept)) {
        const std::string& t = range.type;
        if (t == "*/*" || t == "application/*" || t == "application/xml" || t == "text/xml" ||
            (t == "application/vnd.sdmx.structure+xml" && range.Version({"2.1"}))) {
          served = true;
        } else if ((t == "application/vnd.sdmx.structure+json" && range.Version({"2.0.0", "2.0"})) ||
                   t == "application/json") {
          served = options.json = true;
        }
        if (served) break;
      }
      if (!served) {
        return refuse(absl::FailedPreconditionError(absl::StrCat("Accept: ", accept,
                                      " names no format lmx serves structures in (406); it serves "
                                      "SDMX-ML 2.1 (application/vnd.sdmx.structure+xml;"
                                      "version=2.1) and SDMX-JSON 2.0.0 (application/vnd.sdmx."
                                      "structure+json;version=2.0.0)")));
      }
    }
    auto answer =
        Structure(*codelists, request.matches.empty() ? "" : request.matches[0], options);
    if (!answer.ok()) return refuse(answer.status());
    HttpServer::Answer ok{200,
                          options.json ? "application/vnd.sdmx.structure+json; version=2.0.0"
                                       : "application/vnd.sdmx.structure+xml; version=2.1",
                          *std::move(answer), nullptr};
    ok.headers.push_back({"Vary", "Accept"});
    return ok;
  };
}

}  // namespace lmx
