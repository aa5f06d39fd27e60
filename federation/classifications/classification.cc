#include "federation/classifications/classification.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace lmx {

absl::StatusOr<Classification> Classification::Create(std::string id, std::string name,
                                                      std::string source,
                                                      std::vector<std::string> level_names,
                                                      std::vector<ClassCode> codes) {
  Classification result;
  result.id_ = std::move(id);
  result.name_ = std::move(name);
  result.source_ = std::move(source);
  result.level_names_ = std::move(level_names);
  result.codes_ = std::move(codes);
  for (size_t i = 0; i < result.codes_.size(); ++i) {
    const ClassCode& code = result.codes_[i];
    auto fail = [&](absl::string_view why) {
      return absl::InternalError(absl::StrCat(result.id_, ": code '", code.code, "' ", why));
    };
    if (!result.index_.emplace(code.code, i).second) return fail("is listed twice");
    int parent_level = 0;
    if (!code.parent.empty()) {
      const ClassCode* parent = result.Find(code.parent);
      if (parent == nullptr) return fail("has a parent listed after it or not at all");
      parent_level = parent->level;
    }
    if (code.level != parent_level + 1) return fail("is not one level below its parent");
    result.children_[code.parent].push_back(i);
  }
  return result;
}

std::string Classification::LevelName(int level) const {
  if (level < 1 || level > static_cast<int>(level_names_.size())) return "";
  return level_names_[level - 1];
}

const ClassCode* Classification::Find(absl::string_view code) const {
  auto it = index_.find(code);
  return it == index_.end() ? nullptr : &codes_[it->second];
}

std::vector<const ClassCode*> Classification::Ancestors(absl::string_view code) const {
  std::vector<const ClassCode*> chain;
  const ClassCode* at = Find(code);
  while (at != nullptr && !at->parent.empty()) {
    at = Find(at->parent);
    chain.insert(chain.begin(), at);
  }
  return chain;
}

std::vector<const ClassCode*> Classification::Children(absl::string_view code) const {
  std::vector<const ClassCode*> children;
  auto it = children_.find(code);
  if (it == children_.end()) return children;
  for (size_t i : it->second) children.push_back(&codes_[i]);
  return children;
}

}  // namespace lmx
