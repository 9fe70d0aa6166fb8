// Type OIDs and value conversions between the engine's JSON rows and the
// Postgres wire formats.
#include "query/pgwire_types.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "query/result_format.h"

namespace eventlake::query {
namespace {

constexpr int64_t kPgEpochDays = 10'957;  // 2000-01-01 in days since 1970-01-01

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t at, size_t n, int64_t* out) {
  if (at + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM]]" -> micros since 1970 (UTC).
std::optional<int64_t> ParseDuckTimestamp(std::string_view s, bool* date_only) {
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) || s[7] != '-' ||
      !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  *date_only = s.size() == 10;
  size_t at = 10;
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T') return std::nullopt;
    if (!Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
        !Digits(s, 17, 2, &sec)) {
      return std::nullopt;
    }
    at = 19;
    if (at < s.size() && s[at] == '.') {
      size_t n = 0;
      ++at;
      while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
        if (n < 6) frac = frac * 10 + (s[at] - '0');
        ++n;
        ++at;
      }
      for (; n < 6; ++n) frac *= 10;
    }
  }
  int64_t offset = 0;
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int sign = s[at] == '-' ? -1 : 1;
    int64_t oh = 0, om = 0;
    if (!Digits(s, at + 1, 2, &oh)) return std::nullopt;
    if (at + 3 < s.size() && s[at + 3] == ':' && !Digits(s, at + 4, 2, &om)) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset) * 1'000'000 + frac;
}

// DuckDB renders a BLOB as text with \xHH escapes; Postgres wants \x<hex>.
std::string ByteaHex(std::string_view duck) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (size_t i = 0; i < duck.size(); ++i) {
    unsigned char byte = static_cast<unsigned char>(duck[i]);
    if (duck[i] == '\\' && i + 3 < duck.size() && (duck[i + 1] == 'x' || duck[i + 1] == 'X')) {
      unsigned v = 0;
      auto r = std::from_chars(duck.data() + i + 2, duck.data() + i + 4, v, 16);
      if (r.ec == std::errc() && r.ptr == duck.data() + i + 4) {
        byte = static_cast<unsigned char>(v);
        i += 3;
      }
    }
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

// A JSON array as a Postgres array literal: {1,"a b",NULL}.
Result<std::string> PgArrayText(std::string_view json) {
  EL_ASSIGN_OR_RETURN(std::vector<std::string_view> items, SplitJsonArray(json));
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    const std::string_view item = items[i];
    if (item == "null") {
      out += "NULL";
    } else if (item == "true" || item == "false") {
      out += item == "true" ? 't' : 'f';
    } else if (!item.empty() && item.front() == '"') {
      EL_ASSIGN_OR_RETURN(std::string text, UnquoteJsonString(item));
      out += '"';
      for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += item;
    }
  }
  return out + "}";
}

void AppendBe(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

Result<double> ParseDouble(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    return Err(InvalidArgument("not a number: " + std::string(text)));
  }
  return v;
}

Result<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    return Err(InvalidArgument("not an integer: " + std::string(text)));
  }
  return v;
}

}  // namespace

