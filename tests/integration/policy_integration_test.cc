// The regional policy views and the embargo, on a real three-node region
// (UGA and TZA publish; KEN publishes and pulls from both), with data built
// so that every answer is known exactly: a shortage list, corridor
// discrepancies, partnership candidates, the completeness matrix, and
// embargoed batches that appear everywhere at their release time and not
// before.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/region_test_base.h"

namespace lmx::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Rows = std::vector<std::map<std::string, std::string>>;

// KEN, quarterly. With the default rule (SHORTAGE in 2 of the last 3
// periods, or an index above 0.5 in the latest), its list for 2025-Q4 is:
// 2221 (SHORTAGE in Q2, Q3 and Q4), 8322 (Q2 and Q4; its Q1 is outside the
// window) and 7212 (only Q4, but at 0.7). 2512 (once, 0.05 now) and 9112
// (SURPLUS) are not on it.
constexpr char kKenShortages[] =
    "period,occupation,status,shortage_index,hard_to_fill\n"
    "2025-Q1,8322,SHORTAGE,0.6,10\n"
    "2025-Q2,2221,SHORTAGE,0.4,120\n"
    "2025-Q2,2512,BALANCED,0,\n"
    "2025-Q2,7212,BALANCED,0.05,\n"
    "2025-Q2,8322,SHORTAGE,0.6,12\n"
    "2025-Q2,9112,SURPLUS,-0.3,\n"
    "2025-Q3,2221,SHORTAGE,0.3,90\n"
    "2025-Q3,2512,SHORTAGE,0.3,15\n"
    "2025-Q3,7212,BALANCED,0,\n"
    "2025-Q3,8322,BALANCED,0,\n"
    "2025-Q3,9112,SURPLUS,-0.3,\n"
    "2025-Q4,2221,SHORTAGE,0.35,100\n"
    "2025-Q4,2512,BALANCED,0.05,\n"
    "2025-Q4,7212,SHORTAGE,0.7,30\n"
    "2025-Q4,8322,SHORTAGE,0.2,5\n"
    "2025-Q4,9112,SURPLUS,-0.3,\n";
constexpr char kUgaShortages[] =
    "period,occupation,status,shortage_index,hard_to_fill\n"
    "2025-Q4,2221,SURPLUS,-0.4,\n"
    "2025-Q4,7212,SURPLUS,-0.2,\n"
    "2025-Q4,9112,SHORTAGE,0.3,25\n";
constexpr char kTzaShortages[] =
    "period,occupation,status,shortage_index\n"
    "2025-Q4,2221,SURPLUS,-0.6\n"
    "2025-Q4,9112,SURPLUS,-0.5\n";

// KEN's vacancies: 9 positions for nurses and 99 for welders in 2025 (the
// 2024 one is outside the window).
constexpr char kKenVacancies[] =
    "vacancy_id,posted,occupation,positions\n"
    "V-1,2025-05-02,2221,4\n"
    "V-2,2025-06-01,2221,5\n"
    "V-3,2025-07-01,7212,99\n"
    "V-4,2024-11-03,2221,50\n";

// Each side of each corridor, 2025-Q3:
// - UGA->KEN: UGA reports 60 leaving (40 nurses, 20 welders), KEN 70
//   arriving (50 nurses, 20 welders), both by occupation and sex;
// - KEN->UGA: KEN reports 20 by occupation and sex, UGA 17 by sex only;
// - TZA->KEN: TZA reports 25, KEN nothing; TZA->UGA: UGA reports 15, TZA
//   nothing;
// - KEN->SAU: SAU is not in the region, so there is no mirror.
constexpr char kKenFlows[] =
    "period,direction,counterpart,count,occupation,sex\n"
    "2025-Q3,INFLOW,UGA,35,2221,F\n"
    "2025-Q3,INFLOW,UGA,15,2221,M\n"
    "2025-Q3,INFLOW,UGA,20,7212,M\n"
    "2025-Q3,OUTFLOW,UGA,12,2512,F\n"
    "2025-Q3,OUTFLOW,UGA,8,2512,M\n"
    "2025-Q3,OUTFLOW,SAU,50,7212,M\n";
