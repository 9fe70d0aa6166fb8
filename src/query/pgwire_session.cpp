// PgSession: startup, authentication, the simple and extended protocols.
#include "query/pgwire_session.h"

#include <algorithm>
#include <array>

#include "core/ascii_case.h"
#include "query/result_format.h"

namespace eventlake::query {
namespace {

constexpr size_t kMaxStatements = 1024;  // prepared statements and portals per session


// The statement's words, upper-cased, up to `n` of them.
std::vector<std::string> Words(std::string_view sql, size_t n) {
  std::vector<std::string> words;
  size_t i = 0;
  while (words.size() < n && i < sql.size()) {
    while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
    size_t start = i;
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) ++i;
    if (i == start) break;
    words.push_back(AsciiUpper(sql.substr(start, i - start)));
  }
  return words;
}

// The command tag of a statement answered here, or "".
std::string UtilityTag(std::string_view sql) {
  const std::vector<std::string> w = Words(sql, 2);
  if (w.empty()) return "";
  const std::string& first = w[0];
  if (first == "BEGIN" || first == "START") return "BEGIN";
  if (first == "COMMIT" || first == "END") return "COMMIT";
  if (first == "ROLLBACK" || first == "ABORT") return "ROLLBACK";
  if (first == "SET") return "SET";
  if (first == "RESET") return "RESET";
  if (first == "SHOW") return "SHOW";
  if (first == "DISCARD") return "DISCARD ALL";
  if (first == "DEALLOCATE") return "DEALLOCATE";
  if (first == "SAVEPOINT") return "SAVEPOINT";
  if (first == "RELEASE") return "RELEASE";
  return "";
}

const std::vector<std::pair<std::string, std::string>>& ServerParameters() {
  static const std::vector<std::pair<std::string, std::string>> kParameters = {
      {"server_version", "16.0 (eventlake)"},
      {"server_encoding", "UTF8"},
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"},
      {"IntervalStyle", "postgres"},
      {"TimeZone", "UTC"},
      {"integer_datetimes", "on"},
      {"standard_conforming_strings", "on"},
      {"is_superuser", "off"},
      {"default_transaction_read_only", "on"},
      {"in_hot_standby", "off"},
  };
  return kParameters;
}

// SQLSTATE of a failed Status (and of DuckDB's messages where they tell more).
std::string_view SqlState(const Status& s) {
  const std::string& m = s.message();
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      if (m.starts_with("the query needs more memory")) return "53200";  // out_of_memory
      if (m.starts_with("syntax error") || m.find("Parser Error") != std::string::npos) return "42601";
      if (m.find("Referenced column") != std::string::npos) return "42703";
      if (m.find("no table named") != std::string::npos ||
          m.find("Table with name") != std::string::npos) {
        return "42P01";
      }
      if (m.find("parameter") != std::string::npos) return "08P01";
      if (m.find("Conversion Error") != std::string::npos) return "22P02";
      return "42000";
    case StatusCode::kPermissionDenied: return "42501";
    case StatusCode::kUnauthenticated: return "28P01";
    case StatusCode::kDeadlineExceeded: return "57014";
    case StatusCode::kResourceExhausted: return "53000";
    case StatusCode::kUnavailable: return "57P03";
    case StatusCode::kNotFound: return "42P01";
    case StatusCode::kFailedPrecondition:
      if (m.starts_with("cached plan must not change")) return "0A000";
      return m.starts_with("current transaction is aborted") ? "25P02" : "55000";
    default: return "XX000";
  }
}

void WriteRowDescription(PgWriter& w, std::span<const QueryColumn> columns,
                         const std::vector<int16_t>& formats) {
  w.Begin('T').Int16(static_cast<int16_t>(columns.size()));
  for (size_t i = 0; i < columns.size(); ++i) {
    const PgType t = PgTypeOf(columns[i].type);
    const int16_t format = formats.empty() ? 0 : formats.size() == 1 ? formats[0] : formats[i];
    w.CString(columns[i].name).Int32(0).Int16(0).Int32(t.oid).Int16(t.length).Int32(-1).Int16(format);
  }
  w.End();
}

