// lmx: the command-line client of an lmx node (SPEC §3).
//
// Exit codes: 0 success, 1 rejected input or failed query, 2 usage error,
// 3 cannot reach the node.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "federation/trust/certificates.h"
#include "federation/classifications/datasets.h"
#include "federation/base/files.h"
#include "federation/trust/keys.h"
#include "federation/trust/manifest.h"
#include "federation/classifications/time_period.h"
#include "google/protobuf/util/json_util.h"
#include "federation/trust/node_config.h"
#include "federation/base/status_macros.h"

namespace lmx {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

constexpr char kUsageText[] = R"(usage: lmx [--node=HOST:PORT] [--token=T] <command> [flags]

commands:
  publish shortages|vacancies|flows FILE|- [--partial] [--dry_run] [--classification=ID]
                                 [--release_at=2026-12-01T09:00:00Z]   (embargo)
  query shortages|vacancies|flows [--country=] [--occupation=] [--period=|--from= --to=]
                                  [--as_of=] [--format=table|csv|json]
  aggregate shortages|vacancies|flows --by=DIM[:LEVEL],... [filters] [--format=]
  shortages --occupation=CODE [--period=] [--as_of=] [--format=]
  shortage-list --country=X [--period=] [--min_periods=K --last_periods=N --index_above=T]
                [--as_of=] [--format=]
  flows --mirror [--period=|--from= --to=] [--corridor=ORIGIN-DESTINATION] [--as_of=] [--format=]
  match [--occupation=CODE] [--destination=X] [--origin=Y] [--period=] [--level=1-4] [--as_of=]
        [--format=]
  completeness [--dataset=shortages|vacancies|flows] [--from=] [--to=] [--format=]
  peers [--format=]
  classifications list [--format=]
  classifications show ID [CODE] [--origin=COUNTRY] [--as_of=] [--format=]
  classifications import --id=ID [--target=ISCO08] FILE|- [--dry_run]
  region init --dir=DIR --countries=KEN,UGA,... [--base_port=7401] [--name=REGION] [--tls]
  admin token create --name=NAME --role=publisher|reader|analyst|admin|peer [--config=FILE]
  admin token revoke ID|NAME [--config=FILE]
  admin token list [--config=FILE] [--format=]
  admin audit [--since=2026-01-01T00:00:00Z] [--last=N] [--format=]
  admin backup --dir=DIR          (a new directory on the node's machine; start a node on it to restore)
  admin calendar [--cancel=ID] [--format=]   (embargoed batches waiting for release)
  admin declare-region-lost --reason=TEXT    (a node no peer answers publishes anyway: it may fork its log)

--node defaults to $LMX_NODE, else 127.0.0.1:7401.
--token (or $LMX_TOKEN, or --token_file / $LMX_TOKEN_FILE) is the bearer token;
--tls_ca (or $LMX_TLS_CA) is the region CA's certificate for a node serving TLS;
--tls_server_name=KEN (or $LMX_TLS_SERVER_NAME) requires that member's certificate.
admin token --config=FILE edits a stopped node's config file (a running one: SIGHUP).
exit codes: 0 success, 1 rejected input or failed query, 2 usage error, 3 node unreachable
)";

// A usage error is an INVALID_ARGUMENT status; Report() turns it into exit
// code 2 with a pointer to --help.
absl::Status UsageError(absl::string_view message) { return absl::InvalidArgumentError(message); }

// Binds `lhs` to the value of a StatusOr, or returns the failure's exit code.
#define ASSIGN_OR_EXIT(lhs, expr) ASSIGN_OR_EXIT_IMPL(LMX_CLI_CONCAT(result_, __LINE__), lhs, expr)
#define LMX_CLI_CONCAT_INNER(a, b) a##b
#define LMX_CLI_CONCAT(a, b) LMX_CLI_CONCAT_INNER(a, b)
#define ASSIGN_OR_EXIT_IMPL(result, lhs, expr)      \
  auto result = (expr);                             \
  if (!result.ok()) return Report(result.status()); \
  lhs = std::move(result).value()
#define RETURN_IF_USAGE_ERROR(expr)            \
  do {                                         \
    absl::Status status_ = (expr);             \
    if (!status_.ok()) return Report(status_); \
  } while (false)

// The command line: positional words and --flags (as --name=value, or
// --name value for flags that take one).
class Arguments {
 public:
  static constexpr const char* kSwitches[] = {"partial", "dry_run", "help",
                                              "version", "tls",     "mirror"};

  static absl::StatusOr<Arguments> Parse(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (!absl::StartsWith(arg, "--") || arg == "--") {
        args.positional_.push_back(arg);
        continue;
      }
      arg = arg.substr(2);
      size_t equals = arg.find('=');
      // --dry-run and --dry_run are the same flag.
      std::string name = absl::StrReplaceAll(arg.substr(0, equals), {{"-", "_"}});
      if (IsSwitch(name)) {
        std::string value = equals == std::string::npos ? "true" : arg.substr(equals + 1);
        if (value != "true" && value != "false" && value != "1" && value != "0") {
          return UsageError(absl::StrCat("--", name, " takes no value, or true or false"));
        }
        if (value == "true" || value == "1") args.flags_[name] = "true";
      } else if (equals != std::string::npos) {
        args.flags_[name] = arg.substr(equals + 1);
      } else if (i + 1 < argc) {
        args.flags_[name] = argv[++i];
      } else {
        return UsageError(absl::StrCat("--", name, " needs a value"));
      }
    }
    return args;
  }

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = flags_.find(name);
    return it == flags_.end() ? fallback : it->second;
  }
  // Fails on any flag outside `allowed` (and the global ones).
  absl::Status Allow(const std::set<std::string>& allowed) const {
    static const std::set<std::string> kGlobal = {
        "node", "token", "token_file", "tls_ca", "tls_server_name", "timeout", "help", "version"};
    for (const auto& [name, value] : flags_) {
      if (!allowed.count(name) && !kGlobal.count(name)) {
        return UsageError(absl::StrCat("unknown flag --", name, " for this command"));
      }
    }
    return absl::OkStatus();
  }

 private:
  static bool IsSwitch(const std::string& name) {
    for (const char* s : kSwitches) {
      if (name == s) return true;
    }
    return false;
  }

  std::vector<std::string> positional_;
  std::map<std::string, std::string> flags_;
};

// Fails unless the command line has exactly `count` positional words
// (the command included).
absl::Status ExpectPositional(const Arguments& args, size_t count, absl::string_view usage) {
  if (args.positional().size() == count) return absl::OkStatus();
  return UsageError(absl::StrCat("usage: lmx ", usage));
}

absl::StatusOr<v1::Dataset> ParseDataset(const Arguments& args, size_t index) {
  static const std::map<std::string, v1::Dataset> kDatasets = {
      {"shortages", v1::DATASET_SHORTAGE},
      {"vacancies", v1::DATASET_VACANCY},
      {"flows", v1::DATASET_FLOW},
  };
  if (args.positional().size() <= index) {
    return UsageError("name a dataset: shortages, vacancies or flows");
  }
  auto it = kDatasets.find(args.positional()[index]);
  if (it == kDatasets.end()) {
    return UsageError(absl::StrCat("'", args.positional()[index],
                                   "' is not a dataset (shortages, vacancies or flows)"));
  }
  return it->second;
}

absl::StatusOr<Format> ParseFormatFlag(const Arguments& args) {
  return ParseFormat(args.Get("format", "table"));
}

