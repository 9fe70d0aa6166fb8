"""End-to-end tests of API keys and policies on the HTTP API (issue 3):
401 without a valid key (with WWW-Authenticate), 403 when no statement
allows the action on the resource or a deny applies (deny wins, wildcards
match), health checks open, refused requests append nothing, and the rule
that only a server with API keys may listen beyond loopback."""

import subprocess

import pytest

from ingest_support import (CE, accepted, assert_problem, bearer, cloudevent, key_sha256,
                            make_api_key, record_count)

KEYS = {name: make_api_key(name) for name in
        ("web-producer", "regional", "careful", "admin", "nobody")}

CONFIG = f"""
streams:
  - name: events
    partitions: 1
sources:
  - {{name: web, stream: events}}
  - {{name: other, stream: events}}
  - {{name: web-eu, stream: events}}
  - {{name: web-secret, stream: events}}
security:
  api_keys:
    - name: web-producer
      key_sha256: {key_sha256(KEYS["web-producer"])}
      policies: [web-only]
    - name: regional
      key_sha256: {key_sha256(KEYS["regional"])}
      policies: [web-wildcard]
    - name: careful
      key_sha256: {key_sha256(KEYS["careful"])}
      policies: [all-sources, no-secrets]
    - name: admin
      key_sha256: {key_sha256(KEYS["admin"]).upper()}
      policies: [admin]
    - name: nobody
      key_sha256: {key_sha256(KEYS["nobody"])}
  policies:
    - name: web-only
      statements:
        - effect: allow
          actions: ["events:Put"]
          resources: ["source/web"]
    - name: web-wildcard
      statements:
        - effect: allow
          actions: ["EVENTS:put"]
          resources: ["source/web-*"]
    - name: all-sources
      statements:
        - effect: allow
          actions: ["events:*"]
          resources: ["source/*"]
    - name: no-secrets
      statements:
        - effect: deny
          actions: ["*"]
          resources: ["source/*-secret"]
    - name: admin
      statements:
        - effect: allow
          actions: ["*"]
          resources: ["*"]
"""

ADMIN = bearer(KEYS["admin"])


@pytest.fixture
def srv(server):
    return server(config=CONFIG)


def put(srv, source, key=None, headers=None, event_id="e"):
    all_headers = {"Content-Type": CE, **(bearer(key) if key else {}), **(headers or {})}
    return srv.post(f"/v1/sources/{source}/events", json=cloudevent(event_id, source=f"/{source}"),
                    headers=all_headers)


def stored(srv):
    return record_count(srv, "events", headers=ADMIN)


def assert_401(response):
    body = assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="eventlake"'
    return body


def assert_403(response, *words):
    body = assert_problem(response, 403, "permission_denied")
    assert "WWW-Authenticate" not in response.headers
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def test_health_checks_are_open_and_metrics_are_not(srv):
    assert srv.get("/healthz").status_code == 200
    assert srv.get("/readyz").status_code == 200
    assert_401(srv.get("/metrics"))
    assert srv.get("/metrics", headers=ADMIN).status_code == 200


def test_no_key_or_an_unknown_key_is_401_and_appends_nothing(srv):
    assert_401(put(srv, "web"))
    assert_401(put(srv, "web", key=make_api_key("never configured")))
    # The configured hash is not a key.
    assert_401(put(srv, "web", key=key_sha256(KEYS["web-producer"])))
    for value in ("Basic dXNlcjpwYXNz", "Bearer", f"Bearer {KEYS['web-producer']} extra",
                  f"Token {KEYS['web-producer']}", "Bearer k\u00e9y"):
        assert_401(put(srv, "web", headers={"Authorization": value.encode("utf-8")}))
    assert_401(srv.get("/v1/streams"))
    assert stored(srv) == 0


def test_bearer_scheme_is_case_insensitive(srv):
    response = put(srv, "web", headers={"Authorization": f"bearer   {KEYS['web-producer']} "})
    assert len(accepted(response)) == 1
    assert stored(srv) == 1


