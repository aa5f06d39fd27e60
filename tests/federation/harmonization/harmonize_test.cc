#include "federation/harmonization/harmonize.h"

#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr int64_t kOne = kWeightUnit;

// A crosswalk from {source, {{target, weight}, ...}} entries, sorted as an
// import stores them.
std::shared_ptr<const Crosswalk> MakeCrosswalk(
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, int64_t>>>>&
        entries) {
  v1::Crosswalk proto;
  proto.set_id("NAT");
  proto.set_target("ISCO08");
  for (const auto& [source, targets] : entries) {
    auto* entry = proto.add_entries();
    entry->set_source(source);
    for (const auto& [code, weight] : targets) {
      auto* target = entry->add_targets();
      target->set_code(code);
      target->set_weight_nanos(weight);
    }
  }
  return std::make_shared<const Crosswalk>("KEN", 7, proto);
}

v1::Observation Flow(const std::string& occupation, int64_t count, const std::string& sex = "F") {
  v1::Observation o;
  auto* f = o.mutable_flow();
  f->set_country("KEN");
  f->set_period("2025");
  f->set_direction(v1::INFLOW);
  f->set_counterpart("UGA");
  f->set_occupation(occupation);
  f->set_sex(sex);
  f->set_count(count);
  return o;
}

v1::Observation Shortage(const std::string& occupation, v1::ShortageStatus status,
                         std::optional<double> index = std::nullopt,
                         std::optional<int64_t> hard_to_fill = std::nullopt) {
  v1::Observation o;
  auto* s = o.mutable_shortage();
  s->set_country("KEN");
  s->set_period("2025");
  s->set_occupation(occupation);
  s->set_region("_T");
  s->set_activity("_T");
  s->set_status(status);
  if (index) s->set_shortage_index(*index);
  if (hard_to_fill) s->set_hard_to_fill(*hard_to_fill);
  return o;
}

std::vector<v1::Observation> Drain(Harmonizer& harmonizer) {
  std::vector<v1::Observation> out;
  EXPECT_TRUE(harmonizer
                  .Drain([&](const v1::Observation& o) {
                    out.push_back(o);
                    return absl::OkStatus();
                  })
                  .ok());
  return out;
}

const v1::Observation* WithOccupation(const std::vector<v1::Observation>& observations,
                                      const std::string& code) {
  for (const auto& o : observations) {
    std::string occupation = o.has_flow() ? o.flow().occupation() : o.shortage().occupation();
    if (occupation == code) return &o;
  }
  return nullptr;
}

TEST(SplitCountTest, PartsAlwaysAddUpToTheCount) {
  std::mt19937 random(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<int64_t> weights(1 + random() % 12);
    for (auto& weight : weights) weight = 1 + random() % (3 * kOne);
    int64_t count = random() % 1000000;
    auto parts = SplitCount(count, weights);
    EXPECT_EQ(std::accumulate(parts.begin(), parts.end(), int64_t{0}), count);
    for (int64_t part : parts) EXPECT_GE(part, 0);
  }
}

TEST(SplitCountTest, ExtremeCountsAndWeightsStayExact) {
  const int64_t kBillion = 1000000000;
  auto parts = SplitCount(kBillion, {kMaxWeight * kOne, 1, kMaxWeight * kOne - 1});
  EXPECT_EQ(parts[0] + parts[1] + parts[2], kBillion);
  EXPECT_EQ(parts[1], 0);
}

TEST(SplitCountTest, LargestRemaindersGetTheUnitsLeftOver) {
  // Quotas 4.2, 3.5, 2.3: whole parts 4, 3, 2 and one unit left, which
  // goes to the largest remainder (0.5).
  EXPECT_THAT(SplitCount(10, {42, 35, 23}), ElementsAre(4, 4, 2));
}

TEST(SplitCountTest, TiesGoToTheLargerWeightThenToTheEarlierTarget) {
  // Equal weights: remainders tie, so the earlier targets get the units.
  EXPECT_THAT(SplitCount(100, {kOne, kOne, kOne}), ElementsAre(34, 33, 33));
  EXPECT_THAT(SplitCount(2, {kOne, kOne, kOne}), ElementsAre(1, 1, 0));
  // 1 over weights 1 and 3 (quotas 0.25 and 0.75): the remainder decides.
  EXPECT_THAT(SplitCount(1, {1, 3}), ElementsAre(0, 1));
  // Weights 2, 1, 1 split 2: quotas 1, 0.5, 0.5; the two halves tie on
  // remainder and weight, so the earlier target wins.
  EXPECT_THAT(SplitCount(2, {2, 1, 1}), ElementsAre(1, 1, 0));
  // Weights 1, 2, 2, 1 split 3: quotas 0.5, 1, 1, 0.5; remainders 0.5 tie,
  // equal weights, earlier wins.
  EXPECT_THAT(SplitCount(3, {1, 2, 2, 1}), ElementsAre(1, 1, 1, 0));
}

