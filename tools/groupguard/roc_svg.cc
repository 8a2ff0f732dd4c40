#include "roc_svg.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "utf8proc.h"

namespace groupguard::cli {
namespace {

// `s` as XML character data: markup escaped, control characters dropped, and
// invalid UTF-8 (a file name can be any bytes) replaced by U+FFFD, so the picture
// stays well-formed XML.
std::string XmlEscape(absl::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      utf8proc_int32_t cp;
      utf8proc_ssize_t n =
          utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                           static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
      if (n <= 0 || cp == 0xFFFE || cp == 0xFFFF) {
        out += "\xEF\xBF\xBD";
        i += n <= 0 ? 1 : static_cast<size_t>(n);
      } else {
        out.append(s.data() + i, static_cast<size_t>(n));
        i += static_cast<size_t>(n);
      }
      continue;
    }
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (c >= 0x20 || c == '\t') out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  return out;
}

}  // namespace

std::string RocSvg(const std::vector<RocPoint>& curve, double roc_auc,
                   absl::string_view title) {
  const double kLeft = 70, kTop = 50, kSize = 400;
  auto x = [&](double fpr) { return kLeft + fpr * kSize; };
  auto y = [&](double tpr) { return kTop + (1 - tpr) * kSize; };
  std::string s = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      520, 520, 520, 520);
  absl::StrAppendFormat(&s,
                        "<text x=\"%g\" y=\"25\" text-anchor=\"middle\" font-size=\"15\">"
                        "%s (ROC AUC %.4f)</text>\n",
                        kLeft + kSize / 2, XmlEscape(title), roc_auc);
  // Grid, ticks and tick labels.
  for (int i = 0; i <= 10; i += 2) {
    double v = i / 10.0;
    absl::StrAppendFormat(
        &s,
        "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n"
        "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n",
        x(v), y(0), x(v), y(1), x(0), y(v), x(1), y(v));
    absl::StrAppendFormat(&s,
                          "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.1f</text>\n"
                          "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.1f</text>\n",
                          x(v), y(0) + 18, v, x(0) - 8, y(v) + 4, v);
  }
  // Axes and their labels.
  absl::StrAppendFormat(
      &s,
      "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
      "stroke=\"black\"/>\n",
      kLeft, kTop, kSize, kSize);
  absl::StrAppendFormat(&s,
                        "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">False positive "
                        "rate (share of ham blocked)</text>\n",
                        kLeft + kSize / 2, kTop + kSize + 40);
  absl::StrAppendFormat(&s,
                        "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 %g %g)\">True positive rate (share of "
                        "spam caught)</text>\n",
                        kLeft - 45, kTop + kSize / 2, kLeft - 45, kTop + kSize / 2);
  // Chance diagonal.
  absl::StrAppendFormat(&s,
                        "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#999\" "
                        "stroke-dasharray=\"6 4\"/>\n",
                        x(0), y(0), x(1), y(1));
  // The curve, thinned to points at least 1/1000 apart.
  s += "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"";
  double last_x = -1, last_y = -1;
  double caught_at_1pct = 0;
  for (size_t i = 0; i < curve.size(); ++i) {
    const RocPoint& p = curve[i];
    if (p.false_positive_rate <= 0.01) {
      caught_at_1pct = std::max(caught_at_1pct, p.true_positive_rate);
    }
    bool last = i + 1 == curve.size();
    if (!last && std::fabs(p.false_positive_rate - last_x) < 1e-3 &&
        std::fabs(p.true_positive_rate - last_y) < 1e-3) {
      continue;
    }
    last_x = p.false_positive_rate;
    last_y = p.true_positive_rate;
    absl::StrAppendFormat(&s, "%.2f,%.2f ", x(p.false_positive_rate),
                          y(p.true_positive_rate));
  }
  s += "\"/>\n";
  // 1% ham blocked.
  absl::StrAppendFormat(
      &s,
      "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#2c7fb8\" "
      "stroke-dasharray=\"2 3\"/>\n"
      "<circle cx=\"%g\" cy=\"%g\" r=\"4\" fill=\"#2c7fb8\"/>\n"
      "<text x=\"%g\" y=\"%g\" fill=\"#2c7fb8\">%.1f%% of spam caught at "
      "1%% of ham blocked</text>\n",
      x(0.01), y(0), x(0.01), y(1), x(0.01), y(caught_at_1pct), x(0.01) + 8,
      y(caught_at_1pct) + 16, caught_at_1pct * 100);
  s += "</svg>\n";
  return s;
}

}  // namespace groupguard::cli
