#ifndef GROUPGUARD_LIB_TEXT_DOMAINS_H_
#define GROUPGUARD_LIB_TEXT_DOMAINS_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace groupguard::internal {

// Whether `tld` (lower case) ends host names often enough in posts that a bare
// "word.tld" without a scheme is read as a URL. `strict` (for obfuscated forms
// such as "site dot com") keeps only the handful spammers use, so prose like
// "home . me" is not taken for a URL.
bool IsLikelyTld(absl::string_view tld, bool strict);

// Whether `host` is read as a URL without a scheme even though its TLD is not
// likely: shorteners and messenger links ("youtu.be", "t.me").
bool IsKnownBareHost(absl::string_view host);

// Whether `domain` (a registrable domain, lower case) is a URL shortener.
bool IsShortener(absl::string_view domain);

// The registrable domain of `host` (lower case, followed by a NUL:
// host.data()[host.size()] == '\0') per the public suffix list built into libpsl
// ("www.example.co.uk" -> "example.co.uk"), or empty if it has none (a public
// suffix itself, an IP address). Points into `host`. Thread-safe (answers are
// cached per thread).
absl::string_view RegistrableDomain(absl::string_view host);

}  // namespace groupguard::internal

#endif  // GROUPGUARD_LIB_TEXT_DOMAINS_H_
