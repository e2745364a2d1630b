// Command lines split as a shell splits words but never expanded: hostile text reaches the
// program as plain arguments, and join_command writes words back so they split the same.
#include "command_line.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace ipch::external {
namespace {

using Words = std::vector<std::string>;

Words split_ok(std::string_view line) {
  auto w = split_command(line);
  EXPECT_TRUE(w) << "line: " << line << "\nerror: " << (w ? "" : w.error());
  return w ? *w : Words{};
}

TEST(SplitCommand, PlainWordsSeparatedByAnyRunOfBlanks) {
  EXPECT_EQ(split_ok("./receiver"), (Words{"./receiver"}));
  EXPECT_EQ(split_ok("  ./sender  --fast\t-n 3\n"), (Words{"./sender", "--fast", "-n", "3"}));
  EXPECT_EQ(split_ok("a\t\t\nb"), (Words{"a", "b"}));
}

// Each shell operator, substitution and glob stays a plain character of an argument: nothing
// here may become a second command, a pipe, a file name or a home directory.
TEST(SplitCommand, HostileCharactersArePlainArguments) {
  struct Case {
    const char* line;
    Words words;
  };
  const Case cases[] = {
      {"./p; rm -rf /", {"./p;", "rm", "-rf", "/"}},
      {"./p ';' 'rm -rf /'", {"./p", ";", "rm -rf /"}},
      {"./p $(reboot)", {"./p", "$(reboot)"}},
      {"./p \"$(reboot)\"", {"./p", "$(reboot)"}},
      {"./p `reboot`", {"./p", "`reboot`"}},
      {"./p \"\\`reboot\\`\"", {"./p", "`reboot`"}},
      {"./p | cat", {"./p", "|", "cat"}},
      {"./p&&reboot||true", {"./p&&reboot||true"}},
      {"./p > /etc/passwd < x 2>&1", {"./p", ">", "/etc/passwd", "<", "x", "2>&1"}},
      {"./p * ? [a-z] ~ ~root {a,b}", {"./p", "*", "?", "[a-z]", "~", "~root", "{a,b}"}},
      {"./p $HOME ${HOME} $1 $$ $?", {"./p", "$HOME", "${HOME}", "$1", "$$", "$?"}},
      {"./p # not a comment", {"./p", "#", "not", "a", "comment"}},
      {"./p (sub) &", {"./p", "(sub)", "&"}},
      {"FOO=bar ./p", {"FOO=bar", "./p"}},  // no assignment either: FOO=bar is the program
  };
  for (const auto& c : cases) EXPECT_EQ(split_ok(c.line), c.words) << c.line;
}

TEST(SplitCommand, QuotesKeepTheirInsideAndJoinWithNeighbours) {
  EXPECT_EQ(split_ok("'a b'  \"c  d\""), (Words{"a b", "c  d"}));
  EXPECT_EQ(split_ok("\"a\"'b'c"), (Words{"abc"}));
  EXPECT_EQ(split_ok("x'y'\"z\"w"), (Words{"xyzw"}));
  EXPECT_EQ(split_ok("'it'\\''s'"), (Words{"it's"}));
  EXPECT_EQ(split_ok("\"it's\""), (Words{"it's"}));
  EXPECT_EQ(split_ok("'say \"hi\"'"), (Words{"say \"hi\""}));
  // Single quotes keep backslashes; double quotes drop them only before " \ $ `.
  EXPECT_EQ(split_ok("'a\\nb'"), (Words{"a\\nb"}));
  EXPECT_EQ(split_ok("\"a\\\"b\\\\c\\$d\\`e\\nf\""), (Words{"a\"b\\c$d`e\\nf"}));
  // A newline inside quotes is part of the word, not a separator.
  EXPECT_EQ(split_ok("'line1\nline2' \"x\ny\""), (Words{"line1\nline2", "x\ny"}));
  // Tabs and blanks inside quotes likewise.
  EXPECT_EQ(split_ok("\"\t \"x"), (Words{"\t x"}));
}

TEST(SplitCommand, EmptyQuotesAreEmptyWords) {
  EXPECT_EQ(split_ok("./p \"\" ''"), (Words{"./p", "", ""}));
  EXPECT_EQ(split_ok("\"\""), (Words{""}));
  EXPECT_EQ(split_ok("./p ''\"\" x"), (Words{"./p", "", "x"}));
  EXPECT_EQ(split_ok("a''b"), (Words{"ab"}));
}

TEST(SplitCommand, BackslashOutsideQuotesMakesTheNextCharacterLiteral) {
  EXPECT_EQ(split_ok("a\\ b c"), (Words{"a b", "c"}));
  EXPECT_EQ(split_ok("\\'x\\\" \\\\"), (Words{"'x\"", "\\"}));
  EXPECT_EQ(split_ok("\\;\\|\\$\\*"), (Words{";|$*"}));
  EXPECT_EQ(split_ok("a\\\tb"), (Words{"a\tb"}));
  // Backslash-newline continues the line: it joins, it does not separate.
  EXPECT_EQ(split_ok("ab\\\ncd ef"), (Words{"abcd", "ef"}));
  EXPECT_EQ(split_ok("\"ab\\\ncd\""), (Words{"abcd"}));
  EXPECT_EQ(split_ok("x \\\n"), (Words{"x"}));
}

TEST(SplitCommand, UnicodePassesThroughByteForByte) {
  EXPECT_EQ(split_ok("./ëcho 日本語 'ünï côdé' \"🎉\""), (Words{"./ëcho", "日本語", "ünï côdé", "🎉"}));
  EXPECT_EQ(split_ok("a\\é"), (Words{"aé"}));
  // Bytes that are not UTF-8 are the program's business, not ours.
  EXPECT_EQ(split_ok("\xff\xfe x"), (Words{"\xff\xfe", "x"}));
}

struct Bad {
  const char* line;
  const char* needle;  // what the one-line error must say
};

TEST(SplitCommand, ErrorsNameTheProblemAndTheColumn) {
  const Bad bad[] = {
      {"echo \"abc", "unterminated \" opened at column 6"},
      {"a 'b c", "unterminated ' opened at column 3"},
      {"a \"b\" 'c", "unterminated ' opened at column 7"},
      {"a '\"' \"'", "unterminated \" opened at column 7"},
      {"abc\\", "backslash at column 4"},
      {"\"a\\\"", "unterminated \" opened at column 1"},
      // Columns count characters: é and 日 are one column each, though 2 and 3 bytes.
      {"é 日 'x", "column 5"},
      {"", "empty"},
      {" \t\n ", "empty"},
  };
  for (const auto& b : bad) {
    auto w = split_command(b.line);
    ASSERT_FALSE(w) << b.line;
    EXPECT_NE(w.error().find(b.needle), std::string::npos) << b.line << " -> " << w.error();
    EXPECT_EQ(w.error().find('\n'), std::string::npos) << w.error();
  }
  // Each error says how to fix it.
  EXPECT_NE(split_command("a \"b").error().find("close it"), std::string::npos);
  EXPECT_NE(split_command("a\\").error().find("remove it"), std::string::npos);
}

TEST(JoinCommand, LeavesPlainWordsBareAndQuotesTheRest) {
  EXPECT_EQ(join_command({"./sender", "--max-size=4096"}), "./sender --max-size=4096");
  EXPECT_EQ(join_command({"FOO=bar", "x"}), "'FOO=bar' x");  // else a shell would assign it
  EXPECT_EQ(join_command({"./p", "a b", ""}), "./p 'a b' ''");
  EXPECT_EQ(join_command({"it's"}), "'it'\\''s'");
  EXPECT_EQ(join_command({"$(reboot)", "~", "*"}), "'$(reboot)' '~' '*'");
  EXPECT_EQ(join_command({"a/b.c,d:e+f@g%h_-1"}), "a/b.c,d:e+f@g%h_-1");
}

// Characters that make quoting interesting, and some that do not.
const std::string kAlphabet =
    std::string("ab Z09_-./=,\t\n'\"\\$`;|&*?[]~#(){}<>!%@+") + "é日🎉" + std::string(1, '\0') + "\xff\x80";

std::string random_word(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> len(0, 10), pick(0, static_cast<int>(kAlphabet.size()) - 1);
  std::string w;
  for (int i = len(rng); i > 0; --i) w.push_back(kAlphabet[pick(rng)]);
  return w;
}

Words random_words(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> count(1, 6);
  Words words;
  for (int i = count(rng); i > 0; --i) words.push_back(random_word(rng));
  return words;
}

TEST(JoinCommand, SplitOfJoinGivesTheSameWords) {
  std::mt19937_64 rng(20261124);
  for (int round = 0; round < 5000; ++round) {
    Words words = random_words(rng);
    std::string line = join_command(words);
    auto back = split_command(line);
    ASSERT_TRUE(back) << "round " << round << ": " << line << " -> " << back.error();
    ASSERT_EQ(*back, words) << "round " << round << ": " << line;
  }
}

// An independent quoter: every character of every word written in one of the three quoting
// styles at random, words separated by random blank runs. Whatever the style, the splitter must
// give back the words.
std::string quote_randomly(const Words& words, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> style(0, 3), blanks(1, 3), blank(0, 2);
  std::string line;
  for (const auto& w : words) {
    for (int i = blanks(rng); i > 0; --i) line.push_back(" \t\n"[blank(rng)]);
    if (w.empty()) {
      line += style(rng) % 2 ? "''" : "\"\"";
      continue;
    }
    for (char c : w) {
      int s = style(rng);
      bool special = c == ' ' || c == '\t' || c == '\n' || c == '\'' || c == '"' || c == '\\';
      if (s == 0 && !special) {
        line.push_back(c);
      } else if (s == 1 && c != '\'') {
        line += '\'';
        line.push_back(c);
        line += '\'';
      } else if (s == 2) {
        line += '"';
        if (c == '"' || c == '\\' || c == '$' || c == '`') line += '\\';
        line.push_back(c);
        line += '"';
      } else if (c != '\n') {
        line += '\\';
        line.push_back(c);
      } else {
        line += "'\n'";
      }
    }
  }
  return line;
}

TEST(SplitCommand, AnyQuotingOfWordsSplitsBackToThem) {
  std::mt19937_64 rng(8);
  for (int round = 0; round < 5000; ++round) {
    Words words = random_words(rng);
    std::string line = quote_randomly(words, rng);
    auto back = split_command(line);
    ASSERT_TRUE(back) << "round " << round << ": " << line << " -> " << back.error();
    ASSERT_EQ(*back, words) << "round " << round << ": " << line;
  }
}

}  // namespace
}  // namespace ipch::external
