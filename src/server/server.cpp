// Wiring of the server: order of start and, more delicately, of stop. The
// HTTP server stops first (no new requests; appends in flight get their
// answers), then the self-running sources, then the pipelines (their sinks
// write out what they buffered), then the lake's loaders (each commits what
// it buffered), then the log closes (its writer threads may still run
// append callbacks, which hand responses to the stopped HTTP server and are dropped), and only then
// are the HTTP server's io contexts destroyed.
#include "server/server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "core/file.h"
#include "core/logging.h"
#include "server/scheduled_query.h"

namespace eventlake::server {

Status CheckListeners(const ServerOptions& options, bool access_control) {
  for (const std::string* address : {&options.listen, &options.pg_listen}) {
    EL_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(*address));
    if (!access_control && !IsLoopbackHost(host_port.first)) {
      return FailedPrecondition("refusing to listen on " + *address +
                                " without API keys: anyone who reaches it could write and read "
                                "everything. Configure security.api_keys (docs/security.md) or "
                                "use a loopback address");
    }
  }
  return Status::Ok();
}

Server::Server(Config config)
    : config_(std::move(config)),
      metrics_(std::make_unique<MetricsRegistry>()),
      ids_(std::make_unique<IdGenerator>(SystemClock())) {}

Server::~Server() {
  Stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<Server>> Server::Start(Config config) {
  EL_RETURN_IF_ERROR(ValidateConfig(config));
  EL_RETURN_IF_ERROR(CheckListeners(config.server, !config.security.api_keys.empty()));
  LogLevel level;
  if (!ParseLogLevel(config.server.log_level, &level)) {
    return Err(
        InvalidArgument("server.log_level: unknown level '" + config.server.log_level + "'"));
  }
  SetLogLevel(level);
  std::unique_ptr<Server> server(new Server(std::move(config)));
  EL_ASSIGN_OR_RETURN(server->access_, security::AccessControl::Create(server->config_.security));
  EL_RETURN_IF_ERROR(server->Open());
  return server;
}

Status Server::Open() {
  const std::string& data_dir = config_.server.data_dir;
  EL_RETURN_IF_ERROR(CreateDirectories(data_dir));
  std::string lock_path = data_dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return ErrnoError("opening " + lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("data directory " + data_dir +
                              " is in use by another eventlake process");
  }
  log::LogOptions log_options;
  log_options.dir = data_dir + "/log";
  log_options.metrics = metrics_.get();
  EL_ASSIGN_OR_RETURN(log_, log::Log::Open(log_options));
  for (const log::StreamOptions& stream : config_.streams) {
    auto ensured = log_->EnsureStream(stream);
    if (!ensured) return ensured.error().WithContext("stream " + stream.name);
  }
  log_->StartMaintenance();
  EL_ASSIGN_OR_RETURN(
      sources_,
      SourceSet::Open(config_, {.log = log_.get(), .metrics = metrics_.get(), .ids = ids_.get()}));

  EL_ASSIGN_OR_RETURN(lake_, lake::Lake::Open({.root = data_dir + "/lake",
                                               .storage = config_.storage,
                                               .staging_dir = data_dir + "/lake-staging",
                                               .tables = config_.tables,
                                               .loaders = config_.loaders,
                                               .raw = config_.raw,
                                               .log = log_.get(),
                                               .metrics = metrics_.get()}));
  EL_ASSIGN_OR_RETURN(pipelines_, PipelineSet::Open(config_.pipelines, {.log = log_.get(),
                                                                        .lake = lake_.get(),
                                                                        .metrics = metrics_.get(),
                                                                        .state_dir = data_dir + "/state/pipelines",
                                                                        .cache_dir = data_dir + "/query-cache",
                                                                        .query = [this](const std::string& sql) {
                                                                          return ScheduledQuery(sql);
                                                                        }}));

  auto query = query::QueryEngine::Open(
      {.lake = lake_.get(),
       .access = access_->enabled() ? access_.get() : nullptr,
       .metrics = metrics_.get(),
       .threads = static_cast<int>(config_.query.threads),
       .memory_limit = config_.query.memory_limit,
       .max_query_memory = config_.query.max_query_memory,
       .temp_directory = data_dir + "/query-tmp",
       .cache_directory = data_dir + "/query-cache",
       .cache_max_bytes = config_.query.cache_max_bytes,
       .results_directory = data_dir + "/query-results",
       .workers = config_.query.workers,
       .max_queued = config_.query.max_queued,
       .timeout = config_.query.timeout,
       .max_result_rows = config_.query.max_result_rows,
       .max_result_bytes = config_.query.max_result_bytes});
  if (query.has_value()) {
    query_ = std::move(*query);
    api_.query = query_.get();
    EL_ASSIGN_OR_RETURN(pg_, query::PgServer::Start({.listen = config_.server.pg_listen,
                                                      .engine = query_.get(),
                                                      .access = access_.get(),
                                                      .metrics = metrics_.get(),
                                                      .tls_cert_file = config_.server.pg_tls_cert,
                                                      .tls_key_file = config_.server.pg_tls_key}));
  } else if (query.error().code() == StatusCode::kFailedPrecondition) {
    LogWarn("server", "no SQL queries", {{"reason", query.error().message()}});
    api_.query_unavailable = query.error();
  } else {
    return query.error().WithContext("query engine");
  }
  api_.log = log_.get();
  api_.lake = lake_.get();
  api_.metrics = metrics_.get();
  api_.config = &config_;
  api_.ids = ids_.get();
  api_.sources = sources_.get();
  api_.pipelines = pipelines_.get();
  router_ = std::make_unique<Router>(metrics_.get(), access_.get());
  RegisterApi(*router_, api_);

  HttpServerOptions http;
  http.listen = config_.server.listen;
  http.threads = IoThreads(config_.server);
  http.max_body_bytes = config_.server.max_body_bytes;
  http.body_slack_bytes = ingest::kJsonPadding;
  http.idle_timeout = config_.server.idle_timeout;
  http.max_connections = config_.server.max_connections;
  http.metrics = metrics_.get();
  Router* router = router_.get();
  EL_ASSIGN_OR_RETURN(http_, HttpServer::Start(http, [router](HttpRequest r, Responder respond) {
                        router->Handle(std::move(r), std::move(respond));
                      }));
  EL_RETURN_IF_ERROR(sources_->StartSources());
  EL_RETURN_IF_ERROR(lake_->Start());
  EL_RETURN_IF_ERROR(pipelines_->Start());
  LogInfo("server", "eventlake serving",
          {{"http", http_->address()},
           {"data_dir", data_dir},
           {"streams", static_cast<uint64_t>(log_->Streams().size())},
           {"access_control", access_->enabled() ? "on" : "off (loopback only)"}});
  return Status::Ok();
}

Result<std::vector<std::string>> Server::ScheduledQuery(const std::string& sql) {
  if (query_ == nullptr) return Err(Unavailable("no SQL queries: the query engine did not start"));
  return RunScheduledQuery(*query_, sql);
}

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->Stop();
  if (sources_) sources_->StopSources();
  // Before the query engine: a scheduled pipeline's run may be querying.
  if (pipelines_) pipelines_->Stop();  // table sinks commit what they buffered
  if (pg_) pg_->Stop();
  pg_.reset();
  query_.reset();  // running queries are interrupted; queued ones answer 503
  if (lake_) lake_->Stop();  // loaders commit what they buffered while the log is open
  pipelines_.reset();
  lake_.reset();
  log_.reset();      // flushes; late append callbacks find the HTTP server stopped
  sources_.reset();  // after the log: late callbacks end in the sinks and dedup windows
  http_.reset();     // now no Responder is left anywhere
  LogInfo("server", "eventlake stopped");
}

Status RunServerUntilSignal(Config config) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  EL_ASSIGN_OR_RETURN(std::unique_ptr<Server> server, Server::Start(std::move(config)));
  int received = 0;
  sigwait(&signals, &received);
  LogInfo("server", "stopping", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  server->Stop();
  return Status::Ok();
}

}  // namespace eventlake::server