// Exit code and message for a failed call.
int Report(const absl::Status& status) {
  std::cerr << "lmx: " << status.message() << "\n";
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return kUnreachable;
    case absl::StatusCode::kInvalidArgument:
      std::cerr << "(lmx --help lists the commands)\n";
      return kUsage;
    default:
      return kFailed;
  }
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

// Says how fresh each origin's contribution is (table output only, on
// stderr, so CSV and JSON stay clean).
void ReportFreshness(Format format,
                     const google::protobuf::RepeatedPtrField<v1::OriginState>& origins) {
  if (format != Format::kTable || origins.empty()) return;
  std::vector<std::string> parts;
  for (const auto& origin : origins) {
    parts.push_back(origin.version() == 0
                        ? absl::StrCat(origin.origin(), " (no data yet)")
                        : absl::StrCat(origin.origin(), " v", origin.version(), " (",
                                       FormatTime(origin.published_at()), ")"));
  }
  std::cerr << "data as of: " << absl::StrJoin(parts, ", ") << "\n";
}

// A flag, else an environment variable, else `fallback`.
std::string FlagOrEnv(const Arguments& args, const std::string& flag, const char* variable,
                      const std::string& fallback = "") {
  if (args.Has(flag)) return args.Get(flag);
  const char* env = std::getenv(variable);
  return env != nullptr && *env ? env : fallback;
}

absl::StatusOr<std::unique_ptr<NodeClient>> Connect(const Arguments& args) {
  std::string address = FlagOrEnv(args, "node", "LMX_NODE", "127.0.0.1:7401");
  absl::Duration timeout = absl::Minutes(60);
  if (args.Has("timeout") && !absl::ParseDuration(args.Get("timeout"), &timeout)) {
    return UsageError("--timeout takes a duration such as 30s or 10m");
  }
  ClientCredentials credentials;
  // A token in a file or the environment stays out of `ps` listings.
  credentials.token = FlagOrEnv(args, "token", "LMX_TOKEN");
  if (std::string file = FlagOrEnv(args, "token_file", "LMX_TOKEN_FILE"); !file.empty()) {
    auto text = ReadWholeFile(file);
    if (!text.ok()) return UsageError(absl::StrCat("--token_file: ", text.status().message()));
    credentials.token = std::string(absl::StripAsciiWhitespace(*text));
  }
  if (std::string ca = FlagOrEnv(args, "tls_ca", "LMX_TLS_CA"); !ca.empty()) {
    auto pem = ReadWholeFile(ca);
    if (!pem.ok()) return UsageError(absl::StrCat("--tls_ca: ", pem.status().message()));
    credentials.ca_pem = *pem;
    // Which member's certificate the node must show (KEN); without it, any
    // certificate of the CA valid for the address's host will do.
    credentials.server_name = FlagOrEnv(args, "tls_server_name", "LMX_TLS_SERVER_NAME");
  }
  return NodeClient::Connect(address, credentials, absl::Seconds(5), timeout);
}

// A progress bar on stderr, only when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDERR_FILENO) == 1) {}
  void Update(uint64_t done, uint64_t total) {
    if (!enabled_ || total == 0) return;
    absl::Time now = absl::Now();
    if (now - last_ < absl::Milliseconds(100) && done < total) return;
    last_ = now;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * done / total);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
              << (100 * done / total) << "% " << done / (1 << 20) << " / " << total / (1 << 20)
              << " MiB" << std::flush;
    shown_ = true;
  }
  void Clear() {
    if (shown_) std::cerr << "\r" << std::string(60, ' ') << "\r" << std::flush;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  absl::Time last_ = absl::InfinitePast();
};

// Sends one CSV file (a dataset, or a crosswalk) and reports the node's
// answer: each rejected row on stderr, the counts on stdout.
int SendFile(const Arguments& args, const std::string& path, PublishOptions options) {
  auto reader = CsvReader::Open(path);
  if (!reader.ok()) {
    std::cerr << "lmx: " << reader.status().message() << "\n";
    return kFailed;
  }
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ProgressBar progress;
  options.source = path == "-" ? "stdin" : path;
  options.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
  auto result = client->Publish(**reader, options);
  progress.Clear();
  if (!result.ok()) {
    std::cerr << "lmx: " << result.status().message() << "\n";
    if (absl::StrContains(result.status().message(), "nothing was written")) {
      // The node answered: it refused the batch before taking it.
      return kFailed;
    }
    if (result.status().code() == absl::StatusCode::kUnavailable ||
        result.status().code() == absl::StatusCode::kDeadlineExceeded ||
        result.status().code() == absl::StatusCode::kCancelled) {
      // A batch commits whole or not at all, but the acknowledgement may be
      // what was lost.
      std::cerr << "lmx: the node did not acknowledge the batch: it was written whole or not "
                   "at all; `lmx peers` shows the node's latest version\n";
      return result.status().code() == absl::StatusCode::kUnavailable ? kUnreachable : kFailed;
    }
    return kFailed;
  }
  const std::string& source = options.source;
  for (const auto& error : result->errors()) {
    std::cerr << source << ":" << error.line() << ": " << error.column() << ": " << error.reason()
              << "\n";
  }
  if (result->errors_omitted() > 0) {
    std::cerr << source << ": " << result->errors_omitted() << " more errors not listed\n";
  }
  for (const auto& notice : result->notices()) std::cerr << source << ": " << notice << "\n";
  // What was (or, in a dry run, would be) written: nothing from a file with
  // rejected rows unless --partial.
  bool held_back = result->rejected_batch();
  uint64_t accepted = held_back ? 0 : result->accepted();
  std::cout << "accepted " << accepted << ", rejected " << result->rejected() << "\n";
  if (held_back && result->accepted() > 0) {
    std::cerr << source << ": nothing " << (options.dry_run ? "would be" : "was") << " written; "
              << result->accepted() << (result->accepted() == 1 ? " valid row" : " valid rows")
              << " held back because of the rejected rows ("
              << (options.dataset == v1::DATASET_CROSSWALK
                      ? "a crosswalk is imported whole: fix them"
                      : "fix them, or publish with --partial")
              << ")\n";
  }
  bool mapped = !options.classification.empty() && options.dataset != v1::DATASET_CROSSWALK &&
                absl::AsciiStrToUpper(options.classification) != "ISCO08";
  if (mapped && !held_back && result->accepted() > 0) {
    std::cerr << source << ": mapped from " << options.classification << " to "
              << result->observations() << " ISCO-08 observations\n";
  }
  if (options.dry_run) std::cerr << source << ": dry run, nothing was written\n";
  if (result->written() && !result->release_id().empty()) {
    std::cerr << source << ": embargoed until " << FormatTime(result->release_at()) << " as "
              << result->release_id() << " (lmx admin calendar); published then\n";
  } else if (result->written()) {
    std::cerr << source << ": written as version " << result->version() << "\n";
  }
  return result->rejected_batch() || result->rejected() > 0 ? kFailed : kOk;
}

