// Conversions between absl::Time, which the node computes with, and
// google.protobuf.Timestamp, which it stores and sends.
#ifndef LMX_FEDERATION_BASE_TIMESTAMPS_H_
#define LMX_FEDERATION_BASE_TIMESTAMPS_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace lmx {

inline google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);  // rounded down
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

// Any value: seconds and nanos are added as durations, so a timestamp
// beyond the years 1678-2261 (where nanoseconds overflow 64 bits) is far in
// the past or future, never wrapped around.
inline absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

// Whether `timestamp` is one proto3 allows: 0001-01-01 to 9999-12-31, and
// nanos within [0, 1e9).
inline bool IsValidTimestamp(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() >= -62135596800 && timestamp.seconds() <= 253402300799 &&
         timestamp.nanos() >= 0 && timestamp.nanos() < 1000000000;
}

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_TIMESTAMPS_H_
