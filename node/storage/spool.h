// The spool of a batch (docs/storage.md, "Spool, then commit"): the rows and
// log chunks a batch puts, as length-prefixed records, kept in memory up to
// a threshold and then in a file beside the database, so that a batch larger
// than memory needs no more memory than the threshold. Before the store
// applies a spilled batch, the spool is sealed: synced and renamed to the
// name that says which version it holds, so that a restart can undo a batch
// half applied. SpoolReader reads a sealed spool back.
//
//   Spool spool(files, guard, dir + "/KEN-1.tmp", 16 << 20);
//   RETURN_IF_ERROR(spool.Add(key, value));
//   if (spool.spilled()) RETURN_IF_ERROR(spool.Seal(dir + "/KEN-7.batch"));
#ifndef LMX_NODE_STORAGE_SPOOL_H_
#define LMX_NODE_STORAGE_SPOOL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "federation/base/file_system.h"
#include "node/storage/disk_guard.h"

namespace lmx {

// A record's key size has this bit set when the record is a log chunk (its
// key is then the 4-byte chunk number).
inline constexpr uint32_t kLogRecord = 0x80000000u;

// Appends one record: key size (with `tag`) and value size, little-endian,
// then the key and the value.
void AppendSpoolRecord(std::string* out, absl::string_view key, absl::string_view value,
                       uint32_t tag = 0);

class Spool {
 public:
  // Spills to `path` (through `files`, each write checked and reserved with
  // `guard`) once it holds `threshold` bytes.
  Spool(FileSystem* files, DiskGuard* guard, std::string path, size_t threshold)
      : files_(files), guard_(guard), path_(std::move(path)), threshold_(threshold) {}
  // An unsealed spool's file goes with it.
  ~Spool();

  absl::Status Add(absl::string_view key, absl::string_view value, uint32_t tag);
  // Writes what is left, syncs the file and renames it to `final_path`, and
  // its directory synced. From then on the file is the caller's.
  absl::Status Seal(const std::string& final_path);

  bool spilled() const { return file_ != nullptr; }
  // The records in memory; all of them when the spool never spilled.
  const std::string& buffer() const { return buffer_; }
  uint64_t rows() const { return rows_; }          // records: rows and log chunks
  uint64_t bytes() const { return bytes_; }        // keys and values
  uint64_t log_records() const { return log_records_; }

 private:
  FileSystem* const files_;
  DiskGuard* const guard_;
  std::string path_;  // empty once sealed
  const size_t threshold_;
  std::string buffer_;
  std::unique_ptr<WritableFile> file_;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  uint64_t log_records_ = 0;
};

// Reads a sealed spool's records, one at a time. A read error or a
// truncated record is an error, never a quiet end: applying or undoing part
// of a batch as if it were all of it would corrupt the store.
class SpoolReader {
 public:
  SpoolReader(std::unique_ptr<SequentialFile> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)) {}

  // Returns false at the end of the spool or on an error (see status()).
  // `tag` receives the record's tag (kLogRecord for a log chunk).
  bool Next(std::string* key, std::string* value, uint32_t* tag);
  const absl::Status& status() const { return status_; }
  uint64_t records() const { return records_; }

 private:
  bool Fail();

  BufferedReader file_;
  std::string path_;
  absl::Status status_;
  uint64_t records_ = 0;
};

}  // namespace lmx

#endif  // LMX_NODE_STORAGE_SPOOL_H_
