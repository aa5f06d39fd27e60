// Flow files for replication tests: distinct rows whose sums by ISCO major
// group are known, so that a test checks every node's answer exactly.
#ifndef LMX_TESTS_SUPPORT_FLOW_FILES_H_
#define LMX_TESTS_SUPPORT_FLOW_FILES_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace lmx::testing {

// Sums of a flow file by ISCO major group.
using Sums = std::map<std::string, int64_t>;

// A flow file of `rows` rows (multiples of 240), every count at least 5 so
// that disclosure control withholds nothing and regional sums are exact.
// Its periods start in month `seed * 200` after January 2000 (seeds up to
// 11 stay within the years a node takes, 1900-2199), or in `first_month`.
inline std::string FlowFile(int seed, int rows, Sums* sums, int first_month = -1) {
  static const char* kOccupations[] = {"2221", "2211", "3221", "5120", "6111",
                                       "7115", "8322", "9312", "1120", "4110"};
  static const char* kAges[] = {"Y15T24", "Y25T54", "Y55T64", "Y_GE65"};
  static const char* kChannels[] = {"PUBLIC", "PRIVATE", "BILATERAL"};
  std::string text = "period,direction,counterpart,count,occupation,sex,age,channel\n";
  int n = 0;
  // Each seed has its own periods, so files never revise each other.
  for (int month = first_month >= 0 ? first_month : seed * 200; n < rows; ++month) {
    std::string period =
        absl::StrCat(2000 + month / 12, "-", month % 12 < 9 ? "0" : "", month % 12 + 1);
    for (const char* occupation : kOccupations) {
      for (const char* sex : {"F", "M"}) {
        for (const char* age : kAges) {
          for (const char* channel : kChannels) {
            int64_t count = 5 + (int64_t{seed} * 7919 + int64_t{n} * 104729) % 500;
            absl::StrAppend(&text, period, ",OUTFLOW,SAU,", count, ",", occupation, ",", sex, ",",
                            age, ",", channel, "\n");
            (*sums)[std::string(1, occupation[0])] += count;
            ++n;
          }
        }
      }
    }
  }
  return text;
}

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_FLOW_FILES_H_
