// SDMX as the rest of the SDMX world expects it, on a real node: every
// message validates against the official schemas (SDMX-ML 2.1 with
// xmllint, SDMX-JSON 2.0 with Ajv), content negotiation answers what was
// asked or 406, the standard parameters (detail, firstNObservations,
// attributes, measures, asOf, includeHistory) shape the answer, SDMX 2.1
// paths reach the same engine, and R's rsdmx reads every SDMX-ML message.
#include <algorithm>
#include <map>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/integration/sdmx_fixture.h"
#include "tests/support/region_test_base.h"
#include "tests/support/wait.h"

namespace lmx::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

const std::string kXsdDir = std::string(LMX_SHARED_DATA_DIR) + "/sdmx/sdmx-ml-2.1";
const std::string kJsonSchemas =
    std::string(LMX_SHARED_DATA_DIR) + "/sdmx/sdmx-json/sdmx-json-data-schema-2.0.0-tag.json," +
    LMX_SHARED_DATA_DIR + "/sdmx/sdmx-json/sdmx-json-data-schema-2.0-5fbfb8f.json";

constexpr char kGeneric[] = "application/vnd.sdmx.genericdata+xml;version=2.1";
constexpr char kGenericTs[] = "application/vnd.sdmx.generictimeseriesdata+xml;version=2.1";
constexpr char kSpecific[] = "application/vnd.sdmx.structurespecificdata+xml;version=2.1";
constexpr char kSpecificTs[] =
    "application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1";
constexpr char kJson[] = "application/vnd.sdmx.data+json;version=2.0.0";

class SdmxConformanceTest : public SdmxTest {
 protected:
  // Checks an SDMX-ML message with xmllint against SDMXMessage.xsd, or for
  // structure-specific data against a schema importing it and the DSD's
  // own schema as the node serves it.
  void ValidateXml(const std::string& name, const Got& got) {
    EXPECT_THAT(got.content_type, HasSubstr("xml")) << name;
    const std::string file = absl::StrCat(dir_, "/message-", ++checked_, ".xml");
    WriteFile(file, got.body);
    std::string schema = kXsdDir + "/SDMXMessage.xsd";
    size_t ns = got.body.find("xmlns:ns1=\"");
    if (ns != std::string::npos) {
      std::string namespace_uri = got.body.substr(ns + 11, got.body.find('"', ns + 11) - ns - 11);
      schema = SpecificSchema(namespace_uri);
    }
    CliResult lint = RunProgram("/usr/bin/xmllint", {"--noout", "--schema", schema, file});
    EXPECT_EQ(lint.exit_code, 0) << name << ":\n"
                                 << lint.err.substr(0, 2000) << "\n"
                                 << got.body.substr(0, 1500);
  }

  // The DSD's schema for `namespace_uri` (from /sdmx/3.0/schema/), beside
  // the official schemas, and a schema that imports both.
  std::string SpecificSchema(const std::string& namespace_uri) {
    const std::string xsd = dir_ + "/xsd";
    if (!std::filesystem::exists(xsd)) {
      std::filesystem::create_directories(xsd);
      for (const auto& entry : std::filesystem::directory_iterator(kXsdDir)) {
        std::filesystem::create_symlink(entry.path(), xsd + "/" + entry.path().filename().string());
      }
    }
    // urn:...DataStructure=LMX:DSD_FLOW(1.0):ObsLevelDim:TIME_PERIOD
    size_t start = namespace_uri.find("LMX:") + 4;
    std::string dsd = namespace_uri.substr(start, namespace_uri.find('(') - start);
    std::string level = namespace_uri.substr(namespace_uri.rfind(':') + 1);
    Got schema = Fetch(absl::StrCat("/sdmx/3.0/schema/datastructure/LMX/", dsd,
                                    "/1.0?dimensionAtObservation=", level));
    EXPECT_EQ(schema.status, 200) << schema.body;
    const std::string own = absl::StrCat(xsd, "/", dsd, "-", level, ".xsd");
    WriteFile(own, schema.body);
    const std::string wrapper = absl::StrCat(xsd, "/check-", dsd, "-", level, ".xsd");
    WriteFile(wrapper,
              absl::StrCat("<?xml version=\"1.0\"?>\n<xs:schema "
                           "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
                           "targetNamespace=\"urn:lmx:check\">\n<xs:import namespace=\""
                           "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" "
                           "schemaLocation=\"SDMXMessage.xsd\"/>\n<xs:import namespace=\"",
                           namespace_uri, "\" schemaLocation=\"", own, "\"/>\n</xs:schema>\n"));
    return wrapper;
  }

  // Saves an SDMX-JSON message for ValidateJson.
  void SaveJson(const std::string& name, const Got& got) {
    EXPECT_THAT(got.content_type, HasSubstr("application/vnd.sdmx.data+json")) << name;
    const std::string file = absl::StrCat(dir_, "/message-", ++checked_, ".json");
    WriteFile(file, got.body);
    json_files_.push_back(file);
  }

  // Validates every saved SDMX-JSON message against the 2.0 schemas.
  void ValidateJson() {
    std::vector<std::string> args = {
        std::string(LMX_SOURCE_DIR) + "/tests/integration/sdmx_json_validate.mjs", kJsonSchemas};
    args.insert(args.end(), json_files_.begin(), json_files_.end());
    CliResult checked = RunProgram("/usr/bin/node", args);
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
    EXPECT_THAT(checked.out, HasSubstr(absl::StrCat("ok ", json_files_.size())));
  }

  // Publishes `csv` as flows again: a new revision of every row in it.
  void Republish(const std::string& csv) {
    const std::string path = absl::StrCat(dir_, "/revision-", ++revisions_, ".csv");
    WriteFile(path, csv);
    CliResult published = Lmx("publisher", {"publish", "flows", path});
    ASSERT_EQ(published.exit_code, 0) << published.err;
  }

  int checked_ = 0;
  int revisions_ = 0;
  std::vector<std::string> json_files_;
};

