// The authorization table, tokens in the config file, region certificates
// and the store's audit records.
#include "node/access.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "federation/trust/certificates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "federation/trust/node_config.h"
#include "node/store.h"
#include "tests/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AccessTest, EveryActionHasExactlyOneRule) {
  std::set<Action> seen;
  for (const auto& rule : AccessRules()) EXPECT_TRUE(seen.insert(rule.action).second);
  for (int action = 0; action <= static_cast<int>(Action::kBackup); ++action) {
    EXPECT_TRUE(seen.count(static_cast<Action>(action))) << "action " << action;
  }
}

TEST(AccessTest, TheDocumentedTableIsTheOneTheNodeEnforces) {
  std::string doc = Read(LMX_SOURCE_DIR "/docs/security.md");
  size_t start = doc.find("<!-- authorization table");
  ASSERT_NE(start, std::string::npos);
  const std::vector<v1::Role> columns = {v1::ROLE_PUBLISHER, v1::ROLE_READER, v1::ROLE_ANALYST,
                                         v1::ROLE_ADMIN, v1::ROLE_PEER};
  std::vector<std::string> documented;
  for (absl::string_view line : absl::StrSplit(doc.substr(start), '\n')) {
    if (!absl::ConsumePrefix(&line, "| ")) {
      if (!documented.empty()) break;
      continue;
    }
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    for (auto& cell : cells) cell = std::string(absl::StripAsciiWhitespace(cell));
    if (cells[0] == "rpc" || cells[0].rfind("---", 0) == 0) continue;
    ASSERT_GE(cells.size(), 7u) << line;
    std::string row = cells[0] + " | " + cells[1] + " |";
    for (size_t i = 0; i < columns.size(); ++i) {
      if (cells[2 + i] == "yes") row += " " + RoleName(columns[i]);
    }
    documented.push_back(row);
  }
  std::vector<std::string> enforced;
  for (const auto& rule : AccessRules()) {
    std::string row = std::string(rule.rpc) + " | " + rule.scope + " |";
    for (v1::Role role : columns) {
      if (rule.roles & RoleBit(role)) row += " " + RoleName(role);
    }
    enforced.push_back(row);
  }
  EXPECT_EQ(documented, enforced);
}

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

TEST(CertificateTest, TheCaIssuesMemberCertificatesNamedAfterTheMember) {
  auto ca = MakeCertificateAuthority("test region CA");
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto ken = IssueCertificate(*ca, "KEN", {"KEN", "localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(ken.ok()) << ken.status();
  EXPECT_EQ(*CertificateCommonName(ken->cert_pem), "KEN");
  EXPECT_EQ(*CertificateCommonName(ca->cert_pem), "test region CA");
  auto digest = CertificateSha256(ca->cert_pem);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->size(), 32u);
  EXPECT_EQ(*CertificateSha256(ca->cert_pem), *digest);
  EXPECT_NE(*CertificateSha256(ken->cert_pem), *digest);
  EXPECT_FALSE(CertificateSha256("not a certificate").ok());
  EXPECT_FALSE(IssueCertificate({"junk", "junk"}, "UGA", {}, {}).ok());
}

TEST(AuditStoreTest, RecordsComeBackInOrderFromAGivenTimeAndSurviveAReopen) {
  ScopedTempDir dir;
  absl::Time before;
  {
    auto store = Store::Open(dir.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE((*store)->AppendAudit(std::to_string(i)).ok());
    before = absl::Now();
  }
  auto store = Store::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->AppendAudit("after reopen").ok());
  std::vector<std::string> all;
  ASSERT_TRUE((*store)
                  ->ReadAudit(absl::InfinitePast(),
                              [&](absl::string_view r) {
                                all.emplace_back(r);
                                return true;
                              })
                  .ok());
  ASSERT_EQ(all.size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all[i], std::to_string(i));
  EXPECT_EQ(all.back(), "after reopen");
  std::vector<std::string> recent;
  ASSERT_TRUE((*store)
                  ->ReadAudit(before,
                              [&](absl::string_view r) {
                                recent.emplace_back(r);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(recent, std::vector<std::string>{"after reopen"});

  AuditLog audit(store->get());
  Principal who;
  who.name = "token 0123abcd (ops)";
  v1::AuditRecord record = AuditLog::For(who, "publish flows");
  record.set_rows(12);
  audit.Record(record);
  std::vector<v1::AuditRecord> last;
  ASSERT_TRUE(audit
                  .Read(absl::InfinitePast(), 1,
                        [&](const v1::AuditRecord& r) {
                          last.push_back(r);
                          return true;
                        })
                  .ok());
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].principal(), "token 0123abcd (ops)");
  EXPECT_EQ(last[0].rows(), 12u);
}

}  // namespace
}  // namespace lmx