def test_a_key_may_do_what_its_policy_allows_and_nothing_else(srv):
    key = KEYS["web-producer"]
    assert len(accepted(put(srv, "web", key))) == 1
    assert_403(put(srv, "other", key), "web-producer", "events:Put", "source/other",
               "no statement allows")
    # A source that does not exist is 403 too: a key learns nothing about others' names.
    assert_403(put(srv, "missing", key), "source/missing")
    assert_403(srv.post("/v1/sources/other/s3", json={"Records": []}, headers=bearer(key)))
    assert_403(srv.get("/v1/streams", headers=bearer(key)), "streams:List")
    assert_403(srv.get("/v1/streams/events/records", headers=bearer(key)), "streams:Read",
               "stream/events")
    assert_403(srv.post("/v1/streams", json={"name": "x"}, headers=bearer(key)),
               "streams:Create")
    assert_403(srv.post("/v1/streams/events/groups/g/seek", json={"position": "earliest"},
                        headers=bearer(key)), "streams:Seek", "stream/events")
    assert_403(srv.get("/metrics", headers=bearer(key)), "metrics:Read")
    assert stored(srv) == 1


def test_wildcard_resources_and_case_insensitive_actions(srv):
    key = KEYS["regional"]
    assert len(accepted(put(srv, "web-eu", key))) == 1
    assert len(accepted(put(srv, "web-secret", key, event_id="s"))) == 1
    assert_403(put(srv, "web", key), "source/web")  # "source/web-*" needs the dash
    assert_403(put(srv, "other", key))
    assert stored(srv) == 2


def test_explicit_deny_wins_over_allow(srv):
    key = KEYS["careful"]
    assert len(accepted(put(srv, "web", key))) == 1
    assert len(accepted(put(srv, "web-eu", key, event_id="eu"))) == 1
    assert_403(put(srv, "web-secret", key), "careful", 'denied by policy "no-secrets" statement 0')
    assert_403(srv.get("/v1/streams", headers=bearer(key)), "no statement allows")
    assert stored(srv) == 2


def test_a_key_without_policies_is_denied_everything_but_health(srv):
    key = KEYS["nobody"]
    assert_403(put(srv, "web", key), "nobody")
    assert_403(srv.get("/v1/streams", headers=bearer(key)))
    assert srv.get("/healthz", headers=bearer(key)).status_code == 200
    assert stored(srv) == 0


def test_admin_key_reads_and_writes_everything(srv):
    assert len(accepted(put(srv, "other", KEYS["admin"]))) == 1
    listed = srv.get("/v1/streams", headers=ADMIN)
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()["streams"]] == ["events"]
    records = srv.get("/v1/streams/events/records", headers=ADMIN).json()["records"]
    assert [r["event"]["source"] for r in records] == ["/other"]


# ---- listening beyond loopback ----

def listen_on(instance, address):
    """Makes `instance` (not started) listen on `address` instead of 127.0.0.1;
    its url still points at 127.0.0.1, which a wildcard address includes."""
    original = instance.args

    def args():
        out = original()
        out[out.index("--listen") + 1] = address
        return out

    instance.args = args
    return instance


def listening_on_all_interfaces(port):
    """True when a socket listens on 0.0.0.0:`port` (Linux: /proc/net/tcp)."""
    wanted = f"00000000:{port:04X}"
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.read().splitlines()[1:]]
    return any(row[1] == wanted and row[3] == "0A" for row in rows)  # 0A: LISTEN


def test_without_keys_the_server_refuses_to_listen_on_all_interfaces(eventlake_bin, tmp_path,
                                                                    free_port):
    config = tmp_path / "eventlake.yaml"
    config.write_text("sources:\n  - {name: web, stream: events}\n"
                      "streams:\n  - {name: events}\n")
    port = free_port()
    done = subprocess.run([eventlake_bin, "serve", "--config", str(config),
                           "--data-dir", str(tmp_path / "data"),
                           "--listen", f"0.0.0.0:{port}", "--pg-listen",
                           f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert f"refusing to listen on 0.0.0.0:{port} without API keys" in done.stderr
    assert "security.api_keys" in done.stderr


def test_with_keys_the_server_listens_on_all_interfaces(server):
    instance = server(config=CONFIG, start=False)
    srv = listen_on(instance, f"0.0.0.0:{instance.port}").start()
    assert listening_on_all_interfaces(srv.port)
    assert srv.get("/healthz").status_code == 200
    assert_401(put(srv, "web"))
    assert len(accepted(put(srv, "web", KEYS["web-producer"]))) == 1
    assert stored(srv) == 1
