// A fresh directory under the test's temp dir, removed with everything in it
// when the object goes out of scope. Tests that need a real store on disk
// make one per test, so no test sees another's data.
//
//   ScopedTempDir dir;
//   auto store = Store::Open(dir.path() + "/store");
#ifndef LMX_TESTS_SUPPORT_SCOPED_TEMP_DIR_H_
#define LMX_TESTS_SUPPORT_SCOPED_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace lmx {

class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = ::testing::TempDir();
    if (pattern.empty() || pattern.back() != '/') pattern += '/';
    pattern += "lmx_test_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace lmx

#endif  // LMX_TESTS_SUPPORT_SCOPED_TEMP_DIR_H_
