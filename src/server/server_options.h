// The `server:` section of eventlake.yaml: where eventlake listens, where it
// keeps its data, and the limits of its HTTP server.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/config_table.h"

namespace eventlake::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::string pg_listen = "127.0.0.1:5433";
  std::string pg_tls_cert;  // PEM certificate chain: TLS on pg_listen
  std::string pg_tls_key;   // its PEM private key
  uint32_t threads = 0;  // io threads; 0: one per core
  std::string log_level = "info";
  uint64_t max_body_bytes = 16ull << 20;
  std::chrono::milliseconds idle_timeout{60'000};
  uint64_t max_connections = 10'000;
};

// The option table (parsing, bounds and the reference) of ServerOptions.
const config::Table<ServerOptions>& ServerOptionsTable();

// The number of io threads `options` asks for (threads, or the core count).
unsigned IoThreads(const ServerOptions& options);

}  // namespace eventlake::server
