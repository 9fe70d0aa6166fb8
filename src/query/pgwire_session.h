// PgSession: one Postgres client connection, as a state machine over bytes
// (no I/O: pgwire_server.h reads and writes the socket). It speaks protocol
// 3.0 as psql, psycopg, the JDBC driver and node's pg expect:
//
//   - startup: SSLRequest is accepted ('S') when the server has TLS set up
//     (the server then runs the handshake: StartTls), else declined ('N');
//     GSSENCRequest is declined. With access control off the client is
//     trusted. With API keys the user names a key and the password is the
//     key: by SCRAM-SHA-256 when the key has a verifier (scram_sha256),
//     else in cleartext, and cleartext only over TLS or from a loopback
//     peer. Over TLS SCRAM-SHA-256-PLUS is offered first (bound to the
//     server's certificate, security/scram.h), as Postgres does;
//   - the simple query protocol, several statements per message;
//   - the extended protocol: Parse, Bind, Describe, Execute, Sync, Flush,
//     Close, named and unnamed statements and portals, parameter types,
//     text and (for the basic types) binary formats;
//   - BEGIN/COMMIT/ROLLBACK, SET, RESET, SHOW, DISCARD, DEALLOCATE answered
//     here (queries are read-only; a transaction only tracks its status);
//   - ReadyForQuery with the transaction status (I, T, E), errors with
//     SQLSTATE codes, skipping to Sync after an error in the extended
//     protocol.
// SQL goes to the QueryEngine, under the principal the key names, with the
// Postgres-only spellings psql writes made DuckDB's (sql_text.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "query/pgwire_messages.h"
#include "query/pgwire_types.h"
#include "query/query_engine.h"
#include "query/sql_text.h"
#include "security/access_control.h"
#include "security/scram.h"

namespace eventlake::query {

struct PgSessionOptions {
  QueryEngine* engine = nullptr;
  const security::AccessControl* access = nullptr;  // null or disabled: trust
  bool peer_is_loopback = false;
  bool tls_available = false;  // the server can answer an SSLRequest with a handshake
  Counter* scram_logins = nullptr;      // optional: logins by SCRAM-SHA-256
  Counter* scram_plus_logins = nullptr; // optional: logins by SCRAM-SHA-256-PLUS
  Counter* cleartext_logins = nullptr;  // optional: logins by a cleartext key
  int32_t process_id = 0;  // BackendKeyData, for CancelRequest
  int32_t secret = 0;
};

// The engine's query id of a session's running query (what a CancelRequest
// with the same process id and secret cancels).
std::string PgQueryId(int32_t process_id, int32_t secret);

class PgSession {
 public:
  explicit PgSession(PgSessionOptions options) : options_(options) {}

  // Consumes bytes from the client and appends what to answer to `out`.
  // False when the connection is to be closed once `out` is sent.
  bool Feed(std::string_view bytes, std::string* out);
  // True once when the client asked for TLS and was answered 'S': the
  // server sends `out`, runs the TLS handshake, then calls Encrypted() with
  // the TLS context's server_end_point() (pgwire_tls.h; "" offers no
  // SCRAM-SHA-256-PLUS).
  bool StartTls() { return std::exchange(start_tls_, false); }
  void Encrypted(std::string server_end_point) {
    encrypted_ = true;
    server_end_point_ = std::move(server_end_point);
  }

 private:
  struct Statement {
    std::string sql;
    std::vector<int32_t> parameter_types;  // as the client declared them (0 = unknown)
    std::optional<std::vector<int32_t>> described_parameters;
    std::optional<std::vector<QueryColumn>> columns;  // described
    std::string utility_tag;  // not empty: BEGIN, SET, ... answered here
  };
  struct Portal {
    std::string statement;
    std::vector<QueryParameter> parameters;
    std::vector<int16_t> result_formats;
  };

  bool Startup(std::string_view frame, PgWriter& w);
  bool Authenticate(std::string_view password, PgWriter& w);
  bool Authenticated(security::Principal principal, Counter* logins, PgWriter& w);
  bool SaslMessage(const PgMessage& m, PgWriter& w);
  void SendReady(PgWriter& w);
  std::string StartupParameter(std::string_view name) const;  // "" when not sent
  bool Message(const PgMessage& m, PgWriter& w);

  void SimpleQuery(std::string_view text, PgWriter& w);
  Status Parse(const PgParse& p);
  Status Bind(const PgBind& b);
  Status Describe(const PgDescribe& d, PgWriter& w);
  Status Execute(const PgExecute& e, PgWriter& w);

  // Runs one statement: utility statements here, the rest in the engine.
  // `describe`: send RowDescription first (simple protocol).
  Status Run(const Statement& statement, const std::vector<QueryParameter>& parameters,
             const std::vector<int16_t>& formats, bool describe, PgWriter& w);
  Status RunUtility(const Statement& statement, bool describe, PgWriter& w);
  Status DescribeStatement(Statement& statement);
  // ErrorResponse for `status` (with the position of the last engine
  // error, if it had one); a transaction block becomes failed.
  void Fail(const Status& status, PgWriter& w);

  PgSessionOptions options_;
  std::string in_;
  enum class Phase { kStartup, kPassword, kSaslInitial, kSaslResponse, kReady, kClosed } phase_ = Phase::kStartup;
  bool start_tls_ = false;
  bool encrypted_ = false;
  std::string server_end_point_;  // tls-server-end-point; not empty: -PLUS is offered
  const security::Authenticator::ScramCredential* scram_ = nullptr;  // the key's, while in kSasl*
  std::optional<security::ScramServer> scram_exchange_;
  bool scram_plus_ = false;  // the client chose SCRAM-SHA-256-PLUS
  std::vector<std::pair<std::string, std::string>> startup_parameters_;
  security::Principal principal_ = security::AnonymousPrincipal();
  std::map<std::string, Statement> statements_;
  std::map<std::string, Portal> portals_;
  std::map<std::string, std::string> settings_;  // SET name = value
  // What Describe learnt per SQL text, for a second, so that a client that
  // describes the same unnamed statement before each execution (psycopg,
  // JDBC) does not have it planned twice each time. Execute checks that the
  // columns still match (0A000, as PostgreSQL, when a table changed between).
  struct Described {
    std::vector<int32_t> parameters;
    std::vector<QueryColumn> columns;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Described> described_;
  char transaction_ = 'I';                        // I, T, E
  bool skipping_to_sync_ = false;
  std::optional<size_t> error_position_;          // of the last failed query, for Fail
};

}  // namespace eventlake::query
