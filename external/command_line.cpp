#include "command_line.hpp"

#include <cstddef>

namespace ipch::external {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

// Columns count characters, not bytes, so that a user counting along a line with non-ASCII
// text in it lands on the same place: every byte that is not a UTF-8 continuation byte starts
// a character.
std::size_t column_of(std::string_view line, std::size_t at) {
  std::size_t column = 1;
  for (std::size_t i = 0; i < at && i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

std::string col(std::string_view line, std::size_t at) {
  return "column " + std::to_string(column_of(line, at));
}

}  // namespace

std::expected<std::vector<std::string>, std::string> split_command(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  // A word exists once anything of it was seen, even "" (an empty but real argument).
  bool in_word = false;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    char c = line[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      std::size_t open = i;
      std::size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return std::unexpected("unterminated ' opened at " + col(line, open) +
                               ": close it, or write a literal ' as \\' outside quotes");
      }
      word.append(line.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      std::size_t open = i++;
      bool closed = false;
      while (i < n) {
        char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < n) {
          char e = line[i + 1];
          if (e == '\n') {  // a line continuation, as in sh: both characters go
            i += 2;
            continue;
          }
          if (e == '"' || e == '\\' || e == '$' || e == '`') {
            word.push_back(e);
            i += 2;
            continue;
          }
        }
        word.push_back(d);  // any other backslash stays, as in sh
        ++i;
      }
      if (!closed) {
        return std::unexpected("unterminated \" opened at " + col(line, open) + ": close it, or escape it as \\\"");
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= n) {
        return std::unexpected("backslash at " + col(line, i) +
                               " ends the line with nothing to escape: remove it, or write a literal one as \\\\");
      }
      if (line[i + 1] == '\n') {  // a line continuation: joins, does not separate
        i += 2;
        continue;
      }
      word.push_back(line[i + 1]);
      in_word = true;
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) {
    return std::unexpected(
        std::string("no program to run: the command is empty or only blanks; give the program and its "
                    "arguments, e.g. \"./receiver --verbose\""));
  }
  return words;
}

namespace {

// Characters no POSIX shell treats specially anywhere in a word, so a word of only these needs
// no quotes: a replay command stays readable.
bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/' || c == ',' || c == ':' || c == '+' || c == '@' || c == '%';
}

}  // namespace

std::string join_command(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (w) out.push_back(' ');
    const std::string& word = words[w];
    // A leading NAME=value would be a variable assignment to a shell, not the program.
    bool plain = !word.empty();
    for (char c : word) plain = plain && (is_plain(c) || (c == '=' && w > 0));
    if (plain) {
      out += word;
      continue;
    }
    out.push_back('\'');
    for (char c : word) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out.push_back(c);
      }
    }
    out.push_back('\'');
  }
  return out;
}

}  // namespace ipch::external