int Publish(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"partial", "dry_run", "classification", "release_at"}));
  ASSIGN_OR_EXIT(v1::Dataset dataset, ParseDataset(args, 1));
  if (args.positional().size() != 3)
    return Report(UsageError("publish takes a dataset and one FILE"));
  PublishOptions options;
  options.dataset = dataset;
  options.partial = args.Has("partial");
  options.dry_run = args.Has("dry_run");
  options.classification = args.Get("classification");
  if (args.Has("release_at")) {
    absl::Time release_at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("release_at"), &release_at, &error)) {
      return Report(UsageError(absl::StrCat("--release_at '", args.Get("release_at"),
                                            "' is not an RFC 3339 date-time such as "
                                            "2026-12-01T09:00:00Z")));
    }
    options.release_at = release_at;
  }
  return SendFile(args, args.positional()[2], std::move(options));
}

absl::StatusOr<v1::Filter> ParseFilter(const Arguments& args) {
  v1::Filter filter;
  for (absl::string_view country : absl::StrSplit(args.Get("country"), ',', absl::SkipEmpty())) {
    filter.add_countries(std::string(country));
  }
  filter.set_occupation(args.Get("occupation"));
  filter.set_period(args.Get("period"));
  filter.set_from(args.Get("from"));
  filter.set_to(args.Get("to"));
  filter.set_as_of(args.Get("as_of"));
  if (!filter.period().empty() && (!filter.from().empty() || !filter.to().empty())) {
    return UsageError("use --period or --from/--to, not both");
  }
  return filter;
}

const std::set<std::string> kFilterFlags = {"country", "occupation", "period", "from",
                                            "to",      "as_of",      "format"};

Cell Optional(bool present, double value) { return present ? Cell::Real(value) : Cell::Null(); }
Cell OptionalInt(bool present, int64_t value) {
  return present ? Cell::Integer(value) : Cell::Null();
}

// The columns and cells of `lmx query` for each dataset.
std::vector<std::string> QueryColumns(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE:
      return {"country",  "period",       "occupation",     "region",
              "activity", "status",       "shortage_index", "hard_to_fill",
              "version",  "published_at", "classification", "national_codes"};
    case v1::DATASET_VACANCY:
      return {"country",    "vacancy_id",   "posted",         "closes",
              "occupation", "activity",     "region",         "positions",
              "education",  "skills",       "title",          "status",
              "version",    "published_at", "classification", "national_codes"};
    default:
      return {"country", "occupation",   "period",         "direction",     "counterpart",
              "sex",     "age",          "channel",        "count",         "conf_status",
              "version", "published_at", "classification", "national_codes"};
  }
}

std::vector<Cell> QueryCells(const v1::Observation& o) {
  auto provenance = [](const v1::Provenance& p, std::vector<Cell>* cells) {
    cells->push_back(Cell::Integer(static_cast<int64_t>(p.version())));
    cells->push_back(Cell::Text(FormatTime(p.published_at())));
    // Which crosswalk version mapped it, and from which national codes.
    cells->push_back(
        Cell::Text(p.classification().empty()
                       ? ""
                       : absl::StrCat(p.classification(), " v", p.classification_version())));
    cells->push_back(Cell::List({p.national_codes().begin(), p.national_codes().end()}));
  };
  std::vector<Cell> cells;
  if (o.has_shortage()) {
    const auto& s = o.shortage();
    cells = {Cell::Text(s.country()),
             Cell::Text(s.period()),
             Cell::Text(s.occupation()),
             Cell::Text(s.region()),
             Cell::Text(s.activity()),
             Cell::Text(v1::ShortageStatus_Name(s.status())),
             Optional(s.has_shortage_index(), s.shortage_index()),
             OptionalInt(s.has_hard_to_fill(), s.hard_to_fill())};
    provenance(s.provenance(), &cells);
  } else if (o.has_vacancy()) {
    const auto& v = o.vacancy();
    cells = {Cell::Text(v.country()),    Cell::Text(v.vacancy_id()),
             Cell::Text(v.posted()),     Cell::Text(v.closes()),
             Cell::Text(v.occupation()), Cell::Text(v.activity()),
             Cell::Text(v.region()),     Cell::Integer(v.positions()),
             Cell::Text(v.education()),  Cell::List({v.skills().begin(), v.skills().end()}),
             Cell::Text(v.title()),      Cell::Text(v1::VacancyStatus_Name(v.status()))};
    provenance(v.provenance(), &cells);
  } else {
    const auto& f = o.flow();
    cells = {Cell::Text(f.country()),     Cell::Text(f.occupation()),
             Cell::Text(f.period()),      Cell::Text(v1::FlowDirection_Name(f.direction())),
             Cell::Text(f.counterpart()), Cell::Text(f.sex()),
             Cell::Text(f.age()),         Cell::Text(f.channel()),
             Cell::Integer(f.count()),    Cell::Text(v1::ConfStatus_Name(f.conf_status()))};
    provenance(f.provenance(), &cells);
  }
  return cells;
}

// Prints a streamed answer. The first message carries the freshness (and,
// for aggregates, the columns): `columns` turns it, or no message at all,
// into the header, and `rows` writes each message's rows.
template <typename Response>
int PrintAnswer(
    Format format,
    const std::function<absl::Status(const std::function<void(const Response&)>&)>& call,
    const std::function<std::vector<std::string>(const Response*)>& columns,
    const std::function<void(const Response&, TableWriter*)>& rows) {
  auto out = TableWriter::Create(format, std::cout);
  bool begun = false;
  google::protobuf::RepeatedPtrField<v1::OriginState> origins;
  absl::Status status = call([&](const Response& response) {
    if (!begun) {
      out->Begin(columns(&response));
      origins = response.origins();
      begun = true;
    }
    rows(response, out.get());
  });
  if (!status.ok()) return Report(status);
  if (!begun) out->Begin(columns(nullptr));
  out->End();
  ReportFreshness(format, origins);
  return kOk;
}

int Query(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow(kFilterFlags));
  v1::QueryRequest request;
  ASSIGN_OR_EXIT(v1::Dataset dataset, ParseDataset(args, 1));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "query shortages|vacancies|flows [filters]"));
  request.set_dataset(dataset);
  ASSIGN_OR_EXIT(*request.mutable_filter(), ParseFilter(args));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::QueryResponse>(
      format, [&](const auto& receive) { return client->Query(request, receive); },
      [&](const v1::QueryResponse*) { return QueryColumns(request.dataset()); },
      [](const v1::QueryResponse& response, TableWriter* out) {
        for (const auto& observation : response.observations()) out->Row(QueryCells(observation));
      });
}

int Aggregate(const Arguments& args) {
  std::set<std::string> allowed = kFilterFlags;
  allowed.insert("by");
  RETURN_IF_USAGE_ERROR(args.Allow(allowed));
  v1::AggregateRequest request;
  ASSIGN_OR_EXIT(v1::Dataset dataset, ParseDataset(args, 1));
  RETURN_IF_USAGE_ERROR(
      ExpectPositional(args, 2, "aggregate shortages|vacancies|flows --by=DIM[:LEVEL],..."));
  request.set_dataset(dataset);
  if (args.Get("by").empty()) return Report(UsageError("aggregate needs --by=DIM[:LEVEL],..."));
  for (absl::string_view by : absl::StrSplit(args.Get("by"), ',', absl::SkipEmpty())) {
    ASSIGN_OR_EXIT(*request.add_by(), ParseGrouping(request.dataset(), by));
  }
  ASSIGN_OR_EXIT(*request.mutable_filter(), ParseFilter(args));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::AggregateResponse>(
      format, [&](const auto& receive) { return client->Aggregate(request, receive); },
      [](const v1::AggregateResponse* first) {
        return first == nullptr
                   ? std::vector<std::string>{}
                   : std::vector<std::string>(first->columns().begin(), first->columns().end());
      },
      [](const v1::AggregateResponse& response, TableWriter* out) {
        for (const auto& row : response.rows()) {
          std::vector<Cell> cells;
          for (const auto& key : row.keys()) cells.push_back(Cell::Text(key));
          for (const auto& value : row.measures()) {
            cells.push_back(value.has_integer() ? Cell::Integer(value.integer())
                            : value.has_real()  ? Cell::Real(value.real())
                                                : Cell::Null());
          }
          cells.push_back(Cell::Integer(row.countries()));
          out->Row(cells);
        }
      });
}