TEST(SplitCountTest, ZeroSplitsIntoZeros) {
  EXPECT_THAT(SplitCount(0, {kOne, kOne}), ElementsAre(0, 0));
}

TEST(ShortageCombinerTest, OneContributionKeepsItsPublishedStatus) {
  ShortageCombiner combiner;
  combiner.Add(0.5, v1::SHORTAGE, 0.05, 3);
  v1::Shortage out;
  combiner.Fill(&out);
  EXPECT_EQ(out.status(), v1::SHORTAGE);
  EXPECT_DOUBLE_EQ(out.shortage_index(), 0.05);
  EXPECT_EQ(out.hard_to_fill(), 3);
}

TEST(ShortageCombinerTest, SeveralWithIndexesTakeTheWeightedMeanAndItsStatus) {
  ShortageCombiner combiner;
  combiner.Add(0.25, v1::SURPLUS, -0.4, std::nullopt);
  combiner.Add(0.75, v1::SHORTAGE, 0.4, 10);
  v1::Shortage out;
  combiner.Fill(&out);
  EXPECT_DOUBLE_EQ(out.shortage_index(), 0.2);  // (0.25 * -0.4 + 0.75 * 0.4) / 1
  EXPECT_EQ(out.status(), v1::SHORTAGE);
  EXPECT_EQ(out.hard_to_fill(), 10);

  ShortageCombiner balanced;
  balanced.Add(1, v1::SHORTAGE, 0.3, std::nullopt);
  balanced.Add(1, v1::SURPLUS, -0.2, std::nullopt);
  balanced.Fill(&out);
  EXPECT_EQ(out.status(), v1::BALANCED);  // mean 0.05 lies within +-0.1
  EXPECT_FALSE(out.has_hard_to_fill());
}

TEST(ShortageCombinerTest, AMeanExactlyAtTheThresholdIsAShortage) {
  // (0.3 + 0 + 0) / 3 is 0.09999999999999999 in floating point.
  ShortageCombiner combiner;
  for (double index : {0.3, 0.0, 0.0}) combiner.Add(1, v1::BALANCED, index, std::nullopt);
  v1::Shortage out;
  combiner.Fill(&out);
  EXPECT_EQ(out.status(), v1::SHORTAGE);
  EXPECT_EQ(StatusFromIndex(-0.1), v1::SURPLUS);
  EXPECT_EQ(StatusFromIndex(0.0999), v1::BALANCED);
}

TEST(ShortageCombinerTest, StatusesAloneGoByTheLargestWeightAndTiesAreBalanced) {
  v1::Shortage out;
  ShortageCombiner majority;
  majority.Add(1.0 / 3, v1::SURPLUS, std::nullopt, std::nullopt);
  majority.Add(2.0 / 3, v1::SHORTAGE, std::nullopt, std::nullopt);
  majority.Fill(&out);
  EXPECT_EQ(out.status(), v1::SHORTAGE);
  EXPECT_FALSE(out.has_shortage_index());

  ShortageCombiner tie;
  tie.Add(1.0 / 3, v1::SURPLUS, std::nullopt, std::nullopt);
  tie.Add(1.0 / 3, v1::SHORTAGE, std::nullopt, std::nullopt);
  tie.Add(1.0 / 6, v1::BALANCED, std::nullopt, std::nullopt);
  tie.Add(1.0 / 6, v1::BALANCED, std::nullopt, std::nullopt);
  tie.Fill(&out);
  EXPECT_EQ(out.status(), v1::BALANCED);
}

TEST(CommonOccupationTest, IsTheMostSpecificGroupHoldingEveryTarget) {
  EXPECT_EQ(CommonOccupation({"2221"}), "2221");
  EXPECT_EQ(CommonOccupation({"2221", "2222"}), "222");
  EXPECT_EQ(CommonOccupation({"1112", "1113", "1120"}), "11");
  EXPECT_EQ(CommonOccupation({"2512", "3512"}), "_U");
}

TEST(HarmonizerTest, SplitsAFlowOverItsTargetsKeepingTheTotal) {
  auto crosswalk = MakeCrosswalk({{"A", {{"1112", kOne}, {"1113", kOne}, {"1120", kOne}}}});
  Harmonizer harmonizer(crosswalk);
  EXPECT_FALSE(harmonizer.Add(Flow("A", 100)).has_value());
  auto out = Drain(harmonizer);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(WithOccupation(out, "1112")->flow().count(), 34);
  EXPECT_EQ(WithOccupation(out, "1113")->flow().count(), 33);
  EXPECT_EQ(WithOccupation(out, "1120")->flow().count(), 33);
  for (const auto& o : out) {
    EXPECT_EQ(o.flow().provenance().classification(), "NAT");
    EXPECT_EQ(o.flow().provenance().classification_version(), 7u);
    EXPECT_THAT(o.flow().provenance().national_codes(), ElementsAre("A"));
  }
}

