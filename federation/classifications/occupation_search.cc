#include "federation/classifications/occupation_search.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "federation/classifications/codelists.h"

namespace lmx {

extern const char k_esco_occupations_tsv[];

std::string NormalizeSearchText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (unsigned char c : text) {
    // Bytes of multi-byte UTF-8 characters stay, as parts of words.
    if (absl::ascii_isalnum(c) || c >= 0x80) {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(absl::ascii_tolower(c));
    } else {
      space = true;
    }
  }
  return out;
}

OccupationSearch::OccupationSearch(const Classification& isco) : isco_(isco) {
  for (const ClassCode& code : isco.codes()) {
    labels_.push_back({code.code, code.label, NormalizeSearchText(code.label),
                       OccupationMatch::kIscoTitle});
  }
  bool header = true;
  for (absl::string_view line : absl::StrSplit(k_esco_occupations_tsv, '\n', absl::SkipEmpty())) {
    if (std::exchange(header, false)) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 3 || isco.Find(fields[0]) == nullptr) continue;
    std::string code(fields[0]);
    labels_.push_back({code, std::string(fields[1]), NormalizeSearchText(fields[1]),
                       OccupationMatch::kEscoLabel});
    for (absl::string_view alt : absl::StrSplit(fields[2], '|', absl::SkipWhitespace())) {
      labels_.push_back({code, std::string(alt), NormalizeSearchText(alt),
                         OccupationMatch::kEscoAltLabel});
    }
  }
}

const OccupationSearch& OccupationSearch::Default() {
  static const OccupationSearch* search = new OccupationSearch(Codelists::Isco());
  return *search;
}

namespace {

// Every query word begins a word of `label` (both normalized); sets
// `whole` when every word but the last matched a whole word and the last
// did too.
bool WordsMatch(const std::vector<absl::string_view>& words, absl::string_view label,
                bool* whole) {
  std::vector<absl::string_view> label_words = absl::StrSplit(label, ' ');
  *whole = true;
  for (absl::string_view word : words) {
    bool found = false, found_whole = false;
    for (absl::string_view candidate : label_words) {
      if (!absl::StartsWith(candidate, word)) continue;
      found = true;
      if (candidate.size() == word.size()) {
        found_whole = true;
        break;
      }
    }
    if (!found) return false;
    *whole = *whole && found_whole;
  }
  return true;
}

}  // namespace

std::vector<OccupationMatch> OccupationSearch::Find(absl::string_view text, size_t limit) const {
  std::string query = NormalizeSearchText(text);
  std::vector<OccupationMatch> out;
  if (query.empty() || limit == 0) return out;
  // A code, or the start of one, finds the codes.
  if (std::all_of(query.begin(), query.end(), absl::ascii_isdigit)) {
    for (const ClassCode& code : isco_.codes()) {
      if (!absl::StartsWith(code.code, query)) continue;
      out.push_back({code.code, code.label, OccupationMatch::kCode, {}});
      if (out.size() == limit) break;
    }
    return out;
  }
  std::vector<absl::string_view> words = absl::StrSplit(query, ' ');
  struct Hit {
    int64_t best = 0;  // the best label's score
    int count = 0;     // matching labels
    std::vector<std::pair<int64_t, const Label*>> labels;
  };
  absl::flat_hash_map<absl::string_view, Hit> hits;
  for (const Label& label : labels_) {
    bool whole = false;
    if (!WordsMatch(words, label.normalized, &whole)) continue;
    int64_t score = 0;
    if (label.normalized == query) score += 100000;
    if (absl::StartsWith(label.normalized, query)) score += 30000;
    if (whole) score += 10000;
    score += (3 - static_cast<int>(label.source)) * 1000;
    score -= static_cast<int64_t>(label.normalized.size());
    Hit& hit = hits[label.code];
    hit.best = std::max(hit.best, score);
    ++hit.count;
    hit.labels.emplace_back(score, &label);
  }
  std::vector<std::pair<int64_t, absl::string_view>> ranked;
  for (auto& [code, hit] : hits) {
    // Many matching labels say the words are what the group is about.
    ranked.emplace_back(hit.best + std::min(hit.count, 20) * 150, code);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (const auto& [score, code] : ranked) {
    if (out.size() == limit) break;
    Hit& hit = hits[code];
    std::sort(hit.labels.begin(), hit.labels.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second->text < b.second->text;
    });
    OccupationMatch match{std::string(code), hit.labels[0].second->text,
                          hit.labels[0].second->source, {}};
    for (size_t i = 1; i < hit.labels.size() && match.also.size() < 3; ++i) {
      const Label* label = hit.labels[i].second;
      if (label->source == OccupationMatch::kEscoLabel) match.also.push_back(label->text);
    }
    out.push_back(std::move(match));
  }
  return out;
}

}  // namespace lmx
