// lmx's three SDMX dataflows (FLOW, SHORTAGE, VACANCY_AGG): their
// dimensions, measures and attributes in SDMX-CSV order, and their names.
// Data messages (sdmx.h) and structure messages (sdmx_structure.h) are both
// written from this one table.
#ifndef LMX_NODE_HTTP_SDMX_DATAFLOWS_H_
#define LMX_NODE_HTTP_SDMX_DATAFLOWS_H_

#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/http/http_server.h"
#include "lmx/v1/query.pb.h"

namespace lmx {

// One of lmx's dataflows, as its data structure definition has it: the
// key's dimensions, TIME_PERIOD, one measure, OBS_VALUE (SDMX-ML 2.1's
// primary measure, always so named; `measure_concept` says what it
// measures), and observation attributes. Every format, SDMX-CSV, SDMX-JSON
// and SDMX-ML, writes these components under these ids, in this order.
struct SdmxDataflow {
  const char* id;  // FLOW
  v1::Dataset dataset;
  std::vector<const char*> dimensions;  // the key, in order; TIME_PERIOD follows
  const char* measure_concept;          // the concept of OBS_VALUE
  std::vector<const char*> attributes;

  // An observation's values: OBS_VALUE, then the attributes.
  size_t values() const { return 1 + attributes.size(); }
  const char* ValueId(size_t i) const { return i == 0 ? "OBS_VALUE" : attributes[i - 1]; }
  // The index of a component among the key (0..), TIME_PERIOD (the key's
  // size) and the values (after it); -1 for another id.
  int Component(absl::string_view component) const;
  // The id of component `i` as Component numbers them.
  const char* ComponentId(size_t i) const {
    return i < dimensions.size()    ? dimensions[i]
           : i == dimensions.size() ? "TIME_PERIOD"
                                    : ValueId(i - dimensions.size() - 1);
  }
  size_t components() const { return dimensions.size() + 1 + values(); }
};

// One media range of an HTTP Accept header.
struct SdmxMediaRange {
  std::string type;  // "application/vnd.sdmx.data+csv", lower case
  std::map<std::string, std::string> parameters;  // names lower case
  double quality = 1;
  // Whether its version parameter is absent or one of `served`.
  bool Version(std::initializer_list<const char*> served) const;
};

// An Accept header's media ranges, most preferred first (quality, then
// order); those of quality 0 left out.
std::vector<SdmxMediaRange> ParseSdmxAccept(absl::string_view accept);

// The form of an SDMX error answer: that of what the caller asked for
// (format=, or the first type of Accept), read leniently, so that even a
// malformed request gets its error in its format; `fallback` otherwise.
enum class SdmxErrorFormat { kText, kJson, kXml };
SdmxErrorFormat SdmxErrorFormatOf(const HttpServer::Request& request, SdmxErrorFormat fallback);

// An SDMX error answer: the HTTP status of `status`, and an SDMX-JSON
// message (`errors`), an SDMX-ML 2.1 Error message or plain text, with the
// SDMX web-service codes (100 no results, 110 unauthorized, 140 syntax
// error, 406 not acceptable, 500, 501 not implemented).
HttpServer::Answer SdmxError(const absl::Status& status, SdmxErrorFormat format);

// Whether `accept` (empty: anything) takes SDMX-ML 2.1 of `sdmx_type`
// ("application/vnd.sdmx.structure+xml"), or XML, or anything.
bool SdmxAcceptsXml(absl::string_view accept, absl::string_view sdmx_type);

// FLOW, SHORTAGE and VACANCY_AGG; null for another id.
const SdmxDataflow* FindSdmxDataflow(absl::string_view id);

// The dataflow's name, e.g. "Migrant-worker flows".
const char* SdmxDataflowName(const SdmxDataflow& flow);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_SDMX_DATAFLOWS_H_
