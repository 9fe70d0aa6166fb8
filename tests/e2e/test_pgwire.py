"""The Postgres wire protocol end to end (issue 5): psql, psycopg 3, the
PostgreSQL JDBC driver and node's `pg` connect to eventlake's pg_listen port,
list the lake's tables, run parameterised queries and read every column
type; errors carry SQLSTATE codes; transactions report their status; a
running query can be cancelled; with API keys the password is a key and
the caller's policies decide which tables it reads."""

import base64
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time

import psycopg
import pytest

from ingest_support import key_sha256, make_api_key
from lake_support import FAST, event, send_batch, wait_for_rows

REPO = pathlib.Path(__file__).resolve().parents[2]
CLIENTS = pathlib.Path(__file__).resolve().parent / "clients"
JDBC_JAR = "/usr/share/java/postgresql.jar"
NODE_PATH = REPO / "third_party" / "node" / "node_modules"


def conninfo(srv, user="analyst", password="", extra=""):
    return f"host=127.0.0.1 port={srv.pg_port} user={user} dbname=lake {extra} password='{password}'"


@pytest.fixture
def loaded(server):
    srv = server(config=FAST)
    send_batch(srv, [event(i, text=f"héllo {i}, \"q\"", n=i, big=2**62 + i, ratio=i / 4,
                           ok=i % 2 == 0, tags=["a", i]) for i in range(6)])
    wait_for_rows(srv, "curated.events", 6)
    return srv


def psql(srv, *args, input=None, env=None, user="analyst"):
    out = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(srv.pg_port), "-U", user,
                          "-d", "lake", "-At", "-v", "ON_ERROR_STOP=1", *args],
                         input=input, capture_output=True, text=True, timeout=60,
                         env={**os.environ, **(env or {})})
    return out


def test_psql_lists_tables_runs_parameters_and_several_statements(loaded):
    out = psql(loaded, "-c", "SELECT table_schema || '.' || table_name FROM information_schema.tables")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["curated.events"]
    out = psql(loaded, "-v", "min=3", input="SELECT count(*) FROM curated.events WHERE n >= :min;\n")
    assert out.stdout.strip() == "3", out.stderr
    out = psql(loaded, "-c", "SELECT 1 AS a; SELECT 'two' AS b")
    assert out.stdout.split() == ["1", "two"], out.stderr
    out = psql(loaded, "-F", "|", "-c",
               "SELECT id, n, big, ratio, ok, dt, time, text FROM curated.events WHERE n = 1")
    assert out.stdout.strip() == ("ev-1|1|4611686018427387905|0.25|f|2026-11-21|"
                                  "2026-11-21 10:01:00.123456+00|héllo 1, \"q\""), out.stderr
    out = psql(loaded, "-c", "SELECT * FROM read_text('/etc/passwd')")
    assert out.returncode != 0 and "may not call the table function read_text" in out.stderr
    out = psql(loaded, "-c", "SELECT * FORM curated.events")
    assert out.returncode != 0 and "syntax error" in out.stderr and "LINE 1" in out.stderr


def test_psycopg_reads_every_column_type_with_parameters(loaded):
    with psycopg.connect(conninfo(loaded)) as conn:
        tables = conn.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        assert tables == [("curated", "events")]
        columns = conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_name = %s ORDER BY ordinal_position", ("events",)).fetchall()
        assert ("n", "BIGINT") in columns and ("dt", "DATE") in columns
        cur = conn.execute("SELECT id, n, big, ratio, ok, dt, time, text, tags FROM curated.events "
                           "WHERE n >= %s AND ok = %s ORDER BY id", (2, True))
        rows = cur.fetchall()
        assert [r[0] for r in rows] == ["ev-2", "ev-4"]
        r = rows[0]
        assert r[1] == 2 and r[2] == 2**62 + 2 and r[3] == 0.5 and r[4] is True
        assert r[5] == datetime.date(2026, 11, 22)
        assert r[6] == datetime.datetime(2026, 11, 22, 10, 2, 0, 123456, tzinfo=datetime.timezone.utc)
        assert r[7] == "héllo 2, \"q\"" and json.loads(r[8]) == ["a", 2]
        assert [d.type_code for d in cur.description] == [25, 20, 20, 701, 16, 1082, 1184, 25, 25]
        typed = conn.execute("SELECT 1::SMALLINT, 2::INTEGER, 1.5::FLOAT, 1.25::DECIMAL(5,2), "
                             "'ab'::BLOB, [1, 2], ['x', NULL], {'k': 1}, NULL::VARCHAR, "
                             "'1 day'::INTERVAL, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID").fetchone()
        assert typed[:5] == (1, 2, 1.5, __import__("decimal").Decimal("1.25"), b"ab")
        assert typed[5] == [1, 2] and typed[6] == ["x", None] and typed[7] == {"k": 1}
        assert typed[8] is None and typed[9] == datetime.timedelta(days=1)
        assert str(typed[10]) == "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