TEST(HarmonizerTest, ContributionsOfSeveralNationalCodesToOneCellAddUp) {
  auto crosswalk = MakeCrosswalk(
      {{"A", {{"2221", kOne}}}, {"B", {{"2221", kOne}, {"2222", kOne}}}, {"C", {{"2221", kOne}}}});
  Harmonizer harmonizer(crosswalk);
  harmonizer.Add(Flow("C", 5));
  harmonizer.Add(Flow("A", 7));
  harmonizer.Add(Flow("B", 11));
  harmonizer.Add(Flow("A", 1000, "M"));  // another cell: other sex
  auto out = Drain(harmonizer);
  ASSERT_EQ(out.size(), 3u);
  int64_t female_2221 = 0;
  for (const auto& o : out) {
    if (o.flow().occupation() == "2221" && o.flow().sex() == "F") {
      female_2221 = o.flow().count();
      EXPECT_THAT(o.flow().provenance().national_codes(), ElementsAre("A", "B", "C"));
    }
  }
  EXPECT_EQ(female_2221, 5 + 7 + 6);  // B's 11 splits 6 and 5
  EXPECT_EQ(WithOccupation(out, "2222")->flow().count(), 5);
}

TEST(HarmonizerTest, SpecialCodesPassUnmapped) {
  auto crosswalk = MakeCrosswalk({{"A", {{"2221", kOne}}}});
  Harmonizer harmonizer(crosswalk);
  harmonizer.Add(Flow("_T", 40));
  auto out = Drain(harmonizer);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flow().occupation(), "_T");
  EXPECT_EQ(out[0].flow().count(), 40);
  EXPECT_TRUE(out[0].flow().provenance().classification().empty());
}

TEST(HarmonizerTest, ShortagesCombineByTheWeightsOfTheirShares) {
  // A goes wholly to 2221; B is split 1:3 between 2221 and 2222.
  auto crosswalk =
      MakeCrosswalk({{"A", {{"2221", kOne}}}, {"B", {{"2221", kOne}, {"2222", 3 * kOne}}}});
  Harmonizer harmonizer(crosswalk);
  harmonizer.Add(Shortage("A", v1::SURPLUS, -0.5, 8));
  harmonizer.Add(Shortage("B", v1::SHORTAGE, 0.9, 4));
  auto out = Drain(harmonizer);
  ASSERT_EQ(out.size(), 2u);
  const v1::Shortage& nurses = WithOccupation(out, "2221")->shortage();
  // Weighted mean: (1 * -0.5 + 0.25 * 0.9) / 1.25 = -0.22.
  EXPECT_NEAR(nurses.shortage_index(), -0.22, 1e-12);
  EXPECT_EQ(nurses.status(), v1::SURPLUS);
  EXPECT_EQ(nurses.hard_to_fill(), 8 + 1);  // B's 4 splits 1 and 3
  EXPECT_THAT(nurses.provenance().national_codes(), ElementsAre("A", "B"));
  const v1::Shortage& midwives = WithOccupation(out, "2222")->shortage();
  EXPECT_EQ(midwives.status(), v1::SHORTAGE);  // one contribution keeps its status
  EXPECT_DOUBLE_EQ(midwives.shortage_index(), 0.9);
  EXPECT_EQ(midwives.hard_to_fill(), 3);
}

TEST(HarmonizerTest, AVacancyGoesToTheGroupHoldingAllItsTargets) {
  auto crosswalk = MakeCrosswalk({{"A", {{"2221", kOne}, {"2222", kOne}}},
                                  {"B", {{"2512", kOne}}},
                                  {"C", {{"2512", kOne}, {"7212", kOne}}}});
  Harmonizer harmonizer(crosswalk);
  auto vacancy = [](const std::string& code) {
    v1::Observation o;
    o.mutable_vacancy()->set_vacancy_id("V1");
    o.mutable_vacancy()->set_occupation(code);
    o.mutable_vacancy()->set_positions(3);
    return o;
  };
  auto a = harmonizer.Add(vacancy("A"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->vacancy().occupation(), "222");
  EXPECT_EQ(a->vacancy().positions(), 3);
  EXPECT_THAT(a->vacancy().provenance().national_codes(), ElementsAre("A"));
  EXPECT_EQ(harmonizer.Add(vacancy("B"))->vacancy().occupation(), "2512");
  EXPECT_EQ(harmonizer.Add(vacancy("C"))->vacancy().occupation(), "_U");
  EXPECT_EQ(harmonizer.cells(), 0u);
}

}  // namespace
}  // namespace lmx
