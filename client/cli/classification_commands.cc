// lmx classifications list | show | import.
#include "client/cli/commands.h"


#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "google/protobuf/util/json_util.h"

namespace lmx::cli {

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

}  // namespace lmx::cli
