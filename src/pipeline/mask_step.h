// The `mask` step (issue 6): personal data made safe before it is stored,
// member by member of each event's JSON data ("a.b" reaches into `a`):
//
//   hash      the SHA-256 of the value's text, in hex: equal values stay
//             equal (joins, counts), but a guessable value (an email) can
//             be found again by hashing guesses;
//   tokenize  HMAC-SHA-256 of the value's text under the step's key, in
//             hex: equal values stay equal and nobody without the key can
//             test a guess;
//   redact    the string "REDACTED".
//
// A string's text is its characters; another value's is its JSON. NULL and
// absent members stay as they are. An event whose data is not a JSON
// object fails alone: a mask that cannot apply must not let personal data
// through.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pipeline/batch_runner.h"

namespace eventlake::pipeline {

enum class MaskKind { kHash, kTokenize, kRedact };

struct MaskSpec {
  std::vector<std::pair<std::string, MaskKind>> members;
  std::string token_key;  // required by tokenize: at least 16 bytes
};

// "hash", "tokenize", "redact"; InvalidArgument otherwise.
Result<MaskKind> ParseMaskKind(std::string_view name);

class MaskStep {
 public:
  static Result<MaskStep> Create(MaskSpec spec);
  StepResult Run(std::span<const BatchRecord> batch) const;
  Result<std::string> MaskData(std::string_view data) const;

 private:
  explicit MaskStep(MaskSpec spec) : spec_(std::move(spec)) {}
  MaskSpec spec_;
};

}  // namespace eventlake::pipeline
