// A minimal Lambda runtime client for bench_function_invoke's "native"
// runtime: one keep-alive connection, GET /next, POST "null" as the
// response, forever. It starts in about a millisecond, so a cold start
// with it is eventlake's own share (spawn, Runtime API, delivery).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// Reads one response (headers and a Content-Length body); false on EOF.
bool ReadResponse(int fd, std::string& buffer, std::string* head, std::string* body) {
  for (;;) {
    size_t end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      size_t cl = buffer.find("Content-Length: ");
      if (cl == std::string::npos) cl = buffer.find("content-length: ");
      if (cl != std::string::npos && cl < end)
        length = std::strtoul(buffer.c_str() + cl + 16, nullptr, 10);
      if (buffer.size() >= end + 4 + length) {
        *head = buffer.substr(0, end);
        *body = buffer.substr(end + 4, length);
        buffer.erase(0, end + 4 + length);
        return true;
      }
    }
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

bool Send(int fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size());
}

}  // namespace

int main() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 1;
  std::string address(api);
  const size_t colon = address.find(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 1;
  std::string buffer, head, body;
  for (;;) {
    if (!Send(fd, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")) return 1;
    if (!ReadResponse(fd, buffer, &head, &body)) return 1;
    const char* key = "Lambda-Runtime-Aws-Request-Id: ";
    size_t at = head.find(key);
    if (at == std::string::npos) return 1;
    at += std::strlen(key);
    std::string id = head.substr(at, head.find("\r\n", at) - at);
    if (!Send(fd, "POST /2018-06-01/runtime/invocation/" + id +
                      "/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nnull")) {
      return 1;
    }
    if (!ReadResponse(fd, buffer, &head, &body)) return 1;
  }
}
