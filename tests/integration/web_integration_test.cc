// The web application (client/web) in a real browser: Debian's chromium,
// driven by playwright-core (tests/web/checks.mjs), against a real region of
// three nodes with mutual TLS between them and tokens at KEN, holding the
// demo's sample data (deploy/make_sample_data.py). Every figure a page shows
// is compared with what `lmx` prints from the same node.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/tcp_proxy.h"

namespace lmx::testing {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kNode[] = "/usr/bin/node";

using Table = std::vector<std::vector<std::string>>;

// A CSV answer's lines split at commas (the answers compared here quote
// nothing: codes, periods and numbers).
Table CsvTable(const std::string& text, std::vector<std::string>* header = nullptr) {
  Table rows;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(absl::StripSuffix(line, "\r"), ','));
  }
  if (rows.empty()) return rows;
  if (header != nullptr) *header = rows.front();
  rows.erase(rows.begin());
  return rows;
}

Table TableOf(const Value& value) {
  Table rows;
  for (const Value& row : value.list_value().values()) {
    std::vector<std::string> cells;
    for (const Value& cell : row.list_value().values()) cells.push_back(cell.string_value());
    rows.push_back(cells);
  }
  return rows;
}

std::vector<std::string> StringsOf(const Value& value) {
  std::vector<std::string> out;
  for (const Value& v : value.list_value().values()) out.push_back(v.string_value());
  return out;
}

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kChromium)) << "install chromium (deploy/setup.sh)";
    ASSERT_TRUE(std::filesystem::exists(std::string(LMX_SOURCE_DIR) +
                                        "/client/web/node_modules/playwright-core"))
        << "npm ci in client/web (deploy/setup.sh)";
    dir_ = MakeTempDir("web");
    CliResult init = RunLmx({"region", "init", "--dir=" + dir_, "--countries=KEN,UGA,TZA", "--tls"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    for (const char* role : {"reader", "analyst", "publisher"}) {
      CliResult made = RunLmx({"admin", "token", "create", "--config=" + dir_ + "/KEN/config.json",
                               absl::StrCat("--name=ken-", role), absl::StrCat("--role=", role)});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      tokens_[role] = std::string(absl::StripAsciiWhitespace(made.out));
    }
    // KEN pulls from UGA and TZA, they from KEN, through proxies, so that
    // every node starts on a port chosen at run time.
    for (const char* link : {"KEN-UGA", "KEN-TZA", "UGA-KEN", "TZA-KEN"}) {
      proxies_[link] = std::make_unique<TcpProxy>();
    }
    Start("KEN", "UGA=" + proxies_["KEN-UGA"]->address() + ",TZA=" + proxies_["KEN-TZA"]->address());
    Start("UGA", "KEN=" + proxies_["UGA-KEN"]->address());
    Start("TZA", "KEN=" + proxies_["TZA-KEN"]->address());
    proxies_["KEN-UGA"]->SetTarget(nodes_["UGA"]->address());
    proxies_["KEN-TZA"]->SetTarget(nodes_["TZA"]->address());
    proxies_["UGA-KEN"]->SetTarget(nodes_["KEN"]->address());
    proxies_["TZA-KEN"]->SetTarget(nodes_["KEN"]->address());

    // The demo's data: each ministry's sample files.
    int seed = 11;
    for (const char* id : {"KEN", "UGA", "TZA"}) {
      const std::string out = absl::StrCat(dir_, "/sample-", id);
      CliResult made = RunProgram("/usr/bin/python3",
                                  {std::string(LMX_SOURCE_DIR) + "/deploy/make_sample_data.py",
                                   absl::StrCat("--country=", id), "--out=" + out,
                                   absl::StrCat("--seed=", seed++)});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      for (const char* dataset : {"shortages", "vacancies", "flows"}) {
        CliResult published =
            Lmx(id, "publisher", {"publish", dataset, absl::StrCat(out, "/", dataset, ".csv")});
        ASSERT_EQ(published.exit_code, 0) << published.err;
      }
    }
    // KEN holds everyone's data before a page is opened.
    for (const char* origin : {"UGA", "TZA"}) {
      ASSERT_TRUE(WaitFor([&] {
        return !CsvAnswer(Lmx("KEN", "analyst",
                              {"query", "flows", absl::StrCat("--country=", origin), "--format=csv"})
                              .out)
                    .empty();
      })) << origin << " never reached KEN";
    }
  }

  void TearDown() override {
    nodes_.clear();
    proxies_.clear();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void Start(const std::string& id, const std::string& peers) {
    auto node = std::make_unique<NodeProcess>(id, dir_ + "/" + id);
    std::vector<std::string> flags = {"--region=" + dir_ + "/region.json",
                                      "--http_listen=127.0.0.1:0",
                                      "--http_ready_file=" + dir_ + "/" + id + ".http"};
    if (!peers.empty()) flags.push_back("--peers=" + peers);
    std::string error;
    ASSERT_TRUE(node->Start(&error, flags)) << error;
    web_[id] = absl::StrCat(
        "http://", absl::StripTrailingAsciiWhitespace(ReadFile(dir_ + "/" + id + ".http")));
    nodes_[id] = std::move(node);
  }

  // `lmx` against node `id` with the role's token (KEN) or none (the open
  // UGA and TZA).
  CliResult Lmx(const std::string& id, const std::string& role, std::vector<std::string> args) {
    std::vector<std::string> all = {"--node=" + nodes_[id]->address(), "--tls_ca=" + dir_ + "/ca.pem"};
    if (id == "KEN") all.push_back("--token=" + tokens_[role]);
    all.insert(all.end(), args.begin(), args.end());
    return RunLmx(all);
  }

  // Runs one check of tests/web/checks.mjs in the browser and reads its
  // JSON answer into `answer`. Call it under ASSERT_NO_FATAL_FAILURE.
  void Browse(const std::string& check, const std::string& id, std::vector<std::string> args,
              Struct* answer) {
    std::vector<std::string> all = {std::string(LMX_SOURCE_DIR) + "/tests/web/checks.mjs", check,
                                    "--url=" + web_[id]};
    all.insert(all.end(), args.begin(), args.end());
    CliResult run = RunProgram(kNode, all);
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, answer).ok()) << run.out;
  }

  bool WaitFor(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
  }

  std::string dir_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::string> web_;
  std::map<std::string, std::unique_ptr<TcpProxy>> proxies_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
};

