// The epoll loop of one load-generator thread (see ingest_http_client.h).
#include "ingest_http_client.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "ingest_http_response.h"

namespace eventlake::bench {
namespace {

constexpr int64_t kMillis = 1'000'000;
constexpr int64_t kPauseAfterRefusal = 10 * kMillis;  // after a 429 or 503
constexpr int64_t kPauseAfterConnectFailure = 100 * kMillis;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kErrorBodyBytes = 300;
constexpr std::string_view kAcceptedMarker = "\"offset\":";
constexpr std::string_view kDuplicateMarker = "\"duplicate\":true";

struct Connection {
  int fd = -1;
  std::string wire;       // the request: head, Content-Length, body
  size_t body_at = 0;     // where the body starts in `wire`
  std::string gzip_body;  // with --gzip: the uncompressed body, numbered here
  size_t sent = 0;
  bool in_flight = false;
  int64_t started_ns = 0;
  std::string in;         // bytes received and not yet parsed
  int64_t resume_ns = 0;  // when paused: the time to send again; 0 otherwise
};

class ClientLoop {
 public:
  ClientLoop(const ClientOptions& options, std::atomic<bool>* abort)
      : options_(options),
        abort_(abort),
        template_(
            BuildRequestTemplate(options.request, RunIdPrefix(options.run, options.thread_index))),
        connections_(static_cast<size_t>(options.connections)),
        scratch_(kReadChunk) {}

