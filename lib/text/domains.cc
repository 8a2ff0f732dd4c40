#include "text/domains.h"

#include <libpsl.h>

#include <cstring>

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

}  // namespace

bool IsLikelyTld(absl::string_view tld, bool strict) {
  for (absl::string_view t : kStrictTlds) {
    if (tld == t) return true;
  }
  if (strict) return false;
  for (absl::string_view t : kTlds) {
    if (tld == t) return true;
  }
  return false;
}

bool IsKnownBareHost(absl::string_view host) {
  for (absl::string_view h : kKnownHosts) {
    if (host == h) return true;
  }
  return IsShortener(host);
}

bool IsShortener(absl::string_view domain) {
  for (absl::string_view s : kShorteners) {
    if (domain == s) return true;
  }
  return false;
}

absl::string_view RegistrableDomain(const char* host) {
  const psl_ctx_t* psl = psl_builtin();
  if (psl == nullptr) return {};
  const char* d = psl_registrable_domain(psl, host);
  if (d == nullptr) return {};
  return absl::string_view(d, std::strlen(d));
}

}  // namespace groupguard::internal
