// The files lmx writes beside its database (the spool of a large batch, the
// release calendar's embargoed batches, backups) go through a FileSystem,
// never straight to the OS, so that tests put a file system underneath that
// fails with ENOSPC or EIO, or tears a write, on purpose (compare LevelDB's
// Env and Ninja's DiskInterface). Errors name the operation and the path,
// with the system's reason: "write spool /d/spool/KEN-3: No space left on
// device".
//
//   FileSystem* fs = FileSystem::Default();
//   ASSIGN_OR_RETURN(auto file, fs->NewWritableFile(path, 0600));
//   RETURN_IF_ERROR(file->Append(bytes));
//   RETURN_IF_ERROR(file->Sync());
//   RETURN_IF_ERROR(fs->Rename(path, final_path));
#ifndef LMX_FEDERATION_BASE_FILE_SYSTEM_H_
#define LMX_FEDERATION_BASE_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

// A file being written, from its start.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` after what was written before.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Makes what was written durable (fsync).
  virtual absl::Status Sync() = 0;
  // Closes the file; the destructor closes it too, ignoring errors.
  virtual absl::Status Close() = 0;
};

// A file being read, from its start.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `size` bytes into `buffer`: fewer only at the end.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` (truncated if it exists, unless `exclusive`: then
  // ALREADY_EXISTS) with permissions `mode`.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                        int mode,
                                                                        bool exclusive = false) = 0;
  virtual absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  // NOT_FOUND when the file does not exist.
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes a file; one that does not exist is not an error.
  virtual absl::Status Remove(const std::string& path) = 0;
  // Flushes a file, or a directory's entries, to disk.
  virtual absl::Status SyncPath(const std::string& path) = 0;
  // Creates `path` and its parents with `mode` when missing.
  virtual absl::Status CreateDirectories(const std::string& path, int mode) = 0;

  // The operating system's. Never null, never destroyed.
  static FileSystem* Default();
};

// Writes `contents` to `path` with `mode` through a synced temporary file
// and a rename: never half written, never readable beyond `mode`.
absl::Status WriteFileAtomically(FileSystem* fs, const std::string& path,
                                 absl::string_view contents, int mode = 0600);
// The whole file.
absl::StatusOr<std::string> ReadWholeFile(FileSystem* fs, const std::string& path);
// Copies a file and syncs the copy.
absl::Status CopyFile(FileSystem* fs, const std::string& from, const std::string& to, int mode);

// Reads a SequentialFile a byte, or a few, at a time, through a buffer.
class BufferedReader {
 public:
  explicit BufferedReader(std::unique_ptr<SequentialFile> file) : file_(std::move(file)) {}
  // false at the end or on an error (then status() says which).
  bool ReadByte(char* byte);
  // Reads exactly `size` bytes; false if the file ends first or fails.
  bool ReadExactly(char* out, size_t size);
  const absl::Status& status() const { return status_; }

 private:
  bool Fill();
  std::unique_ptr<SequentialFile> file_;
  std::string buffer_;
  size_t at_ = 0;
  absl::Status status_;
};

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_FILE_SYSTEM_H_