// Every structure and data message the node can produce, and its error
// messages, validate against the official schemas.
TEST_F(SdmxConformanceTest, EveryMessageValidatesAgainstTheOfficialSchemas) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/xmllint")) << "install libxml2-utils";
  ASSERT_TRUE(std::filesystem::exists(kXsdDir + "/SDMXMessage.xsd")) << kXsdDir;
  Republish("period,direction,counterpart,count,occupation,sex\n2025,OUTFLOW,SAU,9,7212,M\n");
  for (const char* query : {"codelist/LMX/*/1.0", "conceptscheme/LMX/CS_LMX/1.0",
                            "datastructure/LMX/*/1.0", "dataflow/LMX/*/1.0",
                            "dataflow/LMX/FLOW/1.0?references=all",
                            "datastructure/LMX/DSD_FLOW/1.0?references=children",
                            "codelist/LMX/CL_SEX,CL_AGE/+?detail=allstubs"}) {
    Got got = Fetch(std::string("/sdmx/3.0/structure/") + query);
    ASSERT_EQ(got.status, 200) << query << ": " << got.body;
    ValidateXml(query, got);
  }
  const std::vector<std::string> variants = {
      "",
      "dimensionAtObservation=AllDimensions",
      "detail=serieskeysonly",
      "detail=nodata",
      "detail=dataonly&firstNObservations=1",
      "attributes=none&measures=none&dimensionAtObservation=AllDimensions",
      "lastNObservations=1&asOf=2199-01-01T00:00:00Z"};
  for (const char* flow : {"FLOW", "SHORTAGE", "VACANCY_AGG"}) {
    std::vector<std::string> all = variants;
    if (std::string(flow) != "VACANCY_AGG") all.push_back("includeHistory=true");
    for (const std::string& parameters : all) {
      const std::string query = absl::StrCat(flow, "/1.0/*?", parameters);
      for (const char* accept : {kGeneric, kSpecific}) {
        Got got = Get(query, "analyst", accept);
        ASSERT_EQ(got.status, 200) << query << " " << accept << ": " << got.body;
        ValidateXml(absl::StrCat(query, " as ", accept), got);
      }
      if (!absl::StrContains(parameters, "AllDimensions")) {
        for (const char* accept : {kGenericTs, kSpecificTs}) {
          Got got = Get(query, "analyst", accept);
          ASSERT_EQ(got.status, 200) << query << " " << accept << ": " << got.body;
          ValidateXml(absl::StrCat(query, " as ", accept), got);
        }
      }
      Got json = Get(query, "analyst", kJson);
      ASSERT_EQ(json.status, 200) << query << ": " << json.body;
      SaveJson(query, json);
    }
  }
  // Errors, in the format asked for.
  for (const char* query :
       {"FLOW/1.0/*?updatedAfter=2199-01-01T00:00:00Z", "FLOW/1.0/A.B.C.D.E.F.G.H",
        "FLOW/1.0/*?sort=x"}) {
    Got xml = Get(query, "analyst", kGeneric);
    EXPECT_GE(xml.status, 400) << query;
    ValidateXml(query, xml);
    Got json = Get(query, "analyst", kJson);
    EXPECT_GE(json.status, 400) << query;
    SaveJson(query, json);
  }
  Got denied = Get("FLOW/1.0/*", "", kGeneric);
  EXPECT_EQ(denied.status, 401);
  ValidateXml("unauthenticated", denied);
  // Structure, schema and availability errors are SDMX-ML Error messages.
  for (const char* path : {"/sdmx/3.0/structure/codelist/LMX/CL_NOPE/1.0",
                           "/sdmx/3.0/structure/codelist/LMX/*/1.0?references=everything",
                           "/sdmx/3.0/structure/codelist/LMX/*/1.0?colour=red",
                           "/sdmx/3.0/schema/datastructure/LMX/DSD_NOPE/1.0",
                           "/sdmx/3.0/availability/dataflow/LMX/FLOW/1.0/KEN.RETURN....."}) {
    Got error = Fetch(path, {{"Authorization", "Bearer " + tokens_["analyst"]}});
    EXPECT_GE(error.status, 400) << path;
    EXPECT_THAT(error.content_type, HasSubstr("application/vnd.sdmx.error+xml")) << path;
    ValidateXml(path, error);
  }
  ValidateJson();
}

