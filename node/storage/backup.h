// Backing up a node (`lmx admin backup`): its store as a RocksDB
// checkpoint, and the files beside it (node.key, config.json, TLS files),
// into a new directory that is itself a data directory. Restoring is
// starting a node on it (docs/operations.md).
#ifndef LMX_NODE_STORAGE_BACKUP_H_
#define LMX_NODE_STORAGE_BACKUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "lmx/v1/admin.pb.h"
#include "node/storage/embargo.h"
#include "node/storage/store.h"

namespace lmx {

// The file a backup holds, and a data directory restored from it until the
// node has heard every peer report its log's head.
inline constexpr char kBackupMarker[] = "restored-from-backup";

// Backs up the node whose data directory is `data_dir` and whose open store
// is `store` into `dir`: an absolute path that does not exist yet, outside
// `data_dir`, whose parent does. On failure nothing is left at `dir`.
// `calendar`, when given, copies its embargoed batches into `dir`/embargo
// and holds its releases until the store is copied too, so that the two
// agree.
absl::StatusOr<v1::BackupResponse> BackupNode(Store* store, const std::string& data_dir,
                                              const std::string& dir,
                                              ReleaseCalendar* calendar = nullptr);

}  // namespace lmx

#endif  // LMX_NODE_STORAGE_BACKUP_H_