int Shortages(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"occupation", "period", "as_of", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "shortages --occupation=CODE [--period=]"));
  if (args.Get("occupation").empty()) {
    return Report(UsageError("shortages needs --occupation=CODE"));
  }
  v1::ShortageViewRequest request;
  request.set_occupation(args.Get("occupation"));
  request.set_period(args.Get("period"));
  request.set_as_of(args.Get("as_of"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::ShortageViewResponse>(
      format, [&](const auto& receive) { return client->Shortages(request, receive); },
      [](const v1::ShortageViewResponse*) {
        return std::vector<std::string>{"country",     "occupation",     "period",
                                        "status",      "shortage_index", "hard_to_fill",
                                        "basis",       "scope",          "observed_occupations",
                                        "published_at"};
      },
      [](const v1::ShortageViewResponse& response, TableWriter* out) {
        for (const auto& row : response.rows()) {
          out->Row({Cell::Text(row.country()), Cell::Text(row.occupation()),
                    Cell::Text(row.period()), Cell::Text(v1::ShortageStatus_Name(row.status())),
                    Optional(row.has_shortage_index(), row.shortage_index()),
                    OptionalInt(row.has_hard_to_fill(), row.hard_to_fill()),
                    Cell::Text(v1::ShortageBasis_Name(row.basis())),
                    Cell::Text(row.subnational() ? "subnational" : "national"),
                    Cell::Text(absl::StrJoin(row.observed_occupations(), "|")),
                    Cell::Text(FormatTime(row.published_at()))});
        }
      });
}

// Parses an optional whole-number flag into `out`.
absl::Status ParseCount(const Arguments& args, const std::string& flag,
                        const std::function<void(uint32_t)>& set) {
  if (!args.Has(flag)) return absl::OkStatus();
  uint32_t value = 0;
  if (!absl::SimpleAtoi(args.Get(flag), &value)) {
    return UsageError(absl::StrCat("--", flag, " must be a whole number, 1 or more"));
  }
  set(value);
  return absl::OkStatus();
}

int ShortageList(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow(
      {"country", "period", "as_of", "format", "min_periods", "last_periods", "index_above"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "shortage-list --country=X [--period=]"));
  if (args.Get("country").empty()) return Report(UsageError("shortage-list needs --country=X"));
  v1::ShortageListRequest request;
  request.set_country(args.Get("country"));
  request.set_period(args.Get("period"));
  request.set_as_of(args.Get("as_of"));
  auto* rule = request.mutable_rule();
  RETURN_IF_USAGE_ERROR(
      ParseCount(args, "min_periods", [&](uint32_t v) { rule->set_min_periods(v); }));
  RETURN_IF_USAGE_ERROR(
      ParseCount(args, "last_periods", [&](uint32_t v) { rule->set_last_periods(v); }));
  if (args.Has("index_above")) {
    double t = 0;
    if (!absl::SimpleAtod(args.Get("index_above"), &t)) {
      return Report(UsageError("--index_above must be a number in [-1, 1]"));
    }
    rule->set_index_above(t);
  }
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::ShortageListResponse list, client->ShortageList(request));
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"occupation", "label", "listed", "shortage_periods", "period", "status",
              "shortage_index", "hard_to_fill"});
  for (const auto& entry : list.entries()) {
    std::string listed = entry.persistent() && entry.acute() ? "persistent, acute"
                         : entry.persistent()                ? "persistent"
                                                             : "acute";
    for (const auto& e : entry.evidence()) {
      out->Row({Cell::Text(entry.occupation()), Cell::Text(entry.label()), Cell::Text(listed),
                Cell::Integer(entry.shortage_periods()), Cell::Text(e.period()),
                Cell::Text(v1::ShortageStatus_Name(e.status())),
                Optional(e.has_shortage_index(), e.shortage_index()),
                OptionalInt(e.has_hard_to_fill(), e.hard_to_fill())});
    }
  }
  out->End();
  // The rule and the window, in every format (stderr keeps CSV and JSON
  // clean): an empty list is an answer only with them.
  std::cerr << list.country() << " shortage list for "
            << (list.periods().empty() ? "" : list.periods(list.periods_size() - 1)) << ": "
            << list.entries_size() << (list.entries_size() == 1 ? " occupation" : " occupations")
            << " SHORTAGE in at least " << list.rule().min_periods() << " of "
            << absl::StrJoin(list.periods(), ", ") << ", or with shortage_index above "
            << list.rule().index_above() << " in the latest\n";
  ReportFreshness(format, list.origins());
  return kOk;
}

