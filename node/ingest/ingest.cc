#include "node/ingest/ingest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "federation/base/row_errors.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"
#include "federation/classifications/datasets.h"
#include "federation/classifications/time_period.h"
#include "federation/protocol/observation_codec.h"

namespace lmx {

using v1::Observation;

// One column of a dataset's CSV: its name, whether a row needs it, and how
// a (trimmed, non-empty) value goes into the observation.
struct RowValidator::Column {
  const char* name;
  bool required;
  absl::Status (*set)(const IngestContext& context, absl::string_view value, Observation* out);
};

namespace {

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

// Largest counts accepted: far above any real labour-market figure, and low
// enough that no aggregate over billions of observations can overflow.
constexpr int64_t kMaxCount = 1000000000;
constexpr int64_t kMaxPositions = 1000000;

absl::StatusOr<int64_t> WholeNumber(absl::string_view value, int64_t minimum,
                                    int64_t maximum = kMaxCount) {
  int64_t number = 0;
  if (!absl::SimpleAtoi(value, &number) || value.front() == '+') {
    return Invalid(absl::StrCat("'", value, "' is not a whole number"));
  }
  if (number < minimum) {
    return Invalid(absl::StrCat("'", value, "' must be at least ", minimum));
  }
  if (number > maximum) return Invalid(absl::StrCat("'", value, "' is more than ", maximum));
  return number;
}

absl::StatusOr<std::string> Period(absl::string_view value) {
  ASSIGN_OR_RETURN(TimePeriod period, TimePeriod::Parse(value));
  return period.ToString();
}

absl::StatusOr<std::string> Day(absl::string_view value) {
  ASSIGN_OR_RETURN(Date date, Date::Parse(value));
  return date.ToString();
}

// Looks `value` up in an enum's names, case-insensitively.
template <typename Enum>
absl::StatusOr<Enum> EnumValue(absl::string_view value,
                               const std::vector<std::pair<const char*, Enum>>& names) {
  std::string upper = absl::AsciiStrToUpper(value);
  std::vector<std::string> valid;
  for (const auto& [name, number] : names) {
    if (upper == name) return number;
    valid.push_back(name);
  }
  return Invalid(absl::StrCat("'", value, "' is not one of ", absl::StrJoin(valid, ", ")));
}

// Free text may hold any UTF-8 (the reader checked it) but no control
// characters other than tab and line breaks.
absl::Status FreeText(absl::string_view value) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7F) {
      return Invalid("contains a control character");
    }
  }
  return absl::OkStatus();
}

// An occupation: an ISCO-08 code, or with a crosswalk one of its national
// codes, which Harmonizer maps once the row is accepted. Special codes are
// the same in both.
absl::StatusOr<std::string> OccupationCode(const IngestContext& context, absl::string_view value,
                                           unsigned special) {
  if (context.crosswalk == nullptr) return context.codelists->Occupation(value, special);
  if (context.crosswalk->Find(value) >= 0) return std::string(value);
  std::string upper = absl::AsciiStrToUpper(value);
  if (IsAllowedSpecial(upper, special)) return upper;
  return context.crosswalk->NoMapping(value);
}

absl::Status RefArea(const IngestContext& context, absl::string_view value, Observation*) {
  ASSIGN_OR_RETURN(std::string country, context.codelists->Country(value));
  if (country != context.country) {
    return Invalid(absl::StrCat("'", value, "' is not this node's country (", context.country,
                                "); a node publishes only its own country's data"));
  }
  return absl::OkStatus();
}

// Each dataset's columns. `set` functions receive a trimmed, non-empty value.
#define LMX_SET(message, body)                                                                  \
  [](const IngestContext& context, absl::string_view value, Observation* out) -> absl::Status { \
    auto* m = out->mutable_##message();                                                         \
    (void)context;                                                                              \
    (void)m;                                                                                    \
    body;                                                                                       \
    return absl::OkStatus();                                                                    \
  }

