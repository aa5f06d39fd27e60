// A FileSystem (federation/base/file_system.h) over the real one that fails
// on purpose: writes to, syncs of or reads from files whose path contains a
// given text fail with ENOSPC or EIO once a number of bytes has gone
// through, the bytes before the limit written (a torn write) or read; a
// fault may fire once or every time. The errors read like the system's, so
// the disk guard takes them as it takes real ones.
//
//   FaultyFileSystem files;
//   files.FailWrites("/spool/", ENOSPC, /*after_bytes=*/1 << 20);
//   options.files = &files;
#ifndef LMX_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_
#define LMX_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "federation/base/file_system.h"

namespace lmx {

class FaultyFileSystem final : public FileSystem {
 public:
  enum class Op { kWrite, kSync, kRead };

  // Appends to a matching file fail with `error` once `after_bytes` have
  // been written to it; the append that crosses the limit writes what fits.
  void FailWrites(std::string path_part, int error, uint64_t after_bytes = 0, int times = -1) {
    Add({Op::kWrite, std::move(path_part), error, after_bytes, times});
  }
  void FailSyncs(std::string path_part, int error, int times = -1) {
    Add({Op::kSync, std::move(path_part), error, 0, times});
  }
  // Reads of a matching file fail once `after_bytes` have been read from it.
  void FailReads(std::string path_part, int error, uint64_t after_bytes = 0, int times = -1) {
    Add({Op::kRead, std::move(path_part), error, after_bytes, times});
  }
  void Heal() {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.clear();
  }
  // How many faults fired.
  int fired() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, int mode,
                                                                bool exclusive) override {
    auto file = base_->NewWritableFile(path, mode, exclusive);
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(new Writable(this, path, std::move(*file)));
  }
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    auto file = base_->NewSequentialFile(path);
    if (!file.ok()) return file.status();
    return std::unique_ptr<SequentialFile>(new Sequential(this, path, std::move(*file)));
  }
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    return base_->FileSize(path);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return base_->Rename(from, to);
  }
  absl::Status Remove(const std::string& path) override { return base_->Remove(path); }
  absl::Status SyncPath(const std::string& path) override {
    if (int error = Fires(Op::kSync, path, 0, 0); error != 0) return Error("sync", path, error);
    return base_->SyncPath(path);
  }
  absl::Status CreateDirectories(const std::string& path, int mode) override {
    return base_->CreateDirectories(path, mode);
  }

 private:
  struct Rule {
    Op op;
    std::string path_part;
    int error;
    uint64_t after_bytes;
    int times;  // -1: always
  };

  static absl::Status Error(absl::string_view what, const std::string& path, int error) {
    return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(error)));
  }

  void Add(Rule rule) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.push_back(std::move(rule));
  }

  // The errno a fault gives an operation on `path` that brings the bytes
  // through it from `done` to `done + size`, or 0; `*allowed` receives the
  // bytes that go through first.
  int Fires(Op op, const std::string& path, uint64_t done, uint64_t size,
            uint64_t* allowed = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Rule& rule : rules_) {
      if (rule.op != op || rule.times == 0 || !absl::StrContains(path, rule.path_part)) continue;
      if (op != Op::kSync && done + size <= rule.after_bytes) continue;
      if (allowed != nullptr) *allowed = rule.after_bytes > done ? rule.after_bytes - done : 0;
      if (rule.times > 0) --rule.times;
      ++fired_;
      return rule.error;
    }
    return 0;
  }

  class Writable final : public WritableFile {
   public:
    Writable(FaultyFileSystem* fs, std::string path, std::unique_ptr<WritableFile> file)
        : fs_(fs), path_(std::move(path)), file_(std::move(file)) {}
    absl::Status Append(absl::string_view data) override {
      uint64_t allowed = 0;
      if (int error = fs_->Fires(Op::kWrite, path_, written_, data.size(), &allowed);
          error != 0) {
        if (allowed > 0) file_->Append(data.substr(0, allowed)).IgnoreError();  // torn
        written_ += allowed;
        return Error("write", path_, error);
      }
      written_ += data.size();
      return file_->Append(data);
    }
    absl::Status Sync() override {
      if (int error = fs_->Fires(Op::kSync, path_, 0, 0); error != 0) {
        return Error("sync", path_, error);
      }
      return file_->Sync();
    }
    absl::Status Close() override { return file_->Close(); }

   private:
    FaultyFileSystem* const fs_;
    const std::string path_;
    std::unique_ptr<WritableFile> file_;
    uint64_t written_ = 0;
  };

  class Sequential final : public SequentialFile {
   public:
    Sequential(FaultyFileSystem* fs, std::string path, std::unique_ptr<SequentialFile> file)
        : fs_(fs), path_(std::move(path)), file_(std::move(file)) {}
    absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
      uint64_t allowed = 0;
      if (int error = fs_->Fires(Op::kRead, path_, read_, size, &allowed); error != 0) {
        // What lies before the fault is read first; the read after fails.
        if (allowed == 0) return Error("read", path_, error);
        size = allowed;
      }
      auto got = file_->Read(buffer, size);
      if (got.ok()) read_ += *got;
      return got;
    }

   private:
    FaultyFileSystem* const fs_;
    const std::string path_;
    std::unique_ptr<SequentialFile> file_;
    uint64_t read_ = 0;
  };

  FileSystem* const base_ = FileSystem::Default();
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  int fired_ = 0;
};

}  // namespace lmx

#endif  // LMX_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_
