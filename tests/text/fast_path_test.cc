// The tokenizer's and normalizer's fast paths (plain ASCII words and text,
// separators that cannot start a URL, ASCII entities, ...) must give exactly what
// the general paths give: the same folded text, stats, token kinds, texts and
// spans. This runs both on the sample posts, on tricky
// pieces glued together, and on random mutations of both, under several option
// sets, and compares.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "groupguard/post_reader.h"
#include "groupguard/tokenizer.h"
#include "gtest/gtest.h"
#include "text/domains.h"
#include "text/fast_paths.h"
#include "text/normalizer.h"
#include "text/tokenization_access.h"
#include "token_test_util.h"

namespace groupguard {
namespace {

// Pieces that steer the tokenizer into its special cases.
const char* const kPieces[] = {
    ".", " ", ":", "/", "-", "@", "(", "[", "{", ")", "]", "}", "_", "+", "%", "#", "?",
    "\"", "'", "`", "\\", "!", "!!!", "$", "\xC2\xA3", "\xE2\x82\xAC", "\t", "\n",
    "\x7F", "\x1F", " dot ", "dot", " . ", " .", "(dot)",
    " (dot) ", "[.]", " [.] ", "{dot}", "http://", "https://", "hxxp://", "hxxps[:]//",
    "ftp://", "www.", ".com", ".ru", ".co.uk", "bit.ly/", "t.me/", "A", "Z", "q", "0",
    "1", "3", "5", "7", "9", "00", "333", "&amp;", "&#39;", "&#x41;", "&nbsp;", "&zwj;",
    "&", "<", "<b>", "</b>", "<br/>", "<a href=\"x.com/pa\">", ">", "\xD0\xB0",
    "\xD0\xB5", "\xCE\xBF", "\xCC\x81", "\xCC\x88", "\xC3", "\xFF", "\xE2\x80",
    "\xED\xA0\x80", "\xC0\xAF", "\xE2\x80\x8B", "\xE2\x80\x8D", "\xE2\x80\xAE",
    "\xEF\xB8\x8F", "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
    "\xE2\x83\xA3", "1\xEF\xB8\x8F\xE2\x83\xA3", "\xF0\x9F\x87\xAC\xF0\x9F\x87\xA7",
    "\xE6\x9D\xB1", "\xED\x95\x9C", "\xE1\xBA\x9E", "\xEF\xBC\xA6\xEF\xBD\x92",
    "\xEF\xAC\x81", "\xC3\xA9", "\xC3\x89", "\xC3\x9F", "\xC4\xB0", "\xEF\xB7\xBA",
    "aaaaaa", "AAAAAAAAA", "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo",
    "+44 7700 900123", "(555) 123-4567", "0800-123-456", "08712405020", "2024-01-15",
    "1,000.50", "x@y.com", "a.b@mail.co.uk", "SHOUTING LOUD", "h3re", "fr33", "v1agra",
    "win1000", "word", "Word", " the ", "Hello, world. ", "e-mail", "p\xD0\xB0ypal",
};

std::vector<std::string> Corpus() {
  std::vector<std::string> texts;
  for (const char* name : {"sms", "youtube", "tgspam", "datacamp"}) {
    auto posts = ReadPosts(absl::StrCat(GROUPGUARD_DATA_DIR, "/jsonl/", name, ".jsonl"));
    if (!posts.ok()) continue;  // the corpora are optional; the pieces below are not
    for (Post& post : *posts) texts.push_back(std::move(post.text));
  }
  for (const char* piece : kPieces) texts.push_back(piece);
  std::mt19937 rng(20240521);
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  constexpr size_t kPieceCount = sizeof(kPieces) / sizeof(kPieces[0]);
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    for (size_t k = 1 + pick(12); k > 0; --k) s += kPieces[pick(kPieceCount)];
    texts.push_back(std::move(s));
  }
  // Long ASCII runs (the normalizer's 16-byte loop sums its letter counts every
  // 4080 bytes), mixed case, with a stop byte or not near the end.
  for (int i = 0; i < 12; ++i) {
    std::string s;
    const size_t size = 4000 + pick(9000);
    while (s.size() < size) {
      s += "aAzZ@[`{ 09Hello World THE end. "[pick(33)];
    }
    if (i % 3 == 1) s[s.size() - 1 - pick(40)] = "&<\x7F\x01\xC3"[pick(5)];
    texts.push_back(std::move(s));
  }
  texts.push_back(std::string(4096 + 7, 'Q'));  // a lane counting 256 letters would wrap
  texts.push_back(std::string(9000, 'z') + "\xC3\xA9");
  // Every size up to 40 bytes with one byte the normalizer's 16-byte steps treat
  // apart (a stop byte, a control, DEL, the letters and neighbours at the ends of
  // the case ranges) at every position: the step that stops at it, and the last
  // step, whose 16 bytes end where the text ends and overlap bytes folded before.
  for (size_t size = 1; size <= 40; ++size) {
    for (size_t pos = 0; pos < size; ++pos) {
      for (const char* special : {"&", "<", "\x7F", "\n", "\x1F", "\xC3\xA9", "A", "Z",
                                  "@", "[", "`", "{", "a", "z", "&amp;"}) {
        std::string s;
        for (size_t k = 0; k < size; ++k) s += "Hello World xyz. "[k % 17];
        s.replace(pos, 1, special);
        texts.push_back(std::move(s));
      }
    }
  }
  // Mutations: pieces and random bytes inserted, bytes deleted.
  const size_t originals = texts.size();
  for (int i = 0; i < 20000; ++i) {
    std::string s = texts[pick(originals)];
    if (s.size() > 600) s.resize(600);
    for (size_t k = 1 + pick(6); k > 0; --k) {
      const size_t pos = pick(s.size() + 1);
      switch (pick(4)) {
        case 0: s.insert(pos, kPieces[pick(kPieceCount)]); break;
        case 1: s.insert(pos, 1, static_cast<char>(pick(256))); break;
        case 2: s.erase(pos, 1 + pick(4)); break;
        default: s.insert(pos, std::string(1 + pick(8), "abz .-:"[pick(7)])); break;
      }
    }
    texts.push_back(std::move(s));
  }
  return texts;
}

// Everything Tokenize produces, as one string.
std::string Dump(const Tokenizer& tokenizer, absl::string_view input, Tokenization* t,
                 bool fast_paths) {
  internal::SetFastPathsForTesting(fast_paths);
  tokenizer.Tokenize(input, t);
  internal::SetFastPathsForTesting(true);
  std::string out = absl::StrCat("folded: ", t->folded(), "\n");
  for (const Token& token : t->tokens()) {
    absl::StrAppend(&out, TokenKindName(token.kind), ":", t->text(token), " [", token.begin,
                    ",", token.end, ")\n");
  }
  return out;
}

// Tokenizes `input` with the fast paths off (in `general`) and on (in `fast`);
// if the two differ, adds a failure showing both, the input and `context`, and
// returns false.
bool SameTokens(const Tokenizer& tokenizer, const std::string& input, Tokenization* fast,
                Tokenization* general, absl::string_view context = "") {
  const std::string want = Dump(tokenizer, input, general, false);
  const std::string got = Dump(tokenizer, input, fast, true);
  if (got == want) return true;
  ADD_FAILURE() << "input \"" << absl::CHexEscape(input) << "\"" << context
                << "\nfast paths:\n"
                << got << "general paths:\n"
                << want;
  return false;
}

TEST(FastPathTest, FastAndGeneralPathsGiveTheSameTokens) {
  std::vector<TokenizerOptions> option_sets(7);
  option_sets[1].max_char_run = 2;
  option_sets[2].max_char_run = 16;
  option_sets[3].fold_homoglyphs = false;
  option_sets[4].fold_leet = false;
  option_sets[5].decode_html = false;
  option_sets[6].detect_urls = false;
  option_sets[6].max_input_bytes = 1024;
  const std::vector<std::string> corpus = Corpus();
  ASSERT_GT(corpus.size(), 20000u);
  int failures = 0;
  for (const TokenizerOptions& options : option_sets) {
    const Tokenizer tokenizer = testing_util::MakeTokenizer(options);
    // Reused, as on a scoring thread: stale bytes from longer posts stay behind.
    Tokenization fast, general;
    for (const std::string& input : corpus) {
      if (!SameTokens(tokenizer, input, &fast, &general,
                      absl::StrCat(" (max_char_run ", options.max_char_run, ")")) &&
          ++failures == 5) {
        return;
      }
    }
  }
}

// The separators between host labels, cut short and with each byte changed, after
// a word and before a label or at the end of the text: the fast paths compare them
// on 8 bytes loaded from the folded text, so the text is first tokenized whole in
// the same Tokenization, which leaves its bytes behind the shorter text's end.
TEST(FastPathTest, HostSeparatorsAndNearMissesGiveTheSameTokens) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  auto check = [&](const std::string& input) {
    if (!SameTokens(tokenizer, input, &fast, &general)) ++failures;
  };
  for (const std::string sep :
       {".", " (dot) ", " [dot] ", " {dot} ", "(dot)", "[dot]", "{dot}", " dot ", " [.] ",
        " (.) ", "[.]", "(.)", "{.}", " . ", " .", " dots ", "  dot  "}) {
    for (const char* before : {"site", "hxxp://a", "x"}) {
      for (const char* after : {"com", "example.net/x", "d", ""}) {
        const std::string whole = before + sep + after;
        for (size_t cut = 0; cut <= sep.size(); ++cut) {
          check(whole);
          check(before + sep.substr(0, cut));
          check(before + sep.substr(0, cut) + after);
        }
        for (size_t pos = 0; pos < sep.size(); ++pos) {
          for (const char c : std::string(" .dotx()[]{}\x80")) {
            std::string changed = sep;
            changed[pos] = c;
            check(whole);
            check(before + changed + after);
            check(before + changed);
          }
        }
        ASSERT_EQ(failures, 0) << sep;
      }
    }
  }
}

