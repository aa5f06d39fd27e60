// The lmx command line's one argument parser and the helpers every command
// shares: exit codes, usage errors, flags with environment fallbacks, and
// the report of a failed call.
#ifndef LMX_CLIENT_CLI_ARGUMENTS_H_
#define LMX_CLIENT_CLI_ARGUMENTS_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "client/output.h"
#include "lmx/v1/observation.pb.h"

namespace lmx::cli {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

// A usage error is an INVALID_ARGUMENT status; Report() turns it into exit
// code 2 with a pointer to --help.
inline absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

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
absl::Status ExpectPositional(const Arguments& args, size_t count, absl::string_view usage);
// The dataset named by positional word `index`.
absl::StatusOr<v1::Dataset> ParseDataset(const Arguments& args, size_t index);
absl::StatusOr<Format> ParseFormatFlag(const Arguments& args);
// Parses an optional whole-number flag into `set`.
absl::Status ParseCount(const Arguments& args, const std::string& flag,
                        const std::function<void(uint32_t)>& set);
// A flag, else an environment variable, else `fallback`.
std::string FlagOrEnv(const Arguments& args, const std::string& flag, const char* variable,
                      const std::string& fallback = "");
// Exit code and message for a failed call.
int Report(const absl::Status& status);

}  // namespace lmx::cli

#endif  // LMX_CLIENT_CLI_ARGUMENTS_H_