  ~ClientLoop() {
    for (Connection& c : connections_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (epoll_ >= 0) close(epoll_);
  }

  ClientStats Run();

 private:
  bool InWindow(int64_t now) const {
    return now >= options_.measure_from_ns && now < options_.measure_until_ns;
  }
  void Count(int64_t now, const std::string& key, std::string_view body = {});
  void Fatal(const std::string& why);
  bool Connect(Connection* c);
  void Reconnect(Connection* c, int64_t now);
  void SendNext(Connection* c);
  void Flush(Connection* c);
  void OnReadable(Connection* c);
  void OnResponse(Connection* c, const HttpResponse& response, int64_t now, bool closed);
  void Pause(Connection* c, int64_t until);
  void ResumeDue(int64_t now);
  int WaitMillis(int64_t now) const;

  const ClientOptions& options_;
  std::atomic<bool>* abort_;
  const RequestTemplate template_;
  std::vector<Connection> connections_;
  std::vector<char> scratch_;
  GzipEncoder gzip_;
  std::string compressed_;
  int epoll_ = -1;
  uint64_t counter_ = 0;
  int paused_ = 0;
  ClientStats stats_;
};

void ClientLoop::Count(int64_t now, const std::string& key, std::string_view body) {
  if (!InWindow(now)) return;
  if (stats_.errors[key]++ == 0 && !body.empty()) {
    stats_.first_error_body[key] = std::string(body.substr(0, kErrorBodyBytes));
  }
}

void ClientLoop::Fatal(const std::string& why) {
  if (stats_.fatal.empty()) stats_.fatal = why;
  abort_->store(true);
}

// A blocking connect (loopback: immediate), then non-blocking for the loop.
bool ClientLoop::Connect(Connection* c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto* address = reinterpret_cast<const sockaddr*>(&options_.address);
  if (connect(fd, address, sizeof(options_.address)) != 0) {
    close(fd);
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = c;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
    close(fd);
    return false;
  }
  c->fd = fd;
  return true;
}

void ClientLoop::Reconnect(Connection* c, int64_t now) {
  if (c->resume_ns != 0) {  // a connection lost while paused starts afresh
    c->resume_ns = 0;
    --paused_;
  }
  if (c->fd >= 0) close(c->fd);  // also leaves the epoll set
  c->fd = -1;
  c->in.clear();
  c->in_flight = false;
  if (!Connect(c)) {
    Count(now, "connect");
    return Pause(c, now + kPauseAfterConnectFailure);
  }
  SendNext(c);
}

void ClientLoop::SendNext(Connection* c) {
  if (c->wire.empty()) {  // first request on this connection: copy the template
    c->gzip_body = template_.body;
    AssembleRequest(template_.head, template_.body, &c->wire);
    c->body_at = c->wire.size() - template_.body.size();
  }
  if (options_.request.gzip) {
    NumberEvents(template_, c->gzip_body.data(), &counter_);
    if (!gzip_.Compress(c->gzip_body, &compressed_)) return Fatal("zlib deflate failed");
    AssembleRequest(template_.head, compressed_, &c->wire);
  } else {
    NumberEvents(template_, c->wire.data() + c->body_at, &counter_);
  }
  stats_.sent_events += static_cast<uint64_t>(template_.events);
  c->sent = 0;
  c->in_flight = true;
  c->started_ns = MonotonicNanos();
  Flush(c);
}

void ClientLoop::Flush(Connection* c) {
  while (c->sent < c->wire.size()) {
    ssize_t n = send(c->fd, c->wire.data() + c->sent, c->wire.size() - c->sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // EPOLLOUT (edge-triggered) says when to go on
    } else {
      int64_t now = MonotonicNanos();
      Count(now, "connection_lost");
      return Reconnect(c, now);
    }
  }
}

void ClientLoop::OnReadable(Connection* c) {
  bool closed = false;
  for (;;) {
    ssize_t n = recv(c->fd, scratch_.data(), scratch_.size(), 0);
    if (n > 0) {
      c->in.append(scratch_.data(), static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      break;
    }
  }
  int64_t now = MonotonicNanos();
  if (!c->in.empty()) {  // one request in flight: at most one complete response
    HttpResponse response;
    std::string error;
    ParseResult parsed = ParseHttpResponse(c->in, &response, &error);
    if (parsed == ParseResult::kError) return Fatal("bad response from the server: " + error);
    if (parsed == ParseResult::kComplete) {
      if (!c->in_flight || response.size != c->in.size()) {
        return Fatal("the server answered a request that was not sent");
      }
      return OnResponse(c, response, now, closed);
    }
  }
  if (closed) {
    if (c->in_flight) Count(now, "connection_lost");
    Reconnect(c, now);
  }
}

// Counts the response, then sends the next request (or pauses, or reconnects).
void ClientLoop::OnResponse(Connection* c, const HttpResponse& response, int64_t now, bool closed) {
  c->in_flight = false;
  if (response.status == 200) {
    auto accepted = CountOccurrences(response.body, kAcceptedMarker);
    if (response.body.find(kDuplicateMarker) != std::string_view::npos) {
      Count(now, "200_duplicate", response.body);  // ids repeated: a bug of this client
    } else if (accepted == static_cast<size_t>(template_.events)) {
      if (InWindow(now)) {
        stats_.events += accepted;
        ++stats_.requests;
        stats_.latency.Record(static_cast<uint64_t>(now - c->started_ns));
      }
    } else {
      Count(now, "200_short", response.body);
    }
  } else {
    Count(now, std::to_string(response.status), response.body);
  }
  c->in.clear();  // `response` points into it: not used below
  bool refused = response.status == 429 || response.status == 503;
  if (response.close || closed) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (!refused) return Reconnect(c, now);
  }
  if (refused) return Pause(c, now + kPauseAfterRefusal);
  SendNext(c);
}

void ClientLoop::Pause(Connection* c, int64_t until) {
  if (c->resume_ns == 0) ++paused_;
  c->resume_ns = until;
}

void ClientLoop::ResumeDue(int64_t now) {
  if (paused_ == 0) return;
  for (Connection& c : connections_) {
    if (c.resume_ns == 0 || c.resume_ns > now) continue;
    c.resume_ns = 0;
    --paused_;
    if (c.fd < 0) {
      Reconnect(&c, now);
    } else if (!c.in_flight) {
      SendNext(&c);
    }
  }
}

int ClientLoop::WaitMillis(int64_t now) const {
  int64_t until = std::min(options_.measure_until_ns, now + 100 * kMillis);
  if (paused_ > 0) {
    for (const Connection& c : connections_) {
      if (c.resume_ns != 0) until = std::min(until, c.resume_ns);
    }
  }
  return static_cast<int>(std::max<int64_t>(0, (until - now + kMillis - 1) / kMillis));
}

ClientStats ClientLoop::Run() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) return Fatal(std::string("epoll_create1: ") + std::strerror(errno)), stats_;
  for (Connection& c : connections_) {
    if (!Connect(&c)) {
      Fatal("cannot connect to the server: " + std::string(std::strerror(errno)));
      return stats_;
    }
  }
  for (Connection& c : connections_) SendNext(&c);
  std::vector<epoll_event> events(std::max<size_t>(connections_.size(), 16));
  int64_t now = MonotonicNanos();
  while (now < options_.measure_until_ns && !abort_->load(std::memory_order_relaxed)) {
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), WaitMillis(now));
    if (n < 0 && errno != EINTR)
      return Fatal(std::string("epoll_wait: ") + strerror(errno)), stats_;
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Connection*>(events[i].data.ptr);
      if (c->fd < 0) continue;
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) OnReadable(c);
      if (c->fd >= 0 && (events[i].events & EPOLLOUT) && c->in_flight) Flush(c);
    }
    now = MonotonicNanos();
    ResumeDue(now);
  }
  return stats_;
}

}  // namespace

void ClientStats::Merge(const ClientStats& other) {
  events += other.events;
  requests += other.requests;
  sent_events += other.sent_events;
  for (const auto& [key, n] : other.errors) errors[key] += n;
  for (const auto& [key, body] : other.first_error_body) first_error_body.try_emplace(key, body);
  latency.Merge(other.latency);
  if (fatal.empty()) fatal = other.fatal;
}

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

ClientStats RunClientThread(const ClientOptions& options, std::atomic<bool>* abort) {
  auto loop = std::make_unique<ClientLoop>(options, abort);  // ~2 KiB of histogram and more
  return loop->Run();
}

}  // namespace eventlake::bench
