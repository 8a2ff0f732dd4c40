#include "text/domains.h"

#include <libpsl.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "absl/container/flat_hash_set.h"
#include "text/fast_paths.h"

namespace groupguard::internal {
namespace {

// Spammers' favourites, used for obfuscated forms too.
constexpr absl::string_view kStrictTlds[] = {
    "com", "net", "org", "info", "biz", "co", "uk", "ru", "io", "ly", "gl", "xyz",
    "top", "online", "site", "club", "win", "tk", "ml", "ga", "cf", "gq", "icu", "pw"};

// Common generic and country TLDs. English words that are also TLDs and show up
// glued to a period in prose ("it", "me", "to", "so", "no", "at", "be", "in", "is",
// "am", "us") are left out: "www." or a scheme still makes those URLs.
constexpr absl::string_view kTlds[] = {
    "edu", "gov", "mil", "int", "eu", "de", "fr", "es", "nl", "ca", "au", "cn",
    "jp", "br", "ch", "se", "dk", "fi", "ie", "nz", "za", "mx", "ar", "kr",
    "tw", "hk", "sg", "my", "ph", "vn", "th", "tr", "ir", "gr", "pt", "cz",
    "hu", "ro", "bg", "rs", "sk", "lt", "lv", "ee", "by", "kz", "ua", "su",
    "pl", "cc", "tv", "ws", "fm", "gg", "ai", "app", "dev", "shop", "store",
    "live", "vip", "link", "click", "mobi", "pro", "name", "tech", "space",
    "website", "fun", "loan", "bid", "stream", "download", "review", "date",
    "party", "racing", "science", "work", "men", "agency", "news", "blog",
    "email", "today", "world", "life", "money", "cash", "bet", "casino", "xxx",
    "dating", "porn", "sex", "game", "games", "media", "network", "services",
    "solutions", "support", "digital", "cloud", "host", "press", "ltd", "inc",
    "asia", "africa", "rocks", "ninja", "guru", "expert", "center", "zone",
    "page", "land", "best", "one", "plus", "free", "deals", "sale", "tips"};

constexpr absl::string_view kShorteners[] = {
    "bit.ly",    "goo.gl",  "tinyurl.com", "t.co",    "youtu.be", "ow.ly",
    "is.gd",     "buff.ly", "tiny.cc",     "rebrand.ly", "cutt.ly", "shorturl.at",
    "rb.gy",     "t.ly",    "bitly.com",   "lnkd.in", "v.gd",     "tr.im",
    "cli.gs",    "x.co",    "qr.net",      "adf.ly",  "bit.do",   "shorte.st",
    "s.id",      "clck.ru", "u.to",        "vk.cc"};

// Hosts read as URLs without a scheme although their TLD is left out above.
constexpr absl::string_view kKnownHosts[] = {"t.me", "wa.me", "youtu.be", "vk.me",
                                              "m.me", "fb.me"};

template <size_t N>
const absl::flat_hash_set<absl::string_view>* MakeSet(const absl::string_view (&items)[N]) {
  return new absl::flat_hash_set<absl::string_view>(std::begin(items), std::end(items));
}

// A test that most strings in none of some lists fail at once, before the
// lists' hash sets are asked: a listed string sets one bit of 1024, picked by
// its size, first byte and last byte, so a string whose bit is clear is not
// listed. The words after a '.' in prose ("end.then") are asked for a TLD, and
// hashing one costs several times as much. Built at compile time; immutable.
class ListFilter {
 public:
  template <size_t N>
  constexpr void Add(const absl::string_view (&items)[N]) {
    for (const absl::string_view item : items) {
      const uint32_t k = Key(item);
      bits_[k / 64] |= uint64_t{1} << (k % 64);
    }
  }
  constexpr bool MayContain(absl::string_view s) const {
    if (s.empty()) return false;
    const uint32_t k = Key(s);
    return ((bits_[k / 64] >> (k % 64)) & 1) != 0;
  }
  template <size_t N>
  constexpr bool MayContainAll(const absl::string_view (&items)[N]) const {
    for (const absl::string_view item : items) {
      if (!MayContain(item)) return false;
    }
    return true;
  }

