// A test fixture for a region of real lmx-node processes in a fresh
// directory: start members by country, publish at them, run `lmx` against
// any of them.
#ifndef LMX_TESTS_SUPPORT_REGION_TEST_BASE_H_
#define LMX_TESTS_SUPPORT_REGION_TEST_BASE_H_

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"

namespace lmx::testing {

class RegionTestBase : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("region"); }

  void TearDown() override {
    nodes_.clear();  // stops the nodes before their directories go
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Starts the member `id` on its own data directory.
  void Start(const std::string& id, const std::vector<std::string>& flags) {
    auto node = std::make_unique<NodeProcess>(id, dir_ + "/" + id);
    std::string error;
    ASSERT_TRUE(node->Start(&error, flags)) << error;
    nodes_[id] = std::move(node);
  }

  // Runs `lmx --node=<id's node> args...`.
  CliResult Lmx(const std::string& id, std::vector<std::string> args) {
    args.insert(args.begin(), "--node=" + nodes_[id]->address());
    return RunLmx(args);
  }

  // Publishes `text` as a file of `dataset` at `id`; the test fails unless
  // it is written (or, with --release_at, stored).
  CliResult Publish(const std::string& id, const std::string& dataset, const std::string& text,
                    const std::vector<std::string>& flags = {}) {
    std::string path = absl::StrCat(dir_, "/", id, "-", dataset, "-", ++files_, ".csv");
    WriteFile(path, text);
    std::vector<std::string> args = {"publish", dataset, path};
    args.insert(args.end(), flags.begin(), flags.end());
    CliResult result = Lmx(id, args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result;
  }

  std::string dir_;
  int files_ = 0;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
};

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_REGION_TEST_BASE_H_
