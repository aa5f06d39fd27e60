// The Python client (client/python) against a real node: its example
// publishes and queries through the generated stubs and Debian's
// python3-grpcio, and gets the numbers the `lmx` CLI gets.
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_test_base.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

// Debian's interpreter: python3-grpcio is installed for it, whatever else
// is first on PATH.
constexpr char kPython[] = "/usr/bin/python3";

class PythonClientTest : public NodeTestBase {
 protected:
  CliResult Example(std::vector<std::string> args) {
    args.insert(args.begin(), {LMX_SOURCE_DIR "/client/python/example.py",
                               "--node=" + node_->address(), "--stubs=" LMX_PYTHON_STUBS_DIR});
    return RunProgram(kPython, args);
  }

  void SetUp() override {
    NodeTestBase::SetUp();
    ASSERT_TRUE(std::filesystem::exists(LMX_PYTHON_STUBS_DIR "/lmx/v1/publish_pb2_grpc.py"))
        << "no Python stubs: install protobuf-compiler-grpc and python3-grpcio "
           "(deploy/setup.sh) and build the lmx_python target";
  }
};

TEST_F(PythonClientTest, TheExamplePublishesAndQueriesAndAgreesWithTheCli) {
  CliResult run = Example({});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("node KEN, holding 0 origins"));
  EXPECT_THAT(run.out, HasSubstr("published shortages: 2 rows as version 1"));
  EXPECT_THAT(run.out, HasSubstr("published flows: 3 rows as version 2"));
  EXPECT_THAT(run.out,
              HasSubstr("flows by occupation major group:\n  2: 450\n  5: 300\n  7: 1200\n"));
  EXPECT_THAT(run.out, HasSubstr("flows by counterpart:\n  ARE: 450\n  SAU: 1500\n"));
  EXPECT_THAT(run.out, HasSubstr("KEN 2025-Q1: SHORTAGE (index 0.62)"));
  EXPECT_THAT(run.out, HasSubstr("shortage list of KEN for 2025-Q1:\n"
                                 "  2221 Nursing professionals (acute)\n"));

  // The CLI reads what Python wrote, with the same totals.
  auto rows = CsvAnswer(Lmx({"aggregate", "flows", "--by=counterpart", "--format=csv"}).out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["counterpart"], "ARE");
  EXPECT_EQ(rows[0]["count"], "450");
  EXPECT_EQ(rows[1]["counterpart"], "SAU");
  EXPECT_EQ(rows[1]["count"], "1500");
}

TEST_F(PythonClientTest, PolicyViewsAndTheCalendarAreThereFromPythonToo) {
  ASSERT_EQ(Lmx({"publish", "flows",
                 File("flows.csv", "period,direction,counterpart,count\n2025,OUTFLOW,UGA,40\n")})
                .exit_code,
            0);
  std::string script = R"py(
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
import lmx_client
lmx_client.load_stubs(sys.argv[2])
with lmx_client.Client(sys.argv[3]) as node:
    summary = node.publish("shortages", sys.argv[4], release_at="2099-01-01T00:00:00Z")
    waiting = node.calendar()
    print("waiting", len(waiting), waiting[0]["release_at"], waiting[0]["id"] == summary.release_id)
    node.cancel_release(summary.release_id)
    print("after cancel", len(node.calendar()))
    for row in node.completeness():
        print("reported", row["country"], row["dataset"], row["periods"])
    print("mirror rows", len(list(node.mirror())))
    print("match rows", len(list(node.match())))
)py";
  CliResult run =
      RunProgram(kPython, {"-c", script, LMX_SOURCE_DIR "/client/python", LMX_PYTHON_STUBS_DIR,
                           node_->address(),
                           File("later.csv", "period,occupation,status\n2026-Q1,2221,SHORTAGE\n")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("waiting 1 2099-01-01T00:00:00Z True\n"));
  EXPECT_THAT(run.out, HasSubstr("after cancel 0\n"));
  EXPECT_THAT(run.out, HasSubstr("reported KEN flows {'2025': 1}\n"));
  // One node, no second side and no other country: empty, not an error.
  EXPECT_THAT(run.out, HasSubstr("mirror rows 0\nmatch rows 0\n"));
}

TEST_F(PythonClientTest, ARejectedRowIsReportedWithItsLineAndColumnAndNothingIsWritten) {
  std::string bad = File("bad_flows.csv",
                         "period,direction,counterpart,count\n"
                         "2025,OUTFLOW,SAU,10\n"
                         "2025,SIDEWAYS,ARE,5\n");
  CliResult run = Example({"--flows=" + bad});
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_THAT(run.err, HasSubstr(bad + ":3: direction: 'SIDEWAYS' is not one of"));
  // The shortages went in before; the refused flows did not.
  EXPECT_EQ(CsvAnswer(Lmx({"query", "flows", "--format=csv"}).out).size(), 0u);
}

TEST_F(PythonClientTest, AnEmptyFileIsReportedAsSuchBeforeAnyCall) {
  std::string empty = File("empty.csv", "");
  CliResult run = Example({"--flows=" + empty});
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_THAT(run.err, HasSubstr(empty + ": the file is empty"));
}

TEST_F(PythonClientTest, AnUnreachableNodeIsOneLineAndExitCodeThreeAsWithLmx) {
  // The last --node wins: port 1 on loopback, where nothing listens.
  CliResult run = Example({"--node=127.0.0.1:1"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("127.0.0.1:1: UNAVAILABLE: "));
  EXPECT_THAT(run.err, ::testing::Not(HasSubstr("Traceback")));
}

}  // namespace
}  // namespace lmx::testing