TEST_F(WebTest, AnEmployerTypesNurseAndSeesEachMembersStatusAsTheCliPrintsIt) {
  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("find", "KEN", {"--token=" + tokens_["reader"], "--text=nurse"}, &page));
  const auto& f = page.fields();
  EXPECT_THAT(f.at("suggestion").string_value(), HasSubstr("Nursing professionals"));
  EXPECT_EQ(f.at("heading").string_value(), "2221 Nursing professionals");

  std::vector<std::string> header;
  Table cli = CsvTable(
      Lmx("KEN", "reader", {"shortages", "--occupation=2221", "--format=csv"}).out, &header);
  ASSERT_THAT(cli, Not(IsEmpty()));
  auto at = [&](const std::string& name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  std::vector<std::string> want, got;
  for (const auto& row : cli) {
    want.push_back(absl::StrJoin({row[at("country")], row[at("period")], row[at("status")],
                                  row[at("shortage_index")]},
                                 " "));
  }
  for (const Value& row : f.at("status").list_value().values()) {
    std::vector<std::string> cells = StringsOf(row.struct_value().fields().at("cells"));
    got.push_back(absl::StrJoin({cells[0], cells[1], cells[2], cells[3]}, " "));
  }
  EXPECT_THAT(got, UnorderedElementsAreArray(want));
  // Freshness per origin, the charts, the lists, and the groups around it.
  EXPECT_THAT(StringsOf(f.at("freshness")), Not(IsEmpty()));
  EXPECT_THAT(f.at("freshness").list_value().values(0).string_value(), HasSubstr("KEN v"));
  EXPECT_GE(f.at("charts").number_value(), 2);
  EXPECT_EQ(f.at("listed").list_value().values_size(), 3);
  EXPECT_THAT(StringsOf(f.at("links")), ::testing::IsSupersetOf({"/occupation/222"}));
}