int Flows(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(
      args.Allow({"mirror", "period", "from", "to", "corridor", "as_of", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "flows --mirror [--period=] [--corridor=A-B]"));
  if (!args.Has("mirror")) {
    return Report(UsageError(
        "flows needs --mirror (the flows themselves: lmx query flows, lmx aggregate flows)"));
  }
  if (args.Has("period") && (args.Has("from") || args.Has("to"))) {
    return Report(UsageError("use --period or --from/--to, not both"));
  }
  v1::MirrorFlowsRequest request;
  request.set_period(args.Get("period"));
  request.set_from(args.Get("from"));
  request.set_to(args.Get("to"));
  request.set_corridor(args.Get("corridor"));
  request.set_as_of(args.Get("as_of"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::MirrorFlowsResponse>(
      format, [&](const auto& receive) { return client->MirrorFlows(request, receive); },
      [](const v1::MirrorFlowsResponse*) {
        return std::vector<std::string>{"origin",   "destination", "period", "occupation",
                                        "sex",      "outflow",     "inflow", "difference",
                                        "relative", "missing"};
      },
      [](const v1::MirrorFlowsResponse& response, TableWriter* out) {
        for (const auto& r : response.rows()) {
          out->Row({Cell::Text(r.origin()), Cell::Text(r.destination()), Cell::Text(r.period()),
                    Cell::Text(r.occupation()), Cell::Text(r.sex()),
                    OptionalInt(r.has_outflow(), r.outflow()),
                    OptionalInt(r.has_inflow(), r.inflow()),
                    OptionalInt(r.has_difference(), r.difference()),
                    Optional(r.has_relative(), r.relative()), Cell::Text(r.missing())});
        }
      });
}

int Match(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(
      args.Allow({"occupation", "destination", "origin", "period", "level", "as_of", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(
      args, 1, "match [--occupation=CODE] [--destination=X] [--origin=Y] [--period=]"));
  v1::MatchRequest request;
  request.set_occupation(args.Get("occupation"));
  request.set_destination(args.Get("destination"));
  request.set_origin(args.Get("origin"));
  request.set_period(args.Get("period"));
  request.set_as_of(args.Get("as_of"));
  RETURN_IF_USAGE_ERROR(ParseCount(args, "level", [&](uint32_t v) { request.set_level(v); }));
  if (args.Has("level") && (request.level() < 1 || request.level() > 4)) {
    return Report(UsageError("--level must be 1 to 4 (ISCO major to unit groups)"));
  }
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  return PrintAnswer<v1::MatchResponse>(
      format, [&](const auto& receive) { return client->Match(request, receive); },
      [&](const v1::MatchResponse*) {
        return std::vector<std::string>{"occupation",
                                        "label",
                                        "destination",
                                        "destination_period",
                                        "destination_index",
                                        "origin",
                                        "origin_period",
                                        "origin_index",
                                        "inflow",
                                        "outflow",
                                        "vacancies",
                                        "positions",
                                        "window",
                                        "score"};
      },
      [](const v1::MatchResponse& response, TableWriter* out) {
        for (const auto& r : response.rows()) {
          out->Row({Cell::Text(r.occupation()), Cell::Text(r.label()), Cell::Text(r.destination()),
                    Cell::Text(r.destination_period()),
                    Optional(r.has_destination_index(), r.destination_index()),
                    Cell::Text(r.origin()), Cell::Text(r.origin_period()),
                    Optional(r.has_origin_index(), r.origin_index()),
                    OptionalInt(r.has_inflow(), r.inflow()),
                    OptionalInt(r.has_outflow(), r.outflow()), Cell::Integer(r.vacancies()),
                    Cell::Integer(r.positions()), Cell::Text(r.window()), Cell::Real(r.score())});
        }
      });
}

int Completeness(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"dataset", "from", "to", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "completeness [--dataset=] [--from= --to=]"));
  v1::CompletenessRequest request;
  if (args.Has("dataset")) {
    static const std::map<std::string, v1::Dataset> kDatasets = {
        {"shortages", v1::DATASET_SHORTAGE},
        {"vacancies", v1::DATASET_VACANCY},
        {"flows", v1::DATASET_FLOW}};
    auto it = kDatasets.find(args.Get("dataset"));
    if (it == kDatasets.end()) {
      return Report(UsageError("--dataset must be shortages, vacancies or flows"));
    }
    request.set_dataset(it->second);
  }
  request.set_from(args.Get("from"));
  request.set_to(args.Get("to"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  std::vector<v1::CompletenessRow> rows;
  google::protobuf::RepeatedPtrField<v1::OriginState> origins;
  bool first = true;
  absl::Status status = client->Completeness(request, [&](const v1::CompletenessResponse& r) {
    if (first) origins = r.origins();
    first = false;
    for (const auto& row : r.rows()) rows.push_back(row);
  });
  if (!status.ok()) return Report(status);
  // The matrix: a column per period any member reported, in time order.
  std::map<TimePeriod, std::string> periods;  // in TimePeriod's (storage) order
  for (const auto& row : rows) {
    for (const auto& p : row.periods()) {
      auto period = TimePeriod::Parse(p.period());
      if (period.ok()) periods[*period] = p.period();
    }
  }
  std::vector<std::string> columns = {"country", "dataset", "version", "published_at"};
  for (const auto& [order, period] : periods) columns.push_back(period);
  auto out = TableWriter::Create(format, std::cout);
  out->Begin(columns);
  for (const auto& row : rows) {
    std::map<std::string, uint64_t> reported;
    for (const auto& p : row.periods()) reported[p.period()] = p.version();
    std::vector<Cell> cells = {Cell::Text(row.country()), Cell::Text(DatasetWord(row.dataset())),
                               Cell::Integer(static_cast<int64_t>(row.version())),
                               Cell::Text(FormatTime(row.published_at()))};
    for (const auto& [order, period] : periods) {
      auto it = reported.find(period);
      cells.push_back(it == reported.end() ? Cell::Null()
                                           : Cell::Text(absl::StrCat("v", it->second)));
    }
    out->Row(cells);
  }
  out->End();
  ReportFreshness(format, origins);
  return kOk;
}

int Peers(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "peers [--format=]"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::PeersResponse peers, client->Peers());
  auto time_or_null = [](const google::protobuf::Timestamp& time) {
    return time.seconds() == 0 && time.nanos() == 0 ? Cell::Null() : Cell::Text(FormatTime(time));
  };
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"origin", "version", "head", "lag", "published_at", "last_contact", "digest", "hash",
              "trust", "key", "rejected", "last_error"});
  for (const auto& origin : peers.origins()) {
    out->Row({Cell::Text(origin.origin()), Cell::Integer(static_cast<int64_t>(origin.applied())),
              Cell::Integer(static_cast<int64_t>(origin.head())),
              Cell::Integer(static_cast<int64_t>(origin.head() - origin.applied())),
              time_or_null(origin.published_at()), time_or_null(origin.last_contact()),
              Cell::Text(origin.digest()), Cell::Text(origin.hash()), Cell::Text(origin.trust()),
              Cell::Text(origin.key()), Cell::Integer(static_cast<int64_t>(origin.rejected())),
              Cell::Text(origin.last_error())});
  }
  out->End();
  // The node's own state and the links, on stderr so that --format=csv
  // stays one table.
  std::cerr << peers.node() << " publishing: " << peers.publishing() << "\n";
  std::cerr << peers.node() << " storage: " << peers.storage() << " ("
            << peers.free_bytes() / (1 << 20) << " MiB free, " << peers.reserve_bytes() / (1 << 20)
            << " MiB kept in reserve)\n";
  for (const auto& origin : peers.origins()) {
    if (origin.forked_versions_size() > 0) {
      std::cerr << peers.node() << ": " << origin.origin()
                << " is forked: it signed two histories, apart at version "
                << absl::StrJoin(origin.forked_versions(), ", ")
                << " (or before); this node keeps the first it had, and the proof\n";
    }
    if (origin.recovered_versions_size() > 0) {
      std::cerr << peers.node() << ": versions " << absl::StrJoin(origin.recovered_versions(), ", ")
                << " of " << origin.origin()
                << " came back from the region, as the region holds them: flows after "
                   "disclosure control, vacancies as monthly aggregates (their records stay "
                   "lost); re-publish them from the source files to restore the rows\n";
    }
  }
  for (const auto& peer : peers.peers()) {
    std::cerr << peers.node() << " pulls from " << peer.id() << " at " << peer.address() << ": "
              << (peer.connected() ? "connected" : "not connected");
    if (peer.last_contact().seconds() != 0) {
      std::cerr << ", last contact " << FormatTime(peer.last_contact());
    }
    if (!peer.last_error().empty()) std::cerr << ", last error: " << peer.last_error();
    std::cerr << "\n";
  }
  return kOk;
}

// The region CA in DIR (ca.pem, ca.key), made on first use and reused
// after, so members can be added.
absl::StatusOr<KeyAndCertificate> RegionCa(const std::string& dir, const std::string& region) {
  std::string cert_path = dir + "/ca.pem";
  std::string key_path = dir + "/ca.key";
  if (std::filesystem::exists(cert_path)) {
    KeyAndCertificate ca;
    ASSIGN_OR_RETURN(ca.cert_pem, ReadWholeFile(cert_path));
    ASSIGN_OR_RETURN(ca.key_pem, ReadWholeFile(key_path));
    return ca;
  }
  auto ca = MakeCertificateAuthority(absl::StrCat("lmx region ", region, " CA"));
  if (!ca.ok()) return ca.status();
  if (absl::Status written = WriteFileAtomically(key_path, ca->key_pem, 0600); !written.ok()) {
    return written;
  }
  if (absl::Status written = WriteFileAtomically(cert_path, ca->cert_pem, 0644); !written.ok()) {
    return written;
  }
  return ca;
}

// A member's certificate and key (CN and a DNS name = its id; localhost and
// the loopback addresses, as `region init` lays regions out on loopback)
// and the tls section of its config file, keeping any tokens there. A
// member that has its files keeps them.
absl::Status IssueMemberFiles(const KeyAndCertificate& ca, const std::string& country,
                              const std::string& data_dir) {
  if (std::filesystem::exists(data_dir + "/tls.pem")) return absl::OkStatus();
  auto issued = IssueCertificate(ca, country, {country, "localhost"}, {"127.0.0.1", "::1"});
  if (!issued.ok()) return issued.status();
  if (absl::Status written = WriteFileAtomically(data_dir + "/tls.key", issued->key_pem, 0600);
      !written.ok()) {
    return written;
  }
  if (absl::Status written = WriteFileAtomically(data_dir + "/tls.pem", issued->cert_pem, 0644);
      !written.ok()) {
    return written;
  }
  std::string config_path = data_dir + "/config.json";
  auto config = LoadNodeConfig(config_path);
  if (!config.ok()) return config.status();
  config->tls = {"tls.pem", "tls.key", "../ca.pem"};
  return SaveNodeConfig(config_path, *config);
}

// `lmx region init --dir=DIR --countries=KEN,UGA,... [--base_port=7401] [--tls]`:
// a key pair in DIR/<COUNTRY>/ for each node (its data dir) and the region
// manifest DIR/region.json listing them on loopback. With --tls, also a
// region CA and a certificate for each member, named in its config.json.
int RegionInit(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"dir", "countries", "base_port", "name", "tls"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(
      args, 2, "region init --dir=DIR --countries=KEN,UGA,... [--base_port=7401] [--name=]"));
  std::string dir = args.Get("dir");
  std::vector<std::string> countries =
      absl::StrSplit(args.Get("countries"), ',', absl::SkipWhitespace());
  int base_port = 0;
  if (dir.empty() || countries.empty()) {
    return Report(UsageError("region init needs --dir=DIR and --countries=KEN,UGA,..."));
  }
  if (!absl::SimpleAtoi(args.Get("base_port", "7401"), &base_port) || base_port < 1 ||
      base_port + static_cast<int>(countries.size()) > 65535) {
    return Report(UsageError("--base_port must be a port number"));
  }
  RegionManifest manifest;
  manifest.region = args.Get("name", "local");
  KeyAndCertificate ca;
  const bool tls = args.Has("tls");
  if (tls) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    ASSIGN_OR_EXIT(ca, RegionCa(dir, manifest.region));
    ASSIGN_OR_EXIT(manifest.ca_sha256, CertificateSha256(ca.cert_pem));
  }
  for (size_t i = 0; i < countries.size(); ++i) {
    const std::string& country = countries[i];
    if (country.size() != 3 || !absl::c_all_of(country, absl::ascii_isupper)) {
      return Report(UsageError(
          absl::StrCat("--countries: '", country, "' is not an ISO 3166-1 alpha-3 code")));
    }
    std::string data_dir = absl::StrCat(dir, "/", country);
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) return Report(absl::InternalError(absl::StrCat(data_dir, ": ", error.message())));
    ASSIGN_OR_EXIT(Identity identity, Identity::LoadOrCreate(data_dir + "/node.key"));
    manifest.members.push_back({country,
                                absl::StrCat("127.0.0.1:", base_port + static_cast<int>(i)),
                                identity.public_key()});
    if (tls) RETURN_IF_USAGE_ERROR(IssueMemberFiles(ca, country, data_dir));
  }
  std::string path = dir + "/region.json";
  if (absl::Status written = WriteManifest(path, manifest); !written.ok()) return Report(written);
  std::cout << "wrote " << path << " with " << manifest.members.size() << " members; start them:\n";
  for (const auto& member : manifest.members) {
    std::cout << "  lmx-node --country=" << member.id << " --data_dir=" << dir << "/" << member.id
              << " --listen=" << member.address << " --region=" << path << "\n";
  }
  if (tls) {
    std::cout << "each node's config.json names its certificate; the region CA is " << dir
              << "/ca.pem (clients: --tls_ca=" << dir << "/ca.pem); keep " << dir
              << "/ca.key offline\n";
  }
  return kOk;
}