 private:
  // REQUIRES: !s.empty().
  static constexpr uint32_t Key(absl::string_view s) {
    return (static_cast<uint32_t>(s.size()) * 97 +
            static_cast<unsigned char>(s[0]) * 31 +
            static_cast<unsigned char>(s[s.size() - 1])) %
           1024;
  }
  uint64_t bits_[16] = {};
};

constexpr ListFilter MakeTldFilter() {
  ListFilter f;
  f.Add(kStrictTlds);
  f.Add(kTlds);
  return f;
}
constexpr ListFilter MakeBareHostFilter() {
  ListFilter f;
  f.Add(kKnownHosts);
  f.Add(kShorteners);
  return f;
}
constexpr ListFilter MakeShortenerFilter() {
  ListFilter f;
  f.Add(kShorteners);
  return f;
}
constexpr ListFilter kTldFilter = MakeTldFilter();
constexpr ListFilter kBareHostFilter = MakeBareHostFilter();
constexpr ListFilter kShortenerFilter = MakeShortenerFilter();
static_assert(kTldFilter.MayContainAll(kStrictTlds) && kTldFilter.MayContainAll(kTlds));
static_assert(kBareHostFilter.MayContainAll(kKnownHosts) &&
              kBareHostFilter.MayContainAll(kShorteners));
static_assert(kShortenerFilter.MayContainAll(kShorteners));

}  // namespace

bool IsLikelyTld(absl::string_view tld, bool strict) {
  if (FastPathsEnabled() && !kTldFilter.MayContain(tld)) return false;
  static const auto* const strict_set = MakeSet(kStrictTlds);
  static const auto* const set = MakeSet(kTlds);
  return strict_set->contains(tld) || (!strict && set->contains(tld));
}

bool IsKnownBareHost(absl::string_view host) {
  if (FastPathsEnabled() && !kBareHostFilter.MayContain(host)) return false;
  static const auto* const set = MakeSet(kKnownHosts);
  return set->contains(host) || IsShortener(host);
}

bool IsShortener(absl::string_view domain) {
  if (FastPathsEnabled() && !kShortenerFilter.MayContain(domain)) return false;
  static const auto* const set = MakeSet(kShorteners);
  return set->contains(domain);
}

namespace {

// The cache's hash of a host (see RegistrableDomain): its 8-byte words
// multiplied in, the last one ending at the host's end (overlapping the one
// before); a host shorter than 8 bytes byte by byte. The product's top bits are
// the mixed ones.
uint64_t HostHash(absl::string_view host) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15u;
  uint64_t h = host.size();
  if (host.size() < 8) {
    for (const char c : host) h = (h ^ static_cast<unsigned char>(c)) * kMul;
    return h;
  }
  uint64_t w;
  for (size_t i = 0; i + 8 < host.size(); i += 8) {
    std::memcpy(&w, host.data() + i, 8);
    h = (h ^ w) * kMul;
  }
  std::memcpy(&w, host.data() + host.size() - 8, 8);
  return (h ^ w) * kMul;
}

}  // namespace

absl::string_view RegistrableDomain(absl::string_view host_name) {
  const char* const host = host_name.data();
  const size_t n = host_name.size();
  // libpsl costs a few thousand instructions per call, more than the rest of a
  // short post's tokenization, and posts repeat a few hosts (youtube.com, bit.ly):
  // a small cache per thread remembers the answers. The domain is a suffix of the
  // host, so the cache keeps its offset.
  struct Entry {
    uint8_t host_size = 0;  // 0: empty slot
    uint8_t domain_offset = 0;
    bool has_domain = false;
    char host[62];
  };
  // 1024 slots (66 KB a thread) in 128 sets of eight, the one used last first: on
  // 100k posts of the speed dump (~7,100 URLs, 208 hosts) 64 direct-mapped slots
  // missed half the time (3,526 libpsl calls), 1024 one time in eleven (657),
  // mostly hosts that took each other's slot; two to a set missed 289 times
  // (three sets held three busy hosts each), four to a set 208 or 235 times as
  // the hash spread them (five hosts in one set), eight only on each host's
  // first use.
  constexpr int kSetBits = 7;
  constexpr size_t kSets = size_t{1} << kSetBits, kWays = 8;
  thread_local Entry cache[kSets][kWays];

  Entry* set = n > 0 && n <= sizeof(Entry::host)
                   ? cache[HostHash(host_name) >> (64 - kSetBits)]
                   : nullptr;
  if (set != nullptr) {
    for (size_t way = 0; way < kWays; ++way) {
      if (set[way].host_size != n || std::memcmp(set[way].host, host, n) != 0) continue;
      // To the front; the ones used since move down one.
      if (way > 0) std::rotate(set, set + way, set + way + 1);
      const Entry& hit = set[0];
      if (!hit.has_domain) return {};
      return absl::string_view(host + hit.domain_offset, n - hit.domain_offset);
    }
  }
  const psl_ctx_t* psl = psl_builtin();
  const char* d = psl == nullptr ? nullptr : psl_registrable_domain(psl, host);
  // libpsl returns a pointer into `host`; anything else is not cached.
  const bool inside = d != nullptr && d >= host && d <= host + n;
  if (set != nullptr && (d == nullptr || inside)) {
    std::move_backward(set, set + kWays - 1, set + kWays);  // the least recent goes
    Entry& slot = set[0];
    slot.host_size = static_cast<uint8_t>(n);
    std::memcpy(slot.host, host, n);
    slot.has_domain = d != nullptr;
    slot.domain_offset = d != nullptr ? static_cast<uint8_t>(d - host) : 0;
  }
  if (d == nullptr) return {};
  return inside ? absl::string_view(d, static_cast<size_t>(host + n - d))
                : absl::string_view(d, std::strlen(d));
}

}  // namespace groupguard::internal