// Writes the engine's rows as DataRow messages (and, when asked, the
// RowDescription first).
class DataRowSink : public RowSink {
 public:
  // `expected`: the columns a Describe announced (the rows must match them).
  DataRowSink(PgWriter& w, std::vector<int16_t> formats, bool describe,
              const std::optional<std::vector<QueryColumn>>* expected)
      : w_(w), formats_(std::move(formats)), describe_(describe), expected_(expected) {}
  Status Columns(std::span<const QueryColumn> columns) override {
    if (expected_ != nullptr && expected_->has_value()) {
      const std::vector<QueryColumn>& e = **expected_;
      bool same = e.size() == columns.size();
      for (size_t i = 0; same && i < e.size(); ++i) {
        same = e[i].name == columns[i].name && PgTypeOf(e[i].type).oid == PgTypeOf(columns[i].type).oid;
      }
      if (!same) return Status(StatusCode::kFailedPrecondition, "cached plan must not change result type");
    }
    types_.clear();
    for (const QueryColumn& c : columns) types_.push_back(PgTypeOf(c.type));
    if (formats_.size() > 1 && formats_.size() != columns.size()) {
      return InvalidArgument("Bind gave " + std::to_string(formats_.size()) + " result formats for " +
                             std::to_string(columns.size()) + " columns");
    }
    if (describe_) WriteRowDescription(w_, columns, formats_);
    return Status::Ok();
  }
  Status Row(std::string_view json_array) override {
    EL_ASSIGN_OR_RETURN(std::vector<std::string_view> values, SplitJsonArray(json_array));
    if (values.size() != types_.size()) return Internal("a row does not match its columns");
    cells_.clear();
    for (size_t i = 0; i < values.size(); ++i) {
      auto cell = Format(i) == 1 ? PgBinary(values[i], types_[i]) : PgText(values[i], types_[i]);
      if (!cell.has_value()) return cell.error();
      cells_.push_back(std::move(*cell));
    }
    w_.Begin('D').Int16(static_cast<int16_t>(cells_.size()));
    for (const auto& cell : cells_) {
      if (!cell.has_value()) {
        w_.Int32(-1);
      } else {
        w_.Int32(static_cast<int32_t>(cell->size())).Bytes(*cell);
      }
    }
    w_.End();
    return Status::Ok();
  }

 private:
  int16_t Format(size_t column) const {
    if (formats_.empty()) return 0;
    return formats_.size() == 1 ? formats_[0] : formats_[column];
  }
  PgWriter& w_;
  std::vector<int16_t> formats_;
  bool describe_;
  const std::optional<std::vector<QueryColumn>>* expected_;
  std::vector<PgType> types_;
  std::vector<std::optional<std::string>> cells_;
};

// Collects what Describe needs.
class DescribeSink : public RowSink {
 public:
  Status Parameters(std::span<const std::string> types) override {
    parameters.assign(types.begin(), types.end());
    return Status::Ok();
  }
  Status Columns(std::span<const QueryColumn> c) override {
    columns.assign(c.begin(), c.end());
    return Status::Ok();
  }
  Status Row(std::string_view) override { return Status::Ok(); }
  std::vector<std::string> parameters;
  std::vector<QueryColumn> columns;
};


}  // namespace

std::string PgQueryId(int32_t process_id, int32_t secret) {
  return "pg:" + std::to_string(process_id) + ":" + std::to_string(secret);
}

bool PgSession::Feed(std::string_view bytes, std::string* out) {
  if (phase_ == Phase::kClosed) return false;
  in_.append(bytes);
  PgWriter w;
  bool open = true;
  while (open) {
    auto length = PgFrameLength(in_, phase_ == Phase::kStartup);
    if (!length.has_value()) {
      w.Error("08P01", length.error().message());
      open = false;
      break;
    }
    if (!length->has_value()) break;
    const std::string frame = in_.substr(0, **length);
    in_.erase(0, **length);
    if (phase_ == Phase::kStartup) {
      open = Startup(frame, w);
      if (start_tls_ && !in_.empty()) {
        // Bytes sent before the handshake would be taken as if they came
        // over TLS (CVE-2021-23214): refuse them.
        w.Error("08P01", "received unencrypted data after SSL request");
        open = false;
      }
      if (start_tls_) break;
    } else {
      open = Message(SplitPgMessage(frame), w);
    }
  }
  *out += w.Take();
  if (!open) phase_ = Phase::kClosed;
  return open;
}