def test_psycopg_sees_sqlstates_and_transaction_status(loaded):
    with psycopg.connect(conninfo(loaded)) as conn:
        with pytest.raises(psycopg.errors.SyntaxError) as e:
            conn.execute("SELECT * FORM curated.events")
        assert e.value.diag.statement_position == "15"
        # The failed transaction refuses statements until ROLLBACK.
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM curated.events").fetchone() == (6,)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        conn.rollback()
        for sql, error in [("COPY (SELECT 1) TO '/tmp/eventlake-pg.csv'", psycopg.errors.InsufficientPrivilege),
                           ("SELECT * FROM '/etc/passwd'", psycopg.errors.InsufficientPrivilege),
                           ("SELECT * FROM curated.nothing", psycopg.errors.UndefinedTable),
                           ("SELECT nothing FROM curated.events", psycopg.errors.UndefinedColumn)]:
            with pytest.raises(error):
                conn.execute(sql)
            conn.rollback()
        assert not os.path.exists("/tmp/eventlake-pg.csv")
    with psycopg.connect(conninfo(loaded), autocommit=True) as conn:
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("16")
        conn.execute("SET application_name = 'tests'")
        assert conn.execute("SHOW application_name").fetchone() == ("tests",)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_running_query_is_cancelled_by_a_cancel_request(loaded):
    with psycopg.connect(conninfo(loaded), autocommit=True) as conn:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT count(*) FROM range(1000000000000)")
        timer.join()
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_jdbc_lists_tables_and_reads_every_column_type(loaded, tmp_path):
    if not shutil.which("javac") or not os.path.exists(JDBC_JAR):
        pytest.fail("javac and the PostgreSQL JDBC driver are needed (scripts/bootstrap --tests)")
    subprocess.run(["javac", "-d", str(tmp_path), str(CLIENTS / "PgTypes.java")], check=True, timeout=120)
    out = subprocess.run(["java", "-cp", f"{JDBC_JAR}:{tmp_path}", "PgTypes",
                          f"jdbc:postgresql://127.0.0.1:{loaded.pg_port}/lake", "analyst", "", "4"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "table curated.events" in lines and lines[-1] == "ok"
    assert "refused 42501" in lines
    rows = [line for line in lines if line.startswith("row\t")]
    assert len(rows) == 2
    cells = dict(cell.split("=", 1) for cell in rows[0].split("\t")[1:])
    assert cells["id:text"] == "ev-4" and cells["n:int8"] == "4"
    assert cells["ratio:float8"] == "1.0" and cells["ok:bool"] == "true"
    assert cells["big:int8"] == str(2**62 + 4)
    assert cells["dt:date"] == "2026-11-21"
    assert cells["time:timestamptz"].startswith("2026-11-21 10:04:00.123456")


def test_node_pg_lists_tables_and_reads_every_column_type(loaded):
    out = subprocess.run(["node", str(CLIENTS / "pg_types.js"), str(loaded.pg_port), "analyst", "", "5"],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "NODE_PATH": str(NODE_PATH)})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["tables"] == [{"table_schema": "curated", "table_name": "events"}]
    assert result["refused"] == "42501"
    (row,) = result["rows"]
    assert row["id"] == "ev-5" and row["n"] == "5" and row["ratio"] == 1.25 and row["ok"] is False
    assert row["time"] == "2026-11-22T10:05:00.123Z"
    types = result["types"]
    assert types["id"] == 25 and types["n"] == 20 and types["ratio"] == 701 and types["ok"] == 16
    assert types["time"] == 1184 and types["dt"] == 1082


KEYS = {name: make_api_key(name) for name in ("analyst", "nobody")}
SECURED = FAST + f"""
security:
  api_keys:
    - {{name: analyst, key_sha256: {key_sha256(KEYS["analyst"])}, policies: [read, send]}}
    - {{name: nobody, key_sha256: {key_sha256(KEYS["nobody"])}}}
  policies:
    - name: read
      statements:
        - {{effect: allow, actions: ["tables:Select"], resources: ["table/curated.*"]}}
    - name: send
      statements:
        - {{effect: allow, actions: ["events:Put", "tables:Describe"], resources: ["*"]}}
"""


def test_with_api_keys_the_password_is_a_key_and_policies_decide(server):
    srv = server(config=SECURED)
    r = srv.post("/v1/sources/events/events", json={"n": 1},
                 headers={"Authorization": f"Bearer {KEYS['analyst']}"})
    assert r.status_code == 200, r.text
    with psycopg.connect(conninfo(srv, "analyst", KEYS["analyst"]), autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while conn.execute("SELECT count(*) FROM curated.events").fetchone() != (1,):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert conn.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("events",)]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(conninfo(srv, "analyst", "el_not-a-key"))
    with psycopg.connect(conninfo(srv, "nobody", KEYS["nobody"]), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="tables:Select"):
            conn.execute("SELECT * FROM curated.events")
        # The catalog shows only what the caller may read.
        assert conn.execute("SELECT count(*) FROM information_schema.tables").fetchone() == (0,)
    out = psql(srv, "-c", "SELECT count(*) FROM curated.events", env={"PGPASSWORD": KEYS["analyst"]})
    assert out.stdout.strip() == "1", out.stderr


def test_psql_lists_tables_and_schemas_with_its_backslash_commands(loaded):
    # psql's own catalog queries: pg_class, pg_namespace, pg_am, and its
    # OPERATOR(pg_catalog.~) ... COLLATE pg_catalog.default patterns.
    for command in ["\\dt", "\\dt curated.*", "\\dt *.events"]:
        out = psql(loaded, "-c", command)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["curated|events|table|eventlake"], (command, out.stdout)
    out = psql(loaded, "-c", "\\dt analytics.*")
    assert out.returncode == 0 and out.stdout.strip() == "", out.stderr
    out = psql(loaded, "-c", "\\dn")
    assert out.stdout.split() == ["analytics|eventlake", "archive|eventlake", "curated|eventlake"], out.stderr
    out = psql(loaded, "-c", "SELECT version()")
    assert out.stdout.strip() == "PostgreSQL 16.0 (eventlake)", out.stderr
    # DuckDB's catalog functions, which would show the engine's own views, are not reachable.
    for sql in ["SELECT pg_get_viewdef(x) FROM range(100000) t(x)", "SELECT current_query()"]:
        out = psql(loaded, "-c", sql)
        assert out.returncode != 0 and "may not call" in out.stderr, (sql, out.stdout)


def test_psql_describes_a_table_with_its_columns_and_postgres_types(loaded):
    # psql's \d: pg_attribute with format_type, pg_attrdef, pg_collation,
    # pg_policy, pg_statistic_ext, pg_publication, pg_inherits, and its
    # ::pg_catalog.regtype::pg_catalog.text casts.
    for command in ["\\d curated.events", "\\d events"]:
        out = psql(loaded, "-c", command)
        assert out.returncode == 0, (command, out.stderr)
        lines = out.stdout.splitlines()
        for line in ["id|text|||", "time|timestamp with time zone|||", "n|bigint|||", "big|bigint|||",
                     "ratio|double precision|||", "ok|boolean|||", "dt|date|||"]:
            assert line in lines, (command, line, out.stdout)
    out = psql(loaded, "-c", "\\d+ curated.events")
    assert out.returncode == 0, out.stderr
    assert "n|bigint||||plain|||" in out.stdout.splitlines(), out.stdout
    # Aligned, as people read it: the title, the header, the footer.
    out = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(loaded.pg_port), "-U", "analyst",
                          "-d", "lake", "-c", "\\d curated.events"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'Table "curated.events"' in out.stdout
    header = [cell.strip() for cell in out.stdout.splitlines()[1].split("|")]
    assert header == ["Column", "Type", "Collation", "Nullable", "Default"], out.stdout
    out = psql(loaded, "-c", "\\d")  # no table: the list of relations
    assert out.stdout.split() == ["curated|events|table|eventlake"], out.stderr
    out = psql(loaded, "-c", "\\dt+")  # with pg_table_size, which the lake leaves empty
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0].startswith("curated|events|table|eventlake|permanent|heap|"), out.stdout
    out = psql(loaded, "-c", "\\d curated.nothing")
    assert out.returncode != 0 and 'Did not find any relation named "curated.nothing"' in out.stderr


