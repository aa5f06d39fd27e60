#include "federation/protocol/log_format.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "federation/classifications/datasets.h"
#include "federation/classifications/time_period.h"
#include "federation/protocol/observation_codec.h"
#include "lmx/v1/classification.pb.h"

namespace lmx {

void LogHasher::Add(absl::string_view chunk_bytes) { parts_.append(Sha256(chunk_bytes)); }

std::string LogHasher::Finish() const { return Sha256(parts_); }

std::vector<std::string> SignEntry(const v1::LogChunk& header, std::vector<v1::LogCell> cells,
                                   const Identity& identity, std::string* hash) {
  std::vector<std::string> chunks;
  LogHasher hasher(header.previous_hash());
  size_t next = 0;
  uint32_t number = 0;
  do {
    v1::LogChunk chunk = header;
    chunk.set_chunk(number++);
    size_t bytes = 0;
    while (next < cells.size() && chunk.cells_size() < kCellsPerChunk && bytes < kChunkBytes) {
      bytes += cells[next].key().size() + cells[next].value().size();
      *chunk.add_cells() = std::move(cells[next++]);
    }
    chunk.set_last(next == cells.size());
    v1::SignedChunk signed_chunk;
    signed_chunk.set_chunk(chunk.SerializeAsString());
    signed_chunk.set_signature(identity.Sign(signed_chunk.chunk()));
    hasher.Add(signed_chunk.chunk());
    chunks.push_back(signed_chunk.SerializeAsString());
  } while (next < cells.size());
  *hash = hasher.Finish();
  return chunks;
}

absl::Status CheckLogCell(const std::string& origin, const v1::LogCell& cell, std::string* period) {
  const std::string& key = cell.key();
  if (key.size() < 4 || key.compare(1, 3, origin) != 0) {
    return absl::InvalidArgumentError("a cell's key names another origin");
  }
  auto dataset = static_cast<v1::Dataset>(static_cast<unsigned char>(key[0]));
  if (dataset == v1::DATASET_CROSSWALK) {
    v1::Crosswalk crosswalk;
    if (!crosswalk.ParseFromString(cell.value()) || CrosswalkKey(origin, crosswalk.id()) != key) {
      return absl::InvalidArgumentError("a crosswalk cell does not match its key");
    }
    return absl::OkStatus();
  }
  if (dataset != v1::DATASET_SHORTAGE && dataset != v1::DATASET_FLOW &&
      dataset != v1::DATASET_VACANCY_AGG) {
    return absl::InvalidArgumentError(
        absl::StrCat("dataset ", static_cast<int>(dataset), " is never replicated"));
  }
  auto observation = DecodeObservation(cell.value());
  if (!observation.ok() || ObservationKey(*observation) != key) {
    return absl::InvalidArgumentError("a cell's value does not match its key");
  }
  // What every origin's ingest checks; readers count on it.
  if (!TimePeriod::Parse(PeriodOf(*observation)).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a cell's period '", PeriodOf(*observation), "' is not a TIME_PERIOD"));
  }
  if (period != nullptr) *period = PeriodOf(*observation);
  return absl::OkStatus();
}

}  // namespace lmx
