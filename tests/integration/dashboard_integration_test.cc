// The dashboard a node serves at `/`, loaded in headless Chromium (Debian's
// chromium) against a real three-node region: the cells it shows are the
// region's data as built here.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/region_test_base.h"

namespace lmx::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kChromium[] = "/usr/bin/chromium";

class DashboardTest : public RegionTestBase {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kChromium)) << "install chromium (deploy/setup.sh)";
    RegionTestBase::SetUp();
    for (const char* id : {"UGA", "TZA"}) Start(id, {});
    Start("KEN", {"--peers=UGA=" + nodes_["UGA"]->address() + ",TZA=" + nodes_["TZA"]->address(),
                  "--http_listen=127.0.0.1:0", "--http_ready_file=" + dir_ + "/http"});
    http_ = std::string(absl::StripTrailingAsciiWhitespace(ReadFile(dir_ + "/http")));
  }
  // The page's DOM once its script has run.
  std::string Render() {
    CliResult run = RunProgram(
        kChromium, {"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--user-data-dir=" + dir_ + "/chromium", "--virtual-time-budget=10000",
                    "--dump-dom", "http://" + http_ + "/dashboard"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out;
  }

  std::string http_;
};

// "KEN 2 SHORTAGE" for each heatmap cell that has data.
std::vector<std::string> HeatmapCells(const std::string& dom) {
  static const std::regex cell(
      R"re(<td class="cell [A-Z]+" data-country="([A-Z]{3})" data-group="(\d)" data-status="([A-Z]+)")re");
  std::vector<std::string> cells;
  for (std::sregex_iterator it(dom.begin(), dom.end(), cell), end; it != end; ++it) {
    cells.push_back(absl::StrCat((*it)[1].str(), " ", (*it)[2].str(), " ", (*it)[3].str()));
  }
  return cells;
}

// "UGA-KEN 120" for each corridor row.
std::vector<std::string> Corridors(const std::string& dom) {
  static const std::regex corridor(R"re(data-corridor="([A-Z_]+-[A-Z_]+)">(\d+)<)re");
  std::vector<std::string> rows;
  for (std::sregex_iterator it(dom.begin(), dom.end(), corridor), end; it != end; ++it) {
    rows.push_back(absl::StrCat((*it)[1].str(), " ", (*it)[2].str()));
  }
  return rows;
}

// "KEN 2221" for each occupation on a shortage list.
std::vector<std::string> ListedOccupations(const std::string& dom) {
  static const std::regex listed(R"re(data-list="([A-Z]{3} \d+)")re");
  std::vector<std::string> rows;
  for (std::sregex_iterator it(dom.begin(), dom.end(), listed), end; it != end; ++it) {
    rows.push_back((*it)[1].str());
  }
  return rows;
}

TEST_F(DashboardTest, ShowsTheRegionsShortagesCorridorsCompletenessAndFreshness) {
  // KEN: group 2 in shortage (2 of 3), group 7 in surplus; an older period
  // that must not show.
  // 2221's index puts it on KEN's shortage list (acute).
  Publish("KEN", "shortages",
          "period,occupation,status,shortage_index\n"
          "2025-Q1,2221,SHORTAGE,0.8\n2025-Q1,2222,SHORTAGE,\n2025-Q1,2511,SURPLUS,\n"
          "2025-Q1,7212,SURPLUS,\n2024-Q4,5322,SHORTAGE,\n");
  // UGA: group 5 a tie (BALANCED), group 9 in shortage.
  Publish("UGA", "shortages",
          "period,occupation,status\n"
          "2025-Q2,5322,SHORTAGE\n2025-Q2,5120,SURPLUS\n2025-Q2,9112,SHORTAGE\n");
  // TZA: flows only.
  Publish("TZA", "flows",
          "period,direction,counterpart,count\n2025,OUTFLOW,KEN,240\n2024,OUTFLOW,KEN,99\n");
  Publish("KEN", "flows",
          "period,direction,counterpart,count\n2025,INFLOW,UGA,120\n2025,OUTFLOW,SAU,310\n");

  // Wait until KEN holds the other two origins' data.
  auto holds = [&](const std::string& dataset, const std::string& country) {
    return !CsvAnswer(RunLmx({"--node=" + nodes_["KEN"]->address(), "query", dataset,
                              "--country=" + country, "--format=csv"})
                          .out)
                .empty();
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!(holds("shortages", "UGA") && holds("flows", "TZA")) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(holds("shortages", "UGA") && holds("flows", "TZA"));

  std::string dom = Render();
  ASSERT_THAT(dom, HasSubstr("<body data-ready=\"true\">")) << dom;
  EXPECT_THAT(HeatmapCells(dom), UnorderedElementsAre("KEN 2 SHORTAGE", "KEN 7 SURPLUS",
                                                      "UGA 5 BALANCED", "UGA 9 SHORTAGE"));
  EXPECT_THAT(dom, HasSubstr("<td>KEN</td><td>2025-Q1</td>"));
  EXPECT_THAT(dom, HasSubstr("<td>UGA</td><td>2025-Q2</td>"));
  // The latest period's corridors, as each country reported them.
  EXPECT_THAT(Corridors(dom), UnorderedElementsAre("KEN-SAU 310", "TZA-KEN 240", "UGA-KEN 120"));
  EXPECT_THAT(dom, HasSubstr("<option value=\"2024\">2024</option>"));
  // Shortage lists, by the node's rule: KEN's 2221 only.
  EXPECT_THAT(ListedOccupations(dom), ElementsAre("KEN 2221"));
  EXPECT_THAT(dom, HasSubstr("<td>Nursing professionals</td><td>acute</td><td>1 of 3</td>"));
  // Completeness: who reported what.
  EXPECT_THAT(dom, HasSubstr("<td>TZA</td><td>flows</td><td>2024, 2025</td>"));
  EXPECT_THAT(dom, HasSubstr("<td>UGA</td><td>shortages</td><td>2025-Q2</td>"));
  EXPECT_THAT(dom, HasSubstr("<td>KEN</td><td>shortages</td><td>2024-Q4, 2025-Q1</td>"));
  // Freshness: nothing behind.
  EXPECT_THAT(dom, HasSubstr("data-origin=\"UGA\">0<"));
  EXPECT_THAT(dom, HasSubstr("data-origin=\"TZA\">0<"));
}

}  // namespace
}  // namespace lmx::testing
