#ifndef GROUPGUARD_LIB_TEXT_NORMALIZER_H_
#define GROUPGUARD_LIB_TEXT_NORMALIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace groupguard::internal {

// What the normalizer saw besides the folded text.
struct NormalizeStats {
  // True while folded byte i came from input byte i (then `begins`/`ends` are not
  // filled); false once any byte was expanded, decoded or dropped.
  bool identity = true;
  size_t folded_size = 0;  // bytes of folded text written
  bool has_zero_width = false;
  uint32_t zero_width_begin = 0, zero_width_end = 0;  // first occurrence
  bool has_bidi = false;
  uint32_t bidi_begin = 0, bidi_end = 0;
  uint32_t uppercase_letters = 0;  // letters of category Lu
  uint32_t cased_letters = 0;      // letters of category Lu, Ll or Lt
};

// Output buffers of Normalize, owned by the caller and reused between calls. They
// are grown as needed and never shrunk: only the first stats.folded_size bytes (and
// span entries, unless stats.identity) are meaningful.
struct NormalizeBuffers {
  std::string* folded;
  std::vector<uint32_t>* begins;  // per folded byte: input span of its source
  std::vector<uint32_t>* ends;
};

// Folds `input` (any bytes) into valid UTF-8: invalid sequences become U+FFFD;
// HTML entities decoded and tags dropped (if `decode_html`; an href value is kept
// as text between spaces); zero-width characters, bidi controls and variation
// selectors removed (except a ZWJ inside an emoji sequence); NFKC and full case
// folding via utf8proc, with an ASCII fast path; ASCII controls and NUL become
// spaces. Stops once the output reaches `max_output` bytes (overshooting by at
// most one character's folding, under 1 KiB).
void Normalize(absl::string_view input, bool decode_html, size_t max_output,
               const NormalizeBuffers& out, NormalizeStats* stats);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_TEXT_NORMALIZER_H_
