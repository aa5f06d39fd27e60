// Tokens in the node's config file.
#include "federation/trust/node_config.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/read_file.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Read(const std::string& path) { return testing::ReadTextFile(path); }

TEST(TokenTest, ATokenIsFoundByItsSecretOnlyAndTheFileKeepsItsDigest) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/node/config.json";  // the data dir does not exist yet
  NodeConfig config;
  auto token = AddToken(&config, "kenbs-stats", v1::ROLE_PUBLISHER);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_THAT(token->secret, ::testing::MatchesRegex("lmx_[0-9a-f]{8}_[0-9a-f]{48}"));
  ASSERT_TRUE(SaveNodeConfig(path, config).ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_THAT(Read(path), Not(HasSubstr(token->secret)));
  EXPECT_THAT(Read(path), HasSubstr("\"role\": \"publisher\""));

  auto loaded = LoadNodeConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const TokenEntry* found = FindToken(*loaded, token->secret);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "kenbs-stats");
  EXPECT_EQ(found->role, v1::ROLE_PUBLISHER);
  std::string wrong = token->secret;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(FindToken(*loaded, wrong), nullptr);
  EXPECT_EQ(FindToken(*loaded, ""), nullptr);
  EXPECT_EQ(FindToken(*loaded, "lmx_"), nullptr);

  EXPECT_EQ(AddToken(&*loaded, "kenbs-stats", v1::ROLE_READER).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(AddToken(&*loaded, "has space", v1::ROLE_READER).ok());
  EXPECT_FALSE(AddToken(&*loaded, "x", v1::ROLE_UNSPECIFIED).ok());
  auto removed = RemoveToken(&*loaded, token->entry.id);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(FindToken(*loaded, token->secret), nullptr);
  EXPECT_EQ(RemoveToken(&*loaded, "kenbs-stats").status().code(), absl::StatusCode::kNotFound);
}

TEST(TokenTest, ABrokenConfigNamesTheFileTheEntryAndTheField) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/config.json";
  std::ofstream(path) << R"({"tokens": [{"id": "0123abcd", "name": "ops", "role": "owner",
                            "sha256": "00"}]})";
  auto loaded = LoadNodeConfig(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr(path + ": tokens[0]: role: role 'owner'"));
  std::ofstream(path) << R"({"tls": {"cert": "a.pem"}})";
  EXPECT_THAT(LoadNodeConfig(path).status().message(), HasSubstr("give all of cert, key and ca"));
  std::ofstream(path) << "not json";
  EXPECT_THAT(LoadNodeConfig(path).status().message(), HasSubstr("not a node config"));
  EXPECT_TRUE(LoadNodeConfig(dir.path() + "/missing.json").ok());  // no file: no credentials
}

TEST(TokenTest, RolesParseByNameOrEnumName) {
  EXPECT_EQ(*ParseRole("analyst"), v1::ROLE_ANALYST);
  EXPECT_EQ(*ParseRole("ROLE_PEER"), v1::ROLE_PEER);
  EXPECT_FALSE(ParseRole("unspecified").ok());
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_EQ(RoleName(v1::ROLE_ADMIN), "admin");
}

}  // namespace
}  // namespace lmx