// A client gets the format it asked for, or 406; never another format.
TEST_F(SdmxConformanceTest, ContentNegotiationAnswersWhatWasAskedOr406) {
  struct Case {
    std::string accept;
    int status;
    std::string content_type;  // a prefix of the answer's
  };
  for (const Case& c : std::vector<Case>{
           {"*/*", 200, "application/vnd.sdmx.data+csv; version=2.0.0"},
           {"application/vnd.sdmx.data+csv;version=1.0.0", 200,
            "application/vnd.sdmx.data+csv; version=1.0.0"},
           {"application/vnd.sdmx.data+json;version=1.0.0", 406, ""},
           {"application/vnd.sdmx.data+json;version=2.0.0", 200,
            "application/vnd.sdmx.data+json; version=2.0.0"},
           {"application/vnd.sdmx.data+json", 200, "application/vnd.sdmx.data+json; version=2.0.0"},
           {"application/vnd.sdmx.data+xml;version=3.0.0", 406, ""},
           {"application/vnd.sdmx.structure+json;version=2.0.0", 406, ""},
           {"application/vnd.sdmx.genericdata+xml;version=2.0", 406, ""},
           {kSpecific, 200, "application/vnd.sdmx.structurespecificdata+xml; version=2.1"},
           {kGenericTs, 200, "application/vnd.sdmx.generictimeseriesdata+xml; version=2.1"},
           // Quality values: the most preferred that lmx serves.
           {"application/vnd.sdmx.data+xml;version=3.0.0, application/vnd.sdmx.data+json;q=0.9, "
            "text/csv;q=0.5",
            200, "application/vnd.sdmx.data+json"},
           {"text/csv;q=0.4, application/vnd.sdmx.genericdata+xml;version=2.1;q=0.8", 200,
            "application/vnd.sdmx.genericdata+xml"},
           {"application/pdf, text/csv;q=0", 406, ""}}) {
    Got got = Get("FLOW/1.0/*", "analyst", c.accept);
    EXPECT_EQ(got.status, c.status) << c.accept << ": " << got.body.substr(0, 300);
    if (c.status == 200) {
      EXPECT_TRUE(absl::StartsWith(got.content_type, c.content_type))
          << c.accept << " -> " << got.content_type;
    }
  }
  // labels=both in the Accept header, as the SDMX-CSV guide writes it.
  Got labelled = Get("FLOW/1.0/*", "analyst",
                     "application/vnd.sdmx.data+csv;version=2.0.0;labels=both");
  ASSERT_EQ(labelled.status, 200);
  EXPECT_THAT(labelled.body, HasSubstr("REF_AREA: Reference area (the reporting country)"));
  EXPECT_THAT(labelled.body, HasSubstr("KEN: Kenya"));
  // SDMX-CSV 1.0.0: DATAFLOW first, no STRUCTURE or ACTION.
  Got v1 = Get("FLOW/1.0/*", "analyst", "application/vnd.sdmx.data+csv;version=1.0.0");
  EXPECT_EQ(v1.body.substr(0, v1.body.find('\n')),
            "DATAFLOW,REF_AREA,DIRECTION,COUNTERPART_AREA,OCCUPATION,SEX,AGE,CHANNEL,TIME_PERIOD,"
            "OBS_VALUE,CONF_STATUS");
  EXPECT_THAT(CsvAnswer(v1.body), Not(IsEmpty()));
  // Structures: SDMX-ML 2.1, or 406.
  httplib::Headers json_structure = {{"Accept", "application/vnd.sdmx.structure+json;version=1.0"}};
  EXPECT_EQ(Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX/+", json_structure).status, 406);
  httplib::Headers ml30 = {{"Accept", "application/vnd.sdmx.structure+xml;version=3.0.0"}};
  EXPECT_EQ(Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX/+", ml30).status, 406);
  httplib::Headers ml21 = {{"Accept", "application/vnd.sdmx.structure+xml;version=2.1"}};
  EXPECT_EQ(Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX/+", ml21).status, 200);
  // SDMX-JSON 2.0.0 structures: the same artefacts, references and names.
  httplib::Headers json20 = {{"Accept", "application/vnd.sdmx.structure+json;version=2.0.0"}};
  Got json = Fetch("/sdmx/3.0/structure/dataflow/LMX/FLOW/+?references=descendants", json20);
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_THAT(json.content_type, HasSubstr("application/vnd.sdmx.structure+json; version=2.0.0"));
  const std::string file = dir_ + "/structure.json";
  WriteFile(file, json.body);
  CliResult read = RunProgram(
      "/usr/bin/python3",
      {"-c",
       "import json, sys\n"
       "d = json.load(open(sys.argv[1]))['data']\n"
       "print(sorted(d), [f['id'] for f in d['dataflows']], len(d['codelists']),\n"
       "      next(c['name'] for l in d['codelists'] if l['id'] == 'CL_AREA' for c in l['codes']\n"
       "           if c['id'] == 'KEN'),\n"
       "      [m['id'] for m in d['dataStructures'][0]['dataStructureComponents']['measureList']"
       "['measures']])",
       file});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out,
            "['codelists', 'conceptSchemes', 'dataStructures', 'dataflows'] ['FLOW'] 6 Kenya "
            "['OBS_VALUE']\n");
  Got stubs = Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX,CL_AGE/1.0?detail=allstubs", json20);
  ASSERT_EQ(stubs.status, 200);
  EXPECT_THAT(stubs.body, HasSubstr("\"isExternalReference\":true"));
  EXPECT_THAT(stubs.body, Not(HasSubstr("\"codes\"")));
}

TEST_F(SdmxConformanceTest, DetailFirstNAttributesAndMeasuresShapeTheAnswer) {
  Republish(
      "period,direction,counterpart,count,occupation,sex\n"
      "2023,OUTFLOW,SAU,2,7212,M\n");
  auto head = [](const Got& got) { return got.body.substr(0, got.body.find('\n')); };
  auto values = [&](const std::string& query) {
    Got got = Get(query);
    EXPECT_EQ(got.status, 200) << query << ": " << got.body;
    std::vector<std::string> out;
    for (auto& row : CsvAnswer(got.body)) {
      out.push_back(absl::StrCat(row["COUNTERPART_AREA"], " ", row["TIME_PERIOD"], " ",
                                 row["OBS_VALUE"]));
    }
    return out;
  };
  // SAU's series has 2023, 2024 and 2025.
  EXPECT_THAT(values("FLOW/1.0/..SAU....?firstNObservations=1"), ElementsAre("SAU 2023 2"));
  EXPECT_THAT(values("FLOW/1.0/..SAU....?firstNObservations=2"),
              ElementsAre("SAU 2023 2", "SAU 2024 3"));
  EXPECT_THAT(values("FLOW/1.0/..SAU....?firstNObservations=1&lastNObservations=1"),
              ElementsAre("SAU 2023 2", "SAU 2025 4"));
  EXPECT_THAT(values("FLOW/1.0/*?lastNObservations=1"),
              UnorderedElementsAre("SAU 2025 4", "ARE 2025 6", "UGA 2025 5"));
  // detail=serieskeysonly: one line per series, its key alone.
  Got keys = Get("FLOW/1.0/*?detail=serieskeysonly");
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(head(keys), "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,DIRECTION,COUNTERPART_AREA,"
                        "OCCUPATION,SEX,AGE,CHANNEL");
  EXPECT_EQ(CsvAnswer(keys.body).size(), 3u);
  Got dataonly = Get("FLOW/1.0/*?detail=dataonly");
  EXPECT_EQ(head(dataonly), "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,DIRECTION,COUNTERPART_AREA,"
                            "OCCUPATION,SEX,AGE,CHANNEL,TIME_PERIOD,OBS_VALUE");
  Got no_measure = Get("SHORTAGE/1.0/*?measures=none&attributes=HARD_TO_FILL", "reader");
  ASSERT_EQ(no_measure.status, 200) << no_measure.body;
  EXPECT_EQ(head(no_measure),
            "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,OCCUPATION,REGION,ACTIVITY,TIME_PERIOD,"
            "HARD_TO_FILL");
  EXPECT_EQ(Get("SHORTAGE/1.0/*?attributes=COLOUR", "reader").status, 400);
  EXPECT_EQ(Get("FLOW/1.0/*?detail=everything").status, 400);
  // In SDMX-ML and SDMX-JSON, series without observations.
  Got xml = Get("FLOW/1.0/*?detail=serieskeysonly", "analyst", kGeneric);
  EXPECT_THAT(xml.body, HasSubstr("<generic:SeriesKey>"));
  EXPECT_THAT(xml.body, Not(HasSubstr("<generic:Obs>")));
  // updatedAfter without an offset is the node's local time.
  EXPECT_EQ(Get("FLOW/1.0/*?updatedAfter=2000-01-01T00:00:00").status, 200);
  EXPECT_EQ(Get("FLOW/1.0/*?updatedAfter=2199-01-01T00:00:00").status, 404);
  EXPECT_EQ(Get("FLOW/1.0/*?updatedAfter=2000-01-01").status, 200);
  EXPECT_EQ(Get("FLOW/1.0/*?updatedAfter=soon").status, 400);
}

// includeHistory and asOf give exactly what `lmx query --as_of` gives, on
// data revised several times.
TEST_F(SdmxConformanceTest, AsOfAndIncludeHistoryGiveWhatLmxQueryAsOfGives) {
  const std::string header = "period,direction,counterpart,count,occupation,sex\n";
  Republish(header + "2025,OUTFLOW,SAU,10,7212,M\n");
  Republish(header + "2025,OUTFLOW,SAU,12,7212,M\n2025,OUTFLOW,ARE,7,5322,F\n");
  Republish(header + "2026,OUTFLOW,SAU,1,7212,M\n");
  auto lmx_at = [&](const std::string& as_of) {
    std::vector<std::string> out;
    std::vector<std::string> args = {"query", "flows", "--format=csv"};
    if (!as_of.empty()) args.push_back("--as_of=" + as_of);
    for (auto& row : CsvAnswer(Lmx("analyst", args).out)) {
      out.push_back(absl::StrCat(row["counterpart"], " ", row["period"], " ", row["count"]));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  Got history = Get("FLOW/1.0/*?includeHistory=true");
  ASSERT_EQ(history.status, 200) << history.body;
  auto revisions = CsvAnswer(history.body);
  std::set<std::string> times;
  for (auto& row : revisions) {
    EXPECT_EQ(row["ACTION"], "R");
    times.insert(row["VALID_FROM"]);
  }
  // The first publication and three revisions.
  ASSERT_EQ(times.size(), 4u) << history.body;
  // SAU 2025 was 4, then 10, then 12: three revisions, each valid until
  // the next.
  std::vector<std::string> sau;
  for (auto& row : revisions) {
    if (row["COUNTERPART_AREA"] == "SAU" && row["TIME_PERIOD"] == "2025") {
      sau.push_back(absl::StrCat(row["OBS_VALUE"], row["VALID_TO"].empty() ? " open" : " closed"));
    }
  }
  EXPECT_THAT(sau, ElementsAre("4 closed", "10 closed", "12 open"));
  for (const std::string& time : times) {
    // What was valid at each dissemination is what lmx reads as of then,
    // and what asOf gives.
    std::vector<std::string> valid;
    for (auto& row : revisions) {
      if (row["VALID_FROM"] <= time && (row["VALID_TO"].empty() || time < row["VALID_TO"])) {
        valid.push_back(
            absl::StrCat(row["COUNTERPART_AREA"], " ", row["TIME_PERIOD"], " ", row["OBS_VALUE"]));
      }
    }
    std::sort(valid.begin(), valid.end());
    EXPECT_EQ(valid, lmx_at(time)) << time;
    Got as_of = Get("FLOW/1.0/*?asOf=" + time);
    ASSERT_EQ(as_of.status, 200) << as_of.body;
    std::vector<std::string> sdmx;
    for (auto& row : CsvAnswer(as_of.body)) {
      sdmx.push_back(
          absl::StrCat(row["COUNTERPART_AREA"], " ", row["TIME_PERIOD"], " ", row["OBS_VALUE"]));
    }
    std::sort(sdmx.begin(), sdmx.end());
    EXPECT_EQ(sdmx, lmx_at(time)) << time;
  }
  // SDMX-JSON and SDMX-ML: one data set per dissemination, with its
  // validity.
  Got json = Get("FLOW/1.0/*?includeHistory=true", "analyst", kJson);
  EXPECT_THAT(json.body, HasSubstr("\"action\":\"Replace\",\"validFrom\":\""));
  Got xml = Get("FLOW/1.0/*?includeHistory=true", "analyst", kGeneric);
  size_t data_sets = 0;
  for (size_t at = xml.body.find("<message:DataSet "); at != std::string::npos;
       at = xml.body.find("<message:DataSet ", at + 1)) {
    ++data_sets;
  }
  EXPECT_EQ(data_sets, 4u);
  EXPECT_THAT(xml.body, HasSubstr("action=\"Replace\" validFromDate=\""));
  // updatedAfter with includeHistory: the revisions after it only.
  auto later = std::next(times.begin(), 2);
  Got recent = Get("FLOW/1.0/*?includeHistory=true&updatedAfter=" + *later);
  ASSERT_EQ(recent.status, 200) << recent.body;
  for (auto& row : CsvAnswer(recent.body)) EXPECT_GT(row["VALID_FROM"], *later);
  EXPECT_EQ(Get("FLOW/1.0/*?asOf=2000-01-01T00:00:00Z").status, 404);
  // A date alone is the end of that day, as for `lmx --as_of`.
  const std::string today = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone());
  std::vector<std::string> on_date;
  for (auto& row : CsvAnswer(Get("FLOW/1.0/*?asOf=" + today).body)) {
    on_date.push_back(
        absl::StrCat(row["COUNTERPART_AREA"], " ", row["TIME_PERIOD"], " ", row["OBS_VALUE"]));
  }
  std::sort(on_date.begin(), on_date.end());
  EXPECT_EQ(on_date, lmx_at(today));
  EXPECT_EQ(on_date, lmx_at(""));
  EXPECT_EQ(Get("FLOW/1.0/*?asOf=2025-01-01T00:00:00Z&updatedAfter=2025-06-01T00:00:00Z").status,
            400);
}

// R's rsdmx reads the time-series and structure-specific messages too, and
// gets lmx aggregate's numbers. (It reads time series as GenericData and
// StructureSpecificData with TIME_PERIOD at the observation; it has no
// reader for the GenericTimeSeriesData message, nor for flat
// structure-specific data.)
TEST_F(SdmxConformanceTest, RsdmxReadsTimeSeriesAndStructureSpecificData) {
  auto cli =
      CsvAnswer(Lmx("analyst", {"aggregate", "flows", "--by=counterpart", "--format=csv"}).out);
  const auto expected = SumBy(cli, "counterpart", "count");
  for (const std::string& query :
       {std::string("FLOW/1.0/*"), std::string("FLOW/1.0/*?dimensionAtObservation=AllDimensions")}) {
    for (const char* accept : {kGeneric, kSpecific, kSpecificTs}) {
      // rsdmx reads structure-specific data in series only.
      if (absl::StrContains(query, "AllDimensions") && accept != std::string(kGeneric)) continue;
      Got got = Get(query, "analyst", accept);
      ASSERT_EQ(got.status, 200) << got.body;
      const std::string file = absl::StrCat(dir_, "/rsdmx-", ++checked_, ".xml");
      WriteFile(file, got.body);
      CliResult r = RunProgram(
          "/usr/bin/Rscript",
          {"-e", "suppressMessages(library(rsdmx)); d <- as.data.frame(readSDMX(file='" + file +
                     "', isURL=FALSE)); v <- if ('obsValue' %in% names(d)) 'obsValue' else "
                     "'OBS_VALUE'; d[[v]] <- as.numeric(d[[v]]); "
                     "s <- aggregate(d[[v]], list(c=d$COUNTERPART_AREA), sum); "
                     "for (i in seq_len(nrow(s))) cat(s$c[i], s$x[i], '\\n')"});
      ASSERT_EQ(r.exit_code, 0) << query << " " << accept << ": " << r.err;
      std::map<std::string, int64_t> from_r;
      for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipWhitespace())) {
        std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
        ASSERT_EQ(parts.size(), 2u) << line;
        ASSERT_TRUE(absl::SimpleAtoi(parts[1], &from_r[parts[0]])) << line;
      }
      EXPECT_EQ(from_r, expected) << query << " " << accept;
    }
  }
}

// Most deployed clients speak SDMX REST 2.1: its paths reach the same
// engine.
TEST_F(SdmxConformanceTest, Sdmx21PathsMapOntoTheSameEngine) {
  // SDMX REST 2.1's default is SDMX-ML generic data.
  Got generic = Fetch("/sdmx/2.1/data/FLOW/all",
                      {{"Authorization", "Bearer " + tokens_["analyst"]}, {"Accept", "*/*"}});
  ASSERT_EQ(generic.status, 200);
  EXPECT_THAT(generic.content_type, HasSubstr("application/vnd.sdmx.genericdata+xml"));
  httplib::Headers headers = {{"Authorization", "Bearer " + tokens_["analyst"]},
                              {"Accept", "application/vnd.sdmx.data+csv;version=2.0.0"}};
  Got v30 = Get("FLOW/1.0/KEN.OUTFLOW.SAU....");
  for (const char* path : {"/sdmx/2.1/data/LMX,FLOW,1.0/KEN.OUTFLOW.SAU..../all",
                           "/sdmx/2.1/data/FLOW/KEN.OUTFLOW.SAU....",
                           "/sdmx/2.1/data/LMX,FLOW/KEN.OUTFLOW.SAU....?detail=full"}) {
    Got got = Fetch(path, headers);
    ASSERT_EQ(got.status, 200) << path << ": " << got.body;
    EXPECT_EQ(CsvAnswer(got.body), CsvAnswer(v30.body)) << path;
  }
  Got ranged = Fetch("/sdmx/2.1/data/FLOW/all?startPeriod=2025&endPeriod=2025", headers);
  ASSERT_EQ(ranged.status, 200) << ranged.body;
  EXPECT_EQ(CsvAnswer(ranged.body).size(), 3u);
  EXPECT_EQ(Fetch("/sdmx/2.1/data/FLOW/all/ESTAT", headers).status, 404);
  EXPECT_EQ(Fetch("/sdmx/2.1/data/FLOW/all").status, 401);
  for (const char* path : {"/sdmx/2.1/dataflow/LMX/FLOW/1.0", "/sdmx/2.1/dataflow/LMX/all/latest",
                           "/sdmx/2.1/codelist/LMX/CL_SEX/latest",
                           "/sdmx/2.1/datastructure/LMX/DSD_FLOW"}) {
    EXPECT_EQ(Fetch(path).status, 200) << path;
  }
}

}  // namespace
}  // namespace lmx::testing

