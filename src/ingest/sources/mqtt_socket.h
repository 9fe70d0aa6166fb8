// The TCP connection of the mqtt source to its broker: a non-blocking socket
// whose writes wait (up to a deadline) for room, and whose reads take what is
// there. Owned and used by one thread (the source's); not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/sources/mqtt_options.h"

namespace eventlake::ingest::mqtt {

class Socket {
 public:
  // Resolves `address` and connects to its addresses in turn, all within
  // `timeout`. Errors are Unavailable (refused, unreachable, timed out,
  // unknown host).
  static Result<std::unique_ptr<Socket>> Connect(const HostPort& address,
                                                 std::chrono::milliseconds timeout);
  ~Socket();  // closes
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }

  // Writes all of `bytes`, waiting for room up to `timeout` in all.
  // Unavailable when the peer is gone or the time ran out.
  Status Write(std::string_view bytes, std::chrono::milliseconds timeout);

  // Appends to *out what can be read now (at most `max_bytes`) without
  // waiting; 0 when nothing is there. Unavailable when the peer closed.
  Result<size_t> ReadAvailable(std::string* out, size_t max_bytes);

 private:
  explicit Socket(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace eventlake::ingest::mqtt