int Region(const Arguments& args) {
  if (args.positional().size() < 2 || args.positional()[1] != "init") {
    return Report(UsageError("usage: lmx region init --dir=DIR --countries=KEN,UGA,..."));
  }
  return RegionInit(args);
}

// `lmx classifications import --id=ID [--target=ISCO08] FILE`: a crosswalk
// travels as a publish of DATASET_CROSSWALK.
int ImportClassification(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"id", "target", "dry_run"}));
  RETURN_IF_USAGE_ERROR(
      ExpectPositional(args, 3, "classifications import --id=ID [--target=ISCO08] FILE"));
  if (args.Get("id").empty()) {
    return Report(UsageError("classifications import needs --id=ID, the classification's name"));
  }
  PublishOptions options;
  options.dataset = v1::DATASET_CROSSWALK;
  options.classification = args.Get("id");
  options.target = args.Get("target", "ISCO08");
  options.dry_run = args.Has("dry_run");
  return SendFile(args, args.positional()[2], std::move(options));
}

int ListClassifications(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "classifications list [--format=]"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(auto listed, client->ListClassifications());
  auto out = TableWriter::Create(format, std::cout);
  out->Begin(
      {"id", "kind", "codes", "levels", "origin", "target", "version", "imported_at", "name"});
  for (const auto& c : listed.classifications()) {
    bool national = c.kind() == v1::ClassificationInfo::NATIONAL;
    out->Row({Cell::Text(c.id()), Cell::Text(national ? "national" : "regional"),
              c.codes() > 0 ? Cell::Integer(c.codes()) : Cell::Null(),
              Cell::Integer(c.levels_size()), Cell::Text(c.origin()), Cell::Text(c.target()),
              national ? Cell::Integer(static_cast<int64_t>(c.version())) : Cell::Null(),
              Cell::Text(FormatTime(c.imported_at())), Cell::Text(c.name())});
  }
  out->End();
  return kOk;
}

std::string CodeAndLabel(const v1::Code& code) {
  return code.label().empty() ? code.code() : absl::StrCat(code.code(), " ", code.label());
}

// The main table of `classifications show`: what lies below the code (or
// the classification), or where a national code maps to.
void ShowTable(const v1::ShowClassificationResponse& shown, TableWriter* out) {
  auto codes = [&](const google::protobuf::RepeatedPtrField<v1::Code>& list) {
    out->Begin({"code", "level", "level_name", "label"});
    for (const auto& code : list) {
      out->Row({Cell::Text(code.code()), Cell::Integer(code.level()), Cell::Text(code.level_name()),
                Cell::Text(code.label())});
    }
  };
  bool national = shown.classification().kind() == v1::ClassificationInfo::NATIONAL;
  bool has_code = shown.has_code();
  if (!national) {
    codes(has_code ? shown.children() : shown.top());
  } else if (has_code) {
    out->Begin({"target", "label", "share"});
    for (const auto& target : shown.targets()) {
      out->Row({Cell::Text(target.target().code()), Cell::Text(target.target().label()),
                Cell::Real(target.share())});
    }
  } else {
    out->Begin({"source", "label", "target", "target_label", "share"});
    for (const auto& pair : shown.pairs()) {
      out->Row({Cell::Text(pair.source()), Cell::Text(pair.label()),
                Cell::Text(pair.target().target().code()),
                Cell::Text(pair.target().target().label()), Cell::Real(pair.target().share())});
    }
  }
  out->End();
}

