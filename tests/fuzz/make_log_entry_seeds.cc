// Writes real signed log chunks (a shortage, a flow and a crosswalk entry)
// into a directory, as seeds for log_entry_fuzzer. Run by tests/fuzz/run.sh
// when the corpus has no seeds yet; the seeds are kept in
// tests/fuzz/corpus/log_entry.
//
//   make_log_entry_seeds DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "federation/trust/keys.h"
#include "lmx/v1/classification.pb.h"
#include "lmx/v1/federation.pb.h"
#include "federation/protocol/observation_codec.h"
#include "tests/support/sample_observations.h"

namespace {

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_log_entry_seeds DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  auto identity = lmx::Identity::LoadOrCreate(dir + "/.seed.key");
  if (!identity.ok()) return 1;
  std::remove((dir + "/.seed.key").c_str());

  lmx::v1::Observation shortage = lmx::SampleShortage("2025-Q1", "2221");
  lmx::v1::Observation flow = lmx::SampleFlow("2025-01");
  lmx::v1::Crosswalk crosswalk;
  crosswalk.set_id("SOC2010");
  crosswalk.set_target("ISCO08");
  auto* entry = crosswalk.add_entries();
  entry->set_source("29-1141");
  auto* target = entry->add_targets();
  target->set_code("2221");
  target->set_weight_nanos(1000000000);

  int n = 0;
  for (auto dataset :
       {lmx::v1::DATASET_SHORTAGE, lmx::v1::DATASET_FLOW, lmx::v1::DATASET_CROSSWALK}) {
    lmx::v1::LogChunk chunk;
    chunk.set_origin("KEN");
    chunk.set_version(++n);
    chunk.set_chunk(0);
    chunk.set_last(true);
    chunk.set_dataset(dataset);
    chunk.set_source("seed.csv");
    chunk.set_rows(1);
    chunk.set_public_key(identity->public_key());
    chunk.set_previous_hash(std::string(32, '\0'));
    auto* cell = chunk.add_cells();
    if (dataset == lmx::v1::DATASET_CROSSWALK) {
      cell->set_key(lmx::CrosswalkKey("KEN", crosswalk.id()));
      cell->set_value(crosswalk.SerializeAsString());
    } else {
      const auto& observation = dataset == lmx::v1::DATASET_SHORTAGE ? shortage : flow;
      cell->set_key(lmx::ObservationKey(observation));
      cell->set_value(lmx::EncodeObservation(observation));
    }
    lmx::v1::SignedChunk signed_chunk;
    signed_chunk.set_chunk(chunk.SerializeAsString());
    signed_chunk.set_signature(identity->Sign(signed_chunk.chunk()));
    Write(absl::StrCat(dir, "/seed-", n), signed_chunk.SerializeAsString());
  }
  return 0;
}
