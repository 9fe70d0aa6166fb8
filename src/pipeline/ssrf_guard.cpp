#include "pipeline/ssrf_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace eventlake::pipeline {
namespace {

AddressClass ClassifyV4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  if (in(0x00000000, 8)) return AddressClass::kUnspecified;
  if (in(0x7F000000, 8)) return AddressClass::kLoopback;
  if (in(0xA9FE0000, 16)) return AddressClass::kLinkLocal;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10)) {
    return AddressClass::kPrivate;
  }
  if (in(0xE0000000, 4)) return AddressClass::kMulticast;
  if (in(0xF0000000, 4)) return AddressClass::kReserved;  // 240/4 and 255.255.255.255
  return AddressClass::kPublic;
}

AddressClass ClassifyV6(const in6_addr& addr) {
  const uint8_t* b = addr.s6_addr;
  const bool first80_zero = std::all_of(b, b + 10, [](uint8_t x) { return x == 0; });
  const uint32_t tail =
      (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
  if (first80_zero && b[10] == 0xFF && b[11] == 0xFF) return ClassifyV4(tail);  // ::ffff:a.b.c.d
  if (first80_zero && b[10] == 0 && b[11] == 0) {
    if (tail == 0) return AddressClass::kUnspecified;  // ::
    if (tail == 1) return AddressClass::kLoopback;     // ::1
    return ClassifyV4(tail);                           // ::a.b.c.d (deprecated compatible form)
  }
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return AddressClass::kPrivate;    // fec0::/10
  if ((b[0] & 0xFE) == 0xFC) return AddressClass::kPrivate;                    // fc00::/7
  if (b[0] == 0xFF) return AddressClass::kMulticast;
  return AddressClass::kPublic;
}

std::string Numeric(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

}  // namespace

std::string_view AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

AddressClass ClassifyAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return ClassifyV4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6)
    return ClassifyV6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  return AddressClass::kReserved;
}

Result<AddressClass> ClassifyAddress(std::string_view numeric) {
  std::string text(numeric);
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return ClassifyV4(ntohl(v4.s_addr));
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return ClassifyV6(v6);
  return Err(InvalidArgument("not a numeric IP address: " + text));
}

Result<std::string> ResolveAllowedAddress(const std::string& host, bool allow_private) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0) {
    return Err(Unavailable("resolving " + host + ": " + gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(list, freeaddrinfo);
  std::string chosen;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    const AddressClass c = ClassifyAddress(ai->ai_addr);
    if (c != AddressClass::kPublic && !allow_private) {
      return Err(PermissionDenied(host + " resolves to " + Numeric(ai->ai_addr) + ", a " +
                                  std::string(AddressClassName(c)) +
                                  " address (allow_private: true lets it through)"));
    }
    if (chosen.empty()) chosen = Numeric(ai->ai_addr);
  }
  if (chosen.empty()) return Err(Unavailable("resolving " + host + ": no IPv4 or IPv6 address"));
  return chosen;
}

}  // namespace eventlake::pipeline
