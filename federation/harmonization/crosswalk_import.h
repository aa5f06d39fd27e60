// Reads a crosswalk CSV (`lmx classifications import`) into a v1::Crosswalk,
// checking every pair and reporting `line, column, reason` as data ingest
// does.
//
// Columns come from the header: `source`, `target` and the optional
// `weight` (and `label`, the national code's name). A header that names
// neither `source` nor `target` is a crosswalk as published, such as
// `soc10,isco08`: its first two columns are source and target, and a third
// is the weight when the header calls it `weight` or the first row's value
// there is a number. Other columns are ignored.
//
//   CrosswalkImport import("SOC2010", Codelists::Isco(), columns, 1, &errors);
//   for (...) import.AddRow(row, &errors);
//   v1::Crosswalk crosswalk = import.Finish("soc.csv", &notices);
#ifndef LMX_FEDERATION_HARMONIZATION_CROSSWALK_IMPORT_H_
#define LMX_FEDERATION_HARMONIZATION_CROSSWALK_IMPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "federation/classifications/classification.h"
#include "lmx/v1/classification.pb.h"
#include "lmx/v1/publish.pb.h"

namespace lmx {

// Largest crosswalk accepted: far above any national classification (ESCO
// has about 3,000 occupations), and small enough to hold as one value.
inline constexpr uint64_t kMaxCrosswalkPairs = 250000;
inline constexpr int kMaxTargetsPerCode = 1000;

class CrosswalkImport {
 public:
  // Maps the header to the crosswalk's columns; problems are appended to
  // `errors` (column "header"). `target` must outlive the import.
  CrosswalkImport(std::string id, const Classification& target,
                  const std::vector<std::string>& columns, uint64_t header_line,
                  std::vector<v1::RowError>* errors);

  bool header_ok() const { return header_ok_; }

  // Checks one row and keeps its pair, or appends its errors and returns
  // false.
  bool AddRow(const v1::Row& row, std::vector<v1::RowError>* errors);

  uint64_t pairs() const { return pairs_; }

  // The crosswalk of the kept pairs, entries and targets sorted by code.
  // `notices` receives what the importer should know: weights that were
  // normalized, or equal splits when the file has no weights.
  v1::Crosswalk Finish(const std::string& source_file, std::vector<std::string>* notices) const;

 private:
  struct Target {
    std::string code;
    int64_t weight = 0;
  };
  struct Entry {
    std::string label;
    std::vector<Target> targets;
  };

  std::string id_;
  const Classification& target_;
  size_t width_ = 0;
  int source_column_ = 0;
  int target_column_ = 1;
  int weight_column_ = -1;
  int label_column_ = -1;
  // A positional file's third column, until the first row says whether it
  // holds weights.
  int maybe_weight_column_ = -1;
  bool header_ok_ = true;
  uint64_t pairs_ = 0;
  std::map<std::string, Entry, std::less<>> entries_;
  absl::flat_hash_map<std::string, uint64_t> pair_lines_;  // "source\0target" -> line
};

}  // namespace lmx

#endif  // LMX_FEDERATION_HARMONIZATION_CROSSWALK_IMPORT_H_