// The word loop checks no room when the buffers have enough for any words the
// rest of the text could give. A Tokenization grown by one post, then given a
// shorter or longer one (up to four times and more) of one-letter words (the most tokens
// per byte) or seven-letter ones (the most text), or of hosts the loop finds (whose
// tokens take more room than their text): the words stay within its buffers and come
// out as the general path gives them.
TEST(FastPathTest, WordsStayWithinTheRoomOfAWarmTokenization) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  auto repeat = [](const char* word, int times) {
    std::string s;
    for (int k = 0; k < times; ++k) s += word;
    return s;
  };
  Tokenization general;
  for (const int first_words : {1, 40, 64, 100, 200}) {
    for (const char* first : {"a ", "abcdefg "}) {
      for (const char* second : {"a ", "abcdefg ", "ab&amp;", "a.co b ", "bit.ly/abc "}) {
        for (int words = 1; words <= 4 * first_words + 70; ++words) {
          // With its last byte, and without (a word at the very end).
          for (const bool cut : {false, true}) {
            Tokenization warm;
            tokenizer.Tokenize(repeat(first, first_words), &warm);
            std::string input = repeat(second, words);
            if (cut) input.pop_back();
            const std::string want = Dump(tokenizer, input, &general, false);
            const std::string got = Dump(tokenizer, input, &warm, true);
            ASSERT_LE(warm.tokens().size(),
                      internal::TokenizationAccess::TokenRoom(warm));
            for (const Token& token : warm.tokens()) {
              ASSERT_LE(token.text_offset + token.text_size,
                        internal::TokenizationAccess::TextRoom(warm));
            }
            ASSERT_EQ(got, want)
                << first_words << " words of \"" << first << "\", then " << words
                << " of \"" << second << "\"" << (cut ? " cut" : "");
          }
        }
      }
    }
  }
}