TEST_F(WebTest, AnAnalystsFlowsByMajorGroupAndCountryEqualTheCliInTheTableTheLinkAndTheCsv) {
  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("explore", "KEN", {"--token=" + tokens_["analyst"]}, &page));
  const auto& f = page.fields();
  const std::string cli =
      Lmx("KEN", "analyst", {"aggregate", "flows", "--by=occupation:1,country", "--format=csv"}).out;
  std::vector<std::string> header;
  Table want = CsvTable(cli, &header);
  ASSERT_THAT(want, Not(IsEmpty()));
  EXPECT_THAT(StringsOf(f.at("head")), ElementsAreArray(header));
  EXPECT_THAT(TableOf(f.at("rows")), ElementsAreArray(want));
  // The link of the view, opened in a fresh browser session, shows the same.
  EXPECT_THAT(f.at("link").string_value(), HasSubstr("dataset=flows"));
  EXPECT_THAT(StringsOf(f.at("linkHead")), ElementsAreArray(header));
  EXPECT_THAT(TableOf(f.at("linkRows")), ElementsAreArray(want));
  EXPECT_GE(f.at("chart").number_value(), 1);
  // The download is the CLI's CSV, byte for byte.
  EXPECT_EQ(f.at("csv").string_value(), cli);
  EXPECT_EQ(f.at("command").string_value(), "lmx aggregate flows --by=occupation:1,country");
  EXPECT_THAT(f.at("sdmx").string_value(), HasSubstr("/sdmx/3.0/data/dataflow/LMX/FLOW/1.0/"));
  // Filtered by two more dimensions, still the CLI's table.
  const auto& filtered = f.at("filtered").struct_value().fields();
  EXPECT_EQ(filtered.at("command").string_value(),
            "lmx aggregate flows --by=occupation:1,country --direction=OUTFLOW --sex=F");
  Table women = CsvTable(Lmx("KEN", "analyst", {"aggregate", "flows", "--by=occupation:1,country",
                                               "--sex=F", "--direction=OUTFLOW", "--format=csv"})
                             .out);
  ASSERT_THAT(women, Not(IsEmpty()));
  EXPECT_THAT(TableOf(filtered.at("rows")), ElementsAreArray(women));
  EXPECT_NE(women, want);
}

