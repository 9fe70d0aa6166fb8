// Server-side request forgery protection for `http` functions: a URL in a
// config must not reach eventlake's own machine or network unless the
// operator says so (allow_private: true).
//
// Refused: loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16 — cloud
// metadata services —, fe80::/10), private (10/8, 172.16/12, 192.168/16,
// 100.64/10 shared, fc00::/7, fec0::/10), unspecified (0.0.0.0/8, ::),
// multicast (224/4, ff00::/8), reserved and broadcast (240/4), and the
// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms of
// each. A host is resolved once per request, every address it resolves to
// must be allowed, and the connection is pinned to the address checked
// (so a DNS answer that changes between check and connect cannot switch it).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eventlake::pipeline {

enum class AddressClass {
  kPublic,
  kLoopback,
  kLinkLocal,
  kPrivate,
  kUnspecified,
  kMulticast,
  kReserved
};

// "public", "loopback", "link-local", "private", "unspecified", "multicast", "reserved".
std::string_view AddressClassName(AddressClass c);

// The class of an IPv4 or IPv6 socket address (other families: kReserved).
AddressClass ClassifyAddress(const sockaddr* address);
// The class of a numeric address ("10.1.2.3", "::ffff:127.0.0.1");
// InvalidArgument when it is not one.
Result<AddressClass> ClassifyAddress(std::string_view numeric);

// Resolves `host` and checks its addresses: the numeric address to pin the
// connection to (IPv6 without brackets), PermissionDenied naming the
// address and its class when one is refused, Unavailable when the name
// does not resolve.
Result<std::string> ResolveAllowedAddress(const std::string& host, bool allow_private);

}  // namespace eventlake::pipeline