PgType PgTypeOf(std::string_view t) {
  if (t.ends_with("[]")) {
    const PgType element = PgTypeOf(t.substr(0, t.size() - 2));
    switch (element.oid) {
      case kPgBool: return {1000, -1};
      case kPgInt2: return {1005, -1};
      case kPgInt4: return {1007, -1};
      case kPgInt8: return {1016, -1};
      case kPgText: return {1009, -1};
      case kPgFloat4: return {1021, -1};
      case kPgFloat8: return {1022, -1};
      case kPgNumeric: return {1231, -1};
      default: return {kPgJson, -1};
    }
  }
  if (t == "BOOLEAN") return {kPgBool, 1};
  if (t == "TINYINT" || t == "SMALLINT" || t == "UTINYINT") return {kPgInt2, 2};
  if (t == "INTEGER" || t == "USMALLINT") return {kPgInt4, 4};
  if (t == "BIGINT" || t == "UINTEGER") return {kPgInt8, 8};
  if (t == "UBIGINT" || t == "HUGEINT" || t == "UHUGEINT" || t == "BIGNUM" || t.starts_with("DECIMAL")) {
    return {kPgNumeric, -1};
  }
  if (t == "FLOAT") return {kPgFloat4, 4};
  if (t == "DOUBLE") return {kPgFloat8, 8};
  if (t == "VARCHAR" || t == "ENUM" || t == "BIT") return {kPgText, -1};
  if (t == "BLOB") return {kPgBytea, -1};
  if (t == "DATE") return {kPgDate, 4};
  if (t == "TIME") return {kPgTime, 8};
  if (t == "TIMESTAMP" || t == "TIMESTAMP_S" || t == "TIMESTAMP_MS" || t == "TIMESTAMP_NS") {
    return {kPgTimestamp, 8};
  }
  if (t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMPTZ") return {kPgTimestamptz, 8};
  if (t == "INTERVAL") return {kPgInterval, 16};
  if (t == "UUID") return {kPgUuid, 16};
  if (t == "NULL") return {kPgText, -1};
  if (t == "JSON" || t.starts_with("STRUCT") || t.starts_with("MAP") || t.starts_with("UNION") ||
      t.find('[') != std::string_view::npos) {
    return {kPgJson, -1};
  }
  return {kPgText, -1};
}

Result<std::optional<std::string>> PgText(std::string_view json, const PgType& type) {
  if (json == "null") return std::optional<std::string>();
  if (json == "true" || json == "false") {
    return std::optional<std::string>(json == "true" ? "t" : "f");
  }
  if (!json.empty() && json.front() == '"') {
    EL_ASSIGN_OR_RETURN(std::string text, UnquoteJsonString(json));
    if (type.oid == kPgBytea) return std::optional<std::string>(ByteaHex(text));
    return std::optional<std::string>(std::move(text));
  }
  if (!json.empty() && json.front() == '[' && type.oid != kPgJson) {
    EL_ASSIGN_OR_RETURN(std::string array, PgArrayText(json));
    return std::optional<std::string>(std::move(array));
  }
  return std::optional<std::string>(std::string(json));
}

Result<std::optional<std::string>> PgBinary(std::string_view json, const PgType& type) {
  EL_ASSIGN_OR_RETURN(std::optional<std::string> text, PgText(json, type));
  if (!text.has_value()) return text;
  std::string out;
  switch (type.oid) {
    case kPgBool: out += (*text == "t") ? '\1' : '\0'; break;
    case kPgInt2: case kPgInt4: case kPgInt8: {
      EL_ASSIGN_OR_RETURN(int64_t v, ParseInt(*text));
      AppendBe(out, static_cast<uint64_t>(v), type.length);
      break;
    }
    case kPgFloat4: {
      EL_ASSIGN_OR_RETURN(double v, ParseDouble(*text));
      const float f = static_cast<float>(v);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      AppendBe(out, bits, 4);
      break;
    }
    case kPgFloat8: {
      EL_ASSIGN_OR_RETURN(double v, ParseDouble(*text));
      uint64_t bits;
      std::memcpy(&bits, &v, 8);
      AppendBe(out, bits, 8);
      break;
    }
    case kPgText: case kPgVarchar: case kPgJson: return text;
    case kPgDate: case kPgTimestamp: case kPgTimestamptz: {
      bool date_only = false;
      auto micros = ParseDuckTimestamp(*text, &date_only);
      if (!micros.has_value()) return Err(InvalidArgument("not a date or timestamp: " + *text));
      if (type.oid == kPgDate) {
        const int64_t days = (*micros >= 0 ? *micros : *micros - 86'399'999'999) / 86'400'000'000;
        AppendBe(out, static_cast<uint64_t>(days - kPgEpochDays), 4);
      } else {
        AppendBe(out, static_cast<uint64_t>(*micros - kPgEpochDays * 86'400'000'000), 8);
      }
      break;
    }
    default:
      return Err(InvalidArgument("the binary format of type OID " + std::to_string(type.oid) +
                                 " is not supported; ask for text"));
  }
  return std::optional<std::string>(std::move(out));
}

Result<QueryParameter> PgParameter(const std::optional<std::string>& value, int32_t oid, bool binary) {
  if (!value.has_value()) return QueryParameter{};
  const std::string& v = *value;
  if (binary) {
    auto be = [&](size_t n) {
      uint64_t x = 0;
      for (size_t i = 0; i < n; ++i) x = (x << 8) | static_cast<uint8_t>(v[i]);
      return x;
    };
    switch (oid) {
      case kPgBool: if (v.size() == 1) return QueryParameter{v[0] != 0}; break;
      case kPgInt2: if (v.size() == 2) return QueryParameter{int64_t{static_cast<int16_t>(be(2))}}; break;
      case kPgInt4: if (v.size() == 4) return QueryParameter{int64_t{static_cast<int32_t>(be(4))}}; break;
      case kPgInt8: if (v.size() == 8) return QueryParameter{static_cast<int64_t>(be(8))}; break;
      case kPgFloat4:
        if (v.size() == 4) {
          const auto bits = static_cast<uint32_t>(be(4));
          float f;
          std::memcpy(&f, &bits, 4);
          return QueryParameter{static_cast<double>(f)};
        }
        break;
      case kPgFloat8:
        if (v.size() == 8) {
          const uint64_t bits = be(8);
          double d;
          std::memcpy(&d, &bits, 8);
          return QueryParameter{d};
        }
        break;
      case kPgText: case kPgVarchar: case kPgUnknown: case 0: return QueryParameter{v};
      default: break;
    }
    return Err(InvalidArgument("a binary parameter of type OID " + std::to_string(oid) +
                               " is not supported (or has the wrong length); send it as text"));
  }
  switch (oid) {
    case kPgInt2: case kPgInt4: case kPgInt8: {
      EL_ASSIGN_OR_RETURN(int64_t i, ParseInt(v));
      return QueryParameter{i};
    }
    case kPgFloat4: case kPgFloat8: {
      EL_ASSIGN_OR_RETURN(double d, ParseDouble(v));
      return QueryParameter{d};
    }
    case kPgBool: {
      if (v == "t" || v == "true" || v == "1" || v == "on" || v == "yes") return QueryParameter{true};
      if (v == "f" || v == "false" || v == "0" || v == "off" || v == "no") return QueryParameter{false};
      return Err(InvalidArgument("not a boolean: " + v));
    }
    default: return QueryParameter{v};  // DuckDB casts the text to what the query expects
  }
}

int32_t PgParameterOid(std::string_view duckdb_type) {
  if (duckdb_type.empty()) return kPgUnknown;
  return PgTypeOf(duckdb_type).oid;
}

}  // namespace eventlake::query
