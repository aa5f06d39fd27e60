#include "client/sdmx/sdmx_ml_reader.h"

#include <libxml/xmlreader.h>

#include <cstdio>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "federation/base/text_formats.h"

namespace lmx {
namespace {

// libxml2's reader, closed on every path out.
struct ReaderCloser {
  void operator()(xmlTextReader* reader) const { xmlFreeTextReader(reader); }
};

std::string Text(const xmlChar* text) {
  return text == nullptr ? "" : std::string(reinterpret_cast<const char*>(text));
}

std::string Attribute(xmlTextReader* reader, const char* name) {
  xmlChar* value = xmlTextReaderGetAttribute(reader, reinterpret_cast<const xmlChar*>(name));
  std::string out = Text(value);
  xmlFree(value);
  return out;
}

// The dataflow id of a structure URN or reference: "...=LMX:DSD_FLOW(1.0)"
// and "DSD_FLOW" are FLOW.
std::string FlowId(std::string text) {
  if (size_t colon = text.rfind(':'); colon != std::string::npos && absl::StrContains(text, "=")) {
    text = text.substr(colon + 1);
  }
  text = text.substr(0, text.find('('));
  // A structureID as lmx writes it: LMX_FLOW_1_0.
  if (absl::StartsWith(text, "LMX_") && absl::EndsWith(text, "_1_0")) {
    text = text.substr(4, text.size() - 8);
  }
  if (absl::StartsWith(text, "DSD_")) text = text.substr(4);
  return text;
}

using Values = std::vector<std::pair<std::string, std::string>>;  // component, value

void Set(Values* values, const std::string& id, const std::string& value) {
  for (auto& [component, v] : *values) {
    if (component == id) {
      v = value;
      return;
    }
  }
  values->emplace_back(id, value);
}

}  // namespace

bool LooksLikeXml(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buffer[64] = {};
  size_t n = std::fread(buffer, 1, sizeof(buffer), file);
  std::fclose(file);
  size_t i = n >= 3 && static_cast<unsigned char>(buffer[0]) == 0xEF ? 3 : 0;
  while (i < n && (buffer[i] == ' ' || buffer[i] == '\n' || buffer[i] == '\r' || buffer[i] == '\t'))
    ++i;
  return i < n && buffer[i] == '<';
}

absl::StatusOr<SdmxMlAsCsv> ReadSdmxMl(const std::string& path) {
  // No network, no external entities: a data file is read as it is.
  std::unique_ptr<xmlTextReader, ReaderCloser> owned(
      xmlReaderForFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_NOBLANKS));
  if (owned == nullptr) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  xmlTextReader* reader = owned.get();
  // The line of the node the reader is on (the parser's, which reads
  // ahead, when it has none).
  auto line = [&]() -> uint64_t {
    xmlNode* node = xmlTextReaderCurrentNode(reader);
    long number = node != nullptr ? xmlGetLineNo(node) : -1;
    return number > 0 ? static_cast<uint64_t>(number)
                      : static_cast<uint64_t>(xmlTextReaderGetParserLineNumber(reader));
  };
  auto at = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", line(), ": ", message));
  };
  std::string root, flow, element;
  bool generic = false, in_header_structure = false, in_series_key = false;
  bool in_obs = false, in_obs_key = false, in_attributes = false;
  Values series, obs;
  uint64_t obs_line = 0, root_line = 0;
  std::vector<std::pair<uint64_t, Values>> rows;
  std::vector<std::string> columns;  // in order of first appearance
  std::map<std::string, bool> seen;
  std::map<std::string, uint64_t> first_lines;
  auto emit = [&] {
    Values all = series;
    for (const auto& [id, value] : obs) Set(&all, id, value);
    for (const auto& [id, value] : all) {
      if (!seen[id]) {
        seen[id] = true;
        columns.push_back(id);
        first_lines[id] = obs_line;
      }
    }
    rows.push_back({obs_line, std::move(all)});
    obs.clear();
    in_obs = false;
  };
  int read;
  while ((read = xmlTextReaderRead(reader)) == 1) {
    const int type = xmlTextReaderNodeType(reader);
    const std::string name = Text(xmlTextReaderConstLocalName(reader));
    const bool unqualified = xmlTextReaderConstNamespaceUri(reader) == nullptr;
    if (type == XML_READER_TYPE_ELEMENT) {
      const bool empty = xmlTextReaderIsEmptyElement(reader) == 1;
      if (root.empty()) {
        root = name;
        root_line = line();
        if (name != "GenericData" && name != "GenericTimeSeriesData" &&
            name != "StructureSpecificData" && name != "StructureSpecificTimeSeriesData") {
          return at(absl::StrCat("<", name,
                                 "> is not an SDMX-ML 2.1 data message (GenericData, "
                                 "StructureSpecificData or their time-series forms)"));
        }
        generic = absl::StartsWith(name, "Generic");
        continue;
      }
      element = name;
      if (name == "Structure" && !unqualified && !in_header_structure && rows.empty()) {
        in_header_structure = true;
        if (flow.empty()) flow = FlowId(Attribute(reader, "structureID"));
      } else if (in_header_structure && name == "Ref") {
        flow = FlowId(Attribute(reader, "id"));
      } else if (name == "DataSet") {
        std::string action = Attribute(reader, "action");
        if (action.empty()) {
          xmlChar* ns_action = xmlTextReaderGetAttributeNs(
              reader, reinterpret_cast<const xmlChar*>("action"),
              reinterpret_cast<const xmlChar*>(
                  "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"));
          action = Text(ns_action);
          xmlFree(ns_action);
        }
        if (action == "Delete") {
          return at("<DataSet action=\"Delete\">: lmx keeps every revision and publishes no "
                    "deletions; publish the corrected observations instead");
        }
      } else if (name == "Series") {
        series.clear();
        if (!generic) {
          while (xmlTextReaderMoveToNextAttribute(reader) == 1) {
            if (xmlTextReaderConstNamespaceUri(reader) != nullptr) continue;
            Set(&series, Text(xmlTextReaderConstLocalName(reader)),
                Text(xmlTextReaderConstValue(reader)));
          }
          xmlTextReaderMoveToElement(reader);
        }
      } else if (name == "SeriesKey") {
        in_series_key = !empty;
      } else if (name == "Obs") {
        in_obs = true;
        obs.clear();
        obs_line = line();
        if (!generic) {
          while (xmlTextReaderMoveToNextAttribute(reader) == 1) {
            if (xmlTextReaderConstNamespaceUri(reader) != nullptr) continue;
            const std::string id = Text(xmlTextReaderConstLocalName(reader));
            if (id == "type" || id == "REPORTING_YEAR_START_DAY") continue;
            Set(&obs, id, Text(xmlTextReaderConstValue(reader)));
          }
          xmlTextReaderMoveToElement(reader);
        }
        if (empty) emit();
      } else if (name == "ObsKey") {
        in_obs_key = !empty;
      } else if (name == "Attributes") {
        in_attributes = !empty;
      } else if (generic && name == "ObsDimension") {
        Set(&obs, "TIME_PERIOD", Attribute(reader, "value"));
      } else if (generic && name == "ObsValue") {
        Set(&obs, "OBS_VALUE", Attribute(reader, "value"));
      } else if (generic && name == "Value") {
        const std::string id = Attribute(reader, "id");
        const std::string value = Attribute(reader, "value");
        if (id.empty()) return at("<Value> has no id");
        if (in_obs && (in_obs_key || in_attributes)) {
          Set(&obs, id, value);
        } else if (in_series_key || in_attributes) {
          Set(&series, id, value);
        }
      }
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      if (name == "Structure" && in_header_structure && !unqualified) in_header_structure = false;
      if (name == "SeriesKey") in_series_key = false;
      if (name == "ObsKey") in_obs_key = false;
      if (name == "Attributes") in_attributes = false;
      if (name == "Obs" && in_obs) emit();
      if (name == "Series") series.clear();
    } else if (type == XML_READER_TYPE_TEXT && in_header_structure && element == "URN") {
      flow = FlowId(Text(xmlTextReaderConstValue(reader)));
    }
  }
  if (read < 0) {
    const xmlError* error = xmlGetLastError();
    std::string message = error != nullptr && error->message != nullptr ? error->message : "";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return at(absl::StrCat("not well-formed XML: ", message));
  }
  if (root.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ":1: no XML element"));
  if (flow.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", root_line, ": the header names no structure (LMX:DSD_FLOW, LMX:DSD_SHORTAGE)"));
  }
  SdmxMlAsCsv csv;
  csv.observations = rows.size();
  csv.flow = flow;
  csv.first_lines = std::move(first_lines);
  csv.text = "STRUCTURE,STRUCTURE_ID,ACTION";
  for (const std::string& column : columns) absl::StrAppend(&csv.text, ",", CsvField(column));
  csv.text += "\n";
  csv.xml_lines.push_back(root_line);
  const std::string structure = CsvField(absl::StrCat("LMX:", flow, "(1.0)"));
  for (const auto& [line, values] : rows) {
    absl::StrAppend(&csv.text, "dataflow,", structure, ",I");
    for (const std::string& column : columns) {
      std::string value;
      for (const auto& [id, v] : values) {
        if (id == column) value = v;
      }
      absl::StrAppend(&csv.text, ",", CsvField(value));
    }
    csv.text += "\n";
    csv.xml_lines.push_back(line);
  }
  return csv;
}

}  // namespace lmx
