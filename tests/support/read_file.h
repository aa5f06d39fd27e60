// The whole of a small text file, or "" when it cannot be read: for tests
// that check what a file holds.
#ifndef LMX_TESTS_SUPPORT_READ_FILE_H_
#define LMX_TESTS_SUPPORT_READ_FILE_H_

#include <fstream>
#include <sstream>
#include <string>

namespace lmx::testing {

inline std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_READ_FILE_H_