TEST_F(WebTest, APublisherSeesTwoBadRowsThenPublishesAndAPeersPageShowsTheNewFigures) {
  const std::string bad = dir_ + "/flows.csv";
  WriteFile(bad,
            "period,direction,counterpart,count,occupation,sex\n"
            "2026-Q3,OUTFLOW,SAU,120,5322,F\n"
            "2026-Q3,OUTFLOW,SAU,-4,5322,M\n"
            "2026-Q3,OUTFLOW,QAT,31,7212,M\n"
            "2026-Q3,OUTFLOW,XYZ,7,9112,F\n");
  const std::string good = dir_ + "/fixed/flows.csv";
  std::filesystem::create_directories(dir_ + "/fixed");
  WriteFile(good,
            "period,direction,counterpart,count,occupation,sex\n"
            "2026-Q3,OUTFLOW,SAU,120,5322,F\n"
            "2026-Q3,OUTFLOW,SAU,40,5322,M\n"
            "2026-Q3,OUTFLOW,QAT,31,7212,M\n"
            "2026-Q3,OUTFLOW,ARE,7,9112,F\n");
  const std::string before = Lmx("KEN", "analyst", {"peers", "--format=csv"}).out;

  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("publish", "KEN",
                       {"--token=" + tokens_["publisher"], "--bad=" + bad, "--good=" + good,
                        "--dataset=flows"}, &page));
  const auto& f = page.fields();
  EXPECT_TRUE(f.at("signedIn").bool_value());
  const auto& kept = f.at("kept").struct_value().fields();
  EXPECT_EQ(kept.at("localStorage").number_value(), 0);
  EXPECT_EQ(kept.at("cookies").number_value(), 0);
  EXPECT_FALSE(kept.at("otherTabSignedIn").bool_value());
  const auto& dry = f.at("dryRun").struct_value().fields();
  EXPECT_EQ(dry.at("rejected").string_value(), "2");
  EXPECT_EQ(dry.at("written").string_value(), "false");
  Table errors = TableOf(dry.at("errors"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0][0], "3");
  EXPECT_EQ(errors[0][1], "count");
  EXPECT_EQ(errors[1][0], "5");
  EXPECT_EQ(errors[1][1], "counterpart");
  EXPECT_THAT(errors[1][2], HasSubstr("XYZ"));

  const auto& published = f.at("published").struct_value().fields();
  EXPECT_EQ(published.at("accepted").string_value(), "4");
  EXPECT_EQ(published.at("progress").string_value(), "100");
  const std::string version = published.at("version").string_value();
  EXPECT_THAT(version, Not(IsEmpty()));

  // The embargoed release was on the calendar, then cancelled from it.
  EXPECT_THAT(f.at("embargo").string_value(), HasSubstr("nobody sees it"));
  Table calendar = TableOf(f.at("calendar"));
  ASSERT_EQ(calendar.size(), 1u);
  EXPECT_EQ(calendar[0][1], "flows");
  EXPECT_EQ(calendar[0][4], "4");
  EXPECT_THAT(f.at("afterCancel").string_value(), HasSubstr("No release is waiting"));
  EXPECT_THAT(Lmx("KEN", "publisher", {"admin", "calendar"}).out, Not(HasSubstr("flows.csv")));

  // The new figures at the peer UGA, on its own page, equal its CLI.
  ASSERT_TRUE(WaitFor([&] {
    return CsvAnswer(Lmx("UGA", "", {"query", "flows", "--country=KEN", "--period=2026-Q3",
                                     "--format=csv"})
                         .out)
               .size() == 4;
  }));
  const std::string path = "/explore?dataset=flows&by=counterpart&country=KEN&period=2026-Q3";
  Struct peer;
  ASSERT_NO_FATAL_FAILURE(Browse("table", "UGA", {"--path=" + path, "--selector=#result"}, &peer));
  Table want = CsvTable(Lmx("UGA", "", {"aggregate", "flows", "--by=counterpart", "--country=KEN",
                                       "--period=2026-Q3", "--format=csv"})
                            .out);
  EXPECT_THAT(TableOf(peer.fields().at("rows")), ElementsAreArray(want));
  EXPECT_THAT(want, ::testing::Contains(::testing::ElementsAre("SAU", "160", "1")));
}

