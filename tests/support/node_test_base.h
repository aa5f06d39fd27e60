// A test fixture with one real KEN node in a fresh directory, and the real
// `lmx` pointed at it.
#ifndef LMX_TESTS_SUPPORT_NODE_TEST_BASE_H_
#define LMX_TESTS_SUPPORT_NODE_TEST_BASE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/node_process.h"

namespace lmx::testing {

class NodeTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("node");
    Restart();
  }

  void TearDown() override {
    node_.reset();  // stops the node before its directory goes
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs `lmx --node=<this node> args...`.
  CliResult Lmx(std::vector<std::string> args) {
    args.insert(args.begin(), "--node=" + node_->address());
    return RunLmx(args);
  }

  // Writes `text` to a file in the test's directory and returns its path.
  std::string File(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    WriteFile(path, text);
    return path;
  }

  // Starts the node, or a new one on the same data directory.
  void Restart() {
    node_.reset();
    std::string error;
    node_ = std::make_unique<NodeProcess>("KEN", dir_ + "/data");
    ASSERT_TRUE(node_->Start(&error)) << error;
  }

  std::string dir_;
  std::unique_ptr<NodeProcess> node_;
};

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_NODE_TEST_BASE_H_
