#include "node/http/sdmx_dataflows.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "federation/base/text_formats.h"

namespace lmx {
namespace {

const std::vector<SdmxDataflow>& Dataflows() {
  static const auto* flows = new std::vector<SdmxDataflow>{
      {"FLOW",
       v1::DATASET_FLOW,
       {"REF_AREA", "DIRECTION", "COUNTERPART_AREA", "OCCUPATION", "SEX", "AGE", "CHANNEL"},
       "OBS_VALUE",
       {"CONF_STATUS"}},
      {"SHORTAGE",
       v1::DATASET_SHORTAGE,
       {"REF_AREA", "OCCUPATION", "REGION", "ACTIVITY"},
       "SHORTAGE_INDEX",
       {"SHORTAGE_STATUS", "HARD_TO_FILL"}},
      {"VACANCY_AGG",
       v1::DATASET_VACANCY_AGG,
       {"REF_AREA", "OCCUPATION", "REGION", "ACTIVITY"},
       "VACANCIES",
       {"POSITIONS"}},
  };
  return *flows;
}

}  // namespace

int SdmxDataflow::Component(absl::string_view component) const {
  for (size_t i = 0; i < components(); ++i) {
    if (component == ComponentId(i)) return static_cast<int>(i);
  }
  return -1;
}

const SdmxDataflow* FindSdmxDataflow(absl::string_view id) {
  for (const SdmxDataflow& flow : Dataflows()) {
    if (id == flow.id) return &flow;
  }
  return nullptr;
}

const char* SdmxDataflowName(const SdmxDataflow& flow) {
  switch (flow.dataset) {
    case v1::DATASET_FLOW:
      return "Migrant-worker flows";
    case v1::DATASET_SHORTAGE:
      return "Skill shortages by occupation";
    default:
      return "Job vacancies by month of posting";
  }
}

SdmxErrorFormat SdmxErrorFormatOf(const HttpServer::Request& request, SdmxErrorFormat fallback) {
  std::string asked;
  auto format = request.parameters.find("format");
  if (format != request.parameters.end()) {
    asked = absl::AsciiStrToLower(format->second);
  } else {
    asked = absl::AsciiStrToLower(request.Header("accept").value_or(""));
    // The first type named decides.
    asked = asked.substr(0, asked.find(','));
  }
  if (absl::StrContains(asked, "json")) return SdmxErrorFormat::kJson;
  if (absl::StrContains(asked, "csv") || absl::StrContains(asked, "text/plain")) {
    return SdmxErrorFormat::kText;
  }
  if (absl::StrContains(asked, "xml") || absl::StrContains(asked, "data") ||
      absl::StrContains(asked, "sdmx-ml") || absl::StrContains(asked, "structure")) {
    return SdmxErrorFormat::kXml;
  }
  return fallback;
}

HttpServer::Answer SdmxError(const absl::Status& status, SdmxErrorFormat wanted) {
  int code = 500, sdmx_code = 500;
  const char* title = "Internal server error";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = 400, sdmx_code = 140, title = "Syntax error";
      break;
    case absl::StatusCode::kUnauthenticated:
      code = 401, sdmx_code = 110, title = "Unauthorized";
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403, sdmx_code = 110, title = "Unauthorized";
      break;
    case absl::StatusCode::kNotFound:
      code = 404, sdmx_code = 100, title = "No results found";
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = 406, sdmx_code = 406, title = "Not acceptable";
      break;
    case absl::StatusCode::kUnimplemented:
      code = 501, sdmx_code = 501, title = "Not implemented";
      break;
    default:
      break;
  }
  if (wanted == SdmxErrorFormat::kJson) {
    return {code, "application/vnd.sdmx.data+json; version=2.0.0",
            absl::StrCat("{\"meta\":{\"id\":\"LMX_ERROR_", absl::ToUnixMicros(absl::Now()),
                         "\",\"test\":false,\"prepared\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
                         "\",\"sender\":{\"id\":\"LMX\"}},\"errors\":[{\"code\":", sdmx_code,
                         ",\"title\":", JsonString(title), ",\"detail\":",
                         JsonString(status.message()), "}]}\n"),
            nullptr};
  }
  if (wanted == SdmxErrorFormat::kXml) {
    return {code, "application/vnd.sdmx.error+xml; version=2.1",
            absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message:Error xmlns:message=\"",
                         "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message", "\" xmlns:common=\"",
                         "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
                         "\"><message:ErrorMessage code=\"", sdmx_code,
                         "\"><common:Text xml:lang=\"en\">", XmlText(title), ": ",
                         XmlText(status.message()),
                         "</common:Text></message:ErrorMessage></message:Error>\n"),
            nullptr};
  }
  return {code, "text/plain; charset=utf-8", absl::StrCat(status.message(), "\n"), nullptr};
}

bool SdmxAcceptsXml(absl::string_view accept, absl::string_view sdmx_type) {
  if (accept.empty()) return true;
  for (const SdmxMediaRange& range : ParseSdmxAccept(accept)) {
    const std::string& t = range.type;
    if (t == "*/*" || t == "application/*" || t == "application/xml" || t == "text/xml" ||
        (t == sdmx_type && range.Version({"2.1"}))) {
      return true;
    }
  }
  return false;
}

std::vector<SdmxMediaRange> ParseSdmxAccept(absl::string_view accept) {
  std::vector<SdmxMediaRange> ranges;
  for (absl::string_view part : absl::StrSplit(accept, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(part, ';');
    SdmxMediaRange range;
    range.type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[0]));
    if (range.type.empty()) continue;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::pair<std::string, std::string> parameter =
          absl::StrSplit(absl::StripAsciiWhitespace(fields[i]), absl::MaxSplits('=', 1));
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parameter.first));
      absl::string_view quoted = absl::StripAsciiWhitespace(parameter.second);
      absl::ConsumePrefix(&quoted, "\"");
      absl::ConsumeSuffix(&quoted, "\"");
      std::string value(quoted);
      if (name == "q") {
        if (!absl::SimpleAtod(value, &range.quality)) range.quality = 0;
      } else {
        range.parameters[name] = absl::AsciiStrToLower(value);
      }
    }
    if (range.quality > 0) ranges.push_back(std::move(range));
  }
  // The most preferred first; among equals, the order given.
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const SdmxMediaRange& a, const SdmxMediaRange& b) { return a.quality > b.quality; });
  return ranges;
}

bool SdmxMediaRange::Version(std::initializer_list<const char*> served) const {
  auto version = parameters.find("version");
  if (version == parameters.end()) return true;
  for (const char* v : served) {
    if (version->second == v) return true;
  }
  return false;
}

}  // namespace lmx
