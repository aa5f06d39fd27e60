// Parsing SDMX REST data queries (node/http/sdmx.h); the answers themselves are
// checked against a real node in sdmx_integration_test.cc.
#include "node/http/sdmx.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::multimap<std::string, std::string> Parameters(
    std::initializer_list<std::pair<const std::string, std::string>> list) {
  return std::multimap<std::string, std::string>(list);
}

TEST(SdmxQueryTest, ReadsTheKeyPerDimension) {
  auto query = ParseSdmxDataQuery("dataflow/LMX/FLOW/1.0/KEN.OUTFLOW.SAU+ARE....", {});
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->flow->id, std::string("FLOW"));
  ASSERT_EQ(query->key.size(), 7u);
  EXPECT_THAT(query->key[0], ElementsAre("KEN"));
  EXPECT_THAT(query->key[2], ElementsAre("ARE", "SAU"));
  EXPECT_THAT(query->key[3], IsEmpty());
  EXPECT_EQ(query->format, SdmxFormat::kCsv);
}

TEST(SdmxQueryTest, ChoosesTheFormatFromTheParameterOrTheAcceptHeader) {
  const std::string path = "dataflow/LMX/FLOW/1.0/*";
  auto xml = ParseSdmxDataQuery(path, {}, "application/vnd.sdmx.genericdata+xml;version=2.1");
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_EQ(xml->format, SdmxFormat::kGenericXml);
  auto csv = ParseSdmxDataQuery(path, {}, "text/csv, application/xml;q=0.5");
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->format, SdmxFormat::kCsv);
  auto any = ParseSdmxDataQuery(path, {}, "*/*");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->format, SdmxFormat::kCsv);
  auto given = ParseSdmxDataQuery(path, Parameters({{"format", "genericdata"}}), "text/csv");
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->format, SdmxFormat::kGenericXml);
  auto json = ParseSdmxDataQuery(path, {}, "application/vnd.sdmx.data+json;version=2.0.0");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->format, SdmxFormat::kJson);
  EXPECT_EQ(ParseSdmxDataQuery(path, {}, "application/pdf").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // SDMX-ML 2.1 has one measure per observation; the others go as
  // attributes.
  auto shortages = ParseSdmxDataQuery("dataflow/LMX/SHORTAGE/1.0/*", {}, "application/xml");
  ASSERT_TRUE(shortages.ok());
  EXPECT_EQ(shortages->format, SdmxFormat::kGenericXml);
}

TEST(SdmxQueryTest, HostileQueriesAreRefusedNotCrashedOn) {
  for (const char* path : {"", "dataflow", "dataflow/LMX", "dataflow/LMX/FLOW/1.0/a/b", "dataflow/LMX/FLOW/1.0/KEN.+.....",
                           "dataflow/LMX/FLOW/1.0/........", "dataflow/LMX/FLOW/1.0/KEN,UGA", "datastructure/LMX/FLOW/1.0/*"}) {
    EXPECT_FALSE(ParseSdmxDataQuery(path, {}).ok()) << path;
  }
  const std::string path = "dataflow/LMX/FLOW/1.0/*";
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"c[]", "1"},
                                                        {"c[SEX", "F"},
                                                        {"c[SEX]", ""},
                                                        {"c[SEX]", "+"},
                                                        {"c[TIME_PERIOD]", "ge:"},
                                                        {"lastNObservations", "-1"},
                                                        {"lastNObservations", "99999999999"},
                                                        {"updatedAfter", "yesterday"}}) {
    EXPECT_FALSE(ParseSdmxDataQuery(path, Parameters({{name, value}})).ok())
        << name << "=" << value;
  }
}

// SDMX REST 3.0: in c[], ',' is OR and '+' (or the space a form-encoded
// '+' becomes) is AND.
TEST(SdmxQueryTest, ComponentFiltersReadCommaAsOrAndPlusAsAnd) {
  const std::string path = "dataflow/LMX/FLOW/1.0/*";
  auto plain = ParseSdmxDataQuery(path, Parameters({{"c[OCCUPATION]", "7321,7111"}}));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(plain->key[3], ElementsAre("7111", "7321"));
  EXPECT_THAT(plain->conditions, IsEmpty());
  for (const char* value : {"ge:3+le:5,gt:10", "ge:3 le:5,gt:10"}) {
    auto ranged = ParseSdmxDataQuery(path, Parameters({{"c[OBS_VALUE]", value}}));
    ASSERT_TRUE(ranged.ok()) << ranged.status();
    ASSERT_EQ(ranged->conditions.size(), 1u);
    const auto& any = ranged->conditions[0].any;
    ASSERT_EQ(any.size(), 2u);
    ASSERT_EQ(any[0].size(), 2u);
    EXPECT_EQ(any[0][0].op, "ge");
    EXPECT_EQ(any[0][1].value, "5");
    EXPECT_EQ(any[1][0].op, "gt");
  }
  EXPECT_EQ(ParseSdmxDataQuery(path, Parameters({{"c[OBS_VALUE]", "zz:3"}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSdmxDataQuery(path, Parameters({{"includeHistory", "true"},
                                                 {"lastNObservations", "1"}}))
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
}

TEST(SdmxQueryTest, NegotiatesOrRefusesWith406) {
  const std::string path = "dataflow/LMX/FLOW/1.0/*";
  for (const char* accept : {"application/vnd.sdmx.data+json;version=1.0.0",
                             "application/vnd.sdmx.data+xml;version=3.0.0",
                             "application/vnd.sdmx.genericdata+xml;version=2.0",
                             "text/csv;q=0, application/pdf"}) {
    EXPECT_EQ(ParseSdmxDataQuery(path, {}, accept).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << accept;
  }
  auto preferred = ParseSdmxDataQuery(
      path, {}, "text/csv;q=0.2, application/vnd.sdmx.structurespecificdata+xml;version=2.1");
  ASSERT_TRUE(preferred.ok());
  EXPECT_EQ(preferred->format, SdmxFormat::kStructureSpecificXml);
  auto labelled = ParseSdmxDataQuery(path, {}, "application/vnd.sdmx.data+csv;version=2.0.0;labels=both");
  ASSERT_TRUE(labelled.ok());
  EXPECT_TRUE(labelled->labels);
}

}  // namespace
}  // namespace lmx
