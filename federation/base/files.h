// Files written so that a crash leaves the old contents or the new, and
// read with errors that name the path.
//
//   RETURN_IF_ERROR(WriteFileAtomically(path, bytes, 0600));
//   ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
#ifndef LMX_FEDERATION_BASE_FILES_H_
#define LMX_FEDERATION_BASE_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

// The error of a failed system call on `path`, from errno:
// "open /var/lib/lmx/x: No such file or directory".
absl::Status FileError(absl::string_view what, const std::string& path);

// Writes `contents` to `path` with `mode` through a synced temporary file
// and a rename: never half written, never readable beyond `mode`.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 int mode = 0600);
// The whole file; errors name the path.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
// Flushes a file, or a directory's entries, to disk.
absl::Status SyncPath(const std::string& path);

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_FILES_H_
