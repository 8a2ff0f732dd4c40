#ifndef GROUPGUARD_LIB_UTIL_STATUS_MACROS_H_
#define GROUPGUARD_LIB_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Debian 12's Abseil (20220623) has no ABSL_RETURN_IF_ERROR; these are ours.

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if
// it is not OK.
#define GG_RETURN_IF_ERROR(expr)                         \
  do {                                                   \
    ::absl::Status gg_status_ = (expr);                  \
    if (!gg_status_.ok()) return gg_status_;             \
  } while (0)

#define GG_STATUS_CONCAT_INNER_(x, y) x##y
#define GG_STATUS_CONCAT_(x, y) GG_STATUS_CONCAT_INNER_(x, y)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// moves the value into `lhs` (which may be a declaration: `auto x`).
#define GG_ASSIGN_OR_RETURN(lhs, rexpr) \
  GG_ASSIGN_OR_RETURN_IMPL_(GG_STATUS_CONCAT_(gg_statusor_, __LINE__), lhs, rexpr)

#define GG_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // GROUPGUARD_LIB_UTIL_STATUS_MACROS_H_
