// SDMX 3.0 REST data queries on a real node's HTTP endpoint: SDMX-CSV 2.0
// with the numbers `lmx` gives, the key syntax and filters, the SDMX REST
// status codes, and the same roles as over gRPC.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/integration/sdmx_fixture.h"
#include "tests/support/node_process.h"

namespace lmx::testing {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST_F(SdmxTest, FlowDataIsSdmxCsvWithTheNumbersOfLmxAggregate) {
  Got got = Get("FLOW/1.0/*");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_THAT(got.content_type, HasSubstr("application/vnd.sdmx.data+csv; version=2.0.0"));
  EXPECT_EQ(got.body.substr(0, got.body.find('\n')),
            "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,DIRECTION,COUNTERPART_AREA,OCCUPATION,SEX,"
            "AGE,CHANNEL,TIME_PERIOD,OBS_VALUE,CONF_STATUS");
  auto rows = CsvAnswer(got.body);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["STRUCTURE"], "dataflow");
  EXPECT_EQ(rows[0]["STRUCTURE_ID"], "LMX:FLOW(1.0)");
  EXPECT_EQ(rows[0]["ACTION"], "I");

  auto cli =
      CsvAnswer(Lmx("analyst", {"aggregate", "flows", "--by=counterpart", "--format=csv"}).out);
  EXPECT_EQ(SumBy(rows, "COUNTERPART_AREA", "OBS_VALUE"), SumBy(cli, "counterpart", "count"));
  EXPECT_THAT(SumBy(rows, "COUNTERPART_AREA", "OBS_VALUE"),
              ElementsAre(Pair("ARE", 6), Pair("SAU", 7), Pair("UGA", 5)));
}

TEST_F(SdmxTest, LabelsBothNamesTheColumnsAndTheCodes) {
  Got got = Get("FLOW/1.0/*?labels=both");
  ASSERT_EQ(got.status, 200) << got.body;
  auto rows = CsvAnswer(got.body);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["STRUCTURE_ID"], "LMX:FLOW(1.0): Migrant-worker flows");
  EXPECT_EQ(rows[0]["REF_AREA: Reference area (the reporting country)"], "KEN: Kenya");
  std::set<std::string> sexes;
  for (auto& row : rows) sexes.insert(row["SEX: Sex"]);
  for (const auto& sex : sexes) EXPECT_THAT(sex, AnyOf("F: Female", "M: Male", "_T: Total"));
  // Codes without a codelist, and values, stay as they are.
  EXPECT_FALSE(rows[0]["OBS_VALUE: Number of migrant workers"].empty());
  EXPECT_THAT(rows[0]["OBS_VALUE: Number of migrant workers"], Not(HasSubstr(":")));
  std::set<std::string> counterparts;
  for (auto& row : rows) counterparts.insert(row["COUNTERPART_AREA: Counterpart area"]);
  EXPECT_THAT(counterparts,
              ElementsAre("ARE: United Arab Emirates", "SAU: Saudi Arabia", "UGA: Uganda"));
  EXPECT_EQ(Get("FLOW/1.0/*?labels=name").status, 400);
}

TEST_F(SdmxTest, RsdmxReadsTheSdmxMlAnswerAndGetsTheNumbersOfLmxAggregate) {
  std::string file = SaveFlows("application/vnd.sdmx.genericdata+xml;version=2.1", "flows.xml");
  // R's rsdmx (Debian r-cran-rsdmx), as an analyst's script would use it.
  CliResult r = RunProgram(
      "/usr/bin/Rscript",
      {"-e", "suppressMessages(library(rsdmx)); d <- as.data.frame(readSDMX(file='" + file +
                 "', isURL=FALSE)); s <- aggregate(obsValue ~ COUNTERPART_AREA, d, sum); "
                 "for (i in seq_len(nrow(s))) cat(s$COUNTERPART_AREA[i], s$obsValue[i], '\\n')"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, int64_t> from_r;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipWhitespace())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    ASSERT_EQ(parts.size(), 2u) << line;
    ASSERT_TRUE(absl::SimpleAtoi(parts[1], &from_r[parts[0]])) << line;
  }
  auto cli =
      CsvAnswer(Lmx("analyst", {"aggregate", "flows", "--by=counterpart", "--format=csv"}).out);
  EXPECT_EQ(from_r, SumBy(cli, "counterpart", "count"));
  EXPECT_THAT(from_r, ElementsAre(Pair("ARE", 6), Pair("SAU", 7), Pair("UGA", 5)));
}