// The description above the table, for people (table format only).
void ShowDescription(const v1::ShowClassificationResponse& shown) {
  const auto& c = shown.classification();
  bool national = c.kind() == v1::ClassificationInfo::NATIONAL;
  std::cout << c.id() << ": " << c.name() << "\n";
  std::cout << "source: " << c.source() << "\n";
  if (national) {
    std::cout << "origin: " << c.origin() << ", version " << c.version() << ", imported "
              << FormatTime(c.imported_at()) << "\n";
    std::cout << "maps " << c.codes() << " codes to " << c.targets() << " " << c.target()
              << " codes in " << c.pairs() << " pairs, "
              << (c.weighted() ? "weighted" : "split equally") << "\n";
  } else if (c.codes() > 0) {
    std::cout << "codes: " << c.codes() << " on " << c.levels_size()
              << (c.levels_size() == 1 ? " level" : " levels") << " ("
              << absl::StrJoin(c.levels(), ", ") << ")\n";
  } else {
    std::cout << "levels: " << absl::StrJoin(c.levels(), ", ") << "\n";
  }
  if (shown.has_code()) {
    const auto& code = shown.code();
    std::cout << "\ncode: " << code.code() << "\n";
    if (!code.label().empty()) std::cout << "label: " << code.label() << "\n";
    if (!national) std::cout << "level: " << code.level() << " (" << code.level_name() << ")\n";
    if (!shown.ancestors().empty()) {
      std::cout << "parent: " << CodeAndLabel(*shown.ancestors().rbegin()) << "\n";
    }
    for (const auto& ancestor : shown.ancestors()) {
      std::cout << ancestor.level_name() << ": " << CodeAndLabel(ancestor) << "\n";
    }
    for (const auto& source : shown.mapped_from()) {
      std::cout << "mapped from: " << source.origin() << " " << source.classification() << " v"
                << source.version() << " " << source.code()
                << (source.label().empty() ? "" : absl::StrCat(" ", source.label())) << " (share "
                << Cell::Real(source.share()).ToString() << ")\n";
    }
  }
  auto uses = [](absl::string_view what, const auto& batches) {
    for (const auto& batch : batches) {
      std::cout << what << ": version " << batch.version() << " "
                << FormatTime(batch.published_at()) << " " << batch.source() << ", " << batch.rows()
                << " rows";
      if (batch.classification_version() > 0) {
        std::cout << " -> " << batch.observations() << " observations, with version "
                  << batch.classification_version();
      }
      std::cout << "\n";
    }
  };
  uses("imported", shown.imports());
  uses("mapped", shown.mapped_batches());
  std::cout << "\n";
}

int ShowClassification(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"origin", "as_of", "format"}));
  size_t words = args.positional().size();
  if (words != 3 && words != 4) {
    return Report(UsageError("usage: lmx classifications show ID [CODE] [--origin=] [--as_of=]"));
  }
  v1::ShowClassificationRequest request;
  request.set_id(args.positional()[2]);
  if (words == 4) request.set_code(args.positional()[3]);
  request.set_origin(args.Get("origin"));
  request.set_as_of(args.Get("as_of"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  auto shown = client->ShowClassification(request);
  if (!shown.ok()) {
    // An unknown classification or code is a failed query, not a usage error.
    std::cerr << "lmx: " << shown.status().message() << "\n";
    return shown.status().code() == absl::StatusCode::kUnavailable ? kUnreachable : kFailed;
  }
  if (format == Format::kJson) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(*shown, &json, options).ok()) return kFailed;
    std::cout << json;
    return kOk;
  }
  if (format == Format::kTable) {
    ShowDescription(*shown);
    bool below =
        shown->classification().kind() == v1::ClassificationInfo::REGIONAL && shown->has_code();
    if (below && shown->children().empty()) {
      std::cout << "children: none\n";
      return kOk;
    }
    if (below) std::cout << "children:\n";
  }
  ShowTable(*shown, TableWriter::Create(format, std::cout).get());
  return kOk;
}

int Classifications(const Arguments& args) {
  static const std::map<std::string, std::function<int(const Arguments&)>> kSubcommands = {
      {"list", ListClassifications},
      {"show", ShowClassification},
      {"import", ImportClassification},
  };
  auto sub =
      args.positional().size() < 2 ? kSubcommands.end() : kSubcommands.find(args.positional()[1]);
  if (sub == kSubcommands.end()) {
    return Report(
        UsageError("usage: lmx classifications list | show ID [CODE] | import --id=ID "
                   "FILE"));
  }
  return sub->second(args);
}

// `lmx admin token ...` with --config edits the file; without, it asks the
// node.
int AdminToken(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"name", "role", "config", "format"}));
  const std::string sub = args.positional().size() > 2 ? args.positional()[2] : "";
  const std::string config_path = args.Get("config");
  std::optional<NodeConfig> config;
  if (!config_path.empty()) {
    ASSIGN_OR_EXIT(config, LoadNodeConfig(config_path));
  }
  auto save = [&]() -> absl::Status {
    RETURN_IF_ERROR(SaveNodeConfig(config_path, *config));
    std::cerr << "wrote " << config_path
              << "; a running node reads it again on SIGHUP (kill -HUP <pid>)\n";
    return absl::OkStatus();
  };
  if (sub == "create") {
    RETURN_IF_USAGE_ERROR(ExpectPositional(args, 3, "admin token create --name=NAME --role=ROLE"));
    ASSIGN_OR_EXIT(v1::Role role, ParseRole(args.Get("role")));
    v1::CreateTokenResponse created;
    if (config) {
      ASSIGN_OR_EXIT(NewToken token, AddToken(&*config, args.Get("name"), role));
      if (absl::Status saved = save(); !saved.ok()) return Report(saved);
      *created.mutable_token() = ToTokenInfo(token.entry);
      created.set_secret(token.secret);
    } else {
      v1::CreateTokenRequest request;
      request.set_name(args.Get("name"));
      request.set_role(role);
      ASSIGN_OR_EXIT(auto client, Connect(args));
      ASSIGN_OR_EXIT(created, client->CreateToken(request));
    }
    std::cerr << "created token " << created.token().id() << " (" << created.token().name()
              << ") with the role " << RoleName(created.token().role())
              << "; it is shown only now, keep it secret\n";
    std::cout << created.secret() << "\n";
    return kOk;
  }
  if (sub == "revoke") {
    RETURN_IF_USAGE_ERROR(ExpectPositional(args, 4, "admin token revoke ID|NAME"));
    v1::TokenInfo revoked;
    if (config) {
      ASSIGN_OR_EXIT(TokenEntry entry, RemoveToken(&*config, args.positional()[3]));
      if (absl::Status saved = save(); !saved.ok()) return Report(saved);
      revoked = ToTokenInfo(entry);
    } else {
      v1::RevokeTokenRequest request;
      request.set_token(args.positional()[3]);
      ASSIGN_OR_EXIT(auto client, Connect(args));
      ASSIGN_OR_EXIT(auto response, client->RevokeToken(request));
      revoked = response.token();
    }
    std::cout << "revoked token " << revoked.id() << " (" << revoked.name() << ")\n";
    return kOk;
  }
  if (sub == "list") {
    RETURN_IF_USAGE_ERROR(ExpectPositional(args, 3, "admin token list"));
    ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
    v1::ListTokensResponse listed;
    if (config) {
      for (const auto& entry : config->tokens) *listed.add_tokens() = ToTokenInfo(entry);
    } else {
      ASSIGN_OR_EXIT(auto client, Connect(args));
      ASSIGN_OR_EXIT(listed, client->ListTokens());
    }
    auto out = TableWriter::Create(format, std::cout);
    out->Begin({"id", "name", "role", "created"});
    for (const auto& token : listed.tokens()) {
      out->Row({Cell::Text(token.id()), Cell::Text(token.name()),
                Cell::Text(RoleName(token.role())), Cell::Text(FormatTime(token.created()))});
    }
    out->End();
    return kOk;
  }
  return Report(UsageError("usage: lmx admin token create|revoke|list"));
}

