// MaskStep: hash, tokenize or redact members of each event's data.
#include "pipeline/mask_step.h"

#include <nlohmann/json.hpp>

#include "pipeline/json_path.h"
#include "pipeline/per_event_step.h"
#include "security/api_key.h"

namespace eventlake::pipeline {

using Json = nlohmann::ordered_json;

Result<MaskKind> ParseMaskKind(std::string_view name) {
  if (name == "hash") return MaskKind::kHash;
  if (name == "tokenize") return MaskKind::kTokenize;
  if (name == "redact") return MaskKind::kRedact;
  return Err(InvalidArgument("mask: hash, tokenize or redact, not " + std::string(name)));
}

Result<MaskStep> MaskStep::Create(MaskSpec spec) {
  bool tokenizes = false;
  for (const auto& [path, kind] : spec.members) {
    EL_RETURN_IF_ERROR(CheckMemberPath("mask", path));
    tokenizes = tokenizes || kind == MaskKind::kTokenize;
  }
  if (tokenizes && spec.token_key.size() < 16) {
    return Err(InvalidArgument("mask: tokenize needs a key of at least 16 bytes"));
  }
  return MaskStep(std::move(spec));
}

Result<std::string> MaskStep::MaskData(std::string_view data) const {
  Json root = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Err(InvalidArgument("mask: the event's data is not a JSON object"));
  std::string last;
  for (const auto& [path, kind] : spec_.members) {
    Json* parent = MemberParent(root, path, &last, false);
    if (parent == nullptr) continue;
    auto it = parent->find(last);
    if (it == parent->end() || it->is_null()) continue;
    const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
    switch (kind) {
      case MaskKind::kHash: *it = security::HexOf(security::Sha256(text)); break;
      case MaskKind::kTokenize: *it = security::HexOf(security::HmacSha256(spec_.token_key, text)); break;
      case MaskKind::kRedact: *it = "REDACTED"; break;
    }
  }
  return root.dump();
}

StepResult MaskStep::Run(std::span<const BatchRecord> batch) const {
  return RewriteEachData(batch, [this](std::string_view data) { return MaskData(data); });
}

}  // namespace eventlake::pipeline