const std::vector<RowValidator::Column>& ShortageColumns() {
  static const auto* columns = new std::vector<RowValidator::Column>{
      {"period", true, LMX_SET(shortage, ASSIGN_OR_RETURN(*m->mutable_period(), Period(value)))},
      {"occupation", true,
       LMX_SET(shortage,
               ASSIGN_OR_RETURN(*m->mutable_occupation(), OccupationCode(context, value, 0)))},
      {"status", true,
       LMX_SET(shortage, ASSIGN_OR_RETURN(auto status, EnumValue<v1::ShortageStatus>(
                                                           value, {{"SHORTAGE", v1::SHORTAGE},
                                                                   {"BALANCED", v1::BALANCED},
                                                                   {"SURPLUS", v1::SURPLUS}}));
               m->set_status(status))},
      {"shortage_index", false,
       LMX_SET(shortage,
               {
                 double index = 0;
                 if (!absl::SimpleAtod(value, &index) || !std::isfinite(index)) {
                   return Invalid(absl::StrCat("'", value, "' is not a number"));
                 }
                 if (index < -1 || index > 1) {
                   return Invalid(absl::StrCat("'", value, "' is outside [-1, 1]"));
                 }
                 m->set_shortage_index(index);
               })},
      {"hard_to_fill", false,
       LMX_SET(shortage, ASSIGN_OR_RETURN(auto n, WholeNumber(value, 0)); m->set_hard_to_fill(n))},
      {"region", false,
       LMX_SET(shortage, ASSIGN_OR_RETURN(*m->mutable_region(),
                                          context.codelists->Region(value, context.country,
                                                                    kAllowTotal | kAllowUnknown)))},
      {"activity", false,
       LMX_SET(shortage,
               ASSIGN_OR_RETURN(*m->mutable_activity(),
                                Codelists::Activity(value, kAllowTotal | kAllowUnknown)))},
      {"ref_area", false, RefArea},
  };
  return *columns;
}

const std::vector<RowValidator::Column>& VacancyColumns() {
  static const auto* columns = new std::vector<RowValidator::Column>{
      {"vacancy_id", true,
       LMX_SET(vacancy,
               {
                 if (value.size() > 128) return Invalid("is longer than 128 characters");
                 for (char c : value) {
                   if (static_cast<unsigned char>(c) < 0x20)
                     return Invalid("contains a control character");
                 }
                 m->set_vacancy_id(std::string(value));
               })},
      {"posted", true, LMX_SET(vacancy, ASSIGN_OR_RETURN(*m->mutable_posted(), Day(value)))},
      {"occupation", true,
       LMX_SET(vacancy, ASSIGN_OR_RETURN(*m->mutable_occupation(),
                                         OccupationCode(context, value, kAllowUnknown)))},
      {"closes", false, LMX_SET(vacancy, ASSIGN_OR_RETURN(*m->mutable_closes(), Day(value)))},
      {"positions", false,
       LMX_SET(vacancy, ASSIGN_OR_RETURN(auto n, WholeNumber(value, 1, kMaxPositions));
               m->set_positions(n))},
      {"education", false,
       LMX_SET(vacancy,
               ASSIGN_OR_RETURN(*m->mutable_education(),
                                Codelists::Education(value, kAllowUnknown | kAllowNotApplicable)))},
      {"skills", false,
       LMX_SET(vacancy,
               {
                 for (absl::string_view skill : absl::StrSplit(value, '|')) {
                   skill = absl::StripAsciiWhitespace(skill);
                   if (skill.size() > 200) return Invalid("has a skill over 200 bytes");
                   if (m->skills_size() >= 100) return Invalid("lists more than 100 skills");
                   RETURN_IF_ERROR(FreeText(skill));
                   if (!skill.empty()) m->add_skills(std::string(skill));
                 }
               })},
      {"title", false,
       LMX_SET(vacancy,
               {
                 if (value.size() > 1000) return Invalid("is longer than 1000 bytes");
                 RETURN_IF_ERROR(FreeText(value));
                 m->set_title(std::string(value));
               })},
      {"status", false,
       LMX_SET(vacancy, ASSIGN_OR_RETURN(auto status, EnumValue<v1::VacancyStatus>(
                                                          value, {{"OPEN", v1::OPEN},
                                                                  {"FILLED", v1::FILLED},
                                                                  {"CANCELLED", v1::CANCELLED}}));
               m->set_status(status))},
      {"activity", false,
       LMX_SET(vacancy, ASSIGN_OR_RETURN(*m->mutable_activity(),
                                         Codelists::Activity(value, kAllowUnknown)))},
      {"region", false,
       LMX_SET(vacancy,
               ASSIGN_OR_RETURN(*m->mutable_region(),
                                context.codelists->Region(value, context.country, kAllowUnknown)))},
      {"ref_area", false, RefArea},
  };
  return *columns;
}

