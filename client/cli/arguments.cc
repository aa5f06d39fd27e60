#include "client/cli/arguments.h"

#include <cstdlib>
#include <iostream>

namespace lmx::cli {

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

// A flag, else an environment variable, else `fallback`.
std::string FlagOrEnv(const Arguments& args, const std::string& flag, const char* variable,
                      const std::string& fallback) {
  if (args.Has(flag)) return args.Get(flag);
  const char* env = std::getenv(variable);
  return env != nullptr && *env ? env : fallback;
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

}  // namespace lmx::cli