// SDMX-ML 2.1 has one primary measure: the shortage index, a number, which
// is what rsdmx reads it as; status and hard-to-fill are attributes.
TEST_F(SdmxTest, RsdmxReadsShortagesWhoseOtherMeasuresAreAttributes) {
  Got got = Get("SHORTAGE/1.0/*?format=genericdata&dimensionAtObservation=AllDimensions", "reader");
  ASSERT_EQ(got.status, 200) << got.body;
  std::string file = dir_ + "/shortages.xml";
  WriteFile(file, got.body);
  CliResult r = RunProgram(
      "/usr/bin/Rscript",
      {"-e", "suppressMessages(library(rsdmx)); d <- as.data.frame(readSDMX(file='" + file +
                 "', isURL=FALSE)); d <- d[order(d$OCCUPATION, d$TIME_PERIOD), ]; "
                 "for (i in seq_len(nrow(d))) cat(d$OCCUPATION[i], d$TIME_PERIOD[i], "
                 "d$SHORTAGE_STATUS[i], d$obsValue[i], d$HARD_TO_FILL[i], '\\n')"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto cli = CsvAnswer(Lmx("reader", {"query", "shortages", "--format=csv"}).out);
  std::vector<std::string> expected;
  std::sort(cli.begin(), cli.end(), [](auto& a, auto& b) {
    return std::tie(a["occupation"], a["period"]) < std::tie(b["occupation"], b["period"]);
  });
  for (auto& row : cli) {
    expected.push_back(absl::StrCat(row["occupation"], " ", row["period"], " ", row["status"], " ",
                                    row["shortage_index"], " ",
                                    row["hard_to_fill"].empty() ? "NA" : row["hard_to_fill"]));
  }
  std::vector<std::string> from_r;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipWhitespace())) {
    from_r.emplace_back(absl::StripAsciiWhitespace(line));
  }
  EXPECT_EQ(from_r, expected);
  EXPECT_FALSE(from_r.empty());
}

