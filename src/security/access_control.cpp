// AccessControl: Authenticator, then PolicySet.
#include "security/access_control.h"

namespace eventlake::security {

Result<std::unique_ptr<AccessControl>> AccessControl::Create(const SecurityOptions& options) {
  auto access = std::make_unique<AccessControl>();
  EL_ASSIGN_OR_RETURN(access->authenticator_, Authenticator::Create(options));
  EL_ASSIGN_OR_RETURN(access->policies_, PolicySet::Compile(options.policies));
  return access;
}

Result<Principal> AccessControl::Check(std::string_view authorization_header,
                                       std::string_view action, std::string_view resource) const {
  EL_ASSIGN_OR_RETURN(Principal principal, Authenticate(authorization_header));
  EL_RETURN_IF_ERROR(Authorize(principal, action, resource));
  return principal;
}

Result<Principal> AccessControl::Authenticate(std::string_view authorization_header) const {
  return authenticator_.Authenticate(authorization_header);
}

Status AccessControl::Authorize(const Principal& principal, std::string_view action,
                                std::string_view resource) const {
  auto statement = AuthorizingStatement(principal, action, resource);
  return statement.has_value() ? Status::Ok() : statement.error();
}

Result<const Statement*> AccessControl::AuthorizingStatement(const Principal& principal,
                                                             std::string_view action,
                                                             std::string_view resource) const {
  if (principal.anonymous) return nullptr;
  Decision decision = policies_.Evaluate(principal, action, resource);
  if (decision.allowed) return decision.statement;
  return Err(PermissionDenied(principal.name + " may not " + std::string(action) + " on " +
                              std::string(resource) + ": " + std::string(decision.reason)));
}

}  // namespace eventlake::security
