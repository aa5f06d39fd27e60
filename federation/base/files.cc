#include "federation/base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace lmx {

absl::Status FileError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, int mode) {
  // A fresh temporary name in the same directory (O_EXCL, so never a link
  // planted there), synced, renamed over the target, and the directory
  // synced so the rename itself survives a crash.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string partial = path + ".XXXXXX";
  int fd = ::mkstemp(partial.data());
  if (fd < 0) return FileError("create a temporary file for", path);
  bool written = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (written && done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  written = written && done == contents.size() && ::fsync(fd) == 0;
  written = ::close(fd) == 0 && written;
  if (!written || std::rename(partial.c_str(), path.c_str()) != 0) {
    absl::Status error = FileError("write", path);
    std::remove(partial.c_str());
    return error;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

absl::Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return FileError("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return FileError("fsync", path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError("read", path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return FileError("read", path);
  return text.str();
}

}  // namespace lmx