namespace lmx::testing {
namespace {

// A ministry that reports in SDMX publishes the same file to lmx: what the
// node's SDMX endpoint served publishes unchanged at its origin, with the
// same numbers, through the same checks and atomicity as plain CSV.
TEST_F(SdmxConformanceTest, SdmxCsvServedByTheNodePublishesUnchangedAtItsOrigin) {
  auto numbers = [&] {
    return absl::StrCat(
        Lmx("analyst", {"aggregate", "flows", "--by=counterpart,period", "--format=csv"}).out,
        Lmx("analyst", {"aggregate", "shortages", "--by=occupation", "--format=csv"}).out);
  };
  const std::string before = numbers();
  const std::string flows_before = Get("FLOW/1.0/*").body;
  const std::string shortages_before = Get("SHORTAGE/1.0/*", "reader").body;
  for (const auto& [dataset, query, accept] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"flows", "FLOW/1.0/*", ""},
           {"flows", "FLOW/1.0/*?labels=both", ""},
           {"flows", "FLOW/1.0/*", "application/vnd.sdmx.data+csv;version=1.0.0"},
           {"shortages", "SHORTAGE/1.0/*", ""}}) {
    Got served = Get(query, "analyst", accept);
    ASSERT_EQ(served.status, 200) << served.body;
    const std::string file = absl::StrCat(dir_, "/served-", ++checked_, ".csv");
    WriteFile(file, served.body);
    CliResult published = Lmx("publisher", {"publish", dataset, file});
    EXPECT_EQ(published.exit_code, 0) << query << " " << accept << ": " << published.err;
    EXPECT_THAT(published.out, HasSubstr(absl::StrCat("accepted ", CsvAnswer(served.body).size(),
                                                      ", rejected 0")));
  }
  // Every observation was written again, as a new revision with the same
  // values: the numbers and the SDMX answers are identical.
  EXPECT_EQ(numbers(), before);
  EXPECT_EQ(Get("FLOW/1.0/*").body, flows_before);
  EXPECT_EQ(Get("SHORTAGE/1.0/*", "reader").body, shortages_before);
  EXPECT_EQ(CsvAnswer(Get("FLOW/1.0/*?includeHistory=true").body).size(), 4u * 4);
}