bool PgSession::Startup(std::string_view frame, PgWriter& w) {
  auto startup = ParsePgStartup(frame);
  if (!startup.has_value()) {
    w.Error("08P01", startup.error().message());
    return false;
  }
  switch (startup->kind) {
    case PgStartup::Kind::kSslRequest:
      if (options_.tls_available && !encrypted_) {
        w.buffer() += 'S';
        start_tls_ = true;
        return true;
      }
      w.buffer() += 'N';  // not encrypted; the client goes on in the clear or gives up
      return true;
    case PgStartup::Kind::kGssEncRequest:
      w.buffer() += 'N';
      return true;
    case PgStartup::Kind::kCancel:
      if (options_.engine != nullptr) options_.engine->Cancel(PgQueryId(startup->process_id, startup->secret));
      return false;  // a cancel connection gets no answer
    case PgStartup::Kind::kStartup: break;
  }
  startup_parameters_ = std::move(startup->parameters);
  const bool trust = options_.access == nullptr || !options_.access->enabled();
  if (trust) {
    phase_ = Phase::kReady;
    w.AuthenticationOk();
    SendReady(w);
    return true;
  }
  const std::string user = StartupParameter("user");
  scram_ = options_.access->ScramCredentialOf(user);
  if (scram_ != nullptr) {
    phase_ = Phase::kSaslInitial;
    if (server_end_point_.empty()) {
      w.AuthenticationSasl(std::array{security::kScramMechanism});
    } else {
      w.AuthenticationSasl(std::array{security::kScramPlusMechanism, security::kScramMechanism});
    }
    return true;
  }
  if (!options_.peer_is_loopback && !encrypted_) {
    w.Error("28000", "the API key of user \"" + user + "\" has no scram_sha256 verifier, and a key is "
                     "taken in cleartext only over TLS or from a loopback client (docs/query.md)");
    return false;
  }
  phase_ = Phase::kPassword;
  w.AuthenticationCleartext();
  return true;
}

bool PgSession::SaslMessage(const PgMessage& m, PgWriter& w) {
  const auto failed = [&](const Status& s) {
    const std::string user = StartupParameter("user");
    const bool protocol = s.code() == StatusCode::kInvalidArgument;
    w.Error(protocol ? "08P01" : "28P01",
            protocol ? s.message() : "password authentication failed for user \"" + user + "\"");
    return false;
  };
  if (m.type != 'p') return failed(InvalidArgument("expected a SASL response"));
  if (phase_ == Phase::kSaslInitial) {
    auto initial = ParsePgSaslInitial(m.payload);
    if (!initial.has_value()) return failed(initial.error());
    const bool plus = initial->mechanism == security::kScramPlusMechanism && !server_end_point_.empty();
    if (initial->mechanism != security::kScramMechanism && !plus) {
      // The client's text is not repeated: it is outside input of any size.
      return failed(InvalidArgument(server_end_point_.empty()
                                        ? "the SASL mechanism chosen is not offered (SCRAM-SHA-256 is; "
                                          "SCRAM-SHA-256-PLUS only over TLS)"
                                        : "the SASL mechanism chosen is not offered (SCRAM-SHA-256-PLUS and "
                                          "SCRAM-SHA-256 are)"));
    }
    scram_plus_ = plus;
    scram_exchange_.emplace(scram_->verifier,
                            security::ScramChannel{.tls_server_end_point = server_end_point_, .plus = plus});
    auto first = scram_exchange_->ClientFirst(initial->data);
    if (!first.has_value()) return failed(first.error());
    phase_ = Phase::kSaslResponse;
    w.AuthenticationSaslContinue(*first);
    return true;
  }
  auto final_message = scram_exchange_->ClientFinal(m.payload);
  if (!final_message.has_value()) return failed(final_message.error());
  w.AuthenticationSaslFinal(*final_message);
  return Authenticated(scram_->principal, scram_plus_ ? options_.scram_plus_logins : options_.scram_logins, w);
}

bool PgSession::Authenticate(std::string_view password, PgWriter& w) {
  auto principal = options_.access->Authenticate("Bearer " + std::string(password));
  if (!principal.has_value()) {
    const std::string user = StartupParameter("user");
    w.Error("28P01", "password authentication failed for user \"" + user +
                         "\": the password is an API key");
    return false;
  }
  return Authenticated(std::move(*principal), options_.cleartext_logins, w);
}

bool PgSession::Authenticated(security::Principal principal, Counter* logins, PgWriter& w) {
  if (logins != nullptr) logins->Increment();
  principal_ = std::move(principal);
  phase_ = Phase::kReady;
  scram_exchange_.reset();
  w.AuthenticationOk();
  SendReady(w);
  return true;
}

std::string PgSession::StartupParameter(std::string_view name) const {
  for (const auto& [k, v] : startup_parameters_) {
    if (k == name) return v;
  }
  return "";
}