// The word loop classifies 32 bytes at a time from a word's start (a window) and
// takes the words that end inside it; a word that reaches the window's end, or
// one of 16 letters or more, starts a window of its own. Words of 1 to 40 letters
// (some with runs of equal letters) at every offset up to 40 from a window's
// start, ended by each kind of byte or by the text's end, under the smallest
// max_char_run too (equal pairs of neighbouring words are not one word's run), in
// a Tokenization that first took a longer text, so that letters lie past the
// text's end; and the same in upper case (folded text that is not the input).
TEST(FastPathTest, WordsAtEveryOffsetOfTheWordLoopsWindow) {
  const char kLetters[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
  const std::string stale(300, 'x');
  int failures = 0;
  for (const int max_char_run : {2, 3}) {
    TokenizerOptions options;
    options.max_char_run = max_char_run;
    const Tokenizer tokenizer = testing_util::MakeTokenizer(options);
    Tokenization fast, general;
    for (size_t offset = 0; offset <= 40; ++offset) {
      // A word and a space before the word, so that it starts `offset` bytes
      // into the window; offset 1 has a separator of its own.
      std::string before;
      if (offset == 1) {
        before = " ";
      } else if (offset > 1) {
        before = std::string(kLetters + 4, offset - 1) + " ";
      }
      for (size_t size = 1; size <= 40; ++size) {
        for (int run = 0; run < 3; ++run) {
          std::string word(kLetters + 7, size);
          // No run, a run of three equal letters, or two pairs, at the end.
          if (run == 1 && size >= 3) word.replace(size - 3, 3, "ooo");
          if (run == 2 && size >= 4) word.replace(size - 4, 4, "eell");
          for (const char* after :
               {"", " ", "  ", " d", " dot com", ". ", ",", ", x", "A", "1", "!", "@x",
                ".com", " Bx", "\xC3\xA9", "-x", " the ee ll oo end",
                "                        a tail of a few words",
                "                                        and a tail"}) {
            for (const bool upper : {false, true}) {
              std::string input = before + word + after;
              if (upper) {
                for (char& c : input) c = absl::ascii_toupper(c);
              }
              Dump(tokenizer, stale, &fast, true);
              Dump(tokenizer, stale, &general, false);
              if (!SameTokens(tokenizer, input, &fast, &general,
                              absl::StrCat(" (max_char_run ", max_char_run, ")")) &&
                  ++failures == 5) {
                return;
              }
            }
          }
        }
      }
    }
  }
}

// Short words of doubled letters side by side ("oo aabb"): the word loop finds
// each word's end as the lowest end bit left in its window and takes the word's
// equal-letter pairs off the window's (only while two pairs or more are left),
// so a word must count its own pairs, never its neighbour's. Sequences of such
// words at every offset in a window, under the smallest max_char_run too, where
// two pairs make a run.
TEST(FastPathTest, NeighbouringWordsOfDoubledLettersCountTheirOwnPairs) {
  const char* const kWords[] = {"o", "oo", "ooo", "aab", "abb", "aabb", "aabbcc", "zz"};
  const char* const kGaps[] = {" ", "  ", ", "};
  int failures = 0;
  for (const int max_char_run : {2, 3}) {
    TokenizerOptions options;
    options.max_char_run = max_char_run;
    const Tokenizer tokenizer = testing_util::MakeTokenizer(options);
    Tokenization fast, general;
    for (size_t offset = 0; offset <= 33; ++offset) {
      const std::string before =
          offset == 0 ? "" : std::string(offset, 'k').replace(offset - 1, 1, " ");
      for (const char* first : kWords) {
        for (const char* second : kWords) {
          for (const char* third : kWords) {
            for (const char* gap : kGaps) {
              const std::string input =
                  absl::StrCat(before, first, gap, second, " ", third, gap, "end");
              if (!SameTokens(tokenizer, input, &fast, &general,
                              absl::StrCat(" (max_char_run ", max_char_run, ")")) &&
                  ++failures == 5) {
                return;
              }
            }
          }
        }
      }
    }
  }
  // Two pairs in one word are a run at max_char_run 2, which the general path
  // shortens to two equal letters, so "aabb" keeps all four; "oo" has one.
  TokenizerOptions options;
  options.max_char_run = 2;
  const Tokenizer tokenizer = testing_util::MakeTokenizer(options);
  Tokenization t;
  const std::string tokens = Dump(tokenizer, "oo aabb", &t, true);
  EXPECT_EQ(tokens, "folded: oo aabb\nword:oo [0,2)\nword:aabb [3,7)\n");
}

// The word loop goes straight on past a space and a 'd' unless " dot " starts
// there (an obfuscated host's separator): near misses of it after a word, cut at
// every byte, with " dot com" left behind the text's end by a longer text first.
TEST(FastPathTest, SpaceThenDAfterAWordGivesTheSameTokens) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  for (const char* before : {"", "a ", "seven letters and "}) {
    for (const char* after :
         {" dot com", " dot", " dot ", " do com", " dog com", " dotcom", " dot.com",
          " d ot com", " d com", " dots com", " dot  com", " doT com", " dOt com",
          " dot 1", " dot -", " dot \xC3\xA9", " dot (dot) com", " dot dot com"}) {
      const std::string whole = absl::StrCat(before, "site", after);
      for (size_t size = 0; size <= whole.size(); ++size) {
        const std::string input = whole.substr(0, size);
        Dump(tokenizer, whole + " dot com", &fast, true);
        Dump(tokenizer, whole + " dot com", &general, false);
        if (!SameTokens(tokenizer, input, &fast, &general) && ++failures == 5) return;
      }
    }
  }
  // The detection itself: "site dot com" is an obfuscated link.
  const std::string tokens = Dump(tokenizer, "see site dot com now", &fast, true);
  EXPECT_NE(tokens.find("url"), std::string::npos) << tokens;
}

