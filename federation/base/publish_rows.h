// A CSV file as the rows of a publish stream (lmx.v1.PublishRequest), read
// the same way wherever it is read: by `lmx publish`, by the web
// application's upload, or by the node from the file's bytes
// (PublishHeader.file), so that every path gives the same rows, the same
// line numbers and the same errors.
//
//   auto header = ReadPublishHeader(reader, "flows.csv");
//   ReadRowBatches(reader, header->fields, next, send);
#ifndef LMX_FEDERATION_BASE_PUBLISH_ROWS_H_
#define LMX_FEDERATION_BASE_PUBLISH_ROWS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "federation/base/csv_reader.h"
#include "lmx/v1/publish.pb.h"

namespace lmx {

// A row batch holds at most this many rows, and is sent early at about this
// many bytes, to keep messages well under gRPC's limits.
inline constexpr int kPublishRowsPerMessage = 2000;
inline constexpr size_t kPublishBytesPerMessage = 1 << 20;

// The header row of a file to publish, checked as every publish checks it,
// whether the client reads the file or the node reads its bytes.
absl::StatusOr<CsvRecord> ReadPublishHeader(CsvReader& reader, const std::string& source);

// Reads the rows after the header into row batches of bounded size, as a
// publish stream carries them: `next` gives an empty message to fill, and
// `send` takes it full and says whether to go on. A record that does not
// parse goes as a malformed row naming its column. Returns the rows read.
uint64_t ReadRowBatches(CsvReader& reader, const std::vector<std::string>& columns,
                        const std::function<v1::PublishRequest*()>& next,
                        const std::function<bool(v1::PublishRequest*)>& send);

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_PUBLISH_ROWS_H_