const std::vector<RowValidator::Column>& FlowColumns() {
  static const auto* columns = new std::vector<RowValidator::Column>{
      {"period", true, LMX_SET(flow, ASSIGN_OR_RETURN(*m->mutable_period(), Period(value)))},
      {"direction", true,
       LMX_SET(flow, ASSIGN_OR_RETURN(auto direction, EnumValue<v1::FlowDirection>(
                                                          value, {{"INFLOW", v1::INFLOW},
                                                                  {"OUTFLOW", v1::OUTFLOW},
                                                                  {"RETURN", v1::RETURN}}));
               m->set_direction(direction))},
      {"counterpart", true,
       LMX_SET(flow,
               {
                 ASSIGN_OR_RETURN(*m->mutable_counterpart(),
                                  context.codelists->Country(
                                      value, kAllowTotal | kAllowUnknown | kAllowNotApplicable));
                 if (m->counterpart() == context.country) {
                   return Invalid(absl::StrCat("'", value, "' is the node's own country"));
                 }
               })},
      {"count", true,
       LMX_SET(flow, ASSIGN_OR_RETURN(auto n, WholeNumber(value, 0)); m->set_count(n))},
      {"occupation", false,
       LMX_SET(flow, ASSIGN_OR_RETURN(
                         *m->mutable_occupation(),
                         OccupationCode(context, value,
                                        kAllowTotal | kAllowUnknown | kAllowNotApplicable)))},
      {"sex", false,
       LMX_SET(flow, ASSIGN_OR_RETURN(*m->mutable_sex(),
                                      Codelists::Sex(value, kAllowTotal | kAllowUnknown)))},
      {"age", false,
       LMX_SET(flow, ASSIGN_OR_RETURN(*m->mutable_age(),
                                      Codelists::Age(value, kAllowTotal | kAllowUnknown)))},
      {"channel", false,
       LMX_SET(flow, ASSIGN_OR_RETURN(*m->mutable_channel(),
                                      Codelists::Channel(value, kAllowTotal | kAllowUnknown)))},
      {"conf_status", false,
       LMX_SET(flow,
               {
                 // What SDMX data served by a node carries: C and D are set
                 // by disclosure control on aggregates, never published.
                 if (absl::AsciiStrToUpper(value) != "F") {
                   return Invalid(absl::StrCat("'", value,
                                               "' is not F (free); confidential cells are not "
                                               "published, the node suppresses them"));
                 }
               })},
      {"ref_area", false, RefArea},
  };
  return *columns;
}

#undef LMX_SET

const std::vector<RowValidator::Column>* ColumnsOf(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE:
      return &ShortageColumns();
    case v1::DATASET_VACANCY:
      return &VacancyColumns();
    case v1::DATASET_FLOW:
      return &FlowColumns();
    default:
      return nullptr;
  }
}

// Starts an observation of `dataset` with the values of absent columns.
void SetDefaults(v1::Dataset dataset, const std::string& country, Observation* out) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE: {
      auto* s = out->mutable_shortage();
      s->set_country(country);
      s->set_region(std::string(kTotal));
      s->set_activity(std::string(kTotal));
      break;
    }
    case v1::DATASET_VACANCY: {
      auto* v = out->mutable_vacancy();
      v->set_country(country);
      v->set_positions(1);
      v->set_education(std::string(kUnknown));
      v->set_status(v1::OPEN);
      v->set_activity(std::string(kUnknown));
      v->set_region(std::string(kUnknown));
      break;
    }
    case v1::DATASET_FLOW: {
      auto* f = out->mutable_flow();
      f->set_country(country);
      f->set_occupation(std::string(kTotal));
      f->set_sex(std::string(kTotal));
      f->set_age(std::string(kTotal));
      f->set_channel(std::string(kTotal));
      f->set_conf_status(v1::F);
      break;
    }
    default:
      break;
  }
}

// Rules that involve more than one field.
absl::Status CrossFieldCheck(const Observation& observation, std::string* column) {
  if (observation.has_vacancy() && !observation.vacancy().closes().empty() &&
      observation.vacancy().closes() < observation.vacancy().posted()) {
    *column = "closes";
    return Invalid(absl::StrCat("'", observation.vacancy().closes(), "' is before posted (",
                                observation.vacancy().posted(), ")"));
  }
  return absl::OkStatus();
}

// SDMX-CSV 2.0.0 (STRUCTURE, STRUCTURE_ID, ACTION, ...) and 1.0.0
// (DATAFLOW, ...) data messages of lmx's dataflows publish as the dataset
// they are data of: each component's column is the dataset's column.
struct SdmxColumn {
  const char* component;  // OBS_VALUE
  const char* column;     // count
  // Every dimension of the key must be given: a missing one would read as
  // the lmx column's default (_T), a total the file never said.
  bool required = true;
};

const char* SdmxDataflowOf(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_FLOW:
      return "FLOW";
    case v1::DATASET_SHORTAGE:
      return "SHORTAGE";
    default:
      return nullptr;
  }
}