void PgSession::SendReady(PgWriter& w) {
  for (const auto& [name, value] : ServerParameters()) w.ParameterStatus(name, value);
  for (const auto& [k, v] : startup_parameters_) {
    if (k == "application_name") w.ParameterStatus(k, v);
  }
  w.ParameterStatus("session_authorization", principal_.name);
  w.BackendKeyData(options_.process_id, options_.secret);
  w.ReadyForQuery(transaction_);
}

void PgSession::Fail(const Status& status, PgWriter& w) {
  w.Error(SqlState(status), status.message(), std::exchange(error_position_, std::nullopt));
  if (transaction_ == 'T') transaction_ = 'E';
}

bool PgSession::Message(const PgMessage& m, PgWriter& w) {
  if (phase_ == Phase::kSaslInitial || phase_ == Phase::kSaslResponse) return SaslMessage(m, w);
  if (phase_ == Phase::kPassword) {
    if (m.type != 'p') {
      w.Error("08P01", "expected a password message");
      return false;
    }
    auto password = ParsePgPassword(m.payload);
    if (!password.has_value()) {
      w.Error("08P01", password.error().message());
      return false;
    }
    return Authenticate(*password, w);
  }
  if (m.type == 'X') return false;
  if (m.type == 'S') {
    skipping_to_sync_ = false;
    w.ReadyForQuery(transaction_);
    return true;
  }
  if (m.type == 'Q') {
    skipping_to_sync_ = false;
    auto text = ParsePgQuery(m.payload);
    if (!text.has_value()) {
      w.Error("08P01", text.error().message());
      return false;
    }
    SimpleQuery(*text, w);
    w.ReadyForQuery(transaction_);
    return true;
  }
  if (m.type == 'H') return true;  // Flush: everything is sent after each read anyway
  if (skipping_to_sync_) return true;
  Status s;
  switch (m.type) {
    case 'P': {
      auto p = ParsePgParse(m.payload);
      s = p.has_value() ? Parse(*p) : p.error();
      if (s.ok()) w.ParseComplete();
      break;
    }
    case 'B': {
      auto b = ParsePgBind(m.payload);
      s = b.has_value() ? Bind(*b) : b.error();
      if (s.ok()) w.BindComplete();
      break;
    }
    case 'D': {
      auto d = ParsePgDescribe(m.payload);
      s = d.has_value() ? Describe(*d, w) : d.error();
      break;
    }
    case 'E': {
      auto e = ParsePgExecute(m.payload);
      s = e.has_value() ? Execute(*e, w) : e.error();
      break;
    }
    case 'C': {
      auto c = ParsePgDescribe(m.payload);
      if (c.has_value()) {
        if (c->what == 'S') statements_.erase(c->name); else portals_.erase(c->name);
        w.CloseComplete();
      } else {
        s = c.error();
      }
      break;
    }
    default:
      w.Error("08P01", std::string("unknown message type '") + m.type + "'");
      return false;
  }
  if (!s.ok()) {
    Fail(s, w);
    skipping_to_sync_ = true;
  }
  return true;
}

void PgSession::SimpleQuery(std::string_view text, PgWriter& w) {
  const std::vector<std::string> statements = SplitSqlStatements(text);
  if (statements.empty()) {
    w.EmptyQueryResponse();
    return;
  }
  for (const std::string& sql : statements) {
    Statement statement{.sql = PgCompatibleSql(sql), .utility_tag = UtilityTag(sql)};
    Status s = Run(statement, {}, {}, /*describe=*/true, w);
    if (!s.ok()) {
      Fail(s, w);
      return;  // the rest of the message is not run
    }
  }
}

Status PgSession::Parse(const PgParse& p) {
  if (statements_.size() >= kMaxStatements && !statements_.contains(p.statement)) {
    return ResourceExhausted("too many prepared statements; Close some");
  }
  const std::vector<std::string> parts = SplitSqlStatements(p.query);
  if (parts.size() > 1) return InvalidArgument("cannot insert multiple commands into a prepared statement");
  Statement statement{.sql = parts.empty() ? "" : PgCompatibleSql(parts[0]), .parameter_types = p.parameter_types};
  statement.utility_tag = UtilityTag(statement.sql);
  statements_[p.statement] = std::move(statement);
  return Status::Ok();
}

