#include "federation/protocol/observation_codec.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/sample_observations.h"

namespace lmx {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::Observation Vacancy(absl::string_view id, absl::string_view posted = "2025-07-14") {
  v1::Observation o;
  auto* v = o.mutable_vacancy();
  v->set_country("KEN");
  v->set_vacancy_id(std::string(id));
  v->set_posted(std::string(posted));
  v->set_occupation("2512");
  v->set_positions(1);
  v->set_title("Software developer");
  return o;
}

bool InRange(const KeyRange& range, const std::string& key) {
  return key >= range.begin && (range.end.empty() || key < range.end);
}

int Month(absl::string_view period) { return TimePeriod::Parse(period)->first_month(); }
int LastMonth(absl::string_view period) { return TimePeriod::Parse(period)->last_month(); }

TEST(ObservationCodecTest, KeysOfOneObservationIgnoreMeasuresAndProvenance) {
  v1::Observation flow = SampleFlow("2025-Q3");
  v1::Observation revised = flow;
  revised.mutable_flow()->set_count(999);
  revised.mutable_flow()->set_conf_status(v1::C);
  revised.mutable_flow()->mutable_provenance()->set_version(7);
  EXPECT_EQ(ObservationKey(flow), ObservationKey(revised));

  v1::Observation shortage = SampleShortage("2025");
  v1::Observation other = shortage;
  other.mutable_shortage()->set_status(v1::SURPLUS);
  other.mutable_shortage()->clear_shortage_index();
  other.mutable_shortage()->set_hard_to_fill(3);
  EXPECT_EQ(ObservationKey(shortage), ObservationKey(other));

  v1::Observation vacancy = Vacancy("V-1");
  v1::Observation retitled = vacancy;
  retitled.mutable_vacancy()->set_title("Data engineer");
  retitled.mutable_vacancy()->set_posted("2025-08-01");
  retitled.mutable_vacancy()->set_positions(4);
  EXPECT_EQ(ObservationKey(vacancy), ObservationKey(retitled));
}

TEST(ObservationCodecTest, KeysDifferWhenAnyDimensionDiffers) {
  const std::string base = ObservationKey(SampleFlow("2025-Q3"));
  std::vector<v1::Observation> variants(7, SampleFlow("2025-Q3"));
  variants[0].mutable_flow()->set_period("2025-07");
  variants[1].mutable_flow()->set_direction(v1::INFLOW);
  variants[2].mutable_flow()->set_counterpart("ARE");
  variants[3].mutable_flow()->set_occupation("251");
  variants[4].mutable_flow()->set_sex("M");
  variants[5].mutable_flow()->set_age("Y25T54");
  variants[6].mutable_flow()->set_channel("PRIVATE");
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(ObservationKey(variants[i]), base) << "variant " << i;
  }
  EXPECT_NE(ObservationKey(Vacancy("V-1")), ObservationKey(Vacancy("V-2")));
  EXPECT_NE(ObservationKey(SampleShortage("2025", "2")),
            ObservationKey(SampleShortage("2025", "25")));
}

TEST(ObservationCodecTest, KeysStartWithTheDatasetAndCountry) {
  std::string key = ObservationKey(SampleFlow("2025-Q3", "UGA"));
  ASSERT_GE(key.size(), 4u);
  EXPECT_EQ(key[0], v1::DATASET_FLOW);
  EXPECT_EQ(key.substr(1, 3), "UGA");
  EXPECT_EQ(ObservationKey(SampleShortage("2025"))[0], v1::DATASET_SHORTAGE);
  EXPECT_EQ(ObservationKey(Vacancy("V-1"))[0], v1::DATASET_VACANCY);
}

TEST(ObservationCodecTest, KeysOrderPeriodsByStartMonthThenLongestFirst) {
  const std::vector<std::string> in_order = {"1999-12", "2000-01", "2024-12", "2025",
                                             "2025-Q1", "2025-01", "2025-Q3", "2025-07",
                                             "2025-08", "2026",    "2199-12"};
  std::vector<std::pair<std::string, std::string>> keyed;
  for (const std::string& period : in_order) {
    keyed.emplace_back(ObservationKey(SampleFlow(period)), period);
  }
  std::vector<std::pair<std::string, std::string>> sorted = keyed;
  std::reverse(sorted.begin(), sorted.end());
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < in_order.size(); ++i) {
    EXPECT_EQ(sorted[i].second, in_order[i]) << "position " << i;
  }
}

TEST(ObservationCodecTest, AShorterCodeSortsBeforeTheCodesBelowIt) {
  std::string major = ObservationKey(SampleShortage("2025", "2"));
  std::string unit = ObservationKey(SampleShortage("2025", "2512"));
  std::string next_major = ObservationKey(SampleShortage("2025", "3"));
  EXPECT_LT(major, unit);
  EXPECT_LT(unit, next_major);
  EXPECT_FALSE(unit.compare(0, major.size(), major) == 0) << "one key is a prefix of another";
}

