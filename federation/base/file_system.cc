#include "federation/base/file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "federation/base/files.h"

namespace lmx {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path, int error) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    default:
      return absl::InternalError(message);
  }
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Append(absl::string_view data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Errno("write", path_, n < 0 ? errno : ENOSPC);
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    if (::fsync(fd_) != 0) return Errno("sync", path_, errno);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return Errno("close", path_, errno);
    return absl::OkStatus();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::read(fd_, buffer + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("read", path_, errno);
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  int fd_;
  std::string path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, int mode,
                                                                bool exclusive) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
    int fd = ::open(path.c_str(), flags, mode);
    if (fd < 0) return Errno("create", path, errno);
    // Exactly `mode`, whatever the umask.
    if (::fchmod(fd, mode) != 0) {
      absl::Status error = Errno("chmod", path, errno);
      ::close(fd);
      return error;
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(fd, path));
  }
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) return Errno("stat", path, errno);
    return static_cast<uint64_t>(info.st_size);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (std::rename(from.c_str(), to.c_str()) != 0) return Errno("rename", from, errno);
    return absl::OkStatus();
  }
  absl::Status Remove(const std::string& path) override {
    if (std::remove(path.c_str()) != 0 && errno != ENOENT) return Errno("remove", path, errno);
    return absl::OkStatus();
  }
  absl::Status SyncPath(const std::string& path) override { return lmx::SyncPath(path); }
  absl::Status CreateDirectories(const std::string& path, int mode) override {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) return Errno("create", path, error.value());
    if (::chmod(path.c_str(), mode) != 0) return Errno("chmod", path, errno);
    return absl::OkStatus();
  }
};

}  // namespace

FileSystem* FileSystem::Default() {
  static FileSystem* fs = new PosixFileSystem();
  return fs;
}

absl::Status WriteFileAtomically(FileSystem* fs, const std::string& path,
                                 absl::string_view contents, int mode) {
  // A fresh name in the same directory, synced, renamed over the target,
  // and the directory synced so the rename itself survives a crash.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  static std::atomic<uint64_t> counter{0};
  std::string partial;
  absl::StatusOr<std::unique_ptr<WritableFile>> file = absl::UnknownError("not tried");
  // A fresh name, created exclusively (never a link planted there); one
  // that a crash left behind is passed over.
  for (int attempt = 0; attempt < 100; ++attempt) {
    partial = absl::StrCat(path, ".", ::getpid(), "-", counter.fetch_add(1), ".partial");
    file = fs->NewWritableFile(partial, mode, /*exclusive=*/true);
    if (!absl::IsAlreadyExists(file.status())) break;
  }
  if (!file.ok()) return file.status();
  absl::Status written = (*file)->Append(contents);
  if (written.ok()) written = (*file)->Sync();
  absl::Status closed = (*file)->Close();
  if (written.ok()) written = closed;
  if (written.ok()) written = fs->Rename(partial, path);
  if (!written.ok()) {
    fs->Remove(partial).IgnoreError();
    return written;
  }
  fs->SyncPath(dir).IgnoreError();
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(FileSystem* fs, const std::string& path) {
  auto file = fs->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    auto got = (*file)->Read(buffer, sizeof buffer);
    if (!got.ok()) return got.status();
    text.append(buffer, *got);
    if (*got < sizeof buffer) return text;
  }
}

absl::Status CopyFile(FileSystem* fs, const std::string& from, const std::string& to, int mode) {
  auto in = fs->NewSequentialFile(from);
  if (!in.ok()) return in.status();
  auto out = fs->NewWritableFile(to, mode, /*exclusive=*/true);
  if (!out.ok()) return out.status();
  std::string buffer(1 << 20, '\0');
  for (;;) {
    auto got = (*in)->Read(buffer.data(), buffer.size());
    if (!got.ok()) return got.status();
    if (absl::Status written = (*out)->Append(absl::string_view(buffer.data(), *got));
        !written.ok()) {
      return written;
    }
    if (*got < buffer.size()) break;
  }
  absl::Status synced = (*out)->Sync();
  absl::Status closed = (*out)->Close();
  return synced.ok() ? closed : synced;
}

bool BufferedReader::Fill() {
  if (!status_.ok()) return false;
  buffer_.resize(1 << 16);
  auto got = file_->Read(buffer_.data(), buffer_.size());
  if (!got.ok()) {
    status_ = got.status();
    buffer_.clear();
    at_ = 0;
    return false;
  }
  buffer_.resize(*got);
  at_ = 0;
  return *got > 0;
}

bool BufferedReader::ReadByte(char* byte) {
  if (at_ == buffer_.size() && !Fill()) return false;
  *byte = buffer_[at_++];
  return true;
}

bool BufferedReader::ReadExactly(char* out, size_t size) {
  while (size > 0) {
    if (at_ == buffer_.size() && !Fill()) return false;
    size_t n = std::min(size, buffer_.size() - at_);
    std::memcpy(out, buffer_.data() + at_, n);
    at_ += n;
    out += n;
    size -= n;
  }
  return true;
}

}  // namespace lmx