const std::vector<SdmxColumn>& SdmxColumns(v1::Dataset dataset) {
  static const auto* flows = new std::vector<SdmxColumn>{
      {"REF_AREA", "ref_area"},    {"DIRECTION", "direction"}, {"COUNTERPART_AREA", "counterpart"},
      {"OCCUPATION", "occupation"}, {"SEX", "sex"},             {"AGE", "age"},
      {"CHANNEL", "channel"},      {"TIME_PERIOD", "period"},  {"OBS_VALUE", "count"},
      {"CONF_STATUS", "conf_status", false}};
  static const auto* shortages = new std::vector<SdmxColumn>{
      {"REF_AREA", "ref_area"},       {"OCCUPATION", "occupation"},
      {"REGION", "region"},           {"ACTIVITY", "activity"},
      {"TIME_PERIOD", "period"},      {"OBS_VALUE", "shortage_index", false},
      {"SHORTAGE_STATUS", "status"},  {"HARD_TO_FILL", "hard_to_fill", false}};
  static const auto* none = new std::vector<SdmxColumn>{};
  return dataset == v1::DATASET_FLOW       ? *flows
         : dataset == v1::DATASET_SHORTAGE ? *shortages
                                           : *none;
}

// An SDMX-CSV column or value with labels (labels=both): "ID: name".
absl::string_view SdmxId(absl::string_view text) {
  size_t colon = text.find(": ");
  return colon == absl::string_view::npos ? text : text.substr(0, colon);
}

}  // namespace

// The columns of an SDMX-CSV message that say what it is and what to do.
enum class RowValidator::Meta { kNone, kStructure, kStructureId, kAction, kIgnored };