Status PgSession::DescribeStatement(Statement& statement) {
  if (statement.columns.has_value()) return Status::Ok();
  if (!statement.utility_tag.empty() || statement.sql.empty()) {
    statement.columns.emplace();
    statement.described_parameters.emplace();
    if (statement.utility_tag == "SHOW") {
      const std::vector<std::string> w = Words(statement.sql, 2);
      const std::string name = AsciiLower(w.size() > 1 ? w[1] : "setting");
      statement.columns->push_back({name, "VARCHAR"});
    }
    return Status::Ok();
  }
  const auto now = std::chrono::steady_clock::now();
  if (auto it = described_.find(statement.sql);
      it != described_.end() && now - it->second.at < std::chrono::seconds(1)) {
    statement.columns = it->second.columns;
    statement.described_parameters = it->second.parameters;
    return Status::Ok();
  }
  DescribeSink sink;
  QueryRequest request{.sql = statement.sql,
                       .principal = principal_,
                       .describe_only = true,
                       .dialect = SqlDialect::kPostgres};
  auto outcome = options_.engine->Run(request, sink);
  if (auto* f = std::get_if<QueryFailure>(&outcome)) return f->status;
  statement.columns = sink.columns;
  std::vector<int32_t> oids;
  for (const std::string& t : sink.parameters) oids.push_back(PgParameterOid(t));
  statement.described_parameters = oids;
  if (described_.size() >= kMaxStatements) described_.clear();
  described_[statement.sql] = {std::move(oids), sink.columns, now};
  return Status::Ok();
}

Status PgSession::Bind(const PgBind& b) {
  auto it = statements_.find(b.statement);
  if (it == statements_.end()) return InvalidArgument("prepared statement \"" + b.statement + "\" does not exist");
  if (portals_.size() >= kMaxStatements && !portals_.contains(b.portal)) {
    return ResourceExhausted("too many portals; Close some");
  }
  Statement& statement = it->second;
  Portal portal{.statement = b.statement, .result_formats = b.result_formats};
  const bool need_types = std::any_of(b.parameters.begin(), b.parameters.end(), [](const auto& v) { return v.has_value(); });
  if (need_types && statement.utility_tag.empty()) EL_RETURN_IF_ERROR(DescribeStatement(statement));
  for (size_t i = 0; i < b.parameters.size(); ++i) {
    const bool binary = b.parameter_formats.empty() ? false
                        : b.parameter_formats.size() == 1 ? b.parameter_formats[0] == 1
                                                          : b.parameter_formats[i] == 1;
    int32_t oid = i < statement.parameter_types.size() ? statement.parameter_types[i] : 0;
    if ((oid == 0 || oid == kPgUnknown) && statement.described_parameters.has_value() &&
        i < statement.described_parameters->size() && !binary) {
      oid = (*statement.described_parameters)[i];
    }
    auto parameter = PgParameter(b.parameters[i], oid, binary);
    if (!parameter.has_value()) return parameter.error().WithContext("parameter $" + std::to_string(i + 1));
    portal.parameters.push_back(std::move(*parameter));
  }
  portals_[b.portal] = std::move(portal);
  return Status::Ok();
}

Status PgSession::Describe(const PgDescribe& d, PgWriter& w) {
  if (d.what == 'S') {
    auto it = statements_.find(d.name);
    if (it == statements_.end()) return InvalidArgument("prepared statement \"" + d.name + "\" does not exist");
    Statement& statement = it->second;
    EL_RETURN_IF_ERROR(DescribeStatement(statement));
    const size_t n = std::max(statement.parameter_types.size(), statement.described_parameters->size());
    w.Begin('t').Int16(static_cast<int16_t>(n));
    for (size_t i = 0; i < n; ++i) {
      int32_t oid = i < statement.parameter_types.size() ? statement.parameter_types[i] : 0;
      if (oid == 0 && i < statement.described_parameters->size()) oid = (*statement.described_parameters)[i];
      w.Int32(oid == 0 ? kPgText : oid);
    }
    w.End();
    if (statement.columns->empty()) {
      w.NoData();
    } else {
      WriteRowDescription(w, *statement.columns, {});
    }
    return Status::Ok();
  }
  auto it = portals_.find(d.name);
  if (it == portals_.end()) return InvalidArgument("portal \"" + d.name + "\" does not exist");
  auto st = statements_.find(it->second.statement);
  if (st == statements_.end()) return InvalidArgument("the portal's statement was closed");
  EL_RETURN_IF_ERROR(DescribeStatement(st->second));
  if (st->second.columns->empty()) {
    w.NoData();
  } else {
    WriteRowDescription(w, *st->second.columns, it->second.result_formats);
  }
  return Status::Ok();
}