int AdminAudit(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"since", "last", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin audit [--since=TIME] [--last=N]"));
  v1::AuditRequest request;
  if (args.Has("since")) {
    absl::Time since;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("since"), &since, &error)) {
      return Report(UsageError("--since takes an RFC 3339 time such as 2026-01-01T00:00:00Z"));
    }
    request.mutable_since()->set_seconds(absl::ToUnixSeconds(since));
  }
  uint64_t last = 0;
  if (args.Has("last") && !absl::SimpleAtoi(args.Get("last"), &last)) {
    return Report(UsageError("--last takes a number of records"));
  }
  request.set_last(last);
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"time", "principal", "role", "client", "action", "detail", "rows", "rejected",
              "version", "outcome", "message"});
  absl::Status status = client->Audit(request, [&](const v1::AuditResponse& response) {
    for (const auto& r : response.records()) {
      out->Row({Cell::Text(FormatTime(r.time())), Cell::Text(r.principal()), Cell::Text(r.role()),
                Cell::Text(r.client()), Cell::Text(r.action()), Cell::Text(r.detail()),
                Cell::Integer(static_cast<int64_t>(r.rows())),
                Cell::Integer(static_cast<int64_t>(r.rejected())),
                Cell::Integer(static_cast<int64_t>(r.version())), Cell::Text(r.outcome()),
                Cell::Text(r.message())});
    }
  });
  if (!status.ok()) return Report(status);
  out->End();
  return kOk;
}

int AdminBackup(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"dir"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin backup --dir=DIR"));
  if (!args.Has("dir")) {
    return Report(UsageError("admin backup needs --dir: a new directory on the node's machine"));
  }
  v1::BackupRequest request;
  request.set_dir(args.Get("dir"));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::BackupResponse backup, client->Backup(request));
  std::vector<std::string> origins;
  for (const auto& origin : backup.origins()) {
    origins.push_back(absl::StrCat(origin.origin(), " v", origin.version()));
  }
  std::cout << "backed up to " << backup.dir() << ": "
            << (origins.empty() ? "no data" : absl::StrJoin(origins, ", ")) << "; "
            << absl::StrJoin(backup.files(), ", ") << "\n"
            << "restore: stop the node, then start it with --data_dir=" << backup.dir() << "\n";
  return kOk;
}

int AdminCalendar(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"cancel", "format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin calendar [--cancel=ID]"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  v1::CalendarResponse calendar;
  if (args.Has("cancel") && args.Get("cancel").empty()) {
    return Report(UsageError("--cancel needs the id of a waiting batch (lmx admin calendar)"));
  }
  if (args.Has("cancel")) {
    v1::CancelReleaseRequest request;
    request.set_id(args.Get("cancel"));
    ASSIGN_OR_EXIT(v1::CancelReleaseResponse cancelled, client->CancelRelease(request));
    std::cerr << "cancelled " << cancelled.release().id() << " (" << cancelled.release().source()
              << ", " << cancelled.release().rows() << " rows): it will not be published\n";
    *calendar.add_releases() = cancelled.release();
  } else {
    ASSIGN_OR_EXIT(calendar, client->Calendar());
  }
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"id", "release_at", "dataset", "source", "rows", "observations", "periods",
              "stored_at", "error"});
  for (const auto& r : calendar.releases()) {
    out->Row({Cell::Text(r.id()), Cell::Text(FormatTime(r.release_at())),
              Cell::Text(DatasetWord(r.dataset())), Cell::Text(r.source()),
              Cell::Integer(static_cast<int64_t>(r.rows())),
              Cell::Integer(static_cast<int64_t>(r.observations())),
              Cell::List({r.periods().begin(), r.periods().end()}),
              Cell::Text(FormatTime(r.stored_at())), Cell::Text(r.error())});
  }
  out->End();
  return kOk;
}

// The operator's word that no peer holds a newer copy of the node's log
// (docs/operations.md, "Restore").
int AdminDeclareRegionLost(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"reason"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 2, "admin declare-region-lost --reason=TEXT"));
  if (args.Get("reason").empty()) {
    return Report(UsageError(
        "admin declare-region-lost needs --reason=TEXT: why no peer holds this node's log (it "
        "goes to the audit log)"));
  }
  v1::DeclareRegionLostRequest request;
  request.set_reason(args.Get("reason"));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::DeclareRegionLostResponse declared, client->DeclareRegionLost(request));
  std::cout << declared.message() << "\n";
  return kOk;
}

int Admin(const Arguments& args) {
  const std::string sub = args.positional().size() > 1 ? args.positional()[1] : "";
  if (sub == "token") return AdminToken(args);
  if (sub == "audit") return AdminAudit(args);
  if (sub == "backup") return AdminBackup(args);
  if (sub == "calendar") return AdminCalendar(args);
  if (sub == "declare-region-lost") return AdminDeclareRegionLost(args);
  return Report(
      UsageError("usage: lmx admin token create|revoke|list | admin audit | admin backup | "
                 "admin calendar | admin declare-region-lost"));
}

int Run(int argc, char** argv) {
  ASSIGN_OR_EXIT(Arguments args, Arguments::Parse(argc, argv));
  if (args.Has("version")) {
    std::cout << "lmx " << LMX_VERSION << "\n";
    return kOk;
  }
  bool help = args.Has("help") || (!args.positional().empty() && args.positional()[0] == "help");
  if (help || args.positional().empty()) {
    (help ? std::cout : std::cerr) << kUsageText;
    return help ? kOk : kUsage;
  }
  static const std::map<std::string, std::function<int(const Arguments&)>> kCommands = {
      {"publish", Publish},     {"query", Query}, {"aggregate", Aggregate},
      {"shortages", Shortages}, {"peers", Peers}, {"classifications", Classifications},
      {"region", Region},       {"admin", Admin}, {"shortage-list", ShortageList},
      {"flows", Flows},         {"match", Match}, {"completeness", Completeness},
  };
  auto command = kCommands.find(args.positional()[0]);
  if (command == kCommands.end()) {
    return Report(UsageError(absl::StrCat("unknown command '", args.positional()[0], "'")));
  }
  return command->second(args);
}

}  // namespace
}  // namespace lmx

int main(int argc, char** argv) { return lmx::Run(argc, argv); }