TEST_F(SdmxConformanceTest, BadSdmxCsvIsRefusedWholeWithTheFileLineAndComponent) {
  const std::string before = Get("FLOW/1.0/*").body;
  const std::string head =
      "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,DIRECTION,COUNTERPART_AREA,OCCUPATION,SEX,AGE,"
      "CHANNEL,TIME_PERIOD,OBS_VALUE,CONF_STATUS\n";
  struct Case {
    std::string dataset;
    std::string text;
    std::string error;  // what stderr must say, after the file's name
  };
  for (const Case& c : std::vector<Case>{
           {"flows", head + "dataflow,LMX:FLOW(1.0),I,KEN,OUTFLOW,SAU,7212,M,_T,_T,2025,40,F\n"
                           "dataflow,LMX:FLOW(1.0),I,KEN,OUTFLOW,ARE,7212,M,_T,_T,2025,-3,F\n",
            ":3: OBS_VALUE: "},
           {"flows", head + "dataflow,LMX:FLOW(1.0),I,UGA,OUTFLOW,SAU,7212,M,_T,_T,2025,40,F\n",
            ":2: REF_AREA: 'UGA' is not this node's country"},
           {"flows", head + "dataflow,LMX:FLOW(1.0),D,KEN,OUTFLOW,SAU,7212,M,_T,_T,2025,40,F\n",
            ":2: ACTION: is D (delete)"},
           {"flows", head + "dataflow,LMX:FLOW(1.0),I,KEN,OUTFLOW,SAU,7212,M,_T,_T,2025,40,C\n",
            ":2: CONF_STATUS: 'C' is not F"},
           {"shortages", head + "dataflow,LMX:FLOW(1.0),I,KEN,OUTFLOW,SAU,7212,M,_T,_T,2025,40,F\n",
            ":1: header: unknown SDMX component 'DIRECTION'"},
           {"flows",
            "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,OCCUPATION,REGION,ACTIVITY,TIME_PERIOD,"
            "OBS_VALUE,SHORTAGE_STATUS,HARD_TO_FILL\n"
            "dataflow,LMX:SHORTAGE(1.0),I,KEN,2221,_T,_T,2025-Q1,0.5,SHORTAGE,40\n",
            ":1: header: unknown SDMX component 'REGION'"},
           {"flows", head + "dataflow,LMX:SHORTAGE(1.0),I,KEN,OUTFLOW,SAU,7212,M,_T,_T,2025,40,F\n",
            ":2: STRUCTURE_ID: 'LMX:SHORTAGE(1.0)' is not LMX:FLOW(1.0)"},
           {"flows", "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,DIRECTION,TIME_PERIOD\n",
            ":1: header: required column 'COUNTERPART_AREA' is missing"},
           {"vacancies", head, ":1: header: an SDMX-CSV message: VACANCY_AGG is the aggregate"}}) {
    const std::string file = absl::StrCat(dir_, "/bad-", ++checked_, ".csv");
    WriteFile(file, c.text);
    CliResult published = Lmx("publisher", {"publish", c.dataset, file});
    EXPECT_NE(published.exit_code, 0) << c.text;
    EXPECT_THAT(published.err, HasSubstr(file + c.error)) << published.err;
  }
  // Nothing of any of them was written: the good first row of the first
  // file is held back with its bad second row.
  EXPECT_EQ(Get("FLOW/1.0/*").body, before);
}

}  // namespace
}  // namespace lmx::testing

namespace lmx::testing {
namespace {

// The values of each KeyValue of an availability answer's cube region.
std::map<std::string, std::vector<std::string>> CubeRegion(const std::string& xml) {
  std::map<std::string, std::vector<std::string>> region;
  const std::string open = "<common:KeyValue id=\"";
  for (size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
    size_t id_end = xml.find('"', at + open.size());
    std::string id = xml.substr(at + open.size(), id_end - at - open.size());
    size_t end = xml.find("</common:KeyValue>", at);
    std::string body = xml.substr(id_end, end - id_end);
    auto& values = region[id];
    for (const char* tag : {"<common:Value>", "<common:StartPeriod isInclusive=\"true\">",
                            "<common:EndPeriod isInclusive=\"true\">"}) {
      for (size_t v = body.find(tag); v != std::string::npos; v = body.find(tag, v + 1)) {
        size_t start = v + std::string(tag).size();
        values.push_back(body.substr(start, body.find('<', start) - start));
      }
    }
  }
  return region;
}

// What the .Stat Data Explorer asks first: the codes with data under a
// key, exactly those `lmx aggregate` finds.
TEST_F(SdmxConformanceTest, AvailabilityHasExactlyTheCodesWithDataUnderTheKey) {
  httplib::Headers headers = {{"Authorization", "Bearer " + tokens_["analyst"]}};
  auto availability = [&](const std::string& path) {
    Got got = Fetch("/sdmx/3.0/availability/dataflow/LMX/" + path, headers);
    EXPECT_EQ(got.status, 200) << path << ": " << got.body;
    EXPECT_THAT(got.content_type, HasSubstr("application/vnd.sdmx.structure+xml"));
    ValidateXml(path, got);
    return got.body;
  };
  auto codes = [&](const std::vector<std::string>& filters) {
    std::vector<std::string> args = {"aggregate", "flows", "--by=counterpart", "--format=csv"};
    args.insert(args.end(), filters.begin(), filters.end());
    std::vector<std::string> out;
    for (auto& row : CsvAnswer(Lmx("analyst", args).out)) out.push_back(row["counterpart"]);
    return out;
  };
  std::string exact = availability("FLOW/1.0/KEN.OUTFLOW.....");
  auto region = CubeRegion(exact);
  EXPECT_EQ(region["COUNTERPART_AREA"], codes({"--direction=OUTFLOW"}));
  EXPECT_THAT(region["COUNTERPART_AREA"], ElementsAre("ARE", "SAU"));
  EXPECT_THAT(region["DIRECTION"], ElementsAre("OUTFLOW"));
  EXPECT_THAT(region["TIME_PERIOD"], ElementsAre("2024", "2025"));
  EXPECT_THAT(exact, HasSubstr("<common:AnnotationTitle>3</common:AnnotationTitle>"
                               "<common:AnnotationType>obs_count</common:AnnotationType>"));
  // mode=available: each dimension's choices beside the others'
  // selections: INFLOW too has data for KEN.
  auto open = CubeRegion(availability("FLOW/1.0/KEN.OUTFLOW.....?mode=available"));
  EXPECT_THAT(open["DIRECTION"], ElementsAre("INFLOW", "OUTFLOW"));
  EXPECT_EQ(open["COUNTERPART_AREA"], codes({"--direction=OUTFLOW"}));
  auto in_2024 = CubeRegion(availability("FLOW/1.0/*?c[TIME_PERIOD]=2024"));
  EXPECT_EQ(in_2024["COUNTERPART_AREA"], codes({"--period=2024"}));
  EXPECT_THAT(in_2024["COUNTERPART_AREA"], ElementsAre("SAU"));
  auto one = CubeRegion(availability("FLOW/1.0/*/COUNTERPART_AREA"));
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(one["COUNTERPART_AREA"], codes({}));
  EXPECT_EQ(Fetch("/sdmx/3.0/availability/dataflow/LMX/FLOW/1.0/KEN.RETURN.....", headers).status,
            404);
  EXPECT_EQ(Fetch("/sdmx/3.0/availability/dataflow/LMX/FLOW/1.0/*?mode=some", headers).status, 400);
  EXPECT_EQ(Fetch("/sdmx/3.0/availability/dataflow/LMX/FLOW/1.0/*").status, 401);
}

}  // namespace
}  // namespace lmx::testing