// The Shortage lists and Region pages, figure for figure with lmx
// shortage-list, match, peers and completeness.
TEST_F(WebTest, TheListsPartnershipsMembersAndCompletenessAreTheClisFigures) {
  Struct page;
  ASSERT_NO_FATAL_FAILURE(
      Browse("views", "KEN", {"--token=" + tokens_["analyst"], "--country=KEN"}, &page));
  const auto& f = page.fields();
  auto cli = [&](std::vector<std::string> args) {
    args.push_back("--format=csv");
    return CsvAnswer(Lmx("KEN", "analyst", args).out);
  };

  // The list: one row per occupation, one evidence line per period.
  std::vector<std::string> want_list, got_list;
  std::map<std::string, std::vector<std::string>> want_evidence, got_evidence;
  std::string periods_text;
  for (const auto& row : cli({"shortage-list", "--country=KEN"})) {
    const std::string entry = absl::StrCat(row.at("occupation"), " ", row.at("listed"));
    if (want_list.empty() || want_list.back() != absl::StrCat(entry, " ", row.at("shortage_periods"))) {
      want_list.push_back(absl::StrCat(entry, " ", row.at("shortage_periods")));
    }
    std::string line = absl::StrCat(row.at("period"), ": ", row.at("status"));
    if (!row.at("shortage_index").empty()) absl::StrAppend(&line, " index ", row.at("shortage_index"));
    if (!row.at("hard_to_fill").empty()) absl::StrAppend(&line, ", ", row.at("hard_to_fill"), " hard to fill");
    want_evidence[row.at("occupation")].push_back(line);
  }
  ASSERT_THAT(want_list, Not(IsEmpty()));
  for (const Value& row : f.at("list").list_value().values()) {
    std::vector<std::string> cells = StringsOf(row.struct_value().fields().at("cells"));
    std::vector<std::string> of = absl::StrSplit(cells[3], " of ");
    got_list.push_back(absl::StrCat(cells[0], " ", cells[2], " ", of[0]));
    got_evidence[cells[0]] = StringsOf(row.struct_value().fields().at("evidence"));
  }
  EXPECT_THAT(got_list, ElementsAreArray(want_list));
  EXPECT_EQ(got_evidence, want_evidence);

  // The partnership candidates, ranked as lmx match ranks them.
  Table want_match;
  int rank = 0;
  for (const auto& r : cli({"match", "--level=2"})) {
    auto side = [&](const std::string& who) {
      const std::string& index = r.at(who + "_index");
      return absl::StrCat(r.at(who), " (", r.at(who + "_period"), index.empty() ? "" : ", ", index, ")");
    };
    want_match.push_back({absl::StrCat(++rank), absl::StrCat(r.at("occupation"), " ", r.at("label")),
                          side("destination"), side("origin"),
                          absl::StrCat(r.at("positions").empty() ? "0" : r.at("positions"), " in ",
                                       r.at("vacancies").empty() ? "0" : r.at("vacancies"),
                                       " vacancies"),
                          absl::StrCat(r.at("inflow").empty() ? "–" : r.at("inflow"), " in / ",
                                       r.at("outflow").empty() ? "–" : r.at("outflow"), " out"),
                          r.at("score")});
  }
  ASSERT_THAT(want_match, Not(IsEmpty()));
  EXPECT_THAT(TableOf(f.at("match")), ElementsAreArray(want_match));

  // The members, as lmx peers shows them.
  Table want_origins, got_origins;
  for (const auto& r : cli({"peers"})) {
    want_origins.push_back({r.at("origin"), r.at("version"), r.at("head"), r.at("lag"),
                            r.at("digest"), r.at("trust"), r.at("rejected")});
  }
  for (const auto& cells : TableOf(f.at("origins"))) {
    got_origins.push_back({cells[0], cells[1], cells[2], cells[3], cells[6], cells[7], cells[8]});
  }
  EXPECT_THAT(got_origins, UnorderedElementsAreArray(want_origins));

  // The completeness matrix: each cell's periods and version.
  int cells = 0;
  for (const auto& r : cli({"completeness"})) {
    std::vector<std::string> periods;
    for (const auto& [column, value] : r) {
      if (!value.empty() && column != "country" && column != "dataset" && column != "version" &&
          column != "published_at") {
        periods.push_back(column);
      }
    }
    const std::string key = absl::StrCat(r.at("country"), " ", r.at("dataset"));
    ASSERT_TRUE(f.at("completeness").struct_value().fields().contains(key)) << key;
    const std::string shown = f.at("completeness").struct_value().fields().at(key).string_value();
    // The CLI's columns are the periods in order; the page lists them the same.
    EXPECT_THAT(shown, HasSubstr(absl::StrCat("v", r.at("version"), ","))) << key;
    for (const auto& period : periods) EXPECT_THAT(shown, HasSubstr(period)) << key;
    ++cells;
  }
  EXPECT_EQ(f.at("completeness").struct_value().fields_size(), cells);
}

TEST_F(WebTest, AReaderIsRefusedFlowsAndToldWhy) {
  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("refused", "KEN", {"--token=" + tokens_["reader"]}, &page));
  for (const auto& [where, text] : page.fields().at("answers").struct_value().fields()) {
    EXPECT_THAT(text.string_value(), HasSubstr("Not allowed")) << where;
    EXPECT_THAT(text.string_value(), HasSubstr("readers see shortages")) << where;
  }
  EXPECT_EQ(page.fields().at("answers").struct_value().fields_size(), 2);
}

