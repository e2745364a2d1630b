// A program's command line, as `check --sender "CMD ..."` gives it: split the way a POSIX shell
// splits words, and then run WITHOUT a shell (execvp of the words), so that nothing in it can
// ever become a second command: `;`, `|`, `&&`, `$()`, backquotes, `*` and `~` reach the program
// as plain characters of its arguments.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace ipch::external {

// Splits `line` into words. Rules (a shell's quoting, none of its expansions):
//   - words are separated by runs of blanks (space, tab, newline);
//   - '...' keeps everything inside literally (no escapes inside);
//   - "..." keeps everything inside, except that \" \\ \$ \` lose the backslash (any other
//     backslash stays, as in sh);
//   - outside quotes, a backslash makes the next character literal;
//   - \<newline>, inside "..." or outside quotes, is a line continuation, as in sh: both go;
//   - quotes join with the text around them ("a"'b'c is one word abc); "" is an empty word.
// Returns the words iff the line has at least one word and every quote is closed and no
// backslash is left dangling at the end; else one line naming the problem and the column
// (1-based, in characters: UTF-8 continuation bytes do not count), and
// how to fix it (e.g. "unterminated \" opened at column 7: close it or escape it as \\\"").
std::expected<std::vector<std::string>, std::string> split_command(std::string_view line);

// The words written back as one line that split_command() turns into the same words: each word
// that needs it is single-quoted (with ' written as '\''), so a POSIX shell also splits the line
// back into the same words, expanding nothing. A word of only [A-Za-z0-9_./,:+@%-] (and = after
// the first word) is left bare, so replay commands stay readable. For reproducers and replay
// commands.
std::string join_command(const std::vector<std::string>& words);

}  // namespace ipch::external