TEST(ObservationCodecTest, ADatasetRangeHoldsItsKeysAndNoOthers) {
  KeyRange ken_flows = DatasetRange(v1::DATASET_FLOW, "KEN");
  KeyRange all_flows = DatasetRange(v1::DATASET_FLOW);
  const std::string ken_flow = ObservationKey(SampleFlow("2025-Q3", "KEN"));
  const std::string uga_flow = ObservationKey(SampleFlow("2025-Q3", "UGA"));
  const std::string ken_shortage = ObservationKey(SampleShortage("2025-Q3"));
  const std::string ken_vacancy = ObservationKey(Vacancy("V-1"));

  EXPECT_TRUE(InRange(ken_flows, ken_flow));
  EXPECT_FALSE(InRange(ken_flows, uga_flow));
  EXPECT_FALSE(InRange(ken_flows, ken_shortage));
  EXPECT_FALSE(InRange(ken_flows, ken_vacancy));

  EXPECT_TRUE(InRange(all_flows, ken_flow));
  EXPECT_TRUE(InRange(all_flows, uga_flow));
  EXPECT_FALSE(InRange(all_flows, ken_shortage));
  EXPECT_FALSE(InRange(all_flows, ken_vacancy));

  EXPECT_TRUE(InRange(DatasetRange(v1::DATASET_SHORTAGE, "KEN"), ken_shortage));
  EXPECT_TRUE(InRange(DatasetRange(v1::DATASET_VACANCY, "KEN"), ken_vacancy));
}

TEST(ObservationCodecTest, APeriodBoundedRangeHoldsPeriodsStartingInsideIt) {
  KeyRange q3 = DatasetRange(v1::DATASET_FLOW, "KEN", Month("2025-Q3"), LastMonth("2025-Q3"));
  for (const char* inside : {"2025-Q3", "2025-07", "2025-08", "2025-09"}) {
    EXPECT_TRUE(InRange(q3, ObservationKey(SampleFlow(inside)))) << inside;
  }
  for (const char* outside : {"2025", "2025-Q2", "2025-06", "2025-Q4", "2025-10", "2026"}) {
    EXPECT_FALSE(InRange(q3, ObservationKey(SampleFlow(outside)))) << outside;
  }
  EXPECT_FALSE(InRange(q3, ObservationKey(SampleFlow("2025-Q3", "UGA"))));

  KeyRange from_july = DatasetRange(v1::DATASET_FLOW, "KEN", Month("2025-07"));
  EXPECT_TRUE(InRange(from_july, ObservationKey(SampleFlow("2199-12"))));
  EXPECT_FALSE(InRange(from_july, ObservationKey(SampleFlow("2025-06"))));
  EXPECT_FALSE(InRange(from_july, ObservationKey(SampleFlow("2025-07", "UGA"))));
}

TEST(ObservationCodecTest, VacancyRangesIgnorePeriodBounds) {
  KeyRange range = DatasetRange(v1::DATASET_VACANCY, "KEN", Month("2030-01"), LastMonth("2030-01"));
  EXPECT_TRUE(InRange(range, ObservationKey(Vacancy("V-1", "2025-07-14"))));
}

TEST(ObservationCodecTest, EncodedObservationsDecodeUnchanged) {
  v1::Observation shortage = SampleShortage("2025-Q3");
  shortage.mutable_shortage()->set_hard_to_fill(0);
  v1::Observation no_index = SampleShortage("2025");
  no_index.mutable_shortage()->clear_shortage_index();
  v1::Observation vacancy = Vacancy("V-\xE4\xB8\xAD");
  vacancy.mutable_vacancy()->set_title("Mhandisi wa programu \xE2\x80\x93 Nairobi");
  vacancy.mutable_vacancy()->add_skills("C++");
  vacancy.mutable_vacancy()->add_skills("SQL");
  v1::Observation flow = SampleFlow("2025-07");
  flow.mutable_flow()->mutable_provenance()->set_classification("SOC2010");

  for (const v1::Observation& original : {shortage, no_index, vacancy, flow}) {
    auto decoded = DecodeObservation(EncodeObservation(original));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(MessageDifferencer::Equals(*decoded, original))
        << decoded->DebugString() << " vs " << original.DebugString();
  }
  auto decoded = DecodeObservation(EncodeObservation(no_index));
  EXPECT_FALSE(decoded->shortage().has_shortage_index());
  decoded = DecodeObservation(EncodeObservation(shortage));
  EXPECT_TRUE(decoded->shortage().has_hard_to_fill());
}

TEST(ObservationCodecTest, AValueThatIsNotAnObservationIsDataLoss) {
  // A length-delimited field that claims more bytes than follow.
  auto decoded =
      DecodeObservation(absl::string_view("\x0a\x05"
                                          "ab",
                                          4));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace lmx
