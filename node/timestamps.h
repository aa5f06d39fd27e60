// Conversions between absl::Time, which the node computes with, and
// google.protobuf.Timestamp, which it stores and sends.
#ifndef LMX_NODE_TIMESTAMPS_H_
#define LMX_NODE_TIMESTAMPS_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace lmx {

inline google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(timestamp));
}

}  // namespace lmx

#endif  // LMX_NODE_TIMESTAMPS_H_
