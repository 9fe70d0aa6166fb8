// Test-only: an HTTP/1.1 server on a loopback port, for the http step and
// the webhook sink: one request per connection, or with keep_alive every
// request a client sends on one (it counts the connections). It gives its
// answers in order (the last one again for every request after) and keeps
// every request's bytes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace eventlake::pipeline::testing_util {

struct FakeAnswer {
  int status = 200;
  std::string body;
};

class FakeServer {
 public:
  FakeServer(int status, std::string body, std::chrono::milliseconds delay = {})
      : FakeServer(std::vector<FakeAnswer>{{status, std::move(body)}}, delay) {}
  explicit FakeServer(std::vector<FakeAnswer> answers, std::chrono::milliseconds delay = {},
                      bool keep_alive = false)
      : answers_(std::move(answers)), delay_(delay), keep_alive_(keep_alive) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string url(std::string_view host = "127.0.0.1") const {
    return "http://" + std::string(host) + ":" + std::to_string(port_) + "/hook";
  }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return requests_.empty() ? std::string() : requests_.back();
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int connections() const { return connections_; }

  // The body of a raw request.
  static std::string BodyOf(const std::string& request) {
    size_t end = request.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : request.substr(end + 4);
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      while (ServeOne(c) && keep_alive_) {
      }
      ::close(c);
    }
  }

  // One request of connection `c` answered; false when the client went away.
  bool ServeOne(int c) {
    std::string request;
    char buf[65536];
    size_t need = std::string::npos;
    while (request.size() < need) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      request.append(buf, static_cast<size_t>(n));
      size_t end = request.find("\r\n\r\n");
      if (end != std::string::npos && need == std::string::npos) {
        size_t cl = request.find("Content-Length: ");
        need = end + 4 + (cl != std::string::npos ? std::stoul(request.substr(cl + 16)) : 0);
      }
    }
    FakeAnswer answer;
    {
      std::lock_guard lock(mu_);
      answer = answers_[std::min(requests_.size(), answers_.size() - 1)];
      requests_.push_back(request);
    }
    std::this_thread::sleep_for(delay_);
    std::string text = "HTTP/1.1 " + std::to_string(answer.status) +
                       " X\r\nContent-Length: " + std::to_string(answer.body.size()) +
                       (keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n") + answer.body;
    ::send(c, text.data(), text.size(), MSG_NOSIGNAL);
    return true;
  }

  const std::vector<FakeAnswer> answers_;
  std::chrono::milliseconds delay_;
  bool keep_alive_;
  std::atomic<int> connections_{0};
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace eventlake::pipeline::testing_util
