// Golden outputs: the exact tokens (kind and text) of a dozen sample posts. Saved
// models depend on these: a change here invalidates them, so it must be deliberate
// (bump the tokenizer version in the model format and update these together).
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "token_test_util.h"

namespace groupguard {
namespace {

struct Golden {
  const char* input;
  const char* tokens;  // "kind:text" joined by " | "
};

// clang-format off
const Golden kGoldens[] = {
    {"Sorry, I'll call later",
     "word:sorry | word:i | word:ll | word:call | word:later"},
    {"1st wk FREE! Gr8 tones str8 2 u each wk. Txt NOKIA ON to 8007 for Classic Nokia tones or HIT ON to 8007 for Polys. Nokia/150p Poly/200p 16+",
     "word:1st | word:wk | word:free | word:gr8 | word:tones | word:str8 | number:9 | word:u | word:each | word:wk | word:txt | word:nokia | word:on | word:to | number:9999 | word:for | word:classic | word:nokia | word:tones | word:or | word:hit | word:on | word:to | number:9999 | word:for | word:polys | word:nokia | word:999p | word:poly | word:999p | number:99"},
    {"WINNER!! As a valued network customer you have been selected to receivea £900 prize reward! To claim call 09061701461. Claim code KL341. Valid 12 hours only.",
     "word:winner | word:as | word:a | word:valued | word:network | word:customer | word:you | word:have | word:been | word:selected | word:to | word:receivea | word:£ | number:999 | word:prize | word:reward | word:to | word:claim | word:call | phone:0d11 | word:claim | word:code | word:kl999 | word:valid | number:99 | word:hours | word:only | signal:many_exclaims"},
    {"Check out my channel http://www.youtube.com/user/SpamChannel?feature=mhee and subscribe PLEASE!!!",
     "word:check | word:out | word:my | word:channel | url:url | host:www.youtube.com | domain:youtube.com | word:user | word:spamchannel | word:feature | word:mhee | word:and | word:subscribe | word:please | signal:many_exclaims"},
    {"Huge DISCOUNT on v1agra at hxxp://pharma-deals . com — email sales@pharma.co.uk or call +44 7700 900123",
     "word:huge | word:discount | word:on | word:viagra | word:at | url:url:obfuscated | host:pharma-deals.com | domain:pharma-deals.com | word:email | email:pharma.co.uk | word:or | word:call | phone:+d12"},
    {"Привет, дорогие! Заработок от 5000 руб в день, пиши в лс t.me/job_offer 💰💰",
     "word:привет | word:дорогие | word:заработок | word:от | number:9999 | word:руб | word:в | word:день | word:пиши | word:в | word:лс | url:url | host:t.me | domain:t.me | word:job | word:offer | emoji:💰 | emoji:💰"},
    {"Ｆｒｅｅ ｉＰｈｏｎｅ → bit.ly/3xAmPle ✨✨✨✨✨",
     "word:free | word:iphone | url:url:short | host:bit.ly | domain:bit.ly | emoji:✨ | emoji:✨ | emoji:✨"},
    {"Get your pаypаl refund: vіsit secure-login dot net/verify\u200Bnow",
     "word:get | word:your | word:paypal | word:refund | word:visit | url:url:obfuscated | host:secure-login.net | domain:secure-login.net | word:verifynow | signal:zero_width | signal:homoglyph"},
    {"&lt;b&gt;Fr&amp;ee&lt;/b&gt; <a href='https://goo.gl/abc'>cl<i>ick</i> h3re</a><br/>Sooooo easy!!!",
     "word:b | word:fr | word:ee | word:b | url:url:short | host:goo.gl | domain:goo.gl | word:abc | word:click | word:here | word:sooo | word:easy | signal:many_exclaims"},
    {"Meeting moved to 3:30pm, see agenda at https://intranet.example.org/docs/q3-plan.pdf (v2.1)",
     "word:meeting | word:moved | word:to | number:9 | word:30pm | word:see | word:agenda | word:at | url:url | host:intranet.example.org | domain:example.org | word:docs | word:plan | word:pdf | word:v2 | number:9"},
    {"I ❤\uFE0F this song 👍🏽👍🏽 best of 2013 lol 😂",
     "word:i | emoji:❤ | word:this | word:song | emoji:👍🏽 | emoji:👍🏽 | word:best | word:of | number:9999 | word:lol | emoji:😂"},
    {"Call (555) 123-4567 or 0800-123-456; price $19.99, was 1,299.00 EUR",
     "word:call | phone:d10 | word:or | phone:0d10 | word:price | word:$ | number:99.99 | word:was | number:9,999.99 | word:eur"},
};
// clang-format on

TEST(TokenizerGoldenTest, SamplePostsGiveExactlyTheseTokens) {
  for (const Golden& g : kGoldens) {
    EXPECT_EQ(absl::StrJoin(testing_util::Tok(g.input), " | "), g.tokens) << g.input;
  }
}

TEST(TokenizerGoldenTest, SamplePostsKeepInvariants) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer();
  Tokenization t;
  for (const Golden& g : kGoldens) {
    tokenizer.Tokenize(g.input, &t);
    EXPECT_EQ(testing_util::CheckInvariants(g.input, t, tokenizer.options().max_input_bytes),
              "")
        << g.input;
  }
}

}  // namespace
}  // namespace groupguard
