// A non-blocking TCP socket with deadlines, for the MQTT client.
#include "ingest/sources/mqtt_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace eventlake::ingest::mqtt {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMillis(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

Status SocketError(std::string_view what, int errnum) {
  return Unavailable(std::string(what) + ": " + std::strerror(errnum));
}

// Connects one address within the deadline; the fd (non-blocking) or an error.
Result<int> ConnectOne(const addrinfo& ai, Clock::time_point deadline) {
  int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return Err(SocketError("socket", errno));
  auto fail = [fd](Status s) -> Result<int> {
    ::close(fd);
    return Err(std::move(s));
  };
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return fail(SocketError("connect", errno));
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, RemainingMillis(deadline));
    if (n == 0) return fail(Unavailable("connect: timed out"));
    if (n < 0) return fail(SocketError("poll", errno));
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return fail(SocketError("connect", error));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // PUBACKs are small
  return fd;
}

}  // namespace

Result<std::unique_ptr<Socket>> Socket::Connect(const HostPort& address,
                                                std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return Err(Unavailable("resolving " + address.host + ": " + ::gai_strerror(rc)));
  }
  Status last = Unavailable("no address for " + address.host);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Result<int> fd = ConnectOne(*ai, deadline);
    if (fd.has_value()) {
      ::freeaddrinfo(found);
      return std::unique_ptr<Socket>(new Socket(*fd));
    }
    last = fd.error();
  }
  ::freeaddrinfo(found);
  return Err(last.WithContext(address.host + ":" + port));
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Status Socket::Write(std::string_view bytes, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return SocketError("send", errno);
    pollfd p{fd_, POLLOUT, 0};
    int ready = ::poll(&p, 1, RemainingMillis(deadline));
    if (ready == 0) return Unavailable("send: timed out; the broker does not read");
    if (ready < 0 && errno != EINTR) return SocketError("poll", errno);
  }
  return Status::Ok();
}

Result<size_t> Socket::ReadAvailable(std::string* out, size_t max_bytes) {
  const size_t old_size = out->size();
  out->resize(old_size + max_bytes);
  ssize_t n;
  do {
    n = ::recv(fd_, out->data() + old_size, max_bytes, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) out->resize(old_size);
  if (n == 0) return Err(Unavailable("the broker closed the connection"));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return Err(SocketError("recv", errno));
  }
  out->resize(old_size + static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

}  // namespace eventlake::ingest::mqtt
