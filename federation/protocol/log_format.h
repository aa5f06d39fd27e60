// The format of an origin's log, which every member writes and checks the
// same way (SPEC §4, docs/federation.md): an entry is a run of signed
// chunks of at most kCellsPerChunk cells, numbered from 0, the last one
// marked; the log hash chains the entries; every received cell is checked
// against its key.
//
//   std::string hash;
//   std::vector<std::string> chunks = SignEntry(header, cells, identity, &hash);
//   RETURN_IF_ERROR(CheckLogCell("KEN", cell));
#ifndef LMX_FEDERATION_PROTOCOL_LOG_FORMAT_H_
#define LMX_FEDERATION_PROTOCOL_LOG_FORMAT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "federation/trust/keys.h"
#include "lmx/v1/federation.pb.h"

namespace lmx {

// The log hash after an entry: SHA-256 over the previous hash and the
// SHA-256 of each chunk's signed bytes. Every node computes it the same way.
class LogHasher {
 public:
  explicit LogHasher(std::string previous) : parts_(std::move(previous)) {}
  void Add(absl::string_view chunk_bytes);
  std::string Finish() const;

 private:
  std::string parts_;
};

// Cells per chunk, and the bytes a chunk stops growing at.
inline constexpr int kCellsPerChunk = 4096;
inline constexpr size_t kChunkBytes = 1 << 20;

// Checks a cell of `origin`'s log as a puller receives it: its key names
// the origin and a replicated dataset (never vacancy microdata), and its
// value is the observation or crosswalk that key belongs to.
// `period`, when given, receives the observation's period (empty for a
// crosswalk).
absl::Status CheckLogCell(const std::string& origin, const v1::LogCell& cell,
                          std::string* period = nullptr);

// Cuts `cells` into chunks that each carry `header`'s fields, numbers and
// signs them, and returns them as serialized SignedChunks; `hash` receives
// the log hash after the entry (chained to header.previous_hash()).
std::vector<std::string> SignEntry(const v1::LogChunk& header, std::vector<v1::LogCell> cells,
                                   const Identity& identity, std::string* hash);

}  // namespace lmx

#endif  // LMX_FEDERATION_PROTOCOL_LOG_FORMAT_H_
