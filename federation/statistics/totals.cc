#include "federation/statistics/totals.h"

#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "federation/classifications/codelists.h"

namespace lmx {
namespace {

constexpr const char* kNames[kFlowDimensions] = {"country",    "period", "direction", "counterpart",
                                                 "occupation", "sex",    "age",       "channel"};
constexpr int kFirstAdditive = 3;  // counterpart
constexpr int kOccupation = 4;

std::string LineKey(const FlowCell& cell, int d) {
  std::string key;
  for (int i = 0; i < kFlowDimensions; ++i) {
    if (i != d) absl::StrAppend(&key, cell.dims[i], "\x1f");
  }
  return key;
}

// Whether `code` lies under another code of the line (ISCO codes nest by
// prefix; other dimensions are flat).
bool Nested(int d, const std::string& code, const absl::flat_hash_set<std::string>& codes) {
  if (d != kOccupation || code.empty() || code[0] == '_') return false;
  for (size_t len = code.size() - 1; len >= 1; --len) {
    if (codes.contains(code.substr(0, len))) return true;
  }
  return false;
}

// Whether the pass along `d` has anything to resolve, given the distinct
// codes of the cells along it: a line that mixes a total with details, or a
// code nested under another. Without either, the pass would keep every cell
// (grouped) or replace each line by the sum of its cells (not grouped),
// which the aggregation that follows does anyway; and later passes then see
// each of d's codes on its own lines, which is the rule's "every dimension
// but one fixed" exactly.
template <typename Set>
bool PassMatters(const Set& codes, int d) {
  bool total = codes.contains(kTotal);
  if (total && codes.size() > 1) return true;  // a total beside details somewhere
  if (total) return false;                     // totals alone
  if (d != kOccupation) return false;
  for (const auto& code : codes) {
    if (code.empty() || code[0] == '_') continue;
    for (size_t len = code.size() - 1; len >= 1; --len) {
      if (codes.contains(absl::string_view(code).substr(0, len))) return true;
    }
  }
  return false;
}

bool PassMatters(const std::vector<FlowCell>& cells, int d) {
  absl::flat_hash_set<absl::string_view> codes;
  for (const auto& cell : cells) codes.insert(cell.dims[d]);
  return PassMatters(codes, d);
}

}  // namespace

std::vector<FlowCell> ResolveTotals(std::vector<FlowCell> cells,
                                    const std::set<std::string>& grouped) {
  // Grouped dimensions first: a total published without details along one
  // of them must keep its own group before other dimensions are summed.
  std::vector<int> order;
  for (int pass = 0; pass < 2; ++pass) {
    for (int d = kFirstAdditive; d < kFlowDimensions; ++d) {
      if ((grouped.count(kNames[d]) > 0) == (pass == 0)) order.push_back(d);
    }
  }
  for (int d : order) {
    if (!PassMatters(cells, d)) continue;
    bool group = grouped.count(kNames[d]) > 0;
    // Lines in first-seen order, so the result does not depend on hashing.
    absl::flat_hash_map<std::string, size_t> line_index;
    std::vector<std::vector<size_t>> lines;
    for (size_t i = 0; i < cells.size(); ++i) {
      auto [it, added] = line_index.emplace(LineKey(cells[i], d), lines.size());
      if (added) lines.emplace_back();
      lines[it->second].push_back(i);
    }
    std::vector<FlowCell> next;
    next.reserve(cells.size());
    for (const auto& line : lines) {
      absl::flat_hash_set<std::string> codes;
      const FlowCell* total = nullptr;
      for (size_t i : line) {
        codes.insert(cells[i].dims[d]);
        if (cells[i].dims[d] == kTotal) total = &cells[i];
      }
      bool details = codes.size() > (total != nullptr ? 1u : 0u);
      if (group) {
        if (!details) {
          next.push_back(*total);
          continue;
        }
        for (size_t i : line) {
          const std::string& code = cells[i].dims[d];
          if (code != kTotal && !Nested(d, code, codes)) next.push_back(std::move(cells[i]));
        }
        continue;
      }
      FlowCell merged = cells[line.front()];
      merged.dims[d] = std::string(kTotal);
      if (total != nullptr) {
        merged.count = total->count;
      } else {
        merged.count = 0;
        for (size_t i : line) {
          if (!Nested(d, cells[i].dims[d], codes)) merged.count += cells[i].count;
        }
      }
      next.push_back(std::move(merged));
    }
    cells = std::move(next);
  }
  return cells;
}

void FlowCodes::Add(const std::array<const std::string*, kFlowDimensions>& dims) {
  for (int d = kFirstAdditive; d < kFlowDimensions; ++d) {
    if (*dims[d] == last_[d]) continue;
    last_[d] = *dims[d];
    codes_[d].insert(*dims[d]);
  }
}

void FlowCodes::AddCode(int d, const std::string& code) {
  if (d >= kFirstAdditive && d < kFlowDimensions) codes_[d].insert(code);
}

bool FlowCodes::NeedsResolving() const {
  for (int d = kFirstAdditive; d < kFlowDimensions; ++d) {
    if (PassMatters(codes_[d], d)) return true;
  }
  return false;
}

}  // namespace lmx
