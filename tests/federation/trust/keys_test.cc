#include "federation/trust/keys.h"
#include "federation/trust/manifest.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;

TEST(IdentityTest, AKeyIsMadeOnceAndKeptPrivate) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/node.key";
  auto first = Identity::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  auto again = Identity::LoadOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->public_key(), again->public_key());
  EXPECT_EQ(first->public_key().size(), 32u);
}

TEST(IdentityTest, SignaturesVerifyOnlyForTheSameKeyAndBytes) {
  ScopedTempDir dir;
  auto a = *Identity::LoadOrCreate(dir.path() + "/a.key");
  auto b = *Identity::LoadOrCreate(dir.path() + "/b.key");
  std::string signature = a.Sign("entry");
  EXPECT_TRUE(VerifySignature(a.public_key(), "entry", signature));
  EXPECT_FALSE(VerifySignature(a.public_key(), "entrY", signature));
  EXPECT_FALSE(VerifySignature(b.public_key(), "entry", signature));
  EXPECT_FALSE(VerifySignature(a.public_key(), "entry", signature.substr(1)));
  EXPECT_FALSE(VerifySignature("short", "entry", signature));
}

TEST(IdentityTest, AManifestRoundTripsAndBadOnesAreNamed) {
  ScopedTempDir dir;
  auto key = *Identity::LoadOrCreate(dir.path() + "/k.key");
  RegionManifest manifest;
  manifest.region = "EAC";
  manifest.members.push_back({"KEN", "127.0.0.1:7401", key.public_key()});
  std::string path = dir.path() + "/region.json";
  ASSERT_TRUE(WriteManifest(path, manifest).ok());
  auto loaded = LoadManifest(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_NE(loaded->Find("KEN"), nullptr);
  EXPECT_EQ(loaded->Find("KEN")->public_key, key.public_key());

  std::ofstream(path) << R"({"region": "EAC", "members": [{"id": "UGA", "address": "x:1",
      "public_key": "bm90IGEga2V5"}]})";
  auto bad = LoadManifest(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("members[0] (UGA): public_key"));
}

TEST(IdentityTest, AKeyFileThatIsNotAKeyIsRefused) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/node.key";
  std::ofstream(path) << "not a key";
  auto identity = Identity::LoadOrCreate(path);
  ASSERT_FALSE(identity.ok());
  EXPECT_THAT(std::string(identity.status().message()), HasSubstr("not an Ed25519 private key"));
}

}  // namespace
}  // namespace lmx