TEST_F(SdmxTest, StructuresAreSdmxMlThatRsdmxReads) {
  auto structure = [&](const std::string& query) { return Fetch("/sdmx/3.0/structure/" + query); };
  Got isco = structure("codelist/LMX/CL_OCCUPATION/1.0");
  ASSERT_EQ(isco.status, 200) << isco.body;
  EXPECT_THAT(isco.content_type, HasSubstr("application/vnd.sdmx.structure+xml"));
  // The hierarchy: each code names its parent.
  EXPECT_THAT(isco.body, HasSubstr("<structure:Code id=\"2221\"><common:Name xml:lang=\"en\">"
                                   "Nursing professionals</common:Name><structure:Parent>"
                                   "<Ref id=\"222\"/></structure:Parent></structure:Code>"));
  std::string file = dir_ + "/isco.xml";
  WriteFile(file, isco.body);
  CliResult r = RunProgram(
      "/usr/bin/Rscript",
      {"-e", "suppressMessages(library(rsdmx)); d <- as.data.frame(readSDMX(file='" + file +
                 "', isURL=FALSE)); cat(nrow(d), d$label.en[d$id == '2221'], '\\n')"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // ISCO-08's 619 codes and SDMX's _T, _U and _Z.
  EXPECT_EQ(r.out, "622 Nursing professionals \n");

  Got dsd = structure("datastructure/LMX/DSD_FLOW");
  ASSERT_EQ(dsd.status, 200) << dsd.body;
  EXPECT_THAT(dsd.body, HasSubstr("<structure:Dimension id=\"COUNTERPART_AREA\" position=\"3\">"));
  EXPECT_THAT(dsd.body, HasSubstr("<structure:TimeDimension id=\"TIME_PERIOD\" position=\"8\">"));
  EXPECT_THAT(dsd.body, HasSubstr("<Ref id=\"CL_AREA\" version=\"1.0\" agencyID=\"LMX\""));
  Got flows = structure("dataflow/LMX/*/1.0");
  ASSERT_EQ(flows.status, 200);
  EXPECT_THAT(flows.body, HasSubstr("<structure:Dataflow id=\"VACANCY_AGG\""));
  EXPECT_EQ(structure("conceptscheme/LMX/CS_LMX/1.0").status, 200);
  EXPECT_EQ(structure("codelist/LMX/CL_NOPE/1.0").status, 404);
  EXPECT_EQ(structure("codelist/ESTAT/*/1.0").status, 404);
  EXPECT_EQ(structure("categoryscheme/LMX/*/1.0").status, 404);
  EXPECT_EQ(structure("codelist/LMX/*/1.0?references=everything").status, 400);
  EXPECT_EQ(structure("codelist/LMX/*/1.0?colour=red").status, 501);
}

TEST_F(SdmxTest, SdmxJsonHasTheNumbersOfLmxAggregateAndTheShapeOfTheStandard) {
  std::string file = SaveFlows("application/vnd.sdmx.data+json;version=2.0.0", "flows.json");
  // A reader that knows only the SDMX-JSON 2.0 message: it checks what the
  // standard's schema requires and decodes observations by their keys.
  const char* kReader = R"py(
import json, sys
m = json.load(open(sys.argv[1]))
assert {"id", "prepared", "sender"} <= set(m["meta"]) and "id" in m["meta"]["sender"]
data_set, = m["data"]["dataSets"]
structure = m["data"]["structures"][data_set["structure"]]
assert data_set["links"] and data_set["action"] == "Information"
# The specification's default: time series, TIME_PERIOD at the observation.
sdims = structure["dimensions"]["series"]
odims = structure["dimensions"]["observation"]
assert [d["id"] for d in odims] == ["TIME_PERIOD"], odims
for position, d in enumerate(sdims + odims):
    assert d["keyPosition"] == position and d["values"], d["id"]
for a in structure["attributes"]["observation"]:
    assert "relationship" in a and a["values"], a
# Names come from the codelists, not the ids.
area = next(d for d in sdims if d["id"] == "REF_AREA")
assert area["name"] == "Reference area (the reporting country)", area["name"]
assert {"id": "KEN", "name": "Kenya"} in area["values"], area["values"]
where = [d["id"] for d in sdims].index("COUNTERPART_AREA")
sums = {}
for key, series in data_set["series"].items():
    code = sdims[where]["values"][int(key.split(":")[where])]["id"]
    for time, values in series["observations"].items():
        sums[code] = sums.get(code, 0) + values[0]
for code in sorted(sums):
    print(code, sums[code])
)py";
  CliResult read = RunProgram("/usr/bin/python3", {"-c", kReader, file});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  auto cli =
      CsvAnswer(Lmx("analyst", {"aggregate", "flows", "--by=counterpart", "--format=csv"}).out);
  std::string expected;
  for (const auto& [code, count] : SumBy(cli, "counterpart", "count")) {
    absl::StrAppend(&expected, code, " ", count, "\n");
  }
  EXPECT_EQ(read.out, expected);
  EXPECT_EQ(read.out, "ARE 6\nSAU 7\nUGA 5\n");
}

TEST_F(SdmxTest, KeysAndFiltersSelectExactlyTheirObservations) {
  auto values = [&](const std::string& query) {
    Got got = Get(query);
    EXPECT_EQ(got.status, 200) << query << ": " << got.body;
    std::vector<std::string> out;
    for (auto& row : CsvAnswer(got.body)) {
      out.push_back(
          absl::StrCat(row["COUNTERPART_AREA"], " ", row["TIME_PERIOD"], " ", row["OBS_VALUE"]));
    }
    return out;
  };
  EXPECT_THAT(values("FLOW/1.0/KEN.OUTFLOW.SAU+ARE...."),
              UnorderedElementsAre("SAU 2024 3", "SAU 2025 4", "ARE 2025 6"));
  EXPECT_THAT(values("FLOW/1.0/..UGA...._T"), ElementsAre("UGA 2025 5"));
  // '+' sent as it is, and form-encoded as a space.
  EXPECT_THAT(values("FLOW/1.0/*?c[TIME_PERIOD]=ge:2025-01+le:2025-12&c[DIRECTION]=OUTFLOW"),
              UnorderedElementsAre("SAU 2025 4", "ARE 2025 6"));
  // In c[], ',' is OR and '+' AND (SDMX REST 3.0): no flow is of both sexes.
  EXPECT_THAT(values("FLOW/1.0/*?c%5BSEX%5D=F,M&c%5BOCCUPATION%5D=7212"),
              UnorderedElementsAre("SAU 2024 3", "SAU 2025 4"));
  EXPECT_EQ(Get("FLOW/1.0/*?c%5BSEX%5D=F%20M&c%5BOCCUPATION%5D=7212").status, 404);
  EXPECT_EQ(Get("FLOW/1.0/*?c[SEX]=F+M").status, 404);
  EXPECT_THAT(values("FLOW/1.0/*?c[COUNTERPART_AREA]=SAU,UGA&c[TIME_PERIOD]=2025"),
              UnorderedElementsAre("SAU 2025 4", "UGA 2025 5"));
  // The comparison operators, on dimensions, TIME_PERIOD, the measure and
  // attributes; a group of AND terms among OR groups.
  EXPECT_THAT(values("FLOW/1.0/*?c[OBS_VALUE]=gt:4"), UnorderedElementsAre("ARE 2025 6", "UGA 2025 5"));
  EXPECT_THAT(values("FLOW/1.0/*?c[OBS_VALUE]=ge:3+le:4"),
              UnorderedElementsAre("SAU 2024 3", "SAU 2025 4"));
  EXPECT_THAT(values("FLOW/1.0/*?c[OBS_VALUE]=lt:4,gt:5"),
              UnorderedElementsAre("SAU 2024 3", "ARE 2025 6"));
  EXPECT_THAT(values("FLOW/1.0/*?c[COUNTERPART_AREA]=ne:SAU"),
              UnorderedElementsAre("ARE 2025 6", "UGA 2025 5"));
  EXPECT_THAT(values("FLOW/1.0/*?c[COUNTERPART_AREA]=sw:A,ew:GA"),
              UnorderedElementsAre("ARE 2025 6", "UGA 2025 5"));
  EXPECT_THAT(values("FLOW/1.0/*?c[COUNTERPART_AREA]=co:A&c[TIME_PERIOD]=lt:2025"),
              ElementsAre("SAU 2024 3"));
  EXPECT_THAT(values("FLOW/1.0/*?c[TIME_PERIOD]=gt:2024&c[CONF_STATUS]=F&c[OBS_VALUE]=ne:6"),
              UnorderedElementsAre("SAU 2025 4", "UGA 2025 5"));
  EXPECT_EQ(Get("FLOW/1.0/*?c[CONF_STATUS]=C").status, 404);
  EXPECT_THAT(values("FLOW/1.0/KEN.OUTFLOW.SAU....?lastNObservations=1&"
                     "dimensionAtObservation=AllDimensions"),
              ElementsAre("SAU 2025 4"));
  EXPECT_EQ(Get("FLOW/1.0/*?updatedAfter=2199-01-01T00:00:00Z").status, 404);
  EXPECT_EQ(values("FLOW/1.0/*?updatedAfter=2000-01-01T00:00:00Z").size(), 4u);
}

// Every SDMX-ML message the node serves, structures and data of each
// dataflow, validates against the official SDMX-ML 2.1 schemas
// (../shared/data/sdmx/sdmx-ml-2.1) with xmllint.
TEST_F(SdmxTest, EverySdmxMlMessageValidatesAgainstTheOfficialSchemas) {
  const std::string schema = std::string(LMX_SHARED_DATA_DIR) + "/sdmx/sdmx-ml-2.1/SDMXMessage.xsd";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/xmllint")) << "install libxml2-utils (deploy/setup.sh)";
  ASSERT_TRUE(std::filesystem::exists(schema)) << schema;
  int checked = 0;
  auto validate = [&](const std::string& name, const Got& got) {
    ASSERT_EQ(got.status, 200) << name << ": " << got.body.substr(0, 300);
    EXPECT_THAT(got.content_type, HasSubstr("xml")) << name;
    const std::string file = absl::StrCat(dir_, "/message-", ++checked, ".xml");
    WriteFile(file, got.body);
    CliResult lint = RunProgram("/usr/bin/xmllint", {"--noout", "--schema", schema, file});
    EXPECT_EQ(lint.exit_code, 0) << name << ":\n" << lint.err.substr(0, 2000);
  };
  for (const char* query : {"codelist/LMX/*/1.0", "conceptscheme/LMX/CS_LMX/1.0",
                            "datastructure/LMX/*/1.0", "datastructure/LMX/DSD_SHORTAGE/1.0",
                            "dataflow/LMX/*/1.0", "dataflow/LMX/VACANCY_AGG/1.0"}) {
    validate(query, Fetch(std::string("/sdmx/3.0/structure/") + query));
  }
  for (const char* flow : {"FLOW", "SHORTAGE", "VACANCY_AGG"}) {
    validate(flow, Get(absl::StrCat(flow, "/1.0/*"), "analyst",
                       "application/vnd.sdmx.genericdata+xml;version=2.1"));
  }
  EXPECT_EQ(checked, 9);
  // The data header names the DSD that exists, for registry-driven clients.
  Got data = Get("FLOW/1.0/*", "analyst", "application/vnd.sdmx.genericdata+xml;version=2.1");
  EXPECT_THAT(data.body, HasSubstr("DataStructure=LMX:DSD_FLOW(1.0)</URN>"));
  EXPECT_EQ(Fetch("/sdmx/3.0/structure/datastructure/LMX/DSD_FLOW/1.0").status, 200);
  // A national shortage row's REGION=_T is a code of CL_REGION.
  EXPECT_THAT(Fetch("/sdmx/3.0/structure/codelist/LMX/CL_REGION/1.0").body,
              HasSubstr("<structure:Code id=\"_T\">"));
}

// What clients send by default: version + (latest stable) or ~ (latest),
// context *, and the trailing version and key left out.
TEST_F(SdmxTest, TheSpecificationsDefaultsAreServed) {
  const std::string accept = "application/vnd.sdmx.data+csv;version=2.0.0";
  std::string all;
  for (const char* path : {"dataflow/LMX/SHORTAGE/1.0/*", "dataflow/LMX/SHORTAGE/+/*",
                           "dataflow/LMX/SHORTAGE/~", "*/LMX/SHORTAGE/+/*", "dataflow/LMX/SHORTAGE",
                           "dataflow/LMX/SHORTAGE/"}) {
    httplib::Headers headers = {{"Authorization", "Bearer " + tokens_["reader"]}, {"Accept", accept}};
    Got got = Fetch(std::string("/sdmx/3.0/data/") + path, headers);
    EXPECT_EQ(got.status, 200) << path << ": " << got.body;
    if (all.empty()) all = got.body;
    EXPECT_EQ(CsvAnswer(got.body).size(), CsvAnswer(all).size()) << path;
  }
  EXPECT_EQ(CsvAnswer(all).size(), 2u);
  for (const char* query : {"codelist/LMX/CL_SEX/+", "codelist/LMX/CL_SEX/~", "codelist/LMX/CL_SEX",
                            "dataflow/*/*/+"}) {
    EXPECT_EQ(Fetch(std::string("/sdmx/3.0/structure/") + query).status, 200) << query;
  }
  EXPECT_EQ(Fetch("/sdmx/3.0/data/dataflow/LMX").status, 501);
  EXPECT_EQ(Fetch("/sdmx/3.0/data/dataflow/LMX/SHORTAGE/2.0/*").status, 404);
}

TEST_F(SdmxTest, ShortagesAndVacancyAggregatesAreServed) {
  Got shortages = Get("SHORTAGE/1.0/KEN.2221..", "reader");
  ASSERT_EQ(shortages.status, 200) << shortages.body;
  auto rows = CsvAnswer(shortages.body);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["TIME_PERIOD"], "2025-Q1");
  EXPECT_EQ(rows[0]["SHORTAGE_STATUS"], "SHORTAGE");
  // The DSD's components, in its order: OBS_VALUE (whose concept is the
  // shortage index), then the attributes.
  EXPECT_EQ(shortages.body.substr(0, shortages.body.find('\n')),
            "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,OCCUPATION,REGION,ACTIVITY,TIME_PERIOD,"
            "OBS_VALUE,SHORTAGE_STATUS,HARD_TO_FILL");
  EXPECT_EQ(rows[0]["OBS_VALUE"], "0.5");
  EXPECT_EQ(rows[0]["HARD_TO_FILL"], "40");

  Got vacancies = Get("VACANCY_AGG/1.0/*", "reader");
  ASSERT_EQ(vacancies.status, 200) << vacancies.body;
  rows = CsvAnswer(vacancies.body);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["OCCUPATION"], "2221");
  EXPECT_EQ(rows[0]["TIME_PERIOD"], "2025-03");
  EXPECT_EQ(rows[0]["OBS_VALUE"], "2");
  EXPECT_EQ(rows[0]["POSITIONS"], "5");
  EXPECT_EQ(rows[1]["OCCUPATION"], "7212");
  EXPECT_EQ(rows[1]["TIME_PERIOD"], "2025-04");
  EXPECT_EQ(rows[1]["OBS_VALUE"], "1");
}

