// Query load (issue 6, figure 3; issue 21): CLIENTS threads, each with its
// own connection, ask a node as fast as they are answered, for SECONDS:
// - `point` (the default): the small questions an employer portal asks
//   (the shortage view for one occupation, and one country's shortage rows
//   for one occupation and quarter);
// - `aggregate`: the regional flow aggregates a secretariat asks, in turn
//   `--by=occupation:1,country`, `--by=counterpart` and `--by=period`
//   with `--occupation=2`.
// Prints queries per second and the latency p50 and p99.
//
//   lmx_point_queries ADDRESS CLIENTS SECONDS [point|aggregate]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "client/node_client.h"

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: lmx_point_queries ADDRESS CLIENTS SECONDS [point|aggregate]\n");
    return 2;
  }
  const bool aggregates = argc == 5 && std::string(argv[4]) == "aggregate";
  const std::string address = argv[1];
  const int clients = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]);
  static const char* kOccupations[] = {"2512", "2221", "7115", "5120", "8322", "9312"};
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int> failures{0};
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = lmx::NodeClient::Connect(address);
      if (!client.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
        const char* occupation = kOccupations[(c + i) % 6];
        auto t0 = std::chrono::steady_clock::now();
        absl::Status status;
        if (aggregates) {
          lmx::v1::AggregateRequest request;
          request.set_dataset(lmx::v1::DATASET_FLOW);
          switch ((c + i) % 3) {
            case 0:
              request.add_by()->set_dimension("occupation");
              request.mutable_by(0)->set_level(1);
              request.add_by()->set_dimension("country");
              break;
            case 1:
              request.add_by()->set_dimension("counterpart");
              break;
            default:
              request.add_by()->set_dimension("period");
              request.mutable_filter()->set_occupation("2");
          }
          status = (*client)->Aggregate(request, [](const auto&) {});
        } else if (i % 2 == 0) {
          lmx::v1::ShortageViewRequest request;
          request.set_occupation(occupation);
          status = (*client)->Shortages(request, [](const auto&) {});
        } else {
          lmx::v1::QueryRequest request;
          request.set_dataset(lmx::v1::DATASET_SHORTAGE);
          request.mutable_filter()->add_countries("KEN");
          request.mutable_filter()->set_occupation(occupation);
          request.mutable_filter()->set_period("2025-Q1");
          status = (*client)->Query(request, [](const auto&) {});
        }
        auto t1 = std::chrono::steady_clock::now();
        if (!status.ok()) ++failures;
        latencies[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) {
    std::fprintf(stderr, "no query answered\n");
    return 1;
  }
  std::printf("%d clients, %s: %.0f queries/s, p50 %.2f ms, p99 %.2f ms (%zu queries, %d failed)\n",
              clients, aggregates ? "aggregates" : "point queries", all.size() / seconds, all[all.size() / 2], all[all.size() * 99 / 100],
              all.size(), failures.load());
  return failures.load() == 0 ? 0 : 1;
}
