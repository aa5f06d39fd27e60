// Reads an SDMX-ML 2.1 data message, as a ministry that reports to ILOSTAT
// holds it, into SDMX-CSV 2.0.0, which `lmx publish` sends as any other
// file: the node checks it as it checks every file, and a batch is written
// whole or not at all.
//
//   auto csv = ReadSdmxMl("flows.xml");
//   // csv->text: "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,...\n..."
//   // csv->XmlLine(3): the line of the element the CSV's line 3 came from
//
// Generic data (GenericData, GenericTimeSeriesData) and structure-specific
// data (StructureSpecificData, StructureSpecificTimeSeriesData) are read,
// flat or in series; a series' key and attributes go to each observation.
// The dataflow is the one the header's structure names (LMX:DSD_FLOW or
// LMX:FLOW). A data set with action Delete is refused: lmx keeps every
// revision and publishes no deletions.
#ifndef LMX_CLIENT_SDMX_SDMX_ML_READER_H_
#define LMX_CLIENT_SDMX_SDMX_ML_READER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lmx {

struct SdmxMlAsCsv {
  std::string text;                // SDMX-CSV 2.0.0, header first
  std::vector<uint64_t> xml_lines;  // per CSV line (from 1), its element's line
  uint64_t observations = 0;
  std::string flow;                 // the dataflow the header names: FLOW
  // Each component's first element's line, for errors about a column.
  std::map<std::string, uint64_t> first_lines;

  // The XML line CSV line `line` came from; `line` itself past the end.
  uint64_t XmlLine(uint64_t line) const {
    return line >= 1 && line <= xml_lines.size() ? xml_lines[line - 1] : line;
  }
};

// Errors name the file, the line and the element: malformed XML, a root
// that is no SDMX-ML 2.1 data message, a message naming no LMX dataflow,
// a Delete data set.
absl::StatusOr<SdmxMlAsCsv> ReadSdmxMl(const std::string& path);

// Whether the file's first non-blank character opens an XML element.
bool LooksLikeXml(const std::string& path);

}  // namespace lmx

#endif  // LMX_CLIENT_SDMX_SDMX_ML_READER_H_
