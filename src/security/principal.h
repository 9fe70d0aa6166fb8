// Who is calling: the principal an API key authenticates as, with the names
// of the policies that decide what it may do (see policy.h).
#pragma once

#include <string>
#include <vector>

namespace eventlake::security {

struct Principal {
  std::string name;                   // the api_keys[].name of its key; "anonymous" when anonymous
  std::vector<std::string> policies;  // policy names, in configuration order
  // True when authentication is off (loopback listeners and no keys): no key
  // was checked and no policy applies; the server skips authorization.
  bool anonymous = false;
};

// The principal of every request while authentication is off.
inline Principal AnonymousPrincipal() { return {.name = "anonymous", .anonymous = true}; }

}  // namespace eventlake::security
