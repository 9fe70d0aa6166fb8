// The eventlake server: reads the config, opens the log under
// <data_dir>/log, makes sure every configured stream exists, opens the lake
// under <data_dir>/lake with its loaders, runs the pipelines, and serves the
// HTTP API until told to stop.
//
// Without API keys (security.api_keys) access control is off, so a server
// refuses to start when any listener (listen, pg_listen) is not a loopback
// address. The data directory is locked (flock on <data_dir>/LOCK) so that
// two servers never share it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/id.h"
#include "core/metrics.h"
#include "core/status.h"
#include "lake/lake.h"
#include "log/log.h"
#include "query/pgwire_server.h"
#include "security/access_control.h"
#include "server/api.h"
#include "server/config.h"
#include "server/http_server.h"
#include "server/pipeline_set.h"
#include "server/router.h"
#include "server/source_set.h"

namespace eventlake::server {

class Server {
 public:
  // Starts everything; the HTTP API is served on return.
  static Result<std::unique_ptr<Server>> Start(Config config);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound HTTP address ("127.0.0.1:8080").
  const std::string& http_address() const { return http_->address(); }
  log::Log& log() { return *log_; }
  MetricsRegistry& metrics() { return *metrics_; }

  // Graceful stop: stops accepting, lets requests in flight finish (appends
  // get their answers), closes connections, then closes the log. Idempotent.
  void Stop();

 private:
  explicit Server(Config config);
  Status Open();
  // A scheduled pipeline's query (scheduled_query.h); Unavailable without
  // a query engine.
  Result<std::vector<std::string>> ScheduledQuery(const std::string& sql);

  Config config_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<IdGenerator> ids_;
  int lock_fd_ = -1;
  std::unique_ptr<security::AccessControl> access_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<SourceSet> sources_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<PipelineSet> pipelines_;
  std::unique_ptr<query::QueryEngine> query_;
  std::unique_ptr<query::PgServer> pg_;
  ApiContext api_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> http_;
  bool stopped_ = false;
};

// Refuses non-loopback listeners unless access control is on (API keys configured).
Status CheckListeners(const ServerOptions& options, bool access_control);

// Blocks SIGINT and SIGTERM (before any thread starts, so every thread
// inherits the mask), starts the server, waits for one of them, then stops
// gracefully. Returns the start error, if any.
Status RunServerUntilSignal(Config config);

}  // namespace eventlake::server
