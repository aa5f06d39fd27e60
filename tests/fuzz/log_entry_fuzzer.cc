// libFuzzer target: a replication entry as a puller receives it from a
// peer: a SignedChunk, its LogChunk, the origin's signature, the log-hash
// chain and every cell (CheckLogCell decodes each observation or
// crosswalk). The seeds in tests/fuzz/corpus/log_entry are real signed
// chunks; see make_log_entry_seeds.cc.
#include <cstdint>

#include "federation/trust/keys.h"
#include "lmx/v1/federation.pb.h"
#include "node/replication/log_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lmx::v1::SignedChunk signed_chunk;
  if (!signed_chunk.ParseFromArray(data, static_cast<int>(size))) return 0;
  lmx::v1::LogChunk chunk;
  if (!chunk.ParseFromString(signed_chunk.chunk())) return 0;
  (void)lmx::VerifySignature(chunk.public_key(), signed_chunk.chunk(), signed_chunk.signature());
  for (const auto& cell : chunk.cells()) (void)lmx::CheckLogCell(chunk.origin(), cell);
  lmx::LogHasher hasher(chunk.previous_hash());
  hasher.Add(signed_chunk.chunk());
  (void)hasher.Finish();
  return 0;
}