TEST_F(WebTest, TheCorridorMapDrawsTheCorridorsOfTheData) {
  // The latest period with flows, as the page picks it.
  std::vector<std::string> periods;
  for (const auto& row : CsvAnswer(Lmx("KEN", "analyst", {"aggregate", "flows", "--by=period",
                                                        "--format=csv"})
                                       .out)) {
    periods.push_back(row.at("period"));
  }
  ASSERT_THAT(periods, Not(IsEmpty()));
  std::sort(periods.begin(), periods.end());
  const std::string period = periods.back();
  std::vector<std::string> want;
  for (const auto& row :
       CsvAnswer(Lmx("KEN", "analyst", {"aggregate", "flows", "--by=country,direction,counterpart",
                                        "--period=" + period, "--format=csv"})
                     .out)) {
    if (row.at("direction") != "OUTFLOW" || row.at("country") == row.at("counterpart")) continue;
    want.push_back(absl::StrCat(row.at("country"), "-", row.at("counterpart"), " ", row.at("count")));
  }
  ASSERT_THAT(want, Not(IsEmpty()));

  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("corridors", "KEN", {"--token=" + tokens_["analyst"], "--period=" + period}, &page));
  std::vector<std::string> drawn;
  for (const Value& c : page.fields().at("drawn").list_value().values()) {
    const auto& cf = c.struct_value().fields();
    EXPECT_TRUE(cf.at("drawn").bool_value()) << cf.at("id").string_value();
    drawn.push_back(absl::StrCat(cf.at("id").string_value(), " ",
                                 static_cast<int64_t>(cf.at("count").number_value())));
  }
  EXPECT_THAT(drawn, UnorderedElementsAreArray(want));
  EXPECT_GT(page.fields().at("land").number_value(), 100);
  // The chosen corridor's mirror table is `lmx flows --mirror`'s.
  const std::string corridor = page.fields().at("chosen").string_value();
  Table mirror = CsvTable(Lmx("KEN", "analyst", {"flows", "--mirror", "--corridor=" + corridor,
                                                "--period=" + period, "--format=csv"})
                              .out);
  EXPECT_THAT(mirror, Not(IsEmpty())) << corridor;
  EXPECT_THAT(TableOf(page.fields().at("mirror")), ElementsAreArray(mirror));
}

TEST_F(WebTest, EveryPageAtAPhonesWidthHasNoHorizontalScroll) {
  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("narrow", "KEN", {"--token=" + tokens_["analyst"]}, &page));
  const auto& widths = page.fields().at("widths").struct_value().fields();
  EXPECT_EQ(widths.size(), 7u);
  for (const auto& [where, width] : widths) {
    const auto& w = width.struct_value().fields();
    EXPECT_LE(w.at("scroll").number_value(), w.at("view").number_value()) << where;
  }
}

// Labels, names, contrast and ARIA by axe-core's WCAG 2.1 AA rules on every
// page, and the keyboard: a suggestion chosen with the arrow keys.
TEST_F(WebTest, EveryPagePassesWcagAaChecksAndTheSearchWorksFromTheKeyboard) {
  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("accessibility", "KEN", {"--token=" + tokens_["analyst"]}, &page));
  for (const auto& [where, found] : page.fields().at("violations").struct_value().fields()) {
    ADD_FAILURE() << where << ": " << absl::StrJoin(StringsOf(found), "\n");
  }
  EXPECT_EQ(page.fields().at("chosen").string_value(), "7212 Welders and flamecutters");
}

// The guides' screenshots (docs/guides/web-*.png) come from here, with
// LMX_SCREENSHOT_DIR=docs/guides; otherwise they go to the test's directory.
TEST_F(WebTest, EveryPageRendersWithTheDemoDataForTheGuides) {
  const char* out = std::getenv("LMX_SCREENSHOT_DIR");
  const std::string dir = out != nullptr ? out : dir_ + "/screenshots";
  const std::string bad = dir_ + "/bad-flows.csv";
  WriteFile(bad,
            "period,direction,counterpart,count,occupation,sex\n"
            "2026-Q3,OUTFLOW,SAU,120,5322,F\n2026-Q3,OUTFLOW,SAU,-4,5322,M\n"
            "2026-Q3,OUTFLOW,XYZ,7,9112,F\n");
  Struct page;
  ASSERT_NO_FATAL_FAILURE(Browse("screenshots", "KEN",
                       {"--token=" + tokens_["analyst"], "--publisher=" + tokens_["publisher"],
                        "--out=" + dir, "--bad=" + bad}, &page));
  EXPECT_EQ(page.fields().at("written").list_value().values_size(), 9);
  for (const Value& file : page.fields().at("written").list_value().values()) {
    EXPECT_GT(std::filesystem::file_size(file.string_value()), 10000u) << file.string_value();
  }
}

}  // namespace
}  // namespace lmx::testing
