// URLs, e-mail addresses, phone numbers, numbers, currency and emoji.
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "token_test_util.h"

namespace groupguard {
namespace {

using ::groupguard::testing_util::Tok;
using ::groupguard::testing_util::TokWithSpans;
using ::testing::ElementsAre;

TEST(UrlTest, UrlWithSchemeGivesMarkerHostDomainAndPathWords) {
  EXPECT_THAT(TokWithSpans("see https://www.Example.co.uk/free-iphone?id=123."),
              ElementsAre("word:see=see",
                          "url:url=https://www.Example.co.uk/free-iphone?id=123",
                          "host:www.example.co.uk=www.Example.co.uk",
                          "domain:example.co.uk=www.Example.co.uk",
                          "word:free=free", "word:iphone=iphone"));
}

TEST(UrlTest, WwwWithoutScheme) {
  EXPECT_THAT(Tok("www.site.com"),
              ElementsAre("url:url", "host:www.site.com", "domain:site.com"));
}

TEST(UrlTest, BareDomainWithPath) {
  EXPECT_THAT(TokWithSpans("go to site.com/path, now"),
              ElementsAre("word:go=go", "word:to=to", "url:url=site.com/path",
                          "host:site.com=site.com", "domain:site.com=site.com",
                          "word:path=path", "word:now=now"));
}

TEST(UrlTest, PathWordsAreFoldedLikeWords) {
  EXPECT_THAT(Tok("spam.com/Sooooo-FREE_x"),
              ElementsAre("url:url", "host:spam.com", "domain:spam.com", "word:sooo",
                          "word:free"));
}

TEST(UrlTest, PortIsPartOfTheUrl) {
  EXPECT_THAT(TokWithSpans("http://spam.ru:8080/x"),
              ElementsAre("url:url=http://spam.ru:8080/x", "host:spam.ru=spam.ru",
                          "domain:spam.ru=spam.ru"));
}

TEST(UrlTest, ObfuscatedDots) {
  EXPECT_THAT(TokWithSpans("site . com"),
              ElementsAre("url:url:obfuscated=site . com", "host:site.com=site . com",
                          "domain:site.com=site . com"));
  EXPECT_THAT(Tok("site dot com"),
              ElementsAre("url:url:obfuscated", "host:site.com", "domain:site.com"));
  EXPECT_THAT(Tok("site(dot)com"),
              ElementsAre("url:url:obfuscated", "host:site.com", "domain:site.com"));
  EXPECT_THAT(Tok("site [.] net"),
              ElementsAre("url:url:obfuscated", "host:site.net", "domain:site.net"));
}

// A host of up to 16 labels, each found once and joined with '.', however it was
// separated; the labels past the 16th stay out of the host.
TEST(UrlTest, HostsOfUpToSixteenLabels) {
  EXPECT_THAT(
      Tok("http://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.com/x"),
      ElementsAre("url:url", "host:a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.com", "domain:o.com"));
  EXPECT_THAT(Tok("http://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.com"),
              ElementsAre("url:url", "host:a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "domain:o.p",
                          "word:com"));
  EXPECT_THAT(TokWithSpans("www dot a-b (dot) x1 [.] com."),
              ElementsAre("url:url:obfuscated=www dot a-b (dot) x1 [.] com",
                          "host:www.a-b.x1.com=www dot a-b (dot) x1 [.] com",
                          "domain:x1.com=www dot a-b (dot) x1 [.] com"));
  // A separator followed by no label ends the host; a label that starts with
  // '-' makes no host at all.
  EXPECT_THAT(Tok("go.site.com. next"),
              ElementsAre("url:url", "host:go.site.com", "domain:site.com", "word:next"));
  EXPECT_THAT(Tok("site.com.-x"), ElementsAre("word:site", "word:com", "word:x"));
}

TEST(UrlTest, ObfuscatedScheme) {
  EXPECT_THAT(Tok("hxxp://evil.ru/x"),
              ElementsAre("url:url:obfuscated", "host:evil.ru", "domain:evil.ru"));
  EXPECT_THAT(Tok("hxxps://evil.ru"),
              ElementsAre("url:url:obfuscated", "host:evil.ru", "domain:evil.ru"));
}

TEST(UrlTest, Shorteners) {
  EXPECT_THAT(Tok("bit.ly/abc"), ElementsAre("url:url:short", "host:bit.ly", "domain:bit.ly",
                                             "word:abc"));
  EXPECT_THAT(Tok("goo.gl/x"), ElementsAre("url:url:short", "host:goo.gl", "domain:goo.gl"));
  EXPECT_THAT(Tok("tinyurl.com/y"),
              ElementsAre("url:url:short", "host:tinyurl.com", "domain:tinyurl.com"));
  EXPECT_THAT(Tok("t.co/z"), ElementsAre("url:url:short", "host:t.co", "domain:t.co"));
  EXPECT_THAT(Tok("youtu.be/dQw4w9WgXcQ"),
              ElementsAre("url:url:short", "host:youtu.be", "domain:youtu.be"));
}

TEST(UrlTest, MessengerLinksWithoutScheme) {
  EXPECT_THAT(Tok("t.me/freebies"),
              ElementsAre("url:url", "host:t.me", "domain:t.me", "word:freebies"));
}

TEST(UrlTest, HomoglyphHost) {
  EXPECT_THAT(Tok("p\u0430ypal.com"),
              ElementsAre("url:url", "host:paypal.com", "domain:paypal.com", "signal:homoglyph"));
}

TEST(UrlTest, ProseWithPeriodsIsNotAUrl) {
  EXPECT_THAT(Tok("e.g. i.e. U.S. end.It so.me"),
              ElementsAre("word:e", "word:g", "word:i", "word:e", "word:u", "word:s",
                          "word:end", "word:it", "word:so", "word:me"));
  EXPECT_THAT(Tok("I went home . me too"),
              ElementsAre("word:i", "word:went", "word:home", "word:me", "word:too"));
  EXPECT_THAT(Tok("readme.txt v1.2"), ElementsAre("word:readme", "word:txt", "word:v1",
                                                  "number:9"));
}

TEST(UrlTest, UrlDetectionCanBeTurnedOff) {
  TokenizerOptions options;
  options.detect_urls = false;
  EXPECT_THAT(Tok("bit.ly/abc", options), ElementsAre("word:bit", "word:ly", "word:abc"));
}

TEST(EmailTest, EmailGivesItsDomain) {
  EXPECT_THAT(TokWithSpans("mail John.Smith+x@Gmail.com."),
              ElementsAre("word:mail=mail", "email:gmail.com=John.Smith+x@Gmail.com"));
  EXPECT_THAT(Tok("a@b"), ElementsAre("word:a", "word:b"));
  EXPECT_THAT(Tok("@user hi"), ElementsAre("word:user", "word:hi"));
}

// The local part: ASCII letters and digits, '.', '_', '-', '+' and '%', at most 64
// bytes. Every other ASCII byte inside it leaves no address that starts where the
// local part does.
TEST(EmailTest, LocalPartBytesAndLength) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer();
  Tokenization t;
  auto email_from_start = [&](const std::string& input) {
    tokenizer.Tokenize(input, &t);
    for (const Token& token : t.tokens()) {
      if (token.kind == TokenKind::kEmail && token.begin == 0) return true;
    }
    return false;
  };
  for (int c = 1; c < 0x80; ++c) {
    const bool local = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') ||
                       std::string("._-+%").find(c) != std::string::npos;
    const std::string input = std::string("ab") + static_cast<char>(c) + "cd@mail.com";
    EXPECT_EQ(email_from_start(input), local) << absl::CHexEscape(input);
  }
  std::string local;
  for (int i = 0; i < 66; ++i) local += "abcdefgh"[i % 8];
  for (const size_t size : {1, 2, 63, 64}) {
    EXPECT_TRUE(email_from_start(local.substr(0, size) + "@mail.com")) << size;
  }
  for (const size_t size : {65, 66}) {
    EXPECT_FALSE(email_from_start(local.substr(0, size) + "@mail.com")) << size;
  }
}

TEST(PhoneTest, PhoneNumbersBecomeShapes) {
  EXPECT_THAT(TokWithSpans("+44 7700 900123"), ElementsAre("phone:+d12=+44 7700 900123"));
  EXPECT_THAT(TokWithSpans("0800-123-456"), ElementsAre("phone:0d10=0800-123-456"));
  EXPECT_THAT(TokWithSpans("(555) 123-4567"), ElementsAre("phone:d10=(555) 123-4567"));
  EXPECT_THAT(TokWithSpans("call 08712405020."),
              ElementsAre("word:call=call", "phone:0d11=08712405020"));
  EXPECT_THAT(Tok("555.123.4567"), ElementsAre("phone:d10"));
  EXPECT_THAT(Tok("+1 (555) 123-4567"), ElementsAre("phone:+d11"));
}

TEST(PhoneTest, ShapeCountsEveryDigitFromSevenToFifteen) {
  // "+44" and a group of 5 to 13 digits; 16 digits are no phone number.
  for (int digits = 7; digits <= 16; ++digits) {
    const std::string text = "+44 " + std::string(digits - 2, '5');
    const std::string want =
        digits <= 15 ? "phone:+d" + std::to_string(digits) : "number:99";
    EXPECT_EQ(Tok(text).front(), want) << text;
  }
}

TEST(PhoneTest, DatesAndSmallNumbersAreNotPhones) {
  EXPECT_THAT(Tok("2024-01-15"), ElementsAre("number:9999", "number:99", "number:99"));
  EXPECT_THAT(Tok("12.05.2024"), ElementsAre("number:99.99.9999"));
  EXPECT_THAT(Tok("1 2 3 4 5 6 7 8"),
              ElementsAre("number:9", "number:9", "number:9", "number:9", "number:9",
                          "number:9", "number:9", "number:9"));
  EXPECT_THAT(Tok("123456789"), ElementsAre("number:999999999"));
}

TEST(NumberTest, NumbersBecomeShapesAndCurrencyIsAToken) {
  EXPECT_THAT(TokWithSpans("£1000 $9.99 1,000,000 €5"),
              ElementsAre("word:£=£", "number:9999=1000", "word:$=$", "number:9.99=9.99",
                          "number:9,999,999=1,000,000", "word:€=€", "number:9=5"));
}

TEST(EmojiTest, OneTokenPerEmojiOrSequence) {
  EXPECT_THAT(TokWithSpans("hi\U0001F44D\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467"
                           " \U0001F1EC\U0001F1E7 \u2764\uFE0F\u2728"),
              ElementsAre("word:hi=hi", "emoji:\U0001F44D\U0001F3FD=\U0001F44D\U0001F3FD",
                          "emoji:\U0001F468\u200D\U0001F469\u200D\U0001F467="
                          "\U0001F468\u200D\U0001F469\u200D\U0001F467",
                          "emoji:\U0001F1EC\U0001F1E7=\U0001F1EC\U0001F1E7",
                          "emoji:\u2764=\u2764\uFE0F", "emoji:\u2728=\u2728"));
}

TEST(EmojiTest, ZwjInsideEmojiSequenceIsNotAZeroWidthSignal) {
  EXPECT_THAT(Tok("\U0001F468\u200D\U0001F4BB"), ElementsAre("emoji:\U0001F468\u200D\U0001F4BB"));
}

TEST(EmojiTest, KeycapIsItsDigit) {
  EXPECT_THAT(Tok("press 1\uFE0F\u20E3 now"),
              ElementsAre("word:press", "number:9", "word:now"));
}

TEST(CjkTest, EachCjkCharacterIsAWord) {
  EXPECT_THAT(Tok("免费 money"), ElementsAre("word:免", "word:费", "word:money"));
}

}  // namespace
}  // namespace groupguard
