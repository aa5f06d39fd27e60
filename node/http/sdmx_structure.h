// SDMX 3.0 REST structure queries on the node's HTTP endpoint, answered in
// SDMX-ML 2.1 Structure messages (what R's rsdmx and most SDMX tools read):
//
//   GET /sdmx/3.0/structure/{codelist|conceptscheme|datastructure|dataflow}
//       /{agency}/{id}/{version}
//
// The codelists are the region's (SPEC §2) with SDMX's special codes: ISCO-08
// with its hierarchy (CL_OCCUPATION), ISIC Rev.4, ISCED 2011, ISO 3166-1 and
// 3166-2, SEX, AGE, and the enumerations of the datasets. `*` (or `all`)
// matches any agency or id, and `*`, `~` or `latest` any version.
#ifndef LMX_NODE_HTTP_SDMX_STRUCTURE_H_
#define LMX_NODE_HTTP_SDMX_STRUCTURE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "federation/classifications/codelists.h"
#include "node/http/http_server.h"
#include "node/http/sdmx_dataflows.h"

namespace lmx {

// What SDMX-CSV's `labels=both` shows: each component's name, and each
// code's label in the codelist that codes it (the same names and labels
// the structures carry).
//
//   SdmxLabels labels(codelists);
//   labels.Column("REF_AREA");       // "REF_AREA: Reference area (the reporting country)"
//   labels.Value("REF_AREA", "KEN");  // "KEN: Kenya"
class SdmxLabels {
 public:
  explicit SdmxLabels(const Codelists& codelists);
  // The component's name ("Reference area (the reporting country)"); for
  // OBS_VALUE of `flow`, its measure concept's. The id when it has none.
  std::string Name(absl::string_view component, const SdmxDataflow* flow = nullptr) const;
  // "ID: name", or the id alone for a component without a name.
  std::string Column(absl::string_view component, const SdmxDataflow* flow = nullptr) const;
  // The code's label ("Kenya"), or the code when it has none.
  std::string Label(absl::string_view component, absl::string_view code) const;
  // Whether a codelist codes the component.
  bool Coded(absl::string_view component) const;
  // "code: label", or the code alone when it is not coded or has no label.
  std::string Value(absl::string_view component, absl::string_view code) const;

 private:
  // codelist id -> code -> label
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::string>> labels_;
};

// The Structure message answering `path` (what follows /sdmx/3.0/structure/):
// NOT_FOUND when nothing matches, INVALID_ARGUMENT for bad syntax.
absl::StatusOr<std::string> SdmxStructure(const Codelists& codelists, absl::string_view path);

// The namespace of `flow`'s structure-specific data, flat or in series
// ("urn:...DataStructure=LMX:DSD_FLOW(1.0):ObsLevelDim:TIME_PERIOD").
std::string SdmxStructureSpecificNamespace(const SdmxDataflow& flow, bool series);

// The XML schema of that namespace, derived from the official
// SDMXDataStructureSpecific.xsd, which it imports from beside itself (as
// SDMX registries serve them).
std::string SdmxStructureSpecificSchema(const SdmxDataflow& flow, bool series);

// The handler of /sdmx/3.0/schema/(.*): {datastructure|dataflow}/LMX/{id}/1.0
// with dimensionAtObservation=TIME_PERIOD (the default) or AllDimensions.
HttpServer::Handler SdmxSchemaHandler();

// The handler of /sdmx/3.0/structure/(.*). Structures hold no data: anyone
// who reaches the endpoint may read them.
HttpServer::Handler SdmxStructureHandler(const Codelists* codelists);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_SDMX_STRUCTURE_H_