// The word loop takes a space then a lower case letter as the end of one word
// and the start of the next without testing where the text ends: the byte after
// the text's final space must never pass for a letter, and the loop's steps over
// separators stop at it. Words of 1 to 40 letters (a window's worth and more)
// ending the text, with a final space, separators or nothing after them,
// in a Tokenization that first took a longer text with short words (or " dot ")
// just past the end; in upper case too (words the loop leaves to the general
// path). The tokens are the general path's, and none (but a signal) ends past
// the last word.
TEST(FastPathTest, WordsBeforeTheTextsFinalSpaceStopAtItsEnd) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  for (size_t size = 1; size <= 40; ++size) {
    for (const char* before : {"", "a ", "one two "}) {
      for (const bool upper : {false, true}) {
        std::string input =
            absl::StrCat(before, std::string("wxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", size));
        if (upper) input = absl::AsciiStrToUpper(input);
        for (const std::string tail : {" ", "", ",  ", " -- ", "."}) {
          for (const char* stale : {"ab cd ", "xyz", "d", " dot com"}) {
            // The longer text has `stale` from the byte after this one's space on.
            std::string longer = input + tail + " ";
            for (int k = 0; k < 4; ++k) longer += stale;
            Dump(tokenizer, longer, &fast, true);
            Dump(tokenizer, longer, &general, false);
            if (!SameTokens(tokenizer, input + tail, &fast, &general) && ++failures == 5) {
              return;
            }
            for (const Token& token : fast.tokens()) {
              if (token.kind == TokenKind::kSignal) continue;  // "shouting" spans it all
              ASSERT_LE(token.end, input.size()) << absl::CHexEscape(input + tail);
            }
          }
        }
      }
    }
  }
}

