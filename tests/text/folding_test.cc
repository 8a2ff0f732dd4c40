// One test (or more) per folding rule of the tokenizer.
#include <string>

#include "gmock/gmock.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "token_test_util.h"

namespace groupguard {
namespace {

using ::groupguard::testing_util::Tok;
using ::groupguard::testing_util::TokWithSpans;
using ::testing::ElementsAre;

TEST(FoldingTest, ZeroWidthCharactersAreRemovedAndSignalled) {
  // U+200B inside "free", U+2060 inside "money": each word survives whole.
  EXPECT_THAT(TokWithSpans("fr\u200Bee mo\u2060ney"),
              ElementsAre("word:free=fr\u200Bee", "word:money=mo\u2060ney",
                          "signal:zero_width=\u200B"));
  EXPECT_THAT(Tok("soft\u00ADhyphen \uFEFFbom"),
              ElementsAre("word:softhyphen", "word:bom", "signal:zero_width"));
}

TEST(FoldingTest, BidiControlsAreRemovedAndSignalled) {
  EXPECT_THAT(TokWithSpans("pay\u202Epal \u200Fok"),
              ElementsAre("word:paypal=pay\u202Epal", "word:ok=ok", "signal:bidi=\u202E"));
}

TEST(FoldingTest, NoSignalWithoutInvisibleCharacters) {
  EXPECT_THAT(Tok("plain text"), ElementsAre("word:plain", "word:text"));
}

TEST(FoldingTest, FullwidthFormsBecomeAscii) {
  EXPECT_THAT(TokWithSpans("ＦＲＥＥ ｍｏｎｅｙ １００"),
              ElementsAre("word:free=ＦＲＥＥ", "word:money=ｍｏｎｅｙ", "number:999=１００"));
}

TEST(FoldingTest, CompatibilityLettersBecomeAscii) {
  // Mathematical bold, circled letters, ligature "ﬁ".
  EXPECT_THAT(Tok("\U0001D405\U0001D411\U0001D404\U0001D404 \u24B6\u24B7 \uFB01ne"),
              ElementsAre("word:free", "word:ab", "word:fine"));
}

TEST(FoldingTest, CyrillicHomoglyphsInLatinWordsBecomeLatin) {
  // "pаypal" with Cyrillic а (U+0430); "РАYРАL" with capital Р and А.
  EXPECT_THAT(TokWithSpans("p\u0430ypal"),
              ElementsAre("word:paypal=p\u0430ypal", "signal:homoglyph=p\u0430ypal"));
  EXPECT_THAT(Tok("\u0420\u0410Y\u0420\u0410L"), ElementsAre("word:paypal", "signal:homoglyph"));
  EXPECT_THAT(Tok("vi\u0430gr\u0430 \u0455\u0435x"),  // ѕ and е in "sex"
              ElementsAre("word:viagra", "word:sex", "signal:homoglyph"));
}

TEST(FoldingTest, GreekHomoglyphsInLatinWordsBecomeLatin) {
  EXPECT_THAT(Tok("g\u03BF\u03BFgle"), ElementsAre("word:google", "signal:homoglyph"));
}

TEST(FoldingTest, CyrillicWordsStayCyrillic) {
  // All-Cyrillic words (even made only of confusables: "рос") are left alone, and
  // so is a word mixing Latin with other Cyrillic letters.
  EXPECT_THAT(Tok("Привет, как дела? рос"),
              ElementsAre("word:привет", "word:как", "word:дела", "word:рос"));
  EXPECT_THAT(Tok("zпривет"), ElementsAre("word:zпривет"));
}

TEST(FoldingTest, HomoglyphFoldingCanBeTurnedOff) {
  TokenizerOptions options;
  options.fold_homoglyphs = false;
  EXPECT_THAT(Tok("p\u0430ypal", options), ElementsAre("word:p\u0430ypal"));
}

TEST(FoldingTest, LeetDigitsInsideWordsBecomeLetters) {
  EXPECT_THAT(Tok("fr33 h0t v1agra l33t c0ck s3x g00d"),
              ElementsAre("word:free", "word:hot", "word:viagra", "word:leet", "word:cock",
                          "word:sex", "word:good"));
}

TEST(FoldingTest, DigitsThatAreNotLeetStay) {
  // Numbers, leading digits, single trailing digits, 2/4/8, codes with another
  // digit, a final pair after one letter.
  EXPECT_THAT(Tok("2024 4u mp3 b2b covid19 2nd gr8 3d a1b2 t00"),
              ElementsAre("number:9999", "word:4u", "word:mp3", "word:b2b", "word:covid19",
                          "word:2nd", "word:gr8", "word:3d", "word:a1b2", "word:t00"));
}

TEST(FoldingTest, LeetDigitsStayInAWordWithAnotherDigitAnywhere) {
  // The other digit before the l33t run, after it, in a run that is not folded,
  // and none: only the last word's digits become letters.
  EXPECT_THAT(Tok("a2b0c h0t4u 4h0t c0d1ng9 x1y3z"),
              ElementsAre("word:a2b0c", "word:h0t4u", "word:4h0t", "word:c0d1ng9",
                          "word:xiyez"));
}

TEST(FoldingTest, LongDigitRunsInWordsBecomeShapes) {
  EXPECT_THAT(Tok("win1000 txt80082 abc123def"),
              ElementsAre("word:win9999", "word:txt99999", "word:abc999def"));
}

TEST(FoldingTest, LeetFoldingCanBeTurnedOff) {
  TokenizerOptions options;
  options.fold_leet = false;
  EXPECT_THAT(Tok("fr33 h0t", options), ElementsAre("word:fr33", "word:h0t"));
}

TEST(FoldingTest, LongRunsOfOneCharacterAreShortened) {
  EXPECT_THAT(TokWithSpans("soooooo gooood"),
              ElementsAre("word:sooo=soooooo", "word:goood=gooood"));
  EXPECT_THAT(Tok("Привееееет"), ElementsAre("word:привееет"));
  TokenizerOptions options;
  options.max_char_run = 2;
  EXPECT_THAT(Tok("soooooo", options), ElementsAre("word:soo"));
}

TEST(FoldingTest, DigitRunsAreNotShortened) {
  EXPECT_THAT(Tok("1000000"), ElementsAre("number:9999999"));
}

TEST(FoldingTest, RepeatedEmojiAreCutLikeLetters) {
  EXPECT_THAT(Tok("\U0001F602\U0001F602\U0001F602\U0001F602\U0001F602"),
              ElementsAre("emoji:\U0001F602", "emoji:\U0001F602", "emoji:\U0001F602"));
}

TEST(FoldingTest, HtmlEntitiesAreDecoded) {
  EXPECT_THAT(Tok("Tom &amp; Jerry &lt;3 &#39;hi&#x27; caf&eacute; &quot;x&quot;"),
              ElementsAre("word:tom", "word:jerry", "number:9", "word:hi", "word:caf",
                          "word:eacute", "word:x"));
  // &nbsp; is a space and &#65; a letter; span of a decoded letter is the entity.
  EXPECT_THAT(TokWithSpans("a&nbsp;b &#70;REE"),
              ElementsAre("word:a=a", "word:b=b", "word:free=&#70;REE"));
}

TEST(FoldingTest, BrokenEntitiesStayLiteral) {
  EXPECT_THAT(Tok("&amp no; &#xZZ; &#;"), ElementsAre("word:amp", "word:no", "word:xzz"));
  // NUL, a surrogate and a value past U+10FFFF decode to U+FFFD.
  const Tokenizer tokenizer = testing_util::MakeTokenizer();
  Tokenization t;
  tokenizer.Tokenize("&#0;&#xD800;&#99999999;", &t);
  EXPECT_EQ(t.folded(), "\uFFFD\uFFFD\uFFFD");
  EXPECT_TRUE(t.tokens().empty());
}

TEST(FoldingTest, HtmlTagsAreDroppedAndHrefKept) {
  EXPECT_THAT(
      TokWithSpans("<p>Win <a href=\"http://spam.com\">here</a><br />now</p>"),
      ElementsAre("word:win=Win", "url:url=http://spam.com", "host:spam.com=spam.com",
                  "domain:spam.com=spam.com", "word:here=here", "word:now=now"));
}

TEST(FoldingTest, InlineTagsDoNotSplitWords) {
  EXPECT_THAT(Tok("fr<b>ee</b> mo<span class=x>ney</span> a<div>b"),
              ElementsAre("word:free", "word:money", "word:a", "word:b"));
}

TEST(FoldingTest, HtmlDecodingCanBeTurnedOff) {
  TokenizerOptions options;
  options.decode_html = false;
  EXPECT_THAT(Tok("a&amp;b <br>", options),
              ElementsAre("word:a", "word:amp", "word:b", "word:br"));
}

TEST(FoldingTest, LessThanThatIsNotATagStays) {
  EXPECT_THAT(Tok("1 < 2 and a<3"), ElementsAre("number:9", "number:9", "word:and",
                                                "word:a", "number:9"));
}

TEST(FoldingTest, ShoutingIsSignalled) {
  EXPECT_THAT(Tok("FREE ENTRY TO WIN"),
              ElementsAre("word:free", "word:entry", "word:to", "word:win", "signal:shouting"));
  // Short or mostly lower-case posts do not shout.
  EXPECT_THAT(Tok("OK GO"), ElementsAre("word:ok", "word:go"));
  EXPECT_THAT(Tok("Call NOW for the FREE prize"),
              ElementsAre("word:call", "word:now", "word:for", "word:the", "word:free",
                          "word:prize"));
}

TEST(FoldingTest, ManyExclamationMarksAreSignalled) {
  EXPECT_THAT(TokWithSpans("win! now! free!"),
              ElementsAre("word:win=win", "word:now=now", "word:free=free",
                          "signal:many_exclaims=!"));
  EXPECT_THAT(TokWithSpans("win!!! now!"),
              ElementsAre("word:win=win", "word:now=now", "signal:many_exclaims=!!!"));
  EXPECT_THAT(Tok("hi! there!"), ElementsAre("word:hi", "word:there"));
}

}  // namespace
}  // namespace groupguard
