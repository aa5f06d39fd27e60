// A hierarchical classification: codes with labels, levels and parents, as
// the region's codelists are (ISCO-08 has four levels, ISIC Rev.4 two, SEX
// one). It answers "is this a code", "what is it called", "what is above
// and below it"; the registry in codelists.h holds one per codelist.
//
//   const Classification& isco = codelists->Isco();
//   isco.Find("2221")->label;      // "Nursing professionals"
//   isco.Ancestors("2221");        // 2, 22, 222
//   isco.Children("222");          // 2221, 2222
#ifndef LMX_FEDERATION_CLASSIFICATIONS_CLASSIFICATION_H_
#define LMX_FEDERATION_CLASSIFICATIONS_CLASSIFICATION_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

// One code of a classification.
struct ClassCode {
  std::string code;
  int level = 1;       // 1 is the top of the hierarchy
  std::string parent;  // empty at the top
  std::string label;
};

class Classification {
 public:
  // `level_names` names the levels top first ("major group", ...). Every
  // parent must be a code listed before its children, one level up.
  static absl::StatusOr<Classification> Create(std::string id, std::string name, std::string source,
                                               std::vector<std::string> level_names,
                                               std::vector<ClassCode> codes);

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  const std::vector<std::string>& level_names() const { return level_names_; }
  // What a code of `level` is called; empty for levels out of range.
  std::string LevelName(int level) const;
  const std::vector<ClassCode>& codes() const { return codes_; }

  // The code, matched exactly, or null.
  const ClassCode* Find(absl::string_view code) const;
  // The ancestors of `code`, top first; empty for unknown or top codes.
  std::vector<const ClassCode*> Ancestors(absl::string_view code) const;
  // The codes one level below `code`, in listing order; with an empty
  // `code`, the top-level codes.
  std::vector<const ClassCode*> Children(absl::string_view code) const;

 private:
  Classification() = default;

  std::string id_;
  std::string name_;
  std::string source_;
  std::vector<std::string> level_names_;
  std::vector<ClassCode> codes_;
  absl::flat_hash_map<std::string, size_t> index_;
  // Per code (and "" for the root): the positions of its children.
  absl::flat_hash_map<std::string, std::vector<size_t>> children_;
};

}  // namespace lmx

#endif  // LMX_FEDERATION_CLASSIFICATIONS_CLASSIFICATION_H_