absl::Status RowValidator::CheckMeta(Meta meta, absl::string_view value) const {
  value = SdmxId(absl::StripAsciiWhitespace(value));
  const std::string expected = absl::StrCat("LMX:", SdmxDataflowOf(dataset_), "(1.0)");
  switch (meta) {
    case Meta::kStructure:
      if (!absl::EqualsIgnoreCase(value, "dataflow")) {
        return Invalid(absl::StrCat("'", value, "' is not dataflow; lmx publishes the data of its ",
                                    "dataflows (", expected, ")"));
      }
      break;
    case Meta::kStructureId:
      if (value != expected && value != absl::StrCat("LMX:", SdmxDataflowOf(dataset_), "(1.0.0)")) {
        return Invalid(absl::StrCat("'", value, "' is not ", expected,
                                    ", the dataflow of this dataset; publish each dataflow's data "
                                    "as its own dataset (FLOW as flows, SHORTAGE as shortages)"));
      }
      break;
    case Meta::kAction: {
      const std::string action = absl::AsciiStrToUpper(value);
      if (action == "D" || action == "DELETE") {
        return Invalid(
            "is D (delete): lmx keeps every revision and publishes no deletions; publish the "
            "corrected observations instead");
      }
      if (action != "I" && action != "A" && action != "M" && action != "R" && !action.empty()) {
        return Invalid(absl::StrCat("'", value, "' is not an SDMX action (I, A, M, R)"));
      }
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

RowValidator::RowValidator(const IngestContext& context, v1::Dataset dataset,
                           const std::vector<std::string>& columns, uint64_t header_line,
                           std::vector<v1::RowError>* errors)
    : context_(context), dataset_(dataset) {
  auto fail = [&](absl::string_view reason) {
    errors->push_back(MakeError(header_line, "header", reason));
    header_ok_ = false;
  };
  const auto* spec = ColumnsOf(dataset);
  if (spec == nullptr) {
    fail("dataset must be shortages, vacancies or flows");
    return;
  }
  // No dataset has more than a dozen columns; a header far wider is not a
  // ministry file, and each unknown column would cost an error.
  constexpr size_t kMaxColumns = 64;
  if (columns.size() > kMaxColumns) {
    fail(absl::StrCat("has ", columns.size(), " columns; at most ", kMaxColumns, " are read"));
    return;
  }
  std::vector<std::string> valid;
  for (const Column& column : *spec) valid.push_back(column.name);
  std::vector<bool> present(spec->size(), false);
  // An SDMX-CSV message is recognized by its first column.
  if (!columns.empty()) {
    std::string first = absl::AsciiStrToUpper(SdmxId(absl::StripAsciiWhitespace(columns[0])));
    sdmx_ = first == "STRUCTURE" || first == "DATAFLOW";
  }
  if (sdmx_ && SdmxDataflowOf(dataset) == nullptr) {
    fail(dataset == v1::DATASET_VACANCY
             ? "an SDMX-CSV message: VACANCY_AGG is the aggregate of vacancies, which are "
               "published one by one, not as SDMX"
             : "an SDMX-CSV message of a dataset with no dataflow");
    return;
  }
  std::set<std::string> seen_ids;  // SDMX components, each once
  for (const std::string& raw : columns) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    Meta meta = Meta::kNone;
    if (sdmx_) {
      // SDMX's component ids name the dataset's columns; errors name them
      // as the file does.
      std::string id = absl::AsciiStrToUpper(SdmxId(absl::StripAsciiWhitespace(raw)));
      name = "";
      if (id == "STRUCTURE") meta = Meta::kStructure;
      if (id == "STRUCTURE_ID" || id == "DATAFLOW") meta = Meta::kStructureId;
      if (id == "ACTION") meta = Meta::kAction;
      if (id == "STRUCTURE_NAME" || id == "VALID_FROM" || id == "VALID_TO" ||
          id == "SERIES_KEY" || id == "OBS_KEY") {
        meta = Meta::kIgnored;
      }
      bool required = false;
      for (const SdmxColumn& column : SdmxColumns(dataset)) {
        if (id == column.component) {
          name = column.column;
          required = column.required;
        }
      }
      if (!seen_ids.insert(id).second) fail(absl::StrCat("column '", id, "' appears twice"));
      error_names_.push_back(id);
      meta_.push_back(meta);
      sdmx_required_.push_back(required);
      if (meta != Meta::kNone) {
        names_.push_back(id);
        columns_.push_back(nullptr);
        continue;
      }
      if (name.empty()) {
        std::vector<std::string> ids;
        for (const SdmxColumn& column : SdmxColumns(dataset)) ids.push_back(column.component);
        fail(absl::StrCat("unknown SDMX component '", raw, "' (LMX:", SdmxDataflowOf(dataset),
                          "(1.0) has ", absl::StrJoin(ids, ", "), ")"));
        names_.push_back(id);
        columns_.push_back(nullptr);
        continue;
      }
    } else {
      error_names_.push_back(name);
      meta_.push_back(meta);
      sdmx_required_.push_back(false);
    }
    names_.push_back(name);
    const Column* match = nullptr;
    for (size_t i = 0; i < spec->size(); ++i) {
      if (name != (*spec)[i].name) continue;
      if (present[i] && !sdmx_) fail(absl::StrCat("column '", name, "' appears twice"));
      present[i] = true;
      match = &(*spec)[i];
    }
    if (match == nullptr) {
      fail(absl::StrCat("unknown column '", raw, "' (expected ", absl::StrJoin(valid, ", "), ")"));
    }
    columns_.push_back(match);
  }
  if (sdmx_) {
    const std::string flow = absl::StrCat("LMX:", SdmxDataflowOf(dataset), "(1.0)");
    if (!seen_ids.count("STRUCTURE_ID") && !seen_ids.count("DATAFLOW")) {
      fail(absl::StrCat("required column 'STRUCTURE_ID' is missing: it names the dataflow (", flow,
                        ")"));
    }
    for (const SdmxColumn& column : SdmxColumns(dataset)) {
      if (column.required && !seen_ids.count(column.component)) {
        fail(absl::StrCat("required column '", column.component, "' is missing: ", flow,
                          " needs every dimension of its key, TIME_PERIOD and ",
                          dataset == v1::DATASET_FLOW ? "OBS_VALUE" : "SHORTAGE_STATUS"));
      }
    }
    return;
  }
  for (size_t i = 0; i < spec->size(); ++i) {
    if ((*spec)[i].required && !present[i]) {
      fail(absl::StrCat("required column '", (*spec)[i].name, "' is missing"));
    }
  }
}

bool RowValidator::Validate(const v1::Row& row, Observation* observation,
                            std::vector<v1::RowError>* errors) const {
  const uint64_t line = row.line();
  const auto& fields = row.fields();
  size_t before = errors->size();
  if (static_cast<size_t>(fields.size()) != columns_.size()) {
    errors->push_back(MakeError(
        line, "row",
        absl::StrCat("has ", fields.size(), " fields, the header has ", columns_.size())));
    return false;
  }
  observation->Clear();
  SetDefaults(dataset_, context_.country, observation);
  for (int i = 0; i < fields.size(); ++i) {
    const Column* column = columns_[i];
    const std::string& name = error_names_[i];
    // A client may bypass `lmx` and send anything: every field is checked
    // for size and encoding before it is read.
    if (absl::Status checked = CheckFieldBytes(fields[i]); !checked.ok()) {
      errors->push_back(MakeError(line, name, checked.message()));
      continue;
    }
    if (column == nullptr) {
      if (absl::Status meta = CheckMeta(meta_[i], fields[i]); !meta.ok()) {
        errors->push_back(MakeError(line, name, meta.message()));
      }
      continue;
    }
    // Titles keep their spaces; codes and numbers are trimmed.
    absl::string_view value = fields[i];
    if (std::string_view(column->name) != "title") value = absl::StripAsciiWhitespace(value);
    // SDMX-CSV with labels=both: "KEN: Kenya" is KEN.
    if (sdmx_) value = SdmxId(value);
    if (value.empty()) {
      if (column->required || sdmx_required_[i]) {
        errors->push_back(MakeError(line, name, "is required"));
      }
      continue;
    }
    absl::Status status = column->set(context_, value, observation);
    if (!status.ok()) errors->push_back(MakeError(line, name, status.message()));
  }
  if (errors->size() != before) return false;
  std::string column;
  absl::Status status = CrossFieldCheck(*observation, &column);
  if (!status.ok()) errors->push_back(MakeError(line, column, status.message()));
  return status.ok();
}

std::optional<uint64_t> KeyLines::Insert(uint64_t hash, uint64_t line) {
  if (hash == 0) hash = 1;
  // Grow at 7/8 full, as Abseil's tables do.
  if ((size_ + 1) * 8 > hashes_.size() * 7) Grow();
  size_t mask = hashes_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    if (hashes_[slot] == hash) return lines_[slot];
    if (hashes_[slot] != 0) continue;
    hashes_[slot] = hash;
    lines_[slot] = static_cast<uint32_t>(std::min<uint64_t>(line, UINT32_MAX));
    ++size_;
    return std::nullopt;
  }
}

void KeyLines::Grow() {
  std::vector<uint64_t> hashes(std::max<size_t>(1024, hashes_.size() * 2), 0);
  std::vector<uint32_t> lines(hashes.size());
  size_t mask = hashes.size() - 1;
  for (size_t i = 0; i < hashes_.size(); ++i) {
    if (hashes_[i] == 0) continue;
    size_t slot = hashes_[i] & mask;
    while (hashes[slot] != 0) slot = (slot + 1) & mask;
    hashes[slot] = hashes_[i];
    lines[slot] = lines_[i];
  }
  hashes_.swap(hashes);
  lines_.swap(lines);
}

namespace {

// The header's line in the source; 1 when the client did not say.
uint64_t HeaderLine(const v1::PublishHeader& header) {
  return header.header_line() == 0 ? 1 : header.header_line();
}

}  // namespace

PublishSession::PublishSession(const IngestContext& context, const v1::PublishHeader& header)
    : context_(context), header_(header) {
  Start();
  for (auto& error : header_errors_) {
    if (row_errors_.size() < kMaxListedErrors) row_errors_.push_back(error);
  }
  if (header_errors_.empty() && !header.dry_run()) {
    auto batch = embargoed_ ? context.embargo(FromTimestamp(header.release_at()))
                            : context.store->Begin(context.country);
    if (batch.ok()) {
      batch_ = std::move(*batch);
    } else {
      store_error_ = batch.status();
    }
  }
}

void PublishSession::Start() {
  const uint64_t line = HeaderLine(header_);
  std::vector<std::string> columns(header_.columns().begin(), header_.columns().end());
  auto fail = [&](absl::string_view reason) {
    header_errors_.push_back(MakeError(line, "header", reason));
  };
  const std::string& id = header_.classification();
  if (header_.has_release_at()) {
    if (header_.dataset() == v1::DATASET_CROSSWALK) {
      return fail("a crosswalk takes effect when it is imported; --release_at is for data");
    }
    if (!context_.embargo) return fail("this node keeps no release calendar for --release_at");
    embargoed_ = FromTimestamp(header_.release_at()) > context_.store->clock()->Now();
  }
  if (header_.dataset() == v1::DATASET_CROSSWALK) {
    auto national = NationalClassificationId(id);
    if (!national.ok()) return fail(national.status().message());
    if (context_.codelists->Find(*national) != nullptr || *national == kTimePeriodId) {
      return fail(absl::StrCat("'", *national,
                               "' is a regional classification; import a national one under "
                               "its own id"));
    }
    if (!header_.target().empty() && absl::AsciiStrToUpper(header_.target()) != kIsco08) {
      return fail(absl::StrCat("target '", header_.target(),
                               "': crosswalks map occupation codes to ISCO08"));
    }
    if (header_.partial()) return fail("a crosswalk is imported whole; --partial does not apply");
    import_ = std::make_unique<CrosswalkImport>(*national, Codelists::Isco(), columns, line,
                                                &header_errors_);
    return;
  }
  if (!id.empty() && absl::AsciiStrToUpper(id) != kIsco08) {
    absl::StatusOr<std::shared_ptr<const Crosswalk>> crosswalk =
        absl::NotFoundError("this node keeps no classifications");
    if (context_.classifications != nullptr) {
      crosswalk = context_.classifications->Find(context_.country, id);
    }
    if (absl::IsNotFound(crosswalk.status())) {
      return fail(absl::StrCat("classification '", id,
                               "' is not known to this node; import its crosswalk first with "
                               "`lmx classifications import --id=",
                               id, " --target=ISCO08 FILE`"));
    }
    if (!crosswalk.ok()) return fail(crosswalk.status().message());
    context_.crosswalk = *std::move(crosswalk);
    harmonizer_ = std::make_unique<Harmonizer>(context_.crosswalk);
  }
  validator_ =
      std::make_unique<RowValidator>(context_, header_.dataset(), columns, line, &header_errors_);
}

void PublishSession::Reject(std::vector<v1::RowError>& errors) {
  response_.set_rejected(response_.rejected() + 1);
  for (auto& error : errors) {
    if (row_errors_.size() < kMaxListedErrors) {
      row_errors_.push_back(std::move(error));
    } else {
      response_.set_errors_omitted(response_.errors_omitted() + 1);
    }
  }
}

PublishSession::~PublishSession() {
  // The workers read the validator; they finish before it goes.
  for (auto& message : in_flight_) {
    if (message.prepared.valid()) message.prepared.wait();
  }
}

namespace {

// Messages checked at once by workers; each holds at most a few MiB.
constexpr size_t kMessagesInFlight = 3;

}  // namespace

void PublishSession::Prepare(const v1::Row& row, google::protobuf::Arena* arena,
                             Prepared* prepared) const {
  Prepared::Row& out = prepared->rows.emplace_back();
  out.line = row.line();
  out.errors_begin = out.errors_end = static_cast<uint32_t>(prepared->errors.size());
  auto failed = [&] {
    out.errors_end = static_cast<uint32_t>(prepared->errors.size());
    return out.errors_end != out.errors_begin;
  };
  if (row.has_malformed()) {
    prepared->errors.push_back(row.malformed());
    prepared->errors.back().set_line(row.line());
    failed();
    return;
  }
  // On the arena, the observation's parts are freed with the message.
  auto* observation = google::protobuf::Arena::CreateMessage<Observation>(arena);
  std::unique_ptr<Observation> owned(arena == nullptr ? observation : nullptr);
  validator_->Validate(row, observation, &prepared->errors);
  if (failed()) return;
  std::string key = ObservationKey(*observation);
  out.hash = absl::Hash<std::string>{}(key);
  out.at = prepared->bytes.size();
  out.key_size = static_cast<uint32_t>(key.size());
  prepared->bytes.append(key);
  if (harmonizer_ != nullptr) {
    out.mapped = static_cast<int>(prepared->mapped.size());
    prepared->mapped.push_back(*observation);
    return;
  }
  const absl::string_view period = ReportingPeriodOf(*observation);
  out.period_size = static_cast<uint32_t>(period.size());
  prepared->bytes.append(period.data(), period.size());
  std::string value = EncodeObservation(*observation);
  out.value_size = static_cast<uint32_t>(value.size());
  prepared->bytes.append(value);
}

void PublishSession::AddRows(std::unique_ptr<google::protobuf::Arena> arena,
                             const v1::RowBatch& rows) {
  // A broken header, and crosswalks, are taken row by row.
  if (!header_errors_.empty() || import_ != nullptr) {
    for (const auto& row : rows.rows()) AddRow(row);
    return;
  }
  if (in_flight_.size() >= kMessagesInFlight) AcceptOldest();
  // With no thread to spare, the rows are checked when they are accepted.
  const auto policy = std::launch::async | std::launch::deferred;
  const v1::RowBatch* message = &rows;
  auto prepared = std::async(policy, [this, message] {
    Prepared prepared;
    prepared.rows.reserve(message->rows_size());
    google::protobuf::Arena scratch;
    for (const auto& row : message->rows()) Prepare(row, &scratch, &prepared);
    return prepared;
  });
  in_flight_.push_back({std::move(arena), std::move(prepared)});
}

void PublishSession::AcceptOldest() {
  // Taken off the queue first: if the worker failed, nothing is left
  // behind for the destructor to wait on.
  InFlight message = std::move(in_flight_.front());
  in_flight_.pop_front();
  Prepared prepared = message.prepared.get();
  for (size_t i = 0; i < prepared.rows.size(); ++i) Accept(prepared, i);
}

void PublishSession::AddRow(const v1::Row& row) {
  while (!in_flight_.empty()) AcceptOldest();
  if (!header_errors_.empty()) {
    // Nothing in a file with a broken header can be read; only the header
    // errors are reported.
    response_.set_rejected(response_.rejected() + 1);
    return;
  }
  if (import_ != nullptr) {
    std::vector<v1::RowError> errors;
    if (row.has_malformed()) {
      errors.push_back(row.malformed());
      errors.back().set_line(row.line());
      return Reject(errors);
    }
    if (!import_->AddRow(row, &errors)) return Reject(errors);
    response_.set_accepted(response_.accepted() + 1);
    return;
  }
  Prepared prepared;
  Prepare(row, nullptr, &prepared);
  Accept(prepared, 0);
}

void PublishSession::Accept(Prepared& prepared, size_t index) {
  const Prepared::Row& row = prepared.rows[index];
  if (row.errors_end != row.errors_begin) {
    std::vector<v1::RowError> errors(
        std::make_move_iterator(prepared.errors.begin() + row.errors_begin),
        std::make_move_iterator(prepared.errors.begin() + row.errors_end));
    return Reject(errors);
  }
  if (auto first = seen_.Insert(row.hash, row.line)) {
    std::vector<v1::RowError> errors = {MakeError(
        row.line, "row",
        absl::StrCat("repeats the key of ",
                     *first == UINT32_MAX ? "an earlier row" : absl::StrCat("line ", *first),
                     " (one observation per key and file)"))};
    return Reject(errors);
  }
  response_.set_accepted(response_.accepted() + 1);
  // Once the batch is refused nothing will be written, so there is no point
  // mapping or spooling more.
  if (Refused()) return;
  absl::string_view bytes = prepared.bytes;
  if (harmonizer_ == nullptr) {
    return Write(bytes.substr(row.at, row.key_size),
                 bytes.substr(row.at + row.key_size, row.period_size),
                 bytes.substr(row.at + row.key_size + row.period_size, row.value_size));
  }
  if (auto mapped = harmonizer_->Add(std::move(prepared.mapped[row.mapped]))) {
    Write(ObservationKey(*mapped), *mapped);
  }
}

void PublishSession::Write(const std::string& key, const Observation& observation) {
  Write(key, ReportingPeriodOf(observation), EncodeObservation(observation));
}

void PublishSession::Write(absl::string_view key, absl::string_view period,
                           absl::string_view value) {
  ++written_;
  // The periods a batch writes: what the log entry of a shortage or flow
  // batch republishes, and what completeness reports.
  if (!period.empty() && !std::binary_search(periods_.begin(), periods_.end(), period)) {
    periods_.insert(std::lower_bound(periods_.begin(), periods_.end(), period),
                    std::string(period));
  }
  if (batch_ != nullptr && !Refused() && store_error_.ok()) {
    store_error_ = batch_->Put(key, value);
  }
}

bool PublishSession::Refused() const {
  return !header_errors_.empty() || (!header_.partial() && response_.rejected() > 0);
}

absl::StatusOr<v1::PublishResponse> PublishSession::Finish() {
  while (!in_flight_.empty()) AcceptOldest();
  v1::PublishResponse response = response_;
  for (auto& error : row_errors_) *response.add_errors() = error;
  response.set_rejected_batch(Refused());
  if (Refused()) return response;
  BatchInfo meta;
  meta.dataset = header_.dataset();
  meta.source = header_.source();
  meta.rows = response.accepted();
  meta.periods = periods_;
  if (import_ != nullptr && import_->pairs() > 0) {
    std::vector<std::string> notices;
    v1::Crosswalk crosswalk = import_->Finish(header_.source(), &notices);
    for (auto& notice : notices) response.add_notices(std::move(notice));
    meta.classification = crosswalk.id();
    written_ = import_->pairs();
    if (batch_ != nullptr && store_error_.ok()) {
      store_error_ = batch_->Put(CrosswalkKey(context_.country, crosswalk.id()),
                                 crosswalk.SerializeAsString());
    }
  }
  if (harmonizer_ != nullptr) {
    meta.classification = context_.crosswalk->id();
    meta.classification_version = context_.crosswalk->version();
    RETURN_IF_ERROR(harmonizer_->Drain([&](const Observation& observation) {
      Write(ObservationKey(observation), observation);
      return store_error_;
    }));
  }
  RETURN_IF_ERROR(store_error_);
  response.set_observations(written_);
  if (header_.dry_run() && embargoed_ && response.accepted() > 0) {
    response.add_notices(
        absl::StrCat("with --release_at the batch would be stored under embargo until ",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromTimestamp(header_.release_at()),
                                      absl::UTCTimeZone())));
  }
  if (batch_ == nullptr || response.accepted() == 0) return response;
  ASSIGN_OR_RETURN(BatchInfo info, batch_->Commit(meta));
  response.set_written(true);
  if (embargoed_) {
    *response.mutable_release_at() = header_.release_at();
    response.set_release_id(info.release_id);
    return response;
  }
  if (header_.has_release_at()) {
    response.add_notices("the release time has passed: the batch is published now");
  }
  response.set_version(info.version);
  *response.mutable_published_at() = ToTimestamp(info.published_at);
  return response;
}

}  // namespace lmx
