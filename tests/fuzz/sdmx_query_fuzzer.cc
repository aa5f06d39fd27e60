// libFuzzer target: what an HTTP caller controls of an SDMX query: the
// path after /sdmx/3.0/data/ or /sdmx/3.0/structure/, the query parameters
// and the Accept header. Input: the path, a newline, the parameters as
// name=value lines, a line "--", and the Accept header.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "federation/classifications/codelists.h"
#include "node/http/sdmx.h"
#include "node/http/sdmx_structure.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto codelists = lmx::Codelists::Load();
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::multimap<std::string, std::string> parameters;
  absl::string_view accept;
  size_t i = 1;
  for (; i < lines.size() && lines[i] != "--"; ++i) {
    std::pair<absl::string_view, absl::string_view> pair = absl::StrSplit(lines[i], '=');
    parameters.emplace(std::string(pair.first), std::string(pair.second));
  }
  if (i + 1 < lines.size()) accept = lines[i + 1];
  auto query = lmx::ParseSdmxDataQuery(lines[0], parameters, accept);
  if (query.ok() &&
      (query->flow == nullptr || query->key.size() != query->flow->dimensions.size())) {
    std::abort();
  }
  (void)lmx::Sdmx21DataPath(lines[0]);
  if (codelists.ok()) (void)lmx::SdmxStructure(**codelists, lines[0]);
  return 0;
}