// The word loop goes straight on past a dot unless the byte after it may carry
// on an e-mail address or a host: every byte there, before an address, a host or
// nothing, and a dot at the text's end with a host left behind it.
TEST(FastPathTest, EveryByteAfterAWordAndADotGivesTheSameTokens) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  const auto check = [&](const std::string& input) {
    if (!SameTokens(tokenizer, input, &fast, &general)) ++failures;
  };
  for (int c = 0; c < 256; ++c) {
    for (const char* tail :
         {"", "b@example.com", "example.com", "com", " x", "\xC3\xA9t\xC3\xA9.com"}) {
      check(absl::StrCat("see word.", std::string(1, static_cast<char>(c)), tail));
      check(absl::StrCat("word.", std::string(1, static_cast<char>(c)), tail, " more"));
    }
    ASSERT_EQ(failures, 0) << c;
  }
  for (const char* host :
       {"\xC3\xA9t\xC3\xA9.com", "\xD0\xBF\xD1\x80.com", "x.\xC3\xA9"}) {
    check(absl::StrCat("see word.", host));
    check(absl::StrCat("word.", host, " more"));
  }
  for (const char* whole : {"see word.example.com", "see word.b@example.com"}) {
    Dump(tokenizer, whole, &fast, true);
    Dump(tokenizer, whole, &general, false);
    check("see word.");
  }
  // The detection itself: an address and a host after "word." are found.
  const std::string tokens =
      Dump(tokenizer, "mail a.-b@example.com or go to word.example.com", &fast, true);
  EXPECT_NE(tokens.find("email"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("url"), std::string::npos) << tokens;
}

// The registrable-domain cache (sets of eight hosts) answers as it did when it
// asked libpsl: hosts of 2 to 15 bytes looked up again in orders that keep
// several of a set in play, and that move every host out of its set and back.
TEST(FastPathTest, RegistrableDomainCacheAnswersAsBefore) {
  std::vector<std::string> hosts;
  std::vector<std::string> first;
  for (int i = 0; i < 3000; ++i) {
    // Domains at different offsets, and none (a bare label).
    const char* const forms[] = {"w.x.h%d.co.uk", "x.h%d.com", "h%d.zz", "h%d"};
    const char* const domains[] = {"h%d.co.uk", "h%d.com", "h%d.zz"};
    hosts.push_back(absl::StrFormat(forms[i % 4], i));
    first.push_back(i % 4 < 3 ? absl::StrFormat(domains[i % 4], i) : "");
    ASSERT_EQ(internal::RegistrableDomain(hosts.back()), first.back()) << hosts.back();
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    const size_t a = rng() % hosts.size();
    for (size_t i : {a, (a + 1) % hosts.size(), a, (a + 2) % hosts.size(), a}) {
      ASSERT_EQ(internal::RegistrableDomain(hosts[i]), first[i]) << hosts[i];
    }
  }
  for (size_t i = hosts.size(); i-- > 0;) {
    ASSERT_EQ(internal::RegistrableDomain(hosts[i]), first[i]) << hosts[i];
  }
}