Status PgSession::Execute(const PgExecute& e, PgWriter& w) {
  auto it = portals_.find(e.portal);
  if (it == portals_.end()) return InvalidArgument("portal \"" + e.portal + "\" does not exist");
  auto st = statements_.find(it->second.statement);
  if (st == statements_.end()) return InvalidArgument("the portal's statement was closed");
  if (st->second.sql.empty()) {
    w.EmptyQueryResponse();
    return Status::Ok();
  }
  return Run(st->second, it->second.parameters, it->second.result_formats, /*describe=*/false, w);
}

Status PgSession::RunUtility(const Statement& statement, bool describe, PgWriter& w) {
  const std::string& tag = statement.utility_tag;
  if (tag == "BEGIN") {
    transaction_ = 'T';
  } else if (tag == "COMMIT" || tag == "ROLLBACK") {
    transaction_ = 'I';
  } else if (tag == "SET" || tag == "RESET") {
    // Session settings are accepted and remembered (SHOW reads them back);
    // queries do not depend on them.
    const std::vector<std::string> words = Words(statement.sql, 3);
    const size_t eq = statement.sql.find_first_of("=");
    if (words.size() >= 2 && tag == "SET") {
      const bool session_word = words[1] == "SESSION" || words[1] == "LOCAL";
      std::string name = words.size() > 2 && session_word ? words[2] : words[1];
      std::string value;
      const size_t to = AsciiUpper(statement.sql).find(" TO ");
      const size_t at = eq != std::string::npos ? eq + 1 : to != std::string::npos ? to + 4 : std::string::npos;
      if (at != std::string::npos) value = statement.sql.substr(at);
      value.erase(0, value.find_first_not_of(" \t'"));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\'' || value.back() == '\t')) value.pop_back();
      settings_[AsciiLower(name)] = value;
    }
  } else if (tag == "SHOW") {
    const std::vector<std::string> words = Words(statement.sql, 2);
    if (words.size() < 2) return InvalidArgument("SHOW needs a setting name");
    const std::string name = AsciiLower(words[1]);
    std::optional<std::string> value;
    if (auto s = settings_.find(name); s != settings_.end()) value = s->second;
    for (const auto& [k, v] : ServerParameters()) {
      if (!value && AsciiLower(k) == name) value = v;
    }
    if (!value && name == "transaction_isolation") value = "read committed";
    if (!value && name == "max_identifier_length") value = "63";
    if (!value) return InvalidArgument("unrecognized configuration parameter \"" + name + "\"");
    if (describe) WriteRowDescription(w, std::vector<QueryColumn>{{name, "VARCHAR"}}, {});
    w.Begin('D').Int16(1).Int32(static_cast<int32_t>(value->size())).Bytes(*value).End();
    w.CommandComplete("SHOW");
    return Status::Ok();
  }
  w.CommandComplete(tag);
  return Status::Ok();
}

Status PgSession::Run(const Statement& statement, const std::vector<QueryParameter>& parameters,
                      const std::vector<int16_t>& formats, bool describe, PgWriter& w) {
  if (transaction_ == 'E' && statement.utility_tag != "ROLLBACK" && statement.utility_tag != "COMMIT") {
    return Status(StatusCode::kFailedPrecondition,
                  "current transaction is aborted, commands ignored until end of transaction block");
  }
  if (!statement.utility_tag.empty()) return RunUtility(statement, describe, w);
  const size_t mark = w.buffer().size();
  DataRowSink sink(w, formats, describe, describe ? nullptr : &statement.columns);
  QueryRequest request{.sql = statement.sql,
                       .parameters = parameters,
                       .principal = principal_,
                       .id = PgQueryId(options_.process_id, options_.secret),
                       .dialect = SqlDialect::kPostgres};
  auto outcome = options_.engine->Run(request, sink);
  if (auto* f = std::get_if<QueryFailure>(&outcome)) {
    w.buffer().resize(mark);  // no half result before the error
    error_position_ = f->position;
    if (f->status.message().starts_with("cached plan must not change")) {
      described_.erase(statement.sql);  // the table changed: the next Describe plans again
    }
    return f->status;
  }
  const QueryStats& stats = std::get<QueryStats>(outcome);
  if (stats.truncated) {
    w.Error("01000", "the result was cut at " + std::to_string(stats.rows) +
                         " rows by the server's limits (query.max_result_rows, query.max_result_bytes)",
            std::nullopt, /*notice=*/true);
  }
  w.CommandComplete("SELECT " + std::to_string(stats.rows));
  return Status::Ok();
}

}  // namespace eventlake::query
