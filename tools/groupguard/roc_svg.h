#ifndef GROUPGUARD_TOOLS_GROUPGUARD_ROC_SVG_H_
#define GROUPGUARD_TOOLS_GROUPGUARD_ROC_SVG_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "groupguard/metrics.h"

namespace groupguard::cli {

// A standalone SVG picture of an ROC curve: axes with ticks and labels, the chance
// diagonal, the curve, a marker at 1% ham blocked, and a title with the AUC.
std::string RocSvg(const std::vector<RocPoint>& curve, double roc_auc,
                   absl::string_view title);

}  // namespace groupguard::cli

#endif  // GROUPGUARD_TOOLS_GROUPGUARD_ROC_SVG_H_
