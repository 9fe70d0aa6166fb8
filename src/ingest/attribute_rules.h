// The value rules of CloudEvents 1.0.2 context attributes that do not depend
// on the event format: media types (RFC 2046), absolute URIs, extension
// names, the characters a String may hold, and the percent-encoding of
// attribute values in HTTP headers (binary mode). Pure functions, no
// allocation except where a result is returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::ingest {

// A media type "type/subtype" with optional parameters, per RFC 2045/2046
// tokens and RFC 9110's parameter syntax: `text/plain; charset="utf-8"`.
// Surrounding spaces are allowed; "xyz", "text/" and "" are not.
bool IsValidMediaType(std::string_view text);

// "type/subtype" of a media type without parameters or surrounding spaces,
// case kept ("Application/JSON" for "Application/JSON; charset=utf-8").
std::string_view MediaTypeEssence(std::string_view text);

// True when a media type declares JSON: its subtype is "json" or ends with
// "+json" (case-insensitive, parameters ignored), as the JSON event format
// defines it: application/json, text/json, application/geo+json.
bool IsJsonMediaType(std::string_view text);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Extension attribute names: 1 to 20 characters of a-z and 0-9. The spec
// makes the characters a MUST and the length a SHOULD; eventlake enforces
// both, so that names stay usable as column names and header suffixes.
bool IsExtensionName(std::string_view name);

// An absolute URI (RFC 3986 section 4.3) as `dataschema` requires: a scheme
// (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")) then ":", and no spaces. The
// rest of the URI grammar is not checked (a fragment is tolerated).
bool IsAbsoluteUri(std::string_view text);

// The first character a CloudEvents String must not hold, if any: control
// characters U+0000-U+001F and U+007F-U+009F, and Unicode noncharacters
// (U+FDD0-U+FDEF, U+xxFFFE, U+xxFFFF). `utf8` must be valid UTF-8.
std::optional<char32_t> FindDisallowedCharacter(std::string_view utf8);

// "U+001F" for a code point.
std::string CodePointName(char32_t c);

// A binary-mode header value turned into the attribute value (HTTP protocol
// binding 3.1.3.2): a double-quoted value is first unquoted (backslash
// escapes processed), then one round of percent-decoding (%XX, either case)
// is applied. InvalidArgument for a bad quoted string, a '%' not followed by
// two hex digits, or a result that is not valid UTF-8 (e.g. "%C0%A0").
Result<std::string> DecodeHeaderValue(std::string_view raw);

}  // namespace eventlake::ingest