constexpr char kUgaFlows[] =
    "period,direction,counterpart,count,occupation,sex\n"
    "2025-Q3,OUTFLOW,KEN,30,2221,F\n"
    "2025-Q3,OUTFLOW,KEN,10,2221,M\n"
    "2025-Q3,OUTFLOW,KEN,20,7212,M\n"
    "2025-Q3,INFLOW,KEN,9,_T,F\n"
    "2025-Q3,INFLOW,KEN,8,_T,M\n"
    "2025-Q3,INFLOW,TZA,15,_T,_T\n";
constexpr char kTzaFlows[] =
    "period,direction,counterpart,count\n"
    "2025-Q3,OUTFLOW,KEN,25\n";

class PolicyTest : public RegionTestBase {
 protected:
  void SetUp() override {
    RegionTestBase::SetUp();
    for (const char* id : {"UGA", "TZA"}) Start(id, {});
    Start("KEN", {"--peers=UGA=" + nodes_["UGA"]->address() + ",TZA=" + nodes_["TZA"]->address()});
    Publish("KEN", "shortages", kKenShortages);
    Publish("KEN", "vacancies", kKenVacancies);
    Publish("KEN", "flows", kKenFlows);
    Publish("UGA", "shortages", kUgaShortages);
    Publish("UGA", "flows", kUgaFlows);
    Publish("TZA", "shortages", kTzaShortages);
    Publish("TZA", "flows", kTzaFlows);
    // KEN holds both peers' two batches.
    ASSERT_TRUE(WaitFor([&] { return Versions("KEN") == "KEN v3, TZA v2, UGA v2"; }))
        << Versions("KEN");
  }
  // The command's CSV answer; fails the test if it did not succeed.
  Rows Csv(const std::string& id, std::vector<std::string> args) {
    args.push_back("--format=csv");
    CliResult result = Lmx(id, args);
    EXPECT_EQ(result.exit_code, 0) << absl::StrJoin(args, " ") << ": " << result.err;
    return CsvAnswer(result.out);
  }

  // "KEN v3, TZA v2, UGA v2": the origins a node holds, at their versions.
  std::string Versions(const std::string& id) {
    std::vector<std::string> parts;
    for (auto& row : Csv(id, {"completeness"})) {
      parts.push_back(absl::StrCat(row["country"], " v", row["version"]));
    }
    // Completeness has a row per dataset; the last of each country is its
    // latest version.
    std::map<std::string, std::string> latest;
    for (const auto& part : parts) latest[part.substr(0, 3)] = part;
    std::vector<std::string> out;
    for (const auto& [country, part] : latest) out.push_back(part);
    return absl::StrJoin(out, ", ");
  }

