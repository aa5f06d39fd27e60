// The classifications a node holds: the region's codelists, and the
// national crosswalks each origin logged (its own, and in time its peers').
// It resolves the crosswalk a publish maps with, and answers
// `lmx classifications list` and `show`. Crosswalks live in the store under
// CrosswalkKey, one version per import; each version is indexed once.
//
//   ClassificationRegistry registry(store, codelists);
//   auto soc = registry.Find("KEN", "SOC2010");   // latest import
//   auto shown = registry.Show(request);
#ifndef LMX_NODE_INGEST_CLASSIFICATION_REGISTRY_H_
#define LMX_NODE_INGEST_CLASSIFICATION_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "federation/classifications/codelists.h"
#include "federation/harmonization/crosswalk.h"
#include "lmx/v1/classification.pb.h"
#include "node/storage/store.h"

namespace lmx {

class ClassificationRegistry {
 public:
  // `store` and `codelists` must outlive the registry; `country` is the
  // node's own, whose classifications `Show` means by default.
  ClassificationRegistry(const Store* store, std::shared_ptr<const Codelists> codelists,
                         std::string country);

  // The crosswalk `origin` imported as `id`, as it stood `as_of` (see
  // BatchCatalog::Resolve; the latest import when empty), or NOT_FOUND.
  absl::StatusOr<std::shared_ptr<const Crosswalk>> Find(absl::string_view origin,
                                                        absl::string_view id,
                                                        absl::string_view as_of = "") const;

  absl::StatusOr<v1::ListClassificationsResponse> List() const;
  // NOT_FOUND for an unknown classification or code.
  absl::StatusOr<v1::ShowClassificationResponse> Show(
      const v1::ShowClassificationRequest& request) const;
  // ISCO-08 occupations for words (federation/classifications/occupation_search.h).
  absl::StatusOr<v1::SearchOccupationsResponse> Search(
      const v1::SearchOccupationsRequest& request) const;

 private:
  // Every origin's crosswalks at their latest version.
  absl::StatusOr<std::vector<std::shared_ptr<const Crosswalk>>> Latest() const;
  v1::ClassificationInfo Describe(const Crosswalk& crosswalk) const;
  absl::StatusOr<v1::ShowClassificationResponse> ShowNational(
      const v1::ShowClassificationRequest& request) const;
  absl::StatusOr<v1::ShowClassificationResponse> ShowRegional(const Classification& classification,
                                                              const std::string& code) const;
  // Checks and indexes a stored crosswalk; the newest version of each is
  // kept indexed, so it is parsed once.
  absl::StatusOr<std::shared_ptr<const Crosswalk>> Compile(absl::string_view origin,
                                                           absl::string_view id, uint64_t version,
                                                           absl::string_view value) const;

  const Store* store_;
  std::shared_ptr<const Codelists> codelists_;
  std::string country_;
  mutable absl::Mutex mu_;
  // "ORIGIN/ID" -> its newest indexed version.
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const Crosswalk>> compiled_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace lmx

#endif  // LMX_NODE_INGEST_CLASSIFICATION_REGISTRY_H_
