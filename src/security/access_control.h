// Authentication and authorization together, as every API calls them: from
// the Authorization header and the (action, resource) a request needs, to
// the calling Principal or the 401/403 reason. Built once from the
// `security:` options; immutable and safe from every thread.
//
// With no API keys configured, access control is off: every request is the
// anonymous principal and nothing is denied. The server allows that only on
// loopback listeners (server.h).
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"
#include "security/authenticator.h"
#include "security/policy.h"
#include "security/principal.h"
#include "security/security_options.h"

namespace eventlake::security {

class AccessControl {
 public:
  // Off: no keys, every request is anonymous.
  AccessControl() = default;
  // InvalidArgument when the options are not valid.
  static Result<std::unique_ptr<AccessControl>> Create(const SecurityOptions& options);

  bool enabled() const { return authenticator_.enabled(); }

  // The principal, when the key in `authorization_header` is known and its
  // policies allow `action` on `resource`. Unauthenticated (401) for a
  // missing, malformed or unknown key; PermissionDenied (403) naming the
  // principal, the action, the resource and the deciding reason.
  Result<Principal> Check(std::string_view authorization_header, std::string_view action,
                          std::string_view resource) const;
  // Only the first half of Check: the principal of a known key (anonymous
  // while access control is off). For APIs that authorize per resource
  // inside (a query checks tables:Select on each table it reads).
  Result<Principal> Authenticate(std::string_view authorization_header) const;
  // The SCRAM verifier and principal of the key named `name`; nullptr when
  // there is no such key or it has no verifier.
  const Authenticator::ScramCredential* ScramCredentialOf(std::string_view name) const {
    return authenticator_.ScramCredentialOf(name);
  }
  // The second half: OK when `principal` may do `action` on `resource`
  // (always for the anonymous principal), else PermissionDenied as Check.
  Status Authorize(const Principal& principal, std::string_view action,
                   std::string_view resource) const;
  // The same, answering the allowing statement (its column list, row filter
  // and masks); nullptr for the anonymous principal, who is not restricted.
  Result<const Statement*> AuthorizingStatement(const Principal& principal, std::string_view action,
                                                std::string_view resource) const;

 private:
  Authenticator authenticator_;
  PolicySet policies_;
};

}  // namespace eventlake::security