  template <typename Condition>
  bool WaitFor(Condition condition, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
};

// Each row's named columns joined with spaces.
std::vector<std::string> Lines(const Rows& rows, const std::vector<std::string>& columns) {
  std::vector<std::string> lines;
  for (auto row : rows) {
    std::vector<std::string> cells;
    for (const auto& column : columns) cells.push_back(row[column]);
    lines.push_back(absl::StrJoin(cells, " "));
  }
  return lines;
}

// Distinct entries of a shortage list: "occupation listed shortage_periods".
std::vector<std::string> Listed(const Rows& rows) {
  std::set<std::string> entries;
  for (const auto& line : Lines(rows, {"occupation", "listed", "shortage_periods"})) {
    entries.insert(line);
  }
  return {entries.begin(), entries.end()};
}

TEST_F(PolicyTest, ShortageListFollowsTheRuleWithItsEvidence) {
  Rows list = Csv("KEN", {"shortage-list", "--country=KEN"});
  EXPECT_THAT(Listed(list), ElementsAre("2221 persistent 3", "7212 acute 1", "8322 persistent 2"));
  // The evidence: each period of the window the occupation was reported in.
  Rows nurses;
  for (auto& row : list) {
    if (row["occupation"] == "2221") nurses.push_back(row);
  }
  EXPECT_THAT(Lines(nurses, {"label", "period", "status", "shortage_index", "hard_to_fill"}),
              ElementsAre("Nursing professionals 2025-Q2 SHORTAGE 0.4 120",
                          "Nursing professionals 2025-Q3 SHORTAGE 0.3 90",
                          "Nursing professionals 2025-Q4 SHORTAGE 0.35 100"));

  // As at an earlier period, the window moves back: Q1 to Q3.
  EXPECT_THAT(Listed(Csv("KEN", {"shortage-list", "--country=KEN", "--period=2025-Q3"})),
              ElementsAre("2221 persistent 2", "8322 persistent 2"));
  // As at 2025-Q1 the window is 2024-Q3 to 2025-Q1: KEN reported none of
  // 2024, which counts as not SHORTAGE; 8322 is listed for its index.
  EXPECT_THAT(Listed(Csv("KEN", {"shortage-list", "--country=KEN", "--period=2025-Q1"})),
              ElementsAre("8322 acute 1"));
  // A stricter rule, given per request.
  EXPECT_THAT(Listed(Csv("KEN", {"shortage-list", "--country=KEN", "--min_periods=3",
                                 "--last_periods=3", "--index_above=0.9"})),
              ElementsAre("2221 persistent 3"));
  // Another member's list, from its replicated data.
  EXPECT_THAT(
      Listed(Csv("KEN", {"shortage-list", "--country=UGA", "--min_periods=1", "--last_periods=1"})),
      ElementsAre("9112 persistent 1"));

  // A few monthly figures do not make the quarterly list a monthly one;
  // asked for a month, the list is monthly.
  Publish("KEN", "shortages",
          "period,occupation,status,shortage_index\n2025-12,2221,SHORTAGE,0.9\n");
  EXPECT_THAT(Listed(Csv("KEN", {"shortage-list", "--country=KEN"})),
              ElementsAre("2221 persistent 3", "7212 acute 1", "8322 persistent 2"));
  CliResult monthly =
      Lmx("KEN", {"shortage-list", "--country=KEN", "--period=2025-12", "--format=csv"});
  EXPECT_THAT(Listed(CsvAnswer(monthly.out)), ElementsAre("2221 acute 1"));
  // The rule and the window go to stderr in every format.
  EXPECT_THAT(monthly.err, HasSubstr("KEN shortage list for 2025-12: 1 occupation SHORTAGE in at "
                                     "least 2 of 2025-10, 2025-11, 2025-12"));

  // Refusals name what is wrong.
  CliResult bad = Lmx("KEN", {"shortage-list", "--country=KEN", "--min_periods=4"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("rule.min_periods: must be 1 to last_periods (3)"));
  CliResult none = Lmx("KEN", {"shortage-list", "--country=RWA"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("RWA has published no national shortage observation"));
}

TEST_F(PolicyTest, MirrorFlowsSetEachSideBesideTheOther) {
  Rows mirror = Csv("KEN", {"flows", "--mirror"});
  EXPECT_THAT(
      Lines(mirror, {"origin", "destination", "period", "occupation", "sex", "outflow", "inflow",
                     "difference", "relative", "missing"}),
      ElementsAre("KEN UGA 2025-Q3 _T _T 20 17 -3 -0.15 ",
                  // KEN reports occupations, UGA does not: by sex only.
                  "KEN UGA 2025-Q3 _T F 12 9 -3 -0.25 ", "KEN UGA 2025-Q3 _T M 8 8 0 0 ",
                  "TZA KEN 2025-Q3 _T _T 25    KEN", "TZA UGA 2025-Q3 _T _T  15   TZA",
                  "UGA KEN 2025-Q3 _T _T 60 70 10 0.1429 ",
                  // By major group, by sex, and by both.
                  "UGA KEN 2025-Q3 2 _T 40 50 10 0.2 ", "UGA KEN 2025-Q3 7 _T 20 20 0 0 ",
                  "UGA KEN 2025-Q3 _T F 30 35 5 0.1429 ", "UGA KEN 2025-Q3 _T M 30 35 5 0.1429 ",
                  "UGA KEN 2025-Q3 2 F 30 35 5 0.1429 ", "UGA KEN 2025-Q3 2 M 10 15 5 0.3333 ",
                  "UGA KEN 2025-Q3 7 M 20 20 0 0 "));
  // One corridor.
  EXPECT_THAT(
      Lines(Csv("KEN", {"flows", "--mirror", "--corridor=UGA-KEN"}),
            {"occupation", "sex", "difference"}),
      ElementsAre("_T _T 10", "2 _T 10", "7 _T 0", "_T F 5", "_T M 5", "2 F 5", "2 M 5", "7 M 0"));
  EXPECT_THAT(Csv("KEN", {"flows", "--mirror", "--period=2025-Q4"}), IsEmpty());
  CliResult bad = Lmx("KEN", {"flows", "--mirror", "--corridor=UGA"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("corridor: must be ORIGIN-DESTINATION"));
  CliResult same = Lmx("KEN", {"flows", "--mirror", "--corridor=UGA-UGA"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_THAT(same.err, HasSubstr("has the same country at both ends"));
  EXPECT_EQ(Lmx("KEN", {"flows", "--mirror", "--period=2025-Q3", "--from=2025-Q1"}).exit_code, 2);
  EXPECT_EQ(Lmx("KEN", {"flows"}).exit_code, 2);
}

TEST_F(PolicyTest, MatchRanksPartnershipsByTheDocumentedScore) {
  const std::vector<std::string> columns = {"occupation", "destination", "origin",    "inflow",
                                            "outflow",    "vacancies",   "positions", "score"};
  // gap = (destination index - origin index) / 2, times 1 + log10(1 +
  // positions): welders (0.7 - -0.2) / 2 * (1 + 2) = 1.35; nurses from TZA
  // (0.35 - -0.6) / 2 * (1 + 1) = 0.95, from UGA 0.75; cleaners to UGA,
  // with no vacancies there, 0.4 from TZA and 0.3 from KEN.
  EXPECT_THAT(Lines(Csv("KEN", {"match", "--level=4"}), columns),
              ElementsAre("7212 KEN UGA 20 20 1 99 1.35", "2221 KEN TZA   2 9 0.95",
                          "2221 KEN UGA 50 40 2 9 0.75", "9112 UGA TZA   0 0 0.4",
                          "9112 UGA KEN   0 0 0.3"));
  EXPECT_THAT(Lines(Csv("KEN", {"match", "--occupation=2221"}), {"destination", "origin"}),
              ElementsAre("KEN TZA", "KEN UGA"));
  EXPECT_THAT(Lines(Csv("KEN", {"match", "--level=4", "--destination=UGA"}), {"origin"}),
              ElementsAre("TZA", "KEN"));
  EXPECT_THAT(Lines(Csv("KEN", {"match", "--level=4", "--origin=TZA"}), {"occupation"}),
              ElementsAre("2221", "9112"));
  // At major-group level the groups' mean indices meet: 2 is in shortage
  // in KEN (2221 and 2512 at 2025-Q4: mean 0.2) and in surplus in UGA and
  // TZA.
  EXPECT_THAT(Lines(Csv("KEN", {"match", "--level=1", "--occupation=2"}),
                    {"occupation", "destination", "origin"}),
              ElementsAre("2 KEN TZA", "2 KEN UGA"));
  // Each pair's flows and vacancies are counted in the year of the
  // destination's status, whatever else is in the answer.
  for (auto& row : Csv("KEN", {"match", "--level=4"})) EXPECT_EQ(row["window"], "2025");
  EXPECT_THAT(Lines(Csv("KEN", {"match", "--level=4", "--period=2024"}), {"window", "positions"}),
              IsEmpty());  // no status within 2024
}

TEST_F(PolicyTest, CompletenessIsTheMatrixOfWhoReportedWhat) {
  Rows shortages = Csv("KEN", {"completeness", "--dataset=shortages"});
  EXPECT_THAT(Lines(shortages, {"country", "version", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"}),
              ElementsAre("KEN 1 v1 v1 v1 v1", "TZA 1    v1", "UGA 1    v1"));
  Rows flows = Csv("KEN", {"completeness", "--dataset=flows", "--from=2025-Q3"});
  EXPECT_THAT(Lines(flows, {"country", "dataset", "version", "2025-Q3"}),
              ElementsAre("KEN flows 3 v3", "TZA flows 2 v2", "UGA flows 2 v2"));
  CliResult empty = Lmx("KEN", {"completeness", "--from=2025-Q3", "--to=2025-Q1"});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("the period window is empty"));
  // The node's own vacancies count by month of posting.
  Rows vacancies = Csv("KEN", {"completeness", "--dataset=vacancies"});
  ASSERT_EQ(vacancies.size(), 1u);
  EXPECT_EQ(vacancies[0]["2024-11"], "v2");
  EXPECT_EQ(vacancies[0]["2025-07"], "v2");
  EXPECT_FALSE(vacancies[0]["published_at"].empty());
}

// The release itself, at the origin and its peer, is tested in-process on a
// clock the test moves (tests/node/app/node_test.cc); here, what a user of
// the CLI sees of an embargoed batch while it waits.
TEST_F(PolicyTest, EmbargoedDataIsInvisibleEverywhereUntilItsRelease) {
  const std::string at = "2099-06-01T00:00:00Z";
  CliResult published = Publish("UGA", "shortages",
                                "period,occupation,status,shortage_index\n"
                                "2026-Q1,2221,SHORTAGE,0.9\n",
                                {"--release_at=" + at});
  EXPECT_THAT(published.err, HasSubstr("embargoed until " + at));
  Rows calendar = Csv("UGA", {"admin", "calendar"});
  ASSERT_EQ(calendar.size(), 1u);
  EXPECT_EQ(calendar[0]["release_at"], at);
  EXPECT_EQ(calendar[0]["dataset"], "shortages");
  EXPECT_EQ(calendar[0]["periods"], "2026-Q1");

  auto visible = [&](const std::string& id) {
    return Csv(id, {"query", "shortages", "--country=UGA", "--period=2026-Q1"}).size() == 1;
  };
  // In no query at the origin or at its peer, in no completeness, and not
  // replicated (KEN still holds UGA at version 2).
  EXPECT_FALSE(visible("UGA"));
  EXPECT_FALSE(visible("KEN"));
  EXPECT_EQ(Versions("KEN"), "KEN v3, TZA v2, UGA v2");
  Rows reported = Csv("UGA", {"completeness", "--dataset=shortages"});
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].count("2026-Q1"), 0u);
}

TEST_F(PolicyTest, AnEmbargoSurvivesACrashIsReleasedWhenOverdueAndCanBeCancelled) {
  // One far off, one due in 3 s; the node is killed before either.
  Publish("UGA", "flows", "period,direction,counterpart,count\n2026-Q1,INFLOW,KEN,40\n",
          {"--release_at=2099-01-01T00:00:00Z"});
  absl::Time release = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 4);
  Publish("UGA", "shortages", "period,occupation,status\n2026-Q1,5120,SHORTAGE\n",
          {"--release_at=" + absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", release, absl::UTCTimeZone())});
  nodes_["UGA"]->Stop(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return absl::Now() > release; }));
  std::string error;
  ASSERT_TRUE(nodes_["UGA"]->Start(&error)) << error;

  // The overdue one is released at start; the other still waits.
  ASSERT_TRUE(WaitFor([&] {
    return Csv("UGA", {"query", "shortages", "--period=2026-Q1"}).size() == 1;
  }));
  Rows calendar = Csv("UGA", {"admin", "calendar"});
  ASSERT_EQ(calendar.size(), 1u);
  EXPECT_EQ(calendar[0]["release_at"], "2099-01-01T00:00:00Z");
  EXPECT_EQ(calendar[0]["dataset"], "flows");

  CliResult cancelled = Lmx("UGA", {"admin", "calendar", "--cancel=" + calendar[0]["id"]});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_THAT(cancelled.err, HasSubstr("it will not be published"));
  EXPECT_THAT(cancelled.out, HasSubstr(calendar[0]["id"]));  // the release, as a table
  EXPECT_THAT(Csv("UGA", {"admin", "calendar"}), IsEmpty());
  EXPECT_THAT(Csv("UGA", {"query", "flows", "--period=2026-Q1"}), IsEmpty());
  EXPECT_EQ(Lmx("UGA", {"admin", "calendar", "--cancel=" + calendar[0]["id"]}).exit_code, 1);
}

}  // namespace
}  // namespace lmx::testing
