// RETURN_IF_ERROR and ASSIGN_OR_RETURN for absl::Status, which Abseil
// 20220623 does not ship.
//
//   RETURN_IF_ERROR(batch->Put(key, value));
//   ASSIGN_OR_RETURN(auto period, TimePeriod::Parse(text));
#ifndef LMX_FEDERATION_BASE_STATUS_MACROS_H_
#define LMX_FEDERATION_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LMX_CONCAT_INNER(a, b) a##b
#define LMX_CONCAT(a, b) LMX_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status lmx_status_ = (expr);       \
    if (!lmx_status_.ok()) return lmx_status_; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  LMX_ASSIGN_OR_RETURN_IMPL(LMX_CONCAT(lmx_statusor_, __LINE__), lhs, expr)

#define LMX_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // LMX_FEDERATION_BASE_STATUS_MACROS_H_