namespace lmx::testing {
namespace {

// Browser-based SDMX tools read the endpoint from their own origin: only
// the origins the node is started with may, preflight included, with
// their tokens.
TEST_F(SdmxConformanceTest, CorsLetsTheConfiguredOriginsReadWithTheirTokens) {
  const std::string allowed = "https://stat.example.org";
  auto client = [&] {
    std::vector<std::string> parts = absl::StrSplit(http_, ':');
    return std::make_unique<httplib::Client>(parts[0], std::stoi(parts[1]));
  };
  const std::string path = "/sdmx/3.0/data/dataflow/LMX/FLOW/1.0/*";
  // Off by default: no answer names an origin.
  auto plain = client()->Get(path, {{"Origin", allowed},
                                    {"Authorization", "Bearer " + tokens_["analyst"]}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_FALSE(plain->has_header("Access-Control-Allow-Origin"));
  // Restarted with one allowed origin.
  node_.reset();
  node_ = std::make_unique<NodeProcess>("KEN", dir_ + "/data");
  std::string error;
  ASSERT_TRUE(node_->Start(&error, {"--http_listen=127.0.0.1:0",
                                    "--http_ready_file=" + dir_ + "/http",
                                    "--sdmx_cors_origins=" + allowed}))
      << error;
  http_ = std::string(absl::StripTrailingAsciiWhitespace(ReadFile(dir_ + "/http")));
  auto preflight = client()->Options(path, {{"Origin", allowed},
                                            {"Access-Control-Request-Method", "GET"},
                                            {"Access-Control-Request-Headers", "authorization"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), allowed);
  EXPECT_THAT(preflight->get_header_value("Access-Control-Allow-Headers"),
              HasSubstr("Authorization"));
  auto read = client()->Get(path, {{"Origin", allowed},
                                   {"Authorization", "Bearer " + tokens_["analyst"]}});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(read->get_header_value("Access-Control-Allow-Origin"), allowed);
  EXPECT_EQ(CsvAnswer(read->body).size(), 4u);
  // Without a token the read is refused as any other; the browser still
  // sees why.
  auto anonymous = client()->Get(path, {{"Origin", allowed}});
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("Access-Control-Allow-Origin"), allowed);
  // Another origin: no preflight, no header.
  auto other = client()->Options(path, {{"Origin", "https://evil.example"},
                                        {"Access-Control-Request-Method", "GET"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  auto other_read = client()->Get(path, {{"Origin", "https://evil.example"},
                                         {"Authorization", "Bearer " + tokens_["analyst"]}});
  ASSERT_TRUE(other_read);
  EXPECT_FALSE(other_read->has_header("Access-Control-Allow-Origin"));
  // Only the SDMX endpoint: the JSON API keeps its own origin rules.
  auto api = client()->Options("/api/v1/describe", {{"Origin", allowed},
                                                    {"Access-Control-Request-Method", "GET"}});
  ASSERT_TRUE(api);
  EXPECT_FALSE(api->has_header("Access-Control-Allow-Origin"));
}

}  // namespace
}  // namespace lmx::testing

namespace lmx::testing {
namespace {

// A ministry's SDMX-ML 2.1 data, generic or structure-specific, publishes
// as it is: what the node served publishes back with the same numbers.
TEST_F(SdmxConformanceTest, SdmxMlDataPublishesWithTheSameNumbers) {
  auto numbers = [&] {
    return Lmx("analyst", {"aggregate", "flows", "--by=counterpart,period", "--format=csv"}).out;
  };
  const std::string before = numbers();
  const std::string flows_before = Get("FLOW/1.0/*").body;
  const std::string shortages_before = Get("SHORTAGE/1.0/*", "reader").body;
  int files = 0;
  for (const char* flow : {"FLOW", "SHORTAGE"}) {
    for (const std::string& variant :
         {std::string(kGeneric), std::string(kGeneric) + "|AllDimensions", std::string(kGenericTs),
          std::string(kSpecific), std::string(kSpecific) + "|AllDimensions",
          std::string(kSpecificTs)}) {
      const std::string accept = variant.substr(0, variant.find('|'));
      const std::string query = absl::StrCat(
          flow, "/1.0/*", absl::StrContains(variant, "|") ? "?dimensionAtObservation=AllDimensions" : "");
      Got served = Get(query, "analyst", accept);
      ASSERT_EQ(served.status, 200) << served.body;
      const std::string file = absl::StrCat(dir_, "/served-", ++files, ".xml");
      WriteFile(file, served.body);
      std::vector<std::string> args = {"publish", std::string(flow) == "FLOW" ? "flows" : "shortages",
                                       file};
      // The format is named, or known from the file's first character.
      if (files % 2 == 1) args.push_back("--format=sdmx-ml");
      CliResult published = Lmx("publisher", args);
      EXPECT_EQ(published.exit_code, 0) << query << " " << accept << ": " << published.err;
      EXPECT_THAT(published.out,
                  HasSubstr(std::string(flow) == "FLOW" ? "accepted 4, rejected 0"
                                                        : "accepted 2, rejected 0"))
          << query << " " << accept << ": " << published.err;
    }
  }
  EXPECT_EQ(numbers(), before);
  EXPECT_EQ(Get("FLOW/1.0/*").body, flows_before);
  EXPECT_EQ(Get("SHORTAGE/1.0/*", "reader").body, shortages_before);

  // A bad value names the file, the line of its element and the
  // component, and nothing of the file is written.
  Got served = Get("FLOW/1.0/*?dimensionAtObservation=AllDimensions", "analyst", kGeneric);
  std::string text = served.body;
  const size_t obs = text.rfind("<generic:ObsValue value=\"");
  ASSERT_NE(obs, std::string::npos);
  const size_t value = obs + std::string("<generic:ObsValue value=\"").size();
  text.replace(value, text.find('"', value) - value, "-3");
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + obs, '\n'));
  const std::string bad = dir_ + "/bad.xml";
  WriteFile(bad, text);
  CliResult refused = Lmx("publisher", {"publish", "flows", bad, "--format=sdmx-ml"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr(absl::StrCat(bad, ":", line, ": OBS_VALUE: ")));
  EXPECT_EQ(Get("FLOW/1.0/*").body, flows_before);
  // A Delete data set, broken XML, and a message of no LMX dataflow.
  std::string deleting = served.body;
  deleting.replace(deleting.find("action=\"Information\""), 20, "action=\"Delete\"");
  WriteFile(bad, deleting);
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", bad}).err,
              HasSubstr("action=\"Delete\">: lmx keeps every revision"));
  WriteFile(bad, served.body.substr(0, served.body.size() / 2));
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", bad}).err, HasSubstr("not well-formed XML"));
  WriteFile(bad, "<?xml version=\"1.0\"?>\n<message:Structure xmlns:message=\"x\"/>\n");
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", bad}).err,
              HasSubstr(bad + ":2: <Structure> is not an SDMX-ML 2.1 data message"));
  EXPECT_EQ(Get("FLOW/1.0/*").body, flows_before);
}

}  // namespace
}  // namespace lmx::testing

namespace lmx::testing {
namespace {

// The round trip across the region: what another node's SDMX endpoint
// serves of KEN's data, KEN publishes back unchanged, with identical
// numbers at both nodes.
// (Counts below the disclosure threshold leave KEN suppressed, CONF_STATUS
// C with no count: such a cell does not publish back, docs/sdmx.md.)
class SdmxRegionTest : public RegionTestBase {};

constexpr char kRegionFlows[] =
    "period,direction,counterpart,count,occupation,sex\n"
    "2024,OUTFLOW,SAU,13,7212,M\n"
    "2025,OUTFLOW,SAU,14,7212,M\n"
    "2025,INFLOW,UGA,15,2221,F\n"
    "2025,OUTFLOW,ARE,16,5322,F\n";

TEST_F(SdmxRegionTest, WhatAPeerServesPublishesUnchangedAtTheOrigin) {
  Start("KEN", {});
  Start("UGA", {"--peers=KEN=" + nodes_["KEN"]->address(), "--http_listen=127.0.0.1:0",
                "--http_ready_file=" + dir_ + "/uga-http"});
  const std::string http =
      std::string(absl::StripTrailingAsciiWhitespace(ReadFile(dir_ + "/uga-http")));
  std::vector<std::string> parts = absl::StrSplit(http, ':');
  auto fetch = [&](const std::string& query, const std::string& accept = "") {
    httplib::Client client(parts[0], std::stoi(parts[1]));
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept", accept);
    auto answer = client.Get("/sdmx/3.0/data/dataflow/LMX/" + query, headers);
    return answer ? std::make_pair(answer->status, answer->body) : std::make_pair(0, std::string());
  };
  Publish("KEN", "flows", kRegionFlows);
  Publish("KEN", "shortages", kShortages);
  ASSERT_TRUE(WaitUntil([&] {
    return CsvAnswer(fetch("FLOW/1.0/KEN......").second).size() == 4 &&
           CsvAnswer(fetch("SHORTAGE/1.0/KEN...").second).size() == 2;
  }));
  auto numbers = [&](const std::string& id) {
    return absl::StrCat(
        Lmx(id, {"aggregate", "flows", "--by=counterpart,period,sex", "--format=csv"}).out,
        Lmx(id, {"aggregate", "shortages", "--by=occupation,period", "--format=csv"}).out);
  };
  const std::string before = numbers("KEN");
  const auto flows = fetch("FLOW/1.0/KEN......");
  const auto shortages = fetch("SHORTAGE/1.0/KEN...");
  const auto flows_xml = fetch("FLOW/1.0/KEN......", kSpecific);
  ASSERT_EQ(flows_xml.first, 200);
  int file = 0;
  for (const auto& [dataset, body, name] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"flows", flows.second, "csv"},
           {"shortages", shortages.second, "csv"},
           {"flows", flows_xml.second, "xml"}}) {
    const std::string path = absl::StrCat(dir_, "/from-uga-", ++file, ".", name);
    WriteFile(path, body);
    CliResult published = Lmx("KEN", {"publish", dataset, path});
    EXPECT_EQ(published.exit_code, 0) << published.err;
    EXPECT_THAT(published.out, HasSubstr("rejected 0"));
  }
  EXPECT_EQ(numbers("KEN"), before);
  // UGA pulls the new revisions and still serves the same.
  ASSERT_TRUE(WaitUntil([&] {
    auto history = fetch("FLOW/1.0/KEN......?includeHistory=true");
    return CsvAnswer(history.second).size() == 4u * 3;
  }));
  EXPECT_EQ(fetch("FLOW/1.0/KEN......").second, flows.second);
  EXPECT_EQ(fetch("SHORTAGE/1.0/KEN...").second, shortages.second);
  EXPECT_EQ(numbers("UGA"), before);
  // A count below the disclosure threshold leaves KEN suppressed: UGA
  // serves it with CONF_STATUS C and no OBS_VALUE, not a 0.
  Publish("KEN", "flows", "period,direction,counterpart,count,occupation,sex\n"
                          "2026,OUTFLOW,SAU,2,7212,M\n");
  ASSERT_TRUE(WaitUntil([&] { return fetch("FLOW/1.0/KEN......?c[TIME_PERIOD]=2026").first == 200; }));
  auto suppressed = CsvAnswer(fetch("FLOW/1.0/KEN......?c[TIME_PERIOD]=2026").second);
  ASSERT_EQ(suppressed.size(), 1u);
  EXPECT_EQ(suppressed[0]["CONF_STATUS"], "C");
  EXPECT_EQ(suppressed[0]["OBS_VALUE"], "");
  EXPECT_EQ(fetch("FLOW/1.0/KEN......?c[TIME_PERIOD]=2026&c[OBS_VALUE]=eq:0").first, 404);
}

}  // namespace
}  // namespace lmx::testing

