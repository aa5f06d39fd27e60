// lmx publish: a file streamed to the node, with progress, and the answer.
#include "client/cli/commands.h"

#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "client/sdmx/sdmx_ml_reader.h"
#include "federation/classifications/datasets.h"

namespace lmx::cli {

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
// answer: each rejected row on stderr, the counts on stdout. An SDMX-ML
// file (`sdmx_ml`) is sent as the SDMX-CSV it reads as, and its errors name
// the lines of its elements.
int SendFile(const Arguments& args, const std::string& path, PublishOptions options,
             bool sdmx_ml) {
  absl::StatusOr<std::unique_ptr<CsvReader>> reader;
  SdmxMlAsCsv xml;
  if (sdmx_ml) {
    auto read = ReadSdmxMl(path);
    if (!read.ok()) {
      std::cerr << "lmx: " << read.status().message() << "\n";
      return kFailed;
    }
    xml = *std::move(read);
    const char* expected = options.dataset == v1::DATASET_FLOW       ? "FLOW"
                           : options.dataset == v1::DATASET_SHORTAGE ? "SHORTAGE"
                                                                     : "";
    if (xml.flow != expected) {
      std::cerr << path << ":" << xml.XmlLine(1) << ": the message is data of LMX:" << xml.flow
                << "(1.0), not of " << (*expected ? absl::StrCat("LMX:", expected, "(1.0)") : "a dataflow")
                << "; publish FLOW as flows and SHORTAGE as shortages\n";
      return kFailed;
    }
    reader = CsvReader::FromString(xml.text);
  } else {
    reader = CsvReader::Open(path);
  }
  if (!reader.ok()) {
    std::cerr << "lmx: " << reader.status().message() << "\n";
    return kFailed;
  }
  // An SDMX-ML file's errors name its elements' lines: a column's (the
  // header's) is the line of the first element giving that component.
  auto line_of = [&](const v1::RowError& error) -> uint64_t {
    if (!sdmx_ml) return error.line();
    if (error.line() == 1) {
      for (const auto& [component, line] : xml.first_lines) {
        if (absl::StrContains(error.reason(), absl::StrCat("'", component, "'"))) return line;
      }
    }
    return xml.XmlLine(error.line());
  };
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ProgressBar progress;
  options.source = path == "-" ? "stdin" : path;
  options.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
  auto result =
      options.send_bytes ? client->PublishFile(path, options) : client->Publish(**reader, options);
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
    std::cerr << source << ":" << line_of(error) << ": " << error.column() << ": "
              << error.reason() << "\n";
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
  RETURN_IF_USAGE_ERROR(
      args.Allow({"partial", "dry_run", "classification", "release_at", "format", "send"}));
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
  // CSV (lmx's own, or an SDMX-CSV message, which the node recognizes by
  // its header) or SDMX-ML 2.1 data, by --format or by the file's first
  // character.
  const std::string& path = args.positional()[2];
  const std::string format = args.Get("format");
  if (!format.empty() && format != "csv" && format != "sdmx-csv" && format != "sdmx-ml") {
    return Report(UsageError(
        absl::StrCat("--format '", format, "' is not csv, sdmx-csv or sdmx-ml")));
  }
  const bool sdmx_ml = format == "sdmx-ml" || (format.empty() && path != "-" && LooksLikeXml(path));
  if (sdmx_ml && path == "-") {
    return Report(UsageError("--format=sdmx-ml reads a file, not standard input"));
  }
  // A CSV file goes as its bytes, which the node reads as COPY does (the
  // same reader as here); standard input and SDMX-ML (read here into
  // SDMX-CSV) go as rows.
  const std::string send = args.Has("send") ? args.Get("send") : "bytes";
  if (send != "bytes" && send != "rows") {
    return Report(UsageError(absl::StrCat("--send '", send, "' is not bytes or rows")));
  }
  options.send_bytes = send == "bytes" && !sdmx_ml && path != "-";
  return SendFile(args, path, std::move(options), sdmx_ml);
}

}  // namespace lmx::cli