TEST_F(SdmxTest, ErrorsFollowTheSdmxRestStatusCodes) {
  Got got = Get("FLOW/1.0/KEN.OUTFLOW.SAU.7212.M._T._T.X");
  EXPECT_EQ(got.status, 400);
  EXPECT_THAT(got.body, HasSubstr("key 'KEN.OUTFLOW.SAU.7212.M._T._T.X' has 8 parts; FLOW has 7"));
  // Dimensions left out at the end are wildcards.
  EXPECT_EQ(Get("FLOW/1.0/KEN.OUTFLOW").status, 200);
  EXPECT_EQ(Get("FLOW/1.0/*?c[WIDGET]=1").status, 400);
  EXPECT_EQ(Get("FLOW/1.0/*?colour=red").status, 400);
  EXPECT_EQ(Get("FLOW/1.0/*?c[TIME_PERIOD]=2026").status, 404);  // a period no data has
  EXPECT_EQ(Get("FLOW/1.0/*?c[TIME_PERIOD]=2025-13").status, 400);  // no period at all
  EXPECT_EQ(Get("FLOW/1.0/*?c[TIME_PERIOD]=ge:2025-13").status, 400);
  EXPECT_EQ(Get("MIGRANTS/1.0/*").status, 404);
  EXPECT_EQ(Get("FLOW/1.0/KEN.RETURN.....").status, 404);
  EXPECT_EQ(Get("FLOW/1.0/*?c[SEX]=xx:F").status, 400);
  EXPECT_EQ(Get("FLOW/1.0/*?c[SEX]=F&c[SEX]=M").status, 400);
  EXPECT_EQ(Get("FLOW/1.0/*", "analyst", "application/pdf").status, 406);
  EXPECT_EQ(Get("FLOW/1.0/*", "analyst", "text/csv").status, 200);
  // A component filter that leaves its dimension no code: no results.
  EXPECT_EQ(Get("FLOW/1.0/KEN......?c[REF_AREA]=UGA").status, 404);
  EXPECT_EQ(Get("FLOW/1.0/*?lastNObservations=5000").status, 400);
  EXPECT_EQ(Get("VACANCY_AGG/1.0/*?updatedAfter=2000-01-01T00:00:00Z").status, 501);
  // A caller that asked for SDMX-JSON gets the error as an SDMX-JSON
  // message: an `errors` array with the SDMX web-service code.
  got = Get("FLOW/1.0/*?format=jsondata&updatedAfter=2199-01-01T00:00:00Z");
  EXPECT_EQ(got.status, 404);
  EXPECT_THAT(got.body, HasSubstr("\"errors\":[{\"code\":100,\"title\":\"No results found\""));
  got = Get("FLOW/1.0/A.B.C.D.E.F.G.H?format=jsondata");
  EXPECT_EQ(got.status, 400);
  EXPECT_THAT(got.body, HasSubstr("\"code\":140,\"title\":\"Syntax error\",\"detail\":\"key "
                                  "'A.B.C.D.E.F.G.H'"));
}

TEST_F(SdmxTest, CallersNeedTheRolesTheSameReadNeedsOverGrpc) {
  Got anonymous = Get("SHORTAGE/1.0/*", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.body, HasSubstr("needs credentials"));
  EXPECT_EQ(Get("FLOW/1.0/*", "reader").status, 403);
  EXPECT_EQ(Get("SHORTAGE/1.0/*", "reader").status, 200);
  EXPECT_EQ(Get("FLOW/1.0/*", "analyst").status, 200);
}

}  // namespace
}  // namespace lmx::testing
