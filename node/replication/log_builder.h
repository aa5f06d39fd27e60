// What leaves the node: the signed log entry of one of its own batches
// (SPEC §4). Shortages go as published; flows after disclosure control
// (federation/statistics/disclosure.h); vacancies only as VACANCY_AGG, the change the
// batch made to the monthly aggregates; crosswalks whole.
//
// An entry is a pure function of the store as of its version, so it can be
// made after the commit and made again, identical, after a crash.
//
//   LogBuilder builder(store, "KEN", &identity, 5);
//   ASSIGN_OR_RETURN(LogEntry entry, builder.Build(batch, previous_hash));
//   store->AppendLog("KEN", batch.version, entry.chunks, entry.hash);
#ifndef LMX_NODE_REPLICATION_LOG_BUILDER_H_
#define LMX_NODE_REPLICATION_LOG_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "federation/protocol/log_format.h"
#include "federation/trust/keys.h"
#include "lmx/v1/federation.pb.h"
#include "node/storage/store.h"

namespace lmx {

struct LogEntry {
  std::vector<std::string> chunks;  // serialized SignedChunk
  std::string hash;                 // the log hash after this entry
  uint64_t cells = 0;
  uint64_t suppressed = 0;  // flow cells withheld by disclosure control
};

// A batch's description in its log entry, both ways, in this one place: the
// fields of `batch` every chunk of its entry carries (origin, version,
// publication time, dataset, source, rows, classification and its
// version, release id), and the replicated batch a receiver commits from
// an entry's first chunk (its log hash and periods still to fill in).
v1::LogChunk ChunkHeaderOf(const BatchInfo& batch);
BatchInfo ReplicatedBatchOf(const v1::LogChunk& first);

class LogBuilder {
 public:
  LogBuilder(const Store* store, std::string country, const Identity* identity,
             int64_t disclosure_threshold)
      : store_(store),
        country_(std::move(country)),
        identity_(identity),
        threshold_(disclosure_threshold) {}

  // The entry of the node's own committed `batch`, chained to
  // `previous_hash` (the log hash of the version before it).
  absl::StatusOr<LogEntry> Build(const BatchInfo& batch, const std::string& previous_hash) const;

 private:
  absl::Status ShortageCells(const BatchInfo& batch, std::vector<v1::LogCell>* cells) const;
  absl::Status FlowCells(const BatchInfo& batch, std::vector<v1::LogCell>* cells,
                         uint64_t* suppressed) const;
  absl::Status VacancyCells(const BatchInfo& batch, std::vector<v1::LogCell>* cells) const;
  absl::Status CrosswalkCells(const BatchInfo& batch, std::vector<v1::LogCell>* cells) const;

  const Store* store_;
  std::string country_;
  const Identity* identity_;
  int64_t threshold_;
};

}  // namespace lmx

#endif  // LMX_NODE_REPLICATION_LOG_BUILDER_H_