// A word ended by a local-part byte is tried as an e-mail address only if an '@'
// follows within the local part's 64 bytes (the first '@' from a position is found
// once and kept): local parts with dots of every size up to 70 bytes, before and
// after other addresses and words that end on a dot, fast against general paths.
TEST(FastPathTest, EmailsWithAnAtAtEveryDistance) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  for (size_t size = 1; size <= 70; ++size) {
    std::string local;
    for (size_t i = 0; i < size; ++i) local += "ab.cdefg-h"[i % 10];
    for (const char* before : {"", "see x.y and ", "mail x@y.com or a.b ", "end. "}) {
      for (const char* after : {"", " or c.d@e.org", ". then f.g", " x.y@"}) {
        const std::string input = before + local + "@mail.com" + after;
        if (!SameTokens(tokenizer, input, &fast, &general) && ++failures == 5) return;
      }
    }
  }
}

// An '@' that NextAt() finds nowhere (it answers with the text's end) rules out
// an address; one it finds must be taken, up to the text's last bytes: the
// shortest addresses ("x@a.bc") end the text after words that end on a dot or a
// dash, and words before dots near the text's end with no '@' anywhere, or only
// past the text's end (left there by a longer text first).
TEST(FastPathTest, AddressesAndDotsAtTheTextsEnd) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  const auto check = [&](const std::string& input) {
    if (!SameTokens(tokenizer, input, &fast, &general)) ++failures;
  };
  for (const char* before : {"", "see ", "word.", "word-", "a.b ", "x.y.z."}) {
    for (const char* local : {"x", "a.b", "a-b", "word.x", "w..x"}) {
      for (const char* host : {"a.bc", "ab.cd.ef", "mail.com"}) {
        check(absl::StrCat(before, local, "@", host));
        check(absl::StrCat(before, local, "@", host, "."));
        check(absl::StrCat(before, local, ".@", host));
      }
    }
    for (const char* tail : {"..", "...", ". ..", "..x", ".-", ".x", "..@", "@"}) {
      const std::string input = absl::StrCat(before, "word", tail);
      Dump(tokenizer, input + "a@b.cd", &fast, true);
      Dump(tokenizer, input + "a@b.cd", &general, false);
      check(input);
      check(input + " more");
    }
  }
  EXPECT_EQ(failures, 0);
  const std::string tokens = Dump(tokenizer, "word.x@a.bc", &fast, true);
  EXPECT_NE(tokens.find("email:a.bc"), std::string::npos) << tokens;
}

