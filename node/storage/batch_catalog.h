// The committed batches: what each batch was (BatchInfo), the catalog of
// every origin's batches that readers resolve versions and `--as_of` with,
// and the BatchRecord message (node/storage/storage.proto) a batch's
// description is kept as on disk, both ways. The store keeps one record per
// committed batch; the release calendar one per embargoed batch.
#ifndef LMX_NODE_STORAGE_BATCH_CATALOG_H_
#define LMX_NODE_STORAGE_BATCH_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "node/storage/storage.pb.h"

namespace lmx {

// What a committed batch was.
struct BatchInfo {
  std::string origin;
  uint64_t version = 0;
  absl::Time published_at;
  int dataset = 0;  // lmx.v1.Dataset
  std::string source;
  // Rows the publisher's file had accepted.
  uint64_t rows = 0;
  // Keys the batch wrote: the rows, unless harmonization split or combined
  // them. Filled in by Commit.
  uint64_t observations = 0;
  // The national classification the batch was mapped with, and the
  // version of its crosswalk; for a crosswalk import, the id imported.
  std::string classification;
  uint64_t classification_version = 0;
  // The periods a shortage or flow batch wrote, sorted; set by ingest.
  std::vector<std::string> periods;
  // Applied from another node's log (replication), not published here.
  bool replicated = false;
  // The embargoed batch this one released, if any (node/storage/embargo.h).
  std::string release_id;
  // For a replicated batch: the origin's log hash after it (Commit stores it
  // with the batch, see LogHash).
  std::string log_hash;
};

// The newest version each origin may show; origins not listed show nothing.
using VersionLimits = absl::flat_hash_map<std::string, uint64_t>;

// One visible version of a logical key, valid only inside a Scan callback.
struct StoredValue {
  absl::string_view key;  // logical key
  absl::string_view origin;
  uint64_t version = 0;
  absl::string_view value;
};

// The committed batches of every origin. Immutable: the store publishes a new
// catalog with every commit, so a reader's catalog never changes under it.
class BatchCatalog {
 public:
  // The latest committed version of every origin.
  VersionLimits Latest() const;
  // Per origin, the last batch published at or before `time`.
  VersionLimits AsOf(absl::Time time) const;
  // `version` for every origin, capped at its latest.
  VersionLimits AsOfVersion(uint64_t version) const;
  // What `--as_of` means: empty for the latest, a version number, an
  // ISO 8601 date (the end of that day, UTC) or an RFC 3339 date-time.
  absl::StatusOr<VersionLimits> Resolve(absl::string_view as_of) const;
  // The batch of `origin` with `version`, or null.
  const BatchInfo* Find(absl::string_view origin, uint64_t version) const;
  // Every batch of `origin`, oldest first.
  const std::vector<BatchInfo>& Batches(absl::string_view origin) const;
  // Adds a batch; versions of an origin must be added in increasing order.
  void Add(BatchInfo batch);
  // Forgets every batch of `origin`.
  void Remove(absl::string_view origin);

 private:
  absl::flat_hash_map<std::string, std::vector<BatchInfo>> origins_;
};

// How a batch's description is kept on disk.
internal::BatchRecord ToBatchRecord(const BatchInfo& info);
BatchInfo FromBatchRecord(const internal::BatchRecord& record);

}  // namespace lmx

#endif  // LMX_NODE_STORAGE_BATCH_CATALOG_H_
