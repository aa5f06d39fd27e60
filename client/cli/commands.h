// The lmx command groups, one source file each (client/cli/*_commands.cc),
// and the helpers they share. Each command takes the parsed command line
// and returns the process's exit code.
#ifndef LMX_CLIENT_CLI_COMMANDS_H_
#define LMX_CLIENT_CLI_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/arguments.h"
#include "client/node_client.h"
#include "client/output.h"
#include "lmx/v1/query.pb.h"

namespace lmx::cli {

// connect.cc
std::string FormatTime(const google::protobuf::Timestamp& time);
void ReportFreshness(Format format,
                     const google::protobuf::RepeatedPtrField<v1::OriginState>& origins);
absl::StatusOr<std::unique_ptr<NodeClient>> Connect(const Arguments& args);
// publish_commands.cc
int SendFile(const Arguments& args, const std::string& path, PublishOptions options,
             bool sdmx_ml = false);
int Publish(const Arguments& args);
// query_commands.cc
int Query(const Arguments& args);
int Aggregate(const Arguments& args);
int Shortages(const Arguments& args);
int ShortageList(const Arguments& args);
int Flows(const Arguments& args);
int Match(const Arguments& args);
int Completeness(const Arguments& args);
// region_commands.cc
int Peers(const Arguments& args);
int Region(const Arguments& args);
// classification_commands.cc
int Classifications(const Arguments& args);
// admin_commands.cc
int Admin(const Arguments& args);

}  // namespace lmx::cli

#endif  // LMX_CLIENT_CLI_COMMANDS_H_