namespace lmx::testing {
namespace {

// What a reviewer trying lmx with SDMX tools found, each held here.
TEST_F(SdmxConformanceTest, WhatSdmxClientsSendIsAnsweredAsTheSpecificationSays) {
  httplib::Headers token = {{"Authorization", "Bearer " + tokens_["analyst"]}};
  auto status = [&](const std::string& path, httplib::Headers headers = {}) {
    headers.insert(token.begin(), token.end());
    return Fetch(path, headers).status;
  };
  const std::string data = "/sdmx/3.0/data/dataflow/LMX/";
  // Numbers compare as numbers under eq and ne too.
  EXPECT_EQ(CsvAnswer(Get("FLOW/1.0/*?c[OBS_VALUE]=eq:4.0").body).size(), 1u);
  EXPECT_EQ(CsvAnswer(Get("FLOW/1.0/*?c[OBS_VALUE]=ne:4.0").body).size(), 3u);
  EXPECT_EQ(status(data + "FLOW/1.0/*?c[OBS_VALUE]=gt:abc"), 400);
  // Asked for as text/csv, answered as text/csv.
  EXPECT_THAT(Get("FLOW/1.0/*", "analyst", "text/csv").content_type, HasSubstr("text/csv"));
  // Several keys, several or any dataflows: 501, not 400 or 404.
  EXPECT_EQ(status(data + "FLOW/1.0/KEN.OUTFLOW.....,KEN.INFLOW....."), 501);
  EXPECT_EQ(status(data + "FLOW,SHORTAGE"), 501);
  EXPECT_EQ(status(data + "*/1.0"), 501);
  EXPECT_EQ(status("/sdmx/3.0/data/"), 501);
  EXPECT_EQ(status("/sdmx/3.0/data/DATAFLOW/LMX/FLOW"), 400);
  // What SDMX-CSV cannot carry is 406.
  EXPECT_EQ(status(data + "FLOW/1.0/*?includeHistory=true",
                   {{"Accept", "application/vnd.sdmx.data+csv;version=1.0.0"}}),
            406);
  EXPECT_EQ(status(data + "FLOW/1.0/*",
                   {{"Accept", "application/vnd.sdmx.data+csv;version=2.0.0;keys=both"}}),
            406);
  EXPECT_EQ(status(data + "FLOW/1.0/*?includeHistory=1"), 200);
  EXPECT_EQ(status(data + "FLOW/1.0/*?lastNObservations=1&lastNObservations=2"), 400);
  // Periods as SDMX writes them, and dates.
  EXPECT_EQ(CsvAnswer(Get("FLOW/1.0/*?c[TIME_PERIOD]=2025-A1").body).size(), 3u);
  EXPECT_EQ(CsvAnswer(Get("FLOW/1.0/*?c[TIME_PERIOD]=ge:2024-01-01+le:2024-12-31").body).size(), 1u);
  EXPECT_EQ(status(data + "FLOW/1.0/*?c[TIME_PERIOD]=ge:2024-01-02"), 200);  // 2025 only
  EXPECT_EQ(CsvAnswer(Get("FLOW/1.0/*?c[TIME_PERIOD]=ge:2024-01-02").body).size(), 3u);
  EXPECT_EQ(status("/sdmx/2.1/data/FLOW/all?startPeriod=2025-01-01",
                   {{"Accept", "text/csv"}}),
            200);
  EXPECT_EQ(status(data + "FLOW/1.0/*?c[TIME_PERIOD]=ge:2025-S2"), 501);
  Got garbage = Get("FLOW/1.0/*?c[TIME_PERIOD]=ge:soon");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_THAT(garbage.body, HasSubstr("c[TIME_PERIOD]: 'soon' is not a period"));
  Got empty = Get("FLOW/1.0/*?c[TIME_PERIOD]=ge:");
  EXPECT_EQ(empty.status, 400);
  EXPECT_THAT(empty.body, HasSubstr("has an operator and no value"));
  // Availability: several components; no data under the key is 404 in
  // both modes (a cube region without a dimension would mean any value).
  const std::string availability = "/sdmx/3.0/availability/dataflow/LMX/FLOW/1.0/";
  Got two = Fetch(availability + "*/COUNTERPART_AREA,SEX", token);
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(CubeRegion(two.body).size(), 2u);
  EXPECT_EQ(status(availability + "KEN.OUTFLOW.SAU.2622...?mode=available"), 404);
  EXPECT_EQ(status(availability + "*/NOPE"), 400);
  // Structures: items are 501; references to types lmx has none of add
  // nothing; stubs' URLs are absolute.
  EXPECT_EQ(Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX/1.0/F").status, 501);
  Got categorised = Fetch("/sdmx/3.0/structure/dataflow/LMX/FLOW/1.0?references=categorisation");
  EXPECT_EQ(categorised.status, 200);
  EXPECT_THAT(categorised.body, Not(HasSubstr("<structure:DataStructures>")));
  EXPECT_EQ(Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX/1.0?format=xml").status, 200);
  Got stubs = Fetch("/sdmx/3.0/structure/codelist/LMX/CL_SEX/1.0?detail=allstubs");
  EXPECT_THAT(stubs.body, HasSubstr("structureURL=\"http://" + http_ + "/sdmx/3.0/structure/"));
  // The schema endpoint has its media type, and 406.
  Got schema = Fetch("/sdmx/3.0/schema/datastructure/LMX/DSD_FLOW/1.0");
  EXPECT_THAT(schema.content_type, HasSubstr("application/vnd.sdmx.schema+xml"));
  EXPECT_EQ(Fetch("/sdmx/3.0/schema/datastructure/LMX/DSD_FLOW/1.0",
                  {{"Accept", "application/json"}})
                .status,
            406);
  // Any other SDMX path: an SDMX-ML 404.
  Got unknown = Fetch("/sdmx/2.1/availableconstraint/FLOW");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.content_type, HasSubstr("application/vnd.sdmx.error+xml"));
}

// SDMX input with a dimension left out is refused: it would read as a
// total (_T) the file never said.
TEST_F(SdmxConformanceTest, SdmxInputMustGiveEveryDimensionOfTheKey) {
  const std::string before = Get("FLOW/1.0/*").body;
  const std::string served = Get("FLOW/1.0/*").body;
  // The AGE column dropped.
  std::string no_age;
  for (absl::string_view line : absl::StrSplit(served, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    fields.erase(fields.begin() + 8);
    absl::StrAppend(&no_age, absl::StrJoin(fields, ","), "\n");
  }
  const std::string file = dir_ + "/no-age.csv";
  WriteFile(file, no_age);
  CliResult refused = Lmx("publisher", {"publish", "flows", file});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr(file + ":1: header: required column 'AGE' is missing"));
  // An empty AGE, and no STRUCTURE_ID.
  WriteFile(file, served.substr(0, served.find('\n') + 1) +
                      "dataflow,LMX:FLOW(1.0),I,KEN,OUTFLOW,SAU,7212,M,,_T,2025,40,F\n");
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", file}).err, HasSubstr(file + ":2: AGE: is required"));
  WriteFile(file, "STRUCTURE,ACTION,REF_AREA,DIRECTION,COUNTERPART_AREA,OCCUPATION,SEX,AGE,CHANNEL,"
                  "TIME_PERIOD,OBS_VALUE\n");
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", file}).err,
              HasSubstr("required column 'STRUCTURE_ID' is missing"));
  WriteFile(file, "STRUCTURE,STRUCTURE_ID,SEX,SEX\n");
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", file}).err,
              HasSubstr("column 'SEX' appears twice"));
  // SDMX-ML: a series key without AGE; an unknown component named at its
  // element's line; a SHORTAGE message sent as flows, refused once.
  Got xml = Get("FLOW/1.0/*", "analyst", kGeneric);
  std::string text = xml.body;
  const std::string age = "<generic:Value id=\"AGE\" value=\"_T\"/>";
  for (size_t at = text.find(age); at != std::string::npos; at = text.find(age)) {
    text.erase(at, age.size());
  }
  const std::string bad = dir_ + "/bad.xml";
  WriteFile(bad, text);
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", bad}).err,
              HasSubstr("required column 'AGE' is missing"));
  text = xml.body;
  const size_t sex = text.find("<generic:Value id=\"SEX\"");
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + sex, '\n'));
  text.replace(sex, std::string("<generic:Value id=\"SEX\"").size(), "<generic:Value id=\"GENDER\"");
  WriteFile(bad, text);
  EXPECT_THAT(Lmx("publisher", {"publish", "flows", bad}).err,
              HasSubstr(absl::StrCat(bad, ":", line, ": header: unknown SDMX component 'GENDER'")));
  WriteFile(bad, Get("SHORTAGE/1.0/*", "reader", kGeneric).body);
  CliResult wrong = Lmx("publisher", {"publish", "flows", bad});
  EXPECT_THAT(wrong.err, HasSubstr("the message is data of LMX:SHORTAGE(1.0), not of LMX:FLOW(1.0)"));
  EXPECT_EQ(std::count(wrong.err.begin(), wrong.err.end(), '\n'), 1) << wrong.err;
  EXPECT_EQ(Get("FLOW/1.0/*").body, before);
}

}  // namespace
}  // namespace lmx::testing
