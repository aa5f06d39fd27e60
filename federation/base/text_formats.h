// Quoting text for the formats the node (SDMX answers, the dashboard's data)
// and the CLI (--format=csv|json) both write.
#ifndef LMX_FEDERATION_BASE_TEXT_FORMATS_H_
#define LMX_FEDERATION_BASE_TEXT_FORMATS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmx {

// `text` as a JSON string, quotes included; control characters escaped.
std::string JsonString(absl::string_view text);

// `text` as a CSV field (RFC 4180): quoted, with quotes doubled, only when
// it holds a comma, a quote or a line break.
std::string CsvField(absl::string_view text);

// `text` escaped for XML content or an attribute value.
std::string XmlText(absl::string_view text);

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_TEXT_FORMATS_H_
