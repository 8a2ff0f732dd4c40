#ifndef GROUPGUARD_LIB_TEXT_FAST_PATHS_H_
#define GROUPGUARD_LIB_TEXT_FAST_PATHS_H_

namespace groupguard::internal {

// The tokenizer and normalizer take shortcuts for common text (plain ASCII words,
// separators that cannot start a URL, ...) that must give exactly what their
// general paths give. Turning the shortcuts off lets tests compare the two on many
// inputs. On by default; read once per Tokenize() call. Thread-safe, but meant for
// tests only: it changes no output, only speed.
void SetFastPathsForTesting(bool enabled);
bool FastPathsEnabled();

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_TEXT_FAST_PATHS_H_
