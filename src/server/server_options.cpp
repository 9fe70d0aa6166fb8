// The server option table.
#include "server/server_options.h"

#include <thread>

#include "server/http_server.h"

namespace eventlake::server {
namespace {

Status CheckAddress(std::string_view key, const std::string& address) {
  auto split = SplitHostPort(address);
  if (!split) return split.error().WithContext(key);
  return Status::Ok();
}

Status ValidateServerOptions(const ServerOptions& options) {
  EL_RETURN_IF_ERROR(CheckAddress("listen", options.listen));
  EL_RETURN_IF_ERROR(CheckAddress("pg_listen", options.pg_listen));
  if (options.data_dir.empty()) return InvalidArgument("data_dir: must not be empty");
  if (options.pg_tls_cert.empty() != options.pg_tls_key.empty()) {
    return InvalidArgument("pg_tls_cert and pg_tls_key: set both or neither");
  }
  return Status::Ok();
}

}  // namespace

const config::Table<ServerOptions>& ServerOptionsTable() {
  static const auto& table =
      (new config::Table<ServerOptions>("server", "Where eventlake listens and keeps its data."))
          ->Field("listen", &ServerOptions::listen,
                  "host:port of the HTTP API (IPv6 as `[::1]:8080`). Any address other than "
                  "loopback is refused until API keys exist.")
          .Field("data_dir", &ServerOptions::data_dir,
                 "Directory of all stored data (the log under `log/`).")
          .Field("pg_listen", &ServerOptions::pg_listen,
                 "host:port of the Postgres wire protocol. Loopback only, as `listen`.")
          .Field("pg_tls_cert", &ServerOptions::pg_tls_cert,
                 "PEM certificate chain for TLS on `pg_listen` (clients' `sslmode=require`); with "
                 "`pg_tls_key`. Without it, SSLRequest is declined.")
          .Field("pg_tls_key", &ServerOptions::pg_tls_key, "PEM private key of `pg_tls_cert`.")
          .Field("threads", &ServerOptions::threads,
                 "HTTP io threads, each with its own event loop; 0 means one per core.",
                 {.max = 1024})
          .Field("log_level", &ServerOptions::log_level, "Least severe log level written.",
                 {.choices = {"debug", "info", "warn", "error"}})
          .Field("max_body_bytes", &ServerOptions::max_body_bytes,
                 "Largest request body; larger ones are answered 413.",
                 {.min = 1024, .max = 1ull << 30, .bytes = true})
          .Field("idle_timeout", &ServerOptions::idle_timeout,
                 "Connections waiting on the client for longer are closed.", {.min = 100})
          .Field("max_connections", &ServerOptions::max_connections,
                 "Open connections beyond this are answered 503 and closed.", {.min = 1})
          .Check(&ValidateServerOptions);
  return table;
}

unsigned IoThreads(const ServerOptions& options) {
  if (options.threads > 0) return options.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace eventlake::server
