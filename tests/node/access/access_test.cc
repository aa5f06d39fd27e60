// The authorization table and the store's audit records.
#include "node/access/access.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/storage/store.h"
#include "tests/support/read_file.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Read(const std::string& path) { return testing::ReadTextFile(path); }

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
  v1::AuditRecord record = audit.For(who, "publish flows");
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
