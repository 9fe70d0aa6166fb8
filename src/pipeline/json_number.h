// Lua numbers as JSON text, for the `lua` step's JSON writer (lua_json.h):
// Lua's numbers are doubles; an integral one is written without a fraction
// (3, not 3.0), any other as std::to_chars writes it (the shortest text
// that reads back as the same double). Numbers with a few decimals — most
// of what events hold: prices, ratios — skip to_chars' general algorithm
// for the same text at a tenth of its cost.
#pragma once

#include <string>

namespace eventlake::pipeline {

// Appends `d` (finite) to *out.
void AppendJsonNumber(double d, std::string* out);

}  // namespace eventlake::pipeline
