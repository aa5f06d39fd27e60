#include "tests/support/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "federation/base/csv_reader.h"

extern char** environ;

namespace lmx::testing {
namespace {

std::atomic<int> counter{0};

pid_t Spawn(const std::string& program, const std::vector<std::string>& args,
            const std::string& out_path, const std::string& err_path,
            const std::vector<std::string>& environment = {}) {
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& entry : environment) env.push_back(const_cast<char*>(entry.c_str()));
  env.push_back(nullptr);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), env.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

std::string MakeTempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "lmx-" + std::to_string(getpid()) + "-" +
                    std::to_string(counter++) + "-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

NodeProcess::NodeProcess(std::string country, std::string data_dir)
    : country_(std::move(country)), data_dir_(std::move(data_dir)) {}

NodeProcess::~NodeProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

bool NodeProcess::Start(std::string* error, const std::vector<std::string>& extra_flags,
                        const std::vector<std::string>& environment) {
  std::string ready = data_dir_ + ".ready";
  log_path_ = data_dir_ + ".log";  // beside the data, so a test's directory holds all
  std::filesystem::remove(ready);
  std::vector<std::string> args = {"--country=" + country_, "--data_dir=" + data_dir_,
                                   "--listen=127.0.0.1:0", "--ready_file=" + ready};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  pid_ = Spawn(LMX_NODE_BINARY, args, "/dev/null", log_path_, environment);
  if (pid_ < 0) {
    *error = "cannot spawn " LMX_NODE_BINARY;
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(ready)) {
      address_ = ReadFile(ready);
      while (!address_.empty() && address_.back() == '\n') address_.pop_back();
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "lmx-node exited: " + ReadFile(log_path_);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a condition
  }
  *error = "lmx-node did not become ready within 30 s: " + ReadFile(log_path_);
  return false;
}

std::string NodeProcess::log() const { return ReadFile(log_path_); }

int NodeProcess::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int NodeProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

CliResult RunProgram(const std::string& program, const std::vector<std::string>& args) {
  std::string dir = MakeTempDir("cli");
  CliResult result;
  pid_t pid = Spawn(program, args, dir + "/out", dir + "/err");
  if (pid < 0) return result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(dir + "/out");
  result.err = ReadFile(dir + "/err");
  std::filesystem::remove_all(dir);
  return result;
}

std::vector<std::map<std::string, std::string>> CsvAnswer(const std::string& text) {
  auto reader = CsvReader::FromString(text);
  std::vector<std::map<std::string, std::string>> rows;
  CsvRecord record;
  std::vector<std::string> columns;
  while (reader->Next(&record)) {
    if (columns.empty()) {
      columns = record.fields;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < columns.size() && i < record.fields.size(); ++i) {
      row[columns[i]] = record.fields[i];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context,
                     const std::string& method, const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  std::mutex mu;
  std::condition_variable done;
  bool finished = false;
  grpc::Status status;
  stub.UnaryCall(context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   finished = true;
                   done.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  if (!done.wait_for(lock, std::chrono::seconds(15), [&] { return finished; })) {
    context->TryCancel();
    done.wait(lock, [&] { return finished; });
  }
  if (response != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    response->clear();
    if (response_buffer.Dump(&slices).ok()) {
      for (const auto& s : slices)
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

CliResult RunLmx(const std::vector<std::string>& args) { return RunProgram(LMX_CLI_BINARY, args); }

}  // namespace lmx::testing