DKEYS = {name: make_api_key(name) for name in ("analyst", "writer", "nobody")}
DESCRIBED = FAST + f"""
security:
  api_keys:
    - {{name: analyst, key_sha256: {key_sha256(DKEYS["analyst"])}, policies: [some-columns]}}
    - {{name: writer, key_sha256: {key_sha256(DKEYS["writer"])}, policies: [write]}}
    - {{name: nobody, key_sha256: {key_sha256(DKEYS["nobody"])}}}
  policies:
    - name: some-columns
      statements:
        - {{effect: allow, actions: ["tables:Select"], resources: ["table/curated.events"], columns: [id, n]}}
    - name: write
      statements:
        - {{effect: allow, actions: ["events:Put", "tables:*"], resources: ["*"]}}
"""


def test_psql_describes_only_the_columns_and_tables_a_policy_shows(server):
    srv = server(config=DESCRIBED)
    r = srv.post("/v1/sources/events/events", json={"n": 1, "secret": "s"},
                 headers={"Authorization": f"Bearer {DKEYS['writer']}"})
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while True:
        out = psql(srv, "-c", "\\d curated.events", env={"PGPASSWORD": DKEYS["writer"]}, user="writer")
        if "secret|" in out.stdout:
            break
        assert time.monotonic() < deadline, out.stderr
        time.sleep(0.1)
    out = psql(srv, "-c", "\\d curated.events", env={"PGPASSWORD": DKEYS["analyst"]})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["id|text|||", "n|bigint|||"], out.stdout
    out = psql(srv, "-c", "\\d+ curated.events", env={"PGPASSWORD": DKEYS["analyst"]})
    assert [line.split("|")[0] for line in out.stdout.splitlines()] == ["id", "n"], out.stdout
    out = psql(srv, "-c", "\\d curated.events", env={"PGPASSWORD": DKEYS["nobody"]}, user="nobody")
    assert out.returncode != 0 and "Did not find any relation" in out.stderr, out.stdout


