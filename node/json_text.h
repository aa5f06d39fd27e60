// JSON text shared by the node (its dashboard data) and the CLI
// (--format=json).
#ifndef LMX_NODE_JSON_TEXT_H_
#define LMX_NODE_JSON_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmx {

// `text` as a JSON string, quotes included; control characters escaped.
std::string JsonString(absl::string_view text);

}  // namespace lmx

#endif  // LMX_NODE_JSON_TEXT_H_
