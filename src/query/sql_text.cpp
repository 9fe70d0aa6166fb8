// ScanSql and what is built on it.
#include "query/sql_text.h"

#include <algorithm>
#include <cctype>

#include "core/ascii_case.h"

namespace eventlake::query {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The end of the quoted or commented run that starts at `i`, or `i` when
// none starts there.
size_t QuotedRunEnd(std::string_view text, size_t i) {
  const char c = text[i];
  const char next = i + 1 < text.size() ? text[i + 1] : '\0';
  if (c == '\'' || c == '"') {
    for (size_t j = i + 1; j < text.size(); ++j) {
      if (text[j] != c) continue;
      if (j + 1 < text.size() && text[j + 1] == c) {
        ++j;  // a doubled quote
        continue;
      }
      return j + 1;
    }
    return text.size();
  }
  if (c == '-' && next == '-') {
    const size_t end = text.find('\n', i);
    return end == std::string_view::npos ? text.size() : end;
  }
  if (c == '/' && next == '*') {
    const size_t end = text.find("*/", i + 2);
    return end == std::string_view::npos ? text.size() : end + 2;
  }
  if (c == '$') {
    // $$...$$ or $tag$...$tag$, but not a parameter ($1).
    const size_t close = text.find('$', i + 1);
    if (close == std::string_view::npos) return i;
    const std::string_view tag = text.substr(i, close - i + 1);
    const bool is_tag = std::all_of(tag.begin() + 1, tag.end() - 1, [](char t) {
      return std::isalnum(static_cast<unsigned char>(t)) || t == '_';
    }) && !(tag.size() > 2 && std::isdigit(static_cast<unsigned char>(tag[1])));
    if (!is_tag) return i;
    const size_t end = text.find(tag, close + 1);
    return end == std::string_view::npos ? text.size() : end + tag.size();
  }
  return i;
}

bool StartsWithWord(std::string_view text, size_t i, std::string_view word) {
  if (text.size() - i < word.size() || AsciiLower(text.substr(i, word.size())) != word) return false;
  return i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_');
}

// After `::`, the type psql names: pg_catalog.text is DuckDB's text, and
// the OID types DuckDB lacks (regclass, regtype, ...) are read as their OID.
// `i` is just past the `::`; returns where the type name ends.
size_t AppendCastType(std::string_view sql, size_t i, size_t end, std::string& out) {
  constexpr std::string_view kPgCatalogDot = "pg_catalog.";
  constexpr std::string_view kOidTypes[] = {"regclass", "regtype", "regnamespace", "regproc",
                                            "regprocedure", "regoper", "regrole", "oid"};
  while (i < end && IsSpace(sql[i])) out += sql[i++];
  if (end - i >= kPgCatalogDot.size() && AsciiLower(sql.substr(i, kPgCatalogDot.size())) == kPgCatalogDot) {
    i += kPgCatalogDot.size();
  }
  size_t name_end = i;
  while (name_end < end && (std::isalnum(static_cast<unsigned char>(sql[name_end])) || sql[name_end] == '_')) {
    ++name_end;
  }
  const std::string name = AsciiLower(sql.substr(i, name_end - i));
  const bool oid = std::find(std::begin(kOidTypes), std::end(kOidTypes), name) != std::end(kOidTypes);
  out.append(oid ? std::string_view("INTEGER") : sql.substr(i, name_end - i));
  return name_end;
}

}  // namespace

std::vector<SqlSpan> ScanSql(std::string_view text) {
  std::vector<SqlSpan> spans;
  size_t code_begin = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t end = QuotedRunEnd(text, i);
    if (end == i) {
      ++i;
      continue;
    }
    if (i > code_begin) spans.push_back({code_begin, i, true});
    spans.push_back({i, end, false});
    i = code_begin = end;
  }
  if (code_begin < text.size()) spans.push_back({code_begin, text.size(), true});
  return spans;
}

std::vector<std::string> SplitSqlStatements(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  auto flush = [&](size_t end) {
    std::string_view s = text.substr(start, end - start);
    if (!std::all_of(s.begin(), s.end(), IsSpace)) out.emplace_back(s);
  };
  for (const SqlSpan& span : ScanSql(text)) {
    if (!span.code) continue;
    for (size_t i = span.begin; i < span.end; ++i) {
      if (text[i] != ';') continue;
      flush(i);
      start = i + 1;
    }
  }
  flush(text.size());
  return out;
}

std::string PgCompatibleSql(std::string_view sql) {
  constexpr std::string_view kOperator = "operator(pg_catalog.";
  constexpr std::string_view kCollate = "collate pg_catalog.default";
  std::string out;
  out.reserve(sql.size());
  for (const SqlSpan& span : ScanSql(sql)) {
    if (!span.code) {
      out.append(sql.substr(span.begin, span.end - span.begin));
      continue;
    }
    for (size_t i = span.begin; i < span.end;) {
      if (StartsWithWord(sql, i, kOperator)) {
        const size_t close = sql.find(')', i);
        if (close != std::string_view::npos && close < span.end) {
          out += ' ';
          out.append(sql.substr(i + kOperator.size(), close - i - kOperator.size()));
          out += ' ';
          i = close + 1;
          continue;
        }
      }
      if (sql.substr(i, 2) == "::") {
        out += "::";
        i = AppendCastType(sql, i + 2, span.end, out);
        continue;
      }
      if (StartsWithWord(sql, i, kCollate)) {
        i += kCollate.size();
        continue;
      }
      out += sql[i++];
    }
  }
  return out;
}

}  // namespace eventlake::query