def generated_key(eventlake_bin, name):
    """`eventlake keys generate`: the key, its SHA-256 and its SCRAM verifier."""
    out = subprocess.run([str(eventlake_bin), "keys", "generate", "--name", name],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    key = next(line.strip() for line in out.splitlines() if line.strip().startswith("elk_"))
    fields = dict(line.strip().split(": ", 1) for line in out.splitlines()
                  if line.strip().startswith(("key_sha256:", "scram_sha256:")))
    return key, fields["key_sha256"], fields["scram_sha256"]


def metric(srv, name, headers=None):
    text = srv.get("/metrics", headers=headers).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def scram_config(key, sha, scram, tls=None):
    """A key with a SCRAM verifier that may read and send; TLS with (cert, key)."""
    server_part = f"server:\n  pg_tls_cert: {tls[0]}\n  pg_tls_key: {tls[1]}\n" if tls else ""
    return FAST + server_part + f"""
security:
  api_keys:
    - name: analyst
      key_sha256: {sha}
      scram_sha256: "{scram}"
      policies: [read]
  policies:
    - name: read
      statements:
        - {{effect: allow, actions: ["tables:Select", "metrics:Read", "events:Put"], resources: ["*"]}}
"""


def test_scram_logs_in_with_the_key_without_sending_it(server, eventlake_bin):
    key, sha, scram = generated_key(eventlake_bin, "analyst")
    srv = server(config=scram_config(key, sha, scram))
    admin = {"Authorization": f"Bearer {key}"}
    r = srv.post("/v1/sources/events/events", json={"n": 7}, headers=admin)
    assert r.status_code == 200, r.text
    with psycopg.connect(conninfo(srv, "analyst", key), autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while conn.execute("SELECT count(*) FROM curated.events").fetchone() != (1,):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(conninfo(srv, "analyst", make_api_key("someone else")))
    out = psql(srv, "-c", "SELECT 1 + 1", env={"PGPASSWORD": key})
    assert out.stdout.strip() == "2", out.stderr
    out = subprocess.run(["node", str(CLIENTS / "pg_types.js"), str(srv.pg_port), "analyst", key, "5"],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "NODE_PATH": str(NODE_PATH)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rows"][0]["n"] == "7"
    assert metric(srv, 'eventlake_pg_logins_total{method="scram-sha-256"}', admin) == 3
    assert metric(srv, 'eventlake_pg_logins_total{method="cleartext"}', admin) == 0


def self_signed_certificate(directory):
    cert, key = directory / "pg.crt", directory / "pg.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls_on_the_postgres_port(server, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    srv = server(config=FAST + f"server:\n  pg_tls_cert: {cert}\n  pg_tls_key: {key}\n")
    with psycopg.connect(conninfo(srv, extra=f"sslmode=verify-full sslrootcert={cert}"), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT 40 + 2").fetchone() == (42,)
    out = psql(srv, "-c", "SELECT 'over tls'", env={"PGSSLMODE": "require"})
    assert out.stdout.strip() == "over tls", out.stderr
    assert metric(srv, "eventlake_pg_tls_connections_total") == 2
    # A client that does not ask for TLS still gets in (as with Postgres).
    with psycopg.connect(conninfo(srv, extra="sslmode=disable")) as conn:
        assert not conn.pgconn.ssl_in_use
    # Without a certificate, TLS is declined.
    plain = server(config=FAST)
    with pytest.raises(psycopg.OperationalError, match="SSL"):
        psycopg.connect(conninfo(plain, extra="sslmode=require"))


def test_scram_plus_binds_the_login_to_the_tls_certificate(server, eventlake_bin, tmp_path):
    key, sha, scram = generated_key(eventlake_bin, "analyst")
    cert, cert_key = self_signed_certificate(tmp_path)
    srv = server(config=scram_config(key, sha, scram, tls=(cert, cert_key)))
    admin = {"Authorization": f"Bearer {key}"}
    # libpq 15 with channel_binding=require logs in only by SCRAM-SHA-256-PLUS
    # with the certificate's hash.
    out = psql(srv, "-c", "SELECT 'bound'",
               env={"PGSSLMODE": "require", "PGCHANNELBINDING": "require", "PGPASSWORD": key})
    assert out.returncode == 0 and out.stdout.strip() == "bound", out.stderr
    with psycopg.connect(conninfo(srv, "analyst", key, extra=f"sslmode=verify-full sslrootcert={cert} "
                                  "channel_binding=require"), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT 40 + 2").fetchone() == (42,)
    assert metric(srv, 'eventlake_pg_logins_total{method="scram-sha-256-plus"}', admin) == 2
    assert metric(srv, 'eventlake_pg_logins_total{method="scram-sha-256"}', admin) == 0
    # A client that does not bind still logs in over TLS, by SCRAM-SHA-256.
    with psycopg.connect(conninfo(srv, "analyst", key, extra="sslmode=require channel_binding=disable")):
        pass
    assert metric(srv, 'eventlake_pg_logins_total{method="scram-sha-256"}', admin) == 1
    # Without TLS there is nothing to bind to: libpq refuses to go on.
    with pytest.raises(psycopg.OperationalError, match="channel binding"):
        psycopg.connect(conninfo(srv, "analyst", key, extra="sslmode=disable channel_binding=require"))
    assert metric(srv, 'eventlake_pg_logins_total{method="scram-sha-256-plus"}', admin) == 2


def pg_message(kind, payload):
    return kind + struct.pack(">i", len(payload) + 4) + payload


def read_pg_message(sock):
    head = b""
    while len(head) < 5:
        chunk = sock.recv(5 - len(head))
        assert chunk, "the server closed the connection"
        head += chunk
    length = struct.unpack(">i", head[1:])[0] - 4
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        assert chunk, "the server closed the connection"
        body += chunk
    return head[:1], body


def raw_scram_login(srv, key, mechanism, header, binding, tls=True):
    """One SCRAM exchange spoken by hand (over TLS when `tls`): the SASL
    mechanisms offered and the server's last message (type, body)."""
    sock = socket.create_connection(("127.0.0.1", srv.pg_port), timeout=30)
    if tls:
        sock.sendall(struct.pack(">ii", 8, 80877103))
        assert sock.recv(1) == b"S"
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    with sock:
        body = struct.pack(">i", 196608) + b"user\0analyst\0database\0lake\0\0"
        sock.sendall(struct.pack(">i", len(body) + 4) + body)
        kind, body = read_pg_message(sock)
        assert kind == b"R" and struct.unpack(">i", body[:4])[0] == 10, body
        offered = [m.decode() for m in body[4:].split(b"\0") if m]
        bare = b"n=,r=handmadenonce"
        first = header + bare
        sock.sendall(pg_message(b"p", mechanism + b"\0" + struct.pack(">i", len(first)) + first))
        kind, body = read_pg_message(sock)
        if kind != b"R":
            return offered, (kind, body)
        server_first = body[4:]
        attrs = dict(part.split(b"=", 1) for part in server_first.split(b","))
        salted = hashlib.pbkdf2_hmac("sha256", key.encode(), base64.b64decode(attrs[b"s"]), int(attrs[b"i"]))
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        without_proof = b"c=" + base64.b64encode(binding) + b",r=" + attrs[b"r"]
        auth_message = bare + b"," + server_first + b"," + without_proof
        signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        sock.sendall(pg_message(b"p", without_proof + b",p=" + base64.b64encode(proof)))
        return offered, read_pg_message(sock)


def test_scram_plus_refuses_a_wrong_binding_and_a_downgrade(server, eventlake_bin, tmp_path):
    key, sha, scram = generated_key(eventlake_bin, "analyst")
    cert, cert_key = self_signed_certificate(tmp_path)
    srv = server(config=scram_config(key, sha, scram, tls=(cert, cert_key)))
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    plus = b"p=tls-server-end-point,,"
    # The right hash (the certificate is signed with SHA-256) logs in ...
    offered, (kind, body) = raw_scram_login(srv, key, b"SCRAM-SHA-256-PLUS", plus,
                                            plus + hashlib.sha256(der).digest())
    assert offered == ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]
    assert kind == b"R" and struct.unpack(">i", body[:4])[0] == 12, body
    # ... another certificate's does not (what a man in the middle presents).
    _, (kind, body) = raw_scram_login(srv, key, b"SCRAM-SHA-256-PLUS", plus,
                                      plus + hashlib.sha256(der + b"x").digest())
    assert kind == b"E" and b"28P01" in body, body
    # A client that can bind but was told the server cannot: a downgrade.
    _, (kind, body) = raw_scram_login(srv, key, b"SCRAM-SHA-256", b"y,,", b"y,,")
    assert kind == b"E" and b"08P01" in body and b"channel binding negotiation error" in body, body
    # Without TLS only SCRAM-SHA-256 is offered and a p= header is refused.
    offered, (kind, body) = raw_scram_login(srv, key, b"SCRAM-SHA-256", plus, plus, tls=False)
    assert offered == ["SCRAM-SHA-256"]
    assert kind == b"E" and b"offered only over TLS" in body, body
