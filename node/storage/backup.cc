#include "node/storage/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "federation/base/file_system.h"
#include "federation/base/files.h"
#include "federation/base/status_macros.h"

namespace lmx {
namespace {

namespace fs = std::filesystem;

absl::Status Fail(absl::string_view what, const fs::path& path, const std::error_code& error) {
  return absl::InternalError(absl::StrCat(what, " ", path.string(), ": ", error.message()));
}

absl::StatusOr<v1::BackupResponse> Copy(Store* store, const fs::path& from, const fs::path& to,
                                        ReleaseCalendar* calendar) {
  v1::BackupResponse response;
  response.set_dir(to.string());
  absl::StatusOr<VersionLimits> versions = absl::UnknownError("no checkpoint taken");
  auto checkpoint = [&] {
    versions = store->Checkpoint((to / "db").string());
    return versions.status();
  };
  if (calendar != nullptr) {
    // The embargoed batches waiting, then the store, with releases held.
    std::vector<std::string> records;
    RETURN_IF_ERROR(calendar->Backup((to / "embargo").string(), checkpoint, &records));
    for (const auto& record : records) response.add_files("embargo/" + record);
  } else {
    RETURN_IF_ERROR(checkpoint());
  }
  for (const auto& [origin, version] : *versions) {
    v1::BackupOrigin* out = response.add_origins();
    out->set_origin(origin);
    out->set_version(version);
  }
  FileSystem* files = store->files();
  std::error_code error;
  // The node's identity, tokens and TLS files: the regular files beside
  // the store (the spool holds only batches in flight).
  for (const auto& entry : fs::directory_iterator(from, error)) {
    if (!entry.is_regular_file()) continue;
    fs::path target = to / entry.path().filename();
    // With the mode it had (the key 0600, a certificate 0644).
    const int mode = static_cast<int>(entry.status().permissions() & fs::perms::mask) & 0777;
    RETURN_IF_ERROR(CopyFile(files, entry.path().string(), target.string(), mode));
    response.add_files(entry.path().filename().string());
  }
  if (error) return Fail("read", from, error);
  // A node started on the copy knows it is a restore: it may be behind the
  // region's copy of its own log, so it waits for every peer's report
  // before it signs anything (docs/operations.md).
  RETURN_IF_ERROR(WriteFileAtomically(
      files, (to / kBackupMarker).string(),
      absl::StrCat("made by lmx admin backup at ", absl::FormatTime(store->clock()->Now()),
                   "; a node started on this directory takes no publish before every peer has "
                   "reported the head of its log (or an operator runs lmx admin "
                   "declare-region-lost); the node removes this file then\n"),
      0600));
  if (std::find(response.files().begin(), response.files().end(), kBackupMarker) ==
      response.files().end()) {
    response.add_files(kBackupMarker);
  }
  RETURN_IF_ERROR(files->SyncPath(to.string()));
  RETURN_IF_ERROR(files->SyncPath(to.parent_path().string()));
  return response;
}

}  // namespace

absl::StatusOr<v1::BackupResponse> BackupNode(Store* store, const std::string& data_dir,
                                              const std::string& dir, ReleaseCalendar* calendar) {
  fs::path to(dir);
  if (dir.empty() || !to.is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup directory '", dir, "': give an absolute path on the node's machine"));
  }
  to = to.lexically_normal();
  if (to.has_filename() == false) to = to.parent_path();
  std::error_code error;
  fs::path from = fs::weakly_canonical(data_dir, error);
  if (error) return Fail("resolve", data_dir, error);
  fs::path parent = fs::weakly_canonical(to.parent_path(), error);
  if (error || !fs::is_directory(parent)) {
    return absl::FailedPreconditionError(absl::StrCat("backup directory ", to.string(),
                                                      ": its parent ", to.parent_path().string(),
                                                      " is not a directory"));
  }
  to = parent / to.filename();
  if (absl::StartsWith(to.string() + "/", from.string() + "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup directory ", to.string(), " is inside the node's data directory"));
  }
  // Not there yet, and made here: no one else's directory is overwritten,
  // and only its owner can read the node's key.
  if (!fs::create_directory(to, error) || error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup directory ", to.string(), error ? ": " + error.message() : " already exists"));
  }
  fs::permissions(to, fs::perms::owner_all, error);
  auto copied = Copy(store, from, to, calendar);
  if (!copied.ok()) fs::remove_all(to, error);
  return copied;
}

}  // namespace lmx