// Run() emits a number of up to 8 digits itself when nothing after it can carry
// it on: numbers of 1 to 12 digits (with a leading 0 or not: 9 of them are a phone
// number then) followed by every byte, then by what could make a phone number,
// a host, a word or a longer number shape of it, or by nothing.
TEST(FastPathTest, EveryByteAfterANumberGivesTheSameTokens) {
  const Tokenizer tokenizer = testing_util::MakeTokenizer(TokenizerOptions());
  Tokenization fast, general;
  int failures = 0;
  for (size_t digits = 1; digits <= 12; ++digits) {
    for (const char lead : {'0', '5'}) {
      std::string number(1, lead);
      for (size_t i = 1; i < digits; ++i) number += "1234567890"[i % 10];
      for (int c = 0; c < 256; ++c) {
        for (const char* tail : {"", "123 4567", "(555) 1234", "dot com", "com", "x",
                                 "000", " dot com", " . com", "\xC3\xA9"}) {
          for (const char* before : {"", "call "}) {
            const std::string input =
                absl::StrCat(before, number, std::string(1, static_cast<char>(c)), tail);
            if (!SameTokens(tokenizer, input, &fast, &general)) ++failures;
            if (!SameTokens(tokenizer, input + " then", &fast, &general)) ++failures;
          }
        }
        ASSERT_EQ(failures, 0) << number << " then byte " << c;
      }
    }
  }
  // The detection itself: a phone number and an obfuscated host after digits.
  const std::string tokens =
      Dump(tokenizer, "call 555 123 4567 or 1 dot com or 012345678 now", &fast, true);
  EXPECT_NE(tokens.find("phone:d10"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("url:obfuscated"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("phone:0d9"), std::string::npos) << tokens;
}

// EmitWord copies a word of ASCII letters and digits byte by byte, without the
// general loop's decoding: words of letters and digits with runs of equal letters
// and of equal digits, at the start and end and between letters (the l33t and 9s
// foldings), longer than a token's 64 bytes too, under each max_char_run and with
// l33t folding off.
TEST(FastPathTest, WordsOfLettersAndDigitsGiveTheSameTokens) {
  const std::vector<std::string> parts = {"a",  "aa",  "aaaa", "b",   "x", "0",    "00",
                                          "1",  "3",   "33",   "333", "4", "7777", "9",
                                          "fr", "eee", "l",    "ll",  "s5"};
  int failures = 0;
  for (const int max_char_run : {2, 3, 16}) {
    for (const bool fold_leet : {true, false}) {
      TokenizerOptions options;
      options.max_char_run = max_char_run;
      options.fold_leet = fold_leet;
      const Tokenizer tokenizer = testing_util::MakeTokenizer(options);
      Tokenization fast, general;
      const auto check = [&](const std::string& word) {
        for (const char* after : {"", " next", ".", "\xC3\xA9"}) {
          if (!SameTokens(tokenizer, word + after, &fast, &general,
                          absl::StrCat(" (max_char_run ", max_char_run, ", fold_leet ",
                                       fold_leet, ")"))) {
            ++failures;
          }
        }
      };
      for (const std::string& a : parts) {
        for (const std::string& b : parts) {
          for (const std::string& c : parts) check(a + b + c);
        }
      }
      check(std::string(40, 'w') + "1" + std::string(30, 'z'));
      check(std::string(70, '5') + "x");
      check("v" + std::string(70, '1') + "agra");
      ASSERT_EQ(failures, 0);
    }
  }
  Tokenization t;
  const std::string tokens = Dump(testing_util::MakeTokenizer(TokenizerOptions()),
                                  "fr33 v1agra win1000 mp3 2nd", &t, true);
  EXPECT_NE(tokens.find("word:free"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("word:viagra"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("word:win9999"), std::string::npos) << tokens;
}

// The TLD, bare-host and shortener lists turn most strings down on a filter of
// their sizes and end bytes before their hash sets are asked: the same answers
// with and without it, for every string of up to four letters and dots, and for
// hosts made of the words of the sample posts.
TEST(FastPathTest, DomainListFiltersAnswerAsTheSets) {
  std::vector<std::string> strings;
  const std::string bytes = "abcdefghijklmnopqrstuvwxyz.";
  for (size_t size = 0; size <= 4; ++size) {
    std::vector<size_t> digit(size, 0);
    while (true) {
      std::string s;
      for (const size_t d : digit) s += bytes[d];
      strings.push_back(std::move(s));
      size_t k = 0;
      while (k < size && ++digit[k] == bytes.size()) digit[k++] = 0;
      if (k == size) break;
    }
  }
  for (const char* host : {"tinyurl.com", "shorturl.at", "rebrand.ly", "youtu.be", "t.me",
                           "solutions", "download", "website", "bitly.com", "bitly.co"}) {
    strings.push_back(host);
  }
  const size_t first_words = strings.size();
  for (const std::string& text : Corpus()) {
    if (strings.size() - first_words >= 20000) break;
    for (const absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
      strings.emplace_back(word);
      strings.push_back(absl::StrCat(word, ".ly"));
    }
  }
  int failures = 0;
  for (const std::string& s : strings) {
    bool fast[4], general[4];
    for (const bool fast_paths : {true, false}) {
      internal::SetFastPathsForTesting(fast_paths);
      bool* out = fast_paths ? fast : general;
      out[0] = internal::IsLikelyTld(s, false);
      out[1] = internal::IsLikelyTld(s, true);
      out[2] = internal::IsKnownBareHost(s);
      out[3] = internal::IsShortener(s);
    }
    internal::SetFastPathsForTesting(true);
    for (int i = 0; i < 4; ++i) {
      if (fast[i] != general[i]) {
        ADD_FAILURE() << "\"" << absl::CHexEscape(s) << "\": answer " << i << " is "
                      << fast[i] << " with the filter, " << general[i] << " without";
        if (++failures == 5) return;
      }
    }
  }
}

// Everything Normalize produces (folded text, stats, input spans), as one string.
std::string NormalizeDump(absl::string_view input, bool decode_html, bool fast_paths) {
  std::string folded;
  std::vector<uint32_t> begins, ends;
  internal::NormalizeStats stats;
  internal::SetFastPathsForTesting(fast_paths);
  internal::Normalize(input, decode_html, 4 * input.size() + 64, {&folded, &begins, &ends},
                      &stats);
  internal::SetFastPathsForTesting(true);
  std::string out = absl::StrCat(
      "folded: ", absl::string_view(folded.data(), stats.folded_size), "\nidentity ",
      stats.identity, " zero_width ", stats.has_zero_width, " ", stats.zero_width_begin, "-",
      stats.zero_width_end, " bidi ", stats.has_bidi, " ", stats.bidi_begin, "-",
      stats.bidi_end, " upper ", stats.uppercase_letters, " cased ", stats.cased_letters,
      "\nspans:");
  if (!stats.identity) {
    for (size_t i = 0; i < stats.folded_size; ++i) absl::StrAppend(&out, " ", begins[i], "-", ends[i]);
  }
  return out;
}

// Whether the normalizer's fast and general paths fold `input` alike (else a
// failure showing both), under decode_html and without it.
bool SameNormalization(const std::string& input) {
  for (const bool decode_html : {true, false}) {
    const std::string want = NormalizeDump(input, decode_html, false);
    const std::string got = NormalizeDump(input, decode_html, true);
    if (got != want) {
      ADD_FAILURE() << "input \"" << absl::CHexEscape(input) << "\" (decode_html "
                    << decode_html << ")\nfast paths:\n"
                    << got << "\ngeneral paths:\n"
                    << want;
      return false;
    }
  }
  return true;
}

TEST(FastPathTest, NormalizerFastAndGeneralPathsAgree) {
  int failures = 0;
  for (const std::string& input : Corpus()) {
    if (!SameNormalization(input) && ++failures == 5) return;
  }
}

// Every ASCII byte (controls, DEL and the bytes next to them included) at every
// position of texts of 16 to 40 bytes, which the normalizer folds in 16-byte steps:
// each byte is folded as the general path folds it, in a whole step and in the
// last step, whose 16 bytes end where the text ends.
TEST(FastPathTest, NormalizerFoldsEveryAsciiByteInItsSixteenByteSteps) {
  int failures = 0;
  for (size_t size = 16; size <= 40; ++size) {
    for (size_t pos = 0; pos < size; ++pos) {
      for (int c = 0; c < 0x80; ++c) {
        std::string input;
        for (size_t k = 0; k < size; ++k) input += "Hello World xyz. "[k % 17];
        input[pos] = static_cast<char>(c);
        if (!SameNormalization(input) && ++failures == 5) return;
      }
    }
  }
}

// Runs of upper case letters, lower case letters and digits around 255 and 510 of
// the normalizer's 16-byte steps, where its per-lane counts (of the bytes that
// are not upper case letters, and not cased ones) are summed before a lane could
// wrap: the run's last bytes (a step of fewer than 16 new bytes, or a stop byte)
// count one more in each lane.
TEST(FastPathTest, NormalizerCountsTheLettersOfLongRuns) {
  int failures = 0;
  for (const size_t steps : {254, 255, 256, 510, 511}) {
    for (size_t extra = 0; extra <= 17; ++extra) {
      for (const char* after : {"", "&", "\xC3\xA9"}) {
        for (const char c : {'Q', 'q', '7'}) {
          const std::string input = std::string(16 * steps + extra, c) + after;
          const std::string want = NormalizeDump(input, true, false);
          const std::string got = NormalizeDump(input, true, true);
          if (got != want) {
            ADD_FAILURE() << steps << " steps and " << extra << " bytes of '" << c
                          << "' then \"" << absl::CHexEscape(after) << "\": fast paths "
                          << got.substr(got.find("\nidentity")) << ", general paths "
                          << want.substr(want.find("\nidentity"));
            if (++failures == 5) return;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace groupguard
