// Finds ISCO-08 occupations from the words people use: "nurse", "welder",
// "lorry driver", "software developer". It matches the ISCO-08 titles at
// every level and the labels and alternative labels of the ESCO
// occupations (esco_occupations.tsv, compiled in), each of which sits in
// one ISCO-08 unit group, and answers the ISCO codes, best first.
//
//   const OccupationSearch& search = OccupationSearch::Default();
//   search.Find("nurse", 10);   // 2221 Nursing professionals, 3221 ..., 5321 ...
//   search.Find("2221", 10);    // a code finds itself
//
// Matching is by word prefix, any case: every word of the text must begin a
// word of the label ("lorry dri" matches "lorry driver"). A code ranks by
// its best label: the label being the text, then the label beginning with
// it, then the words matching whole; an ISCO title before an ESCO label
// before an alternative label; more matching labels before fewer; shorter
// labels before longer. A scan of the ~30,000 labels takes about a
// millisecond, well under a keystroke.
#ifndef LMX_FEDERATION_CLASSIFICATIONS_OCCUPATION_SEARCH_H_
#define LMX_FEDERATION_CLASSIFICATIONS_OCCUPATION_SEARCH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "federation/classifications/classification.h"

namespace lmx {

struct OccupationMatch {
  enum Source { kIscoTitle, kEscoLabel, kEscoAltLabel, kCode };
  std::string code;     // the ISCO-08 code
  std::string matched;  // the label that matched best
  Source source = kIscoTitle;
  // The code's other matching ESCO occupation labels, best first, at most 3.
  std::vector<std::string> also;
};

class OccupationSearch {
 public:
  // Over ISCO-08 (`isco`, which must outlive it) and the compiled-in ESCO
  // labels.
  explicit OccupationSearch(const Classification& isco);
  // The one over Codelists::Isco(), built on first use.
  static const OccupationSearch& Default();

  // At most `limit` codes for `text`, best first; none for blank text.
  std::vector<OccupationMatch> Find(absl::string_view text, size_t limit) const;

  size_t labels() const { return labels_.size(); }

 private:
  struct Label {
    std::string code;
    std::string text;        // as written
    std::string normalized;  // lower case, words separated by one space
    OccupationMatch::Source source;
  };
  const Classification& isco_;
  std::vector<Label> labels_;
};

// Lower case, every run of characters other than letters and digits made
// one space, trimmed: "Lorry-Driver " -> "lorry driver".
std::string NormalizeSearchText(absl::string_view text);

}  // namespace lmx

#endif  // LMX_FEDERATION_CLASSIFICATIONS_OCCUPATION_SEARCH_H_
