// Test harness: real `lmx-node` processes on loopback and real `lmx` runs.
//
// A NodeProcess starts the node binary with `--listen=127.0.0.1:0` and waits,
// with a deadline, for the address it writes to its ready file, so tests
// never guess ports or sleep.
#ifndef LMX_TESTS_SUPPORT_NODE_PROCESS_H_
#define LMX_TESTS_SUPPORT_NODE_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/wait.h"
#include "grpcpp/grpcpp.h"

namespace lmx::testing {

// A fresh directory under the test's temp dir.
std::string MakeTempDir(const std::string& name);
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

class NodeProcess {
 public:
  NodeProcess(std::string country, std::string data_dir);
  ~NodeProcess();  // SIGKILLs the node if it still runs
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts the node and waits until it serves; false (with the node's
  // stderr in `error`) when it exits or times out first.
  // `environment` entries (NAME=VALUE) are added to the node's environment.
  bool Start(std::string* error, const std::vector<std::string>& extra_flags = {},
             const std::vector<std::string>& environment = {});
  // Sends `signal` and reaps the process; returns its wait status.
  int Stop(int signal);
  // Waits for the node to exit by itself; returns its wait status.
  int Wait();

  const std::string& address() const { return address_; }
  // Everything the node wrote to stderr so far.
  std::string log() const;

 private:
  std::string country_;
  std::string data_dir_;
  std::string address_;
  std::string log_path_;
  pid_t pid_ = -1;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `lmx ... --format=csv` output as maps from column name to value, read
// with the node's own CSV reader (so quoted fields are read right).
std::vector<std::map<std::string, std::string>> CsvAnswer(const std::string& text);

// Calls a unary `method` ("/pkg.Service/Method") with raw request bytes, as
// any program could, and waits for its status (15 s at most). The answer's
// bytes go to `response` when given.
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context,
                     const std::string& method, const std::string& request,
                     std::string* response = nullptr);

// Runs the `lmx` binary with `args`, capturing its output.
CliResult RunLmx(const std::vector<std::string>& args);
// Runs any program; used to start lmx-node in the foreground for usage checks.
CliResult RunProgram(const std::string& program, const std::vector<std::string>& args);

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_NODE_PROCESS_H_
