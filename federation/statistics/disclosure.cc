#include "federation/statistics/disclosure.h"

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "federation/classifications/codelists.h"

namespace lmx {
namespace {

// The dimensions along which a table has totals. Direction is not
// additive (inflows and outflows are not parts of a whole), so it is part of
// every line's fixed key.
constexpr int kDimensions = 5;  // counterpart, occupation, sex, age, channel
constexpr int kOccupation = 1;

std::array<const std::string*, kDimensions> Codes(const v1::Flow& f) {
  return {&f.counterpart(), &f.occupation(), &f.sex(), &f.age(), &f.channel()};
}

// The cell's key with dimension `d` replaced by `code`.
std::string KeyWith(const v1::Flow& f, int d, const std::string& code) {
  auto codes = Codes(f);
  std::string key = absl::StrCat(static_cast<int>(f.direction()));
  for (int i = 0; i < kDimensions; ++i) absl::StrAppend(&key, "|", i == d ? code : *codes[i]);
  return key;
}

struct Line {
  int total = -1;
  std::vector<int> details;
};

}  // namespace

DisclosureReport ApplyDisclosure(int64_t threshold, std::vector<v1::Flow>* table) {
  std::vector<v1::Flow>& cells = *table;
  const int n = static_cast<int>(cells.size());
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < n; ++i) index.emplace(KeyWith(cells[i], -1, ""), i);

  // Every line: a total cell present in the table and the cells it sums.
  // Along occupation, a cell's total is its nearest ISCO ancestor present
  // (2221 under 222 under 22 under 2), else `_T`.
  std::vector<Line> lines;
  absl::flat_hash_map<std::pair<int, int>, int> line_of;  // (dimension, total) -> line
  for (int i = 0; i < n; ++i) {
    auto codes = Codes(cells[i]);
    for (int d = 0; d < kDimensions; ++d) {
      const std::string& code = *codes[d];
      if (code == kTotal) continue;
      int total = -1;
      if (d == kOccupation && code.size() > 1 && code[0] != '_') {
        for (size_t len = code.size() - 1; len >= 1 && total < 0; --len) {
          auto it = index.find(KeyWith(cells[i], d, code.substr(0, len)));
          if (it != index.end()) total = it->second;
        }
      }
      if (total < 0) {
        auto it = index.find(KeyWith(cells[i], d, std::string(kTotal)));
        if (it == index.end()) continue;
        total = it->second;
      }
      auto [it, added] = line_of.emplace(std::make_pair(d, total), static_cast<int>(lines.size()));
      if (added) lines.push_back(Line{total, {}});
      lines[it->second].details.push_back(i);
    }
  }

  DisclosureReport report;
  std::vector<bool> suppressed(n, false);
  for (int i = 0; i < n; ++i) {
    v1::Flow& cell = cells[i];
    if (cell.count() > 0 && cell.count() < threshold) {
      suppressed[i] = true;
      cell.set_conf_status(v1::C);
      ++report.primary;
    } else {
      cell.set_conf_status(v1::F);
    }
  }
  auto suppress = [&](int i) {
    suppressed[i] = true;
    cells[i].set_conf_status(v1::D);
    ++report.secondary;
  };

  // A line with exactly one suppressed cell gives it away by subtraction:
  // suppress its smallest published detail (a non-zero one if there is one,
  // since a zero hides little), or the total when no detail is left.
  // Suppression only grows, so this ends.
  for (bool changed = true; changed;) {
    changed = false;
    for (const Line& line : lines) {
      int hidden = suppressed[line.total] ? 1 : 0;
      for (int i : line.details) hidden += suppressed[i] ? 1 : 0;
      if (hidden != 1) continue;
      int pick = -1;
      for (int i : line.details) {
        if (suppressed[i]) continue;
        bool better = pick < 0 || (cells[pick].count() == 0 && cells[i].count() > 0) ||
                      (cells[i].count() > 0 && cells[i].count() < cells[pick].count());
        if (better) pick = i;
      }
      if (pick < 0) pick = line.total;
      suppress(pick);
      changed = true;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (suppressed[i]) cells[i].set_count(0);
  }
  return report;
}

}  // namespace lmx
