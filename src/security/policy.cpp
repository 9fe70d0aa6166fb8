// The policy engine (see policy.h): validation, compilation, evaluation.
//
// Evaluation walks the principal's policies in order and stops at the first
// deny that applies; allow statements are skipped once an allow is found, so
// a principal pays for its deny statements only. Reasons are built at compile
// time so that Evaluate never allocates.
#include "security/policy.h"

#include <string>

namespace eventlake::security {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsActionPart(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    if (!IsAsciiAlnum(c) && c != '_' && c != '-' && c != '*' && c != '?') return false;
  }
  return true;
}

// The pattern in quotes, cut to 64 bytes for messages.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  out.append(text.substr(0, 64));
  if (text.size() > 64) out.append("...");
  return out + "\"";
}

std::string Indexed(std::string_view key, size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

}  // namespace

std::string_view EffectName(Effect effect) { return effect == Effect::kAllow ? "allow" : "deny"; }

Status ValidateName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return InvalidArgument(std::string(what) + ": must be 1 to " + std::to_string(kMaxNameLength) +
                           " characters, got " + std::to_string(name.size()));
  }
  for (char c : name) {
    if (!IsAsciiAlnum(c) && c != '_' && c != '-' && c != '.' && c != '@') {
      return InvalidArgument(std::string(what) + ": " + Quote(name) +
                             " has a character that is not allowed: only ASCII letters, digits, "
                             "'_', '-', '.' and '@' are allowed");
    }
  }
  return Status::Ok();
}

Status ValidateActionPattern(std::string_view pattern) {
  auto bad = [&](std::string_view problem) {
    return InvalidArgument("invalid action " + Quote(pattern) + ": " + std::string(problem));
  };
  if (pattern.empty()) return bad("empty");
  if (pattern.size() > kMaxActionPatternLength) {
    return bad("longer than " + std::to_string(kMaxActionPatternLength) + " characters");
  }
  if (pattern.find_first_not_of('*') == std::string_view::npos) return Status::Ok();
  const size_t colon = pattern.find(':');
  if (colon == std::string_view::npos || pattern.find(':', colon + 1) != std::string_view::npos ||
      !IsActionPart(pattern.substr(0, colon)) || !IsActionPart(pattern.substr(colon + 1))) {
    return bad(
        "expected \"service:Name\" such as \"events:Put\" or \"streams:*\" (letters, digits, "
        "'_', '-', '*', '?'), or \"*\"");
  }
  return Status::Ok();
}

Status ValidateResourcePattern(std::string_view pattern) {
  if (pattern.empty()) return InvalidArgument("invalid resource \"\": empty");
  if (pattern.size() > kMaxResourcePatternLength) {
    return InvalidArgument("invalid resource " + Quote(pattern) + ": longer than " +
                           std::to_string(kMaxResourcePatternLength) + " bytes");
  }
  for (char c : pattern) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      return InvalidArgument("invalid resource " + Quote(pattern) +
                             ": control characters are not allowed");
    }
  }
  return Status::Ok();
}

Status ValidateStatement(const Statement& statement) {
  if (statement.actions.empty()) return InvalidArgument("actions: must have at least 1 entry");
  if (statement.resources.empty()) return InvalidArgument("resources: must have at least 1 entry");
  for (size_t i = 0; i < statement.actions.size(); ++i) {
    Status s = ValidateActionPattern(statement.actions[i]);
    if (!s.ok()) return s.WithContext(Indexed("actions", i));
  }
  for (size_t i = 0; i < statement.resources.size(); ++i) {
    Status s = ValidateResourcePattern(statement.resources[i]);
    if (!s.ok()) return s.WithContext(Indexed("resources", i));
  }
  if (statement.Restricts() && statement.effect == Effect::kDeny) {
    return InvalidArgument("columns, row_filter and masks belong to allow statements");
  }
  if (statement.row_filter.size() > 64 * 1024) return InvalidArgument("row_filter: longer than 64 KiB");
  for (size_t i = 0; i < statement.masks.size(); ++i) {
    if (statement.masks[i].column.empty()) return InvalidArgument(Indexed("masks", i) + ".column: empty");
  }
  return Status::Ok();
}

Result<PolicySet> PolicySet::Compile(std::span<const Policy> policies) {
  PolicySet set;
  set.policies_.reserve(policies.size());
  for (size_t p = 0; p < policies.size(); ++p) {
    const Policy& policy = policies[p];
    const std::string where = Indexed("policies", p) + " (" + Quote(policy.name) + ")";
    Status s = ValidateName("policy name", policy.name);
    if (!s.ok()) return Err(s.WithContext(Indexed("policies", p)));
    if (!set.by_name_.emplace(policy.name, p).second) {
      return Err(InvalidArgument(where + ": a policy with this name is already defined"));
    }
    if (policy.statements.empty()) {
      return Err(InvalidArgument(where + ": statements: must have at least 1 entry"));
    }
    CompiledPolicy compiled{.source = policy, .statements = {}};
    for (size_t i = 0; i < policy.statements.size(); ++i) {
      const Statement& st = policy.statements[i];
      s = ValidateStatement(st);
      if (!s.ok()) return Err(s.WithContext(where + ": " + Indexed("statements", i)));
      CompiledStatement c{.effect = st.effect, .actions = {}, .resources = {}, .reason = {}};
      for (const std::string& a : st.actions)
        c.actions.emplace_back(a, GlobCase::kAsciiInsensitive);
      for (const std::string& r : st.resources) c.resources.emplace_back(r, GlobCase::kSensitive);
      c.reason = std::string(st.effect == Effect::kAllow ? "allowed" : "denied") + " by policy \"" +
                 policy.name + "\" statement " + std::to_string(i);
      compiled.statements.push_back(std::move(c));
    }
    set.policies_.push_back(std::move(compiled));
  }
  return set;
}

bool PolicySet::Applies(const CompiledStatement& statement, std::string_view action,
                        std::string_view resource) {
  bool action_matches = false;
  for (const Glob& a : statement.actions) {
    if (a.Matches(action)) {
      action_matches = true;
      break;
    }
  }
  if (!action_matches) return false;
  for (const Glob& r : statement.resources) {
    if (r.Matches(resource)) return true;
  }
  return false;
}

Decision PolicySet::DecisionFor(const CompiledPolicy& policy, size_t index) const {
  const CompiledStatement& st = policy.statements[index];
  return {.allowed = st.effect == Effect::kAllow,
          .reason = st.reason,
          .policy = policy.source.name,
          .statement_index = index,
          .statement = &policy.source.statements[index]};
}

Decision PolicySet::Evaluate(const Principal& principal, std::string_view action,
                             std::string_view resource) const {
  const CompiledPolicy* allow_policy = nullptr;
  size_t allow_index = 0;
  for (const std::string& name : principal.policies) {
    auto it = by_name_.find(std::string_view(name));
    if (it == by_name_.end()) continue;
    const CompiledPolicy& policy = policies_[it->second];
    for (size_t i = 0; i < policy.statements.size(); ++i) {
      const CompiledStatement& st = policy.statements[i];
      if (st.effect == Effect::kAllow && allow_policy != nullptr) continue;
      if (!Applies(st, action, resource)) continue;
      if (st.effect == Effect::kDeny) return DecisionFor(policy, i);
      allow_policy = &policy;
      allow_index = i;
    }
  }
  if (allow_policy != nullptr) return DecisionFor(*allow_policy, allow_index);
  return {.allowed = false, .reason = kDefaultDenyReason};
}

const Policy* PolicySet::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &policies_[it->second].source;
}

}  // namespace eventlake::security
