// The IAM-style policy engine: who may do what to which resource.
//
// A policy is a named list of statements; a statement allows or denies a set
// of actions ("events:Put", "streams:*", "*") on a set of resources
// ("source/web", "table/curated.*", "*"). Patterns use `*` and `?` (glob.h).
// Actions match case-insensitively (as in AWS: "EVENTS:put" is "events:Put");
// resources match case-sensitively, byte for byte.
//
// Evaluation follows AWS: the statements that apply are those of the
// principal's policies whose action and resource patterns both match. An
// explicit deny in any of them wins; otherwise an allow allows; otherwise the
// answer is the default deny ("no statement allows").
//
// Statements of `tables:Select` may carry a column list, a row filter and
// masks (Statement); a Decision points at the statement that decided, so the
// query engine applies the restrictions of the allowing one.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "security/glob.h"
#include "security/principal.h"

namespace eventlake::security {

inline constexpr size_t kMaxNameLength = 128;              // policy and principal names
inline constexpr size_t kMaxActionPatternLength = 128;     // "events:Put"
inline constexpr size_t kMaxResourcePatternLength = 1024;  // "table/curated.*"

enum class Effect { kAllow, kDeny };

// "allow" or "deny", as written in the configuration.
std::string_view EffectName(Effect effect);

// How a column is shown to a principal whose allowing statement masks it.
enum class MaskKind {
  kHash,    // the SHA-256 of the value as text, in hex (equal values stay equal)
  kRedact,  // the text "REDACTED" (NULL stays NULL)
  kNull,    // NULL
};

struct ColumnMask {
  std::string column;
  MaskKind mask = MaskKind::kRedact;
};

// One statement as configured. New members are appended at the end with
// defaults that restrict nothing, so code that builds statements keeps working.
struct Statement {
  Effect effect = Effect::kAllow;
  std::vector<std::string> actions;    // at least one pattern
  std::vector<std::string> resources;  // at least one pattern
  // What an allowing statement lets tables:Select see of a table (the query
  // engine enforces them in the table's view; docs/query.md):
  std::vector<std::string> columns;  // only these columns; empty = all
  std::string row_filter;            // a SQL boolean expression over the table's columns; "" = all rows
  std::vector<ColumnMask> masks;     // these columns masked

  bool RestrictsRows() const { return !row_filter.empty(); }
  bool Restricts() const { return !columns.empty() || !row_filter.empty() || !masks.empty(); }
};

struct Policy {
  std::string name;
  std::vector<Statement> statements;
};

// The answer of PolicySet::Evaluate. The views and the pointer refer into the
// PolicySet that produced the Decision and live as long as it does.
struct Decision {
  bool allowed = false;
  // For audit logs and 403 details: `allowed by policy "writers" statement 0`,
  // `denied by policy "no-deletes" statement 2`, or `no statement allows`.
  // Statements are numbered from 0, as in the config path statements[0].
  std::string_view reason;
  std::string_view policy;               // the deciding policy; empty for the default deny
  size_t statement_index = 0;            // its statement; meaningless for the default deny
  const Statement* statement = nullptr;  // the deciding statement; null for the default deny
};

inline constexpr std::string_view kDefaultDenyReason = "no statement allows";

// A policy or principal name: 1 to 128 ASCII letters, digits, '_', '-', '.'
// or '@'. `what` starts the message ("policy name").
Status ValidateName(std::string_view what, std::string_view name);
// "service:Name" (each part letters, digits, '_', '-', '*' or '?') or all
// '*'. Errors name the pattern and the expected shape.
Status ValidateActionPattern(std::string_view pattern);
// 1 to 1024 bytes without control characters; any other byte is allowed.
Status ValidateResourcePattern(std::string_view pattern);
// Each action and resource pattern, and at least one of each; errors start
// with the key path inside the statement ("actions[1]: ...").
Status ValidateStatement(const Statement& statement);

// Every policy of a configuration, compiled once (patterns parsed, reasons
// prepared) and immutable afterwards: Evaluate is safe from any thread and
// allocates nothing. Move-only, because Decisions point into it.
class PolicySet {
 public:
  PolicySet() = default;  // no policies: every Evaluate is the default deny
  PolicySet(PolicySet&&) = default;
  PolicySet& operator=(PolicySet&&) = default;
  PolicySet(const PolicySet&) = delete;
  PolicySet& operator=(const PolicySet&) = delete;

  // InvalidArgument for a bad name, a repeated name, a policy without
  // statements or an invalid statement; the message names the policy
  // ("policies[1] (\"writers\"): statements[0]: actions[0]: ...").
  static Result<PolicySet> Compile(std::span<const Policy> policies);

  // Decides `action` on `resource` for `principal`, from the principal's
  // policies only (an anonymous principal has none, so it is denied: callers
  // skip authorization while authentication is off). Policy names that are
  // not in the set contribute nothing; configuration checks reject them.
  Decision Evaluate(const Principal& principal, std::string_view action,
                    std::string_view resource) const;

  // The policy named `name`, or nullptr.
  const Policy* Find(std::string_view name) const;
  size_t size() const { return policies_.size(); }

 private:
  struct CompiledStatement {
    Effect effect;
    std::vector<Glob> actions;    // case-insensitive
    std::vector<Glob> resources;  // case-sensitive
    std::string reason;
  };
  struct CompiledPolicy {
    Policy source;
    std::vector<CompiledStatement> statements;
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  static bool Applies(const CompiledStatement& statement, std::string_view action,
                      std::string_view resource);
  Decision DecisionFor(const CompiledPolicy& policy, size_t index) const;

  std::vector<CompiledPolicy> policies_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> by_name_;
};

}  // namespace eventlake::security
