"""End-to-end tests of `eventlake serve` and its HTTP API (issue 2): health,
metrics, streams, sending events in every accepted format and reading them
back intact, long polls, group seeks, problem+json errors, the loopback rule,
config errors, and durability across a restart."""

import base64
import re
import subprocess
import threading
import time

import requests

PROBLEM = "application/problem+json"
CE = "application/cloudevents+json"
CE_BATCH = "application/cloudevents-batch+json"

ONE_PARTITION = """
streams:
  - name: events
    partitions: 1
sources:
  - name: events
    stream: events
"""


def assert_problem(response, status, name):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"https://eventlake.dev/problems/{name}"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str)
    return body


def read_all(srv, stream):
    """Every record of every partition of `stream`, as (partition, record)."""
    described = srv.get(f"/v1/streams/{stream}").json()
    out = []
    for p in described["partitions"]:
        offset = p["start_offset"]
        while True:
            page = srv.get(f"/v1/streams/{stream}/records",
                           params={"partition": p["partition"], "offset": offset}).json()
            out += [(p["partition"], r) for r in page["records"]]
            if page["next_offset"] >= page["end_offset"]:
                break
            offset = page["next_offset"]
    return out


def events_by_id(srv, stream="events"):
    return {r["event"]["id"]: r["event"] for _, r in read_all(srv, stream)}


# ---- health and metrics ----

def test_healthz_and_readyz(server):
    srv = server()
    assert srv.get("/healthz").json() == {"status": "ok"}
    ready = srv.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( \d+)?$")


def test_metrics_is_prometheus_text_with_a_type_for_every_sample(server):
    srv = server()
    srv.get("/healthz")
    response = srv.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    types = {}
    samples = []
    for line in response.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
        elif line.startswith("#") or not line.strip():
            continue
        else:
            match = METRIC_LINE.match(line)
            assert match, f"not a sample line: {line!r}"
            float(match.group(3))  # the value parses as a number (NaN, +Inf included)
            samples.append(match.group(1))
    for name in samples:
        family = name
        if name not in types:
            family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert family in types, f"sample {name} has no # TYPE"
    for name in ("eventlake_http_requests_total", "eventlake_http_request_seconds",
                 "eventlake_http_connections"):
        assert name in types, f"{name} is not exported"
    assert types["eventlake_http_request_seconds"] == "histogram"


# ---- streams ----

def test_streams_list_create_duplicate_and_bad_options(server):
    srv = server()
    listed = srv.get("/v1/streams").json()["streams"]
    assert [s["name"] for s in listed] == ["events"]  # the embedded default
    assert listed[0]["partitions"] == 4
    assert listed[0]["durability"] == "fsync"

    created = srv.post("/v1/streams", json={"name": "clicks", "partitions": 2,
                                            "durability": "none", "retention": "1d"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "clicks"
    assert len(body["partitions"]) == 2
    assert body["options"]["durability"] == "none"
    assert body["options"]["retention"] == "1d"

    assert_problem(srv.post("/v1/streams", json={"name": "clicks"}), 409, "already_exists")
    bad = assert_problem(srv.post("/v1/streams", json={"name": "x", "partitions": "many"}),
                         400, "invalid_argument")
    assert "partitions" in bad["detail"]
    unknown = assert_problem(srv.post("/v1/streams", json={"name": "y", "partitons": 2}),
                             400, "invalid_argument")
    assert "partitons" in unknown["detail"]
    assert_problem(srv.post("/v1/streams", data="{not json",
                            headers={"Content-Type": "application/json"}),
                   400, "invalid_argument")
    names = [s["name"] for s in srv.get("/v1/streams").json()["streams"]]
    assert names == ["clicks", "events"]


def test_describe_stream(server):
    srv = server()
    srv.post("/v1/sources/events/events", json={"n": 1})
    body = srv.get("/v1/streams/events").json()
    assert body["name"] == "events"
    assert body["options"]["partitions"] == 4
    assert body["records"] == 1
    assert body["size_bytes"] > 0
    assert [p["partition"] for p in body["partitions"]] == [0, 1, 2, 3]
    for p in body["partitions"]:
        assert p["health"] == "ok"
        assert set(p) >= {"start_offset", "end_offset", "size_bytes", "segments",
                          "oldest_append_time", "newest_append_time"}
    filled = [p for p in body["partitions"] if p["end_offset"] == 1]
    assert len(filled) == 1
    assert filled[0]["newest_append_time"].endswith("Z")
    assert body["groups"] == []
    assert_problem(srv.get("/v1/streams/nope"), 404, "not_found")


# ---- sending and reading events ----

FULL_EVENT = {
    "specversion": "1.0", "id": "order-1", "source": "/shop/eu", "type": "order.created",
    "datacontenttype": "application/json", "dataschema": "https://example.com/order.json",
    "subject": "orders/1", "time": "2026-11-25T02:06:55.123456Z",
    "tenant": "acme", "attempt": 2, "replayed": False,
    "data": {"total": 12.5, "items": [{"sku": "a", "qty": 1}], "note": "é ✓"},
}


def test_structured_event_round_trips_every_attribute(server):
    srv = server()
    sent = srv.post("/v1/sources/events/events", json=FULL_EVENT, headers={"Content-Type": CE})
    assert sent.status_code == 200, sent.text
    accepted = sent.json()["accepted"]
    assert len(accepted) == 1 and accepted[0]["id"] == "order-1"
    assert set(accepted[0]) == {"index", "id", "partition", "offset"}
    got = events_by_id(srv)["order-1"]
    assert got == FULL_EVENT


def test_batch_and_binary_data_round_trip(server):
    srv = server()
    batch = [
        {"specversion": "1.0", "id": "b1", "source": "/s", "type": "t", "data": [1, 2, 3]},
        {"specversion": "1.0", "id": "b2", "source": "/s", "type": "t",
         "datacontenttype": "application/octet-stream",
         "data_base64": base64.b64encode(b"\x00\xffbin").decode()},
        {"specversion": "1.0", "id": "b3", "source": "/s", "type": "t",
         "datacontenttype": "text/plain", "data": "plain text"},
    ]
    sent = srv.post("/v1/sources/events/events", json=batch, headers={"Content-Type": CE_BATCH})
    assert sent.status_code == 200, sent.text
    assert [a["id"] for a in sent.json()["accepted"]] == ["b1", "b2", "b3"]
    got = events_by_id(srv)
    # JSON data without a datacontenttype is stored as application/json (JSON format 3.1.2).
    assert got["b1"] == {**batch[0], "datacontenttype": "application/json"}
    assert got["b2"] == batch[1]
    assert got["b3"] == batch[2]


def test_plain_json_is_wrapped_into_cloudevents(server):
    srv = server()
    one = srv.post("/v1/sources/events/events", json={"user": "u1", "n": 1},
                   headers={"Idempotency-Key": "req-7", "ce-type": "shop.click"})
    assert one.status_code == 200, one.text
    assert one.json()["accepted"][0]["id"] == "req-7"
    many = srv.post("/v1/sources/events/events", json=[{"k": 1}, {"k": 2}])
    assert many.status_code == 200, many.text
    generated = [a["id"] for a in many.json()["accepted"]]
    assert len(generated) == 2 and all(len(i) == 36 for i in generated)
    got = events_by_id(srv)
    wrapped = got["req-7"]
    assert wrapped["source"] == "/eventlake/sources/events"
    assert wrapped["type"] == "shop.click"
    assert wrapped["datacontenttype"] == "application/json"
    assert wrapped["data"] == {"user": "u1", "n": 1}
    assert wrapped["time"].endswith("Z")
    assert got[generated[0]]["type"] == "eventlake.event"
    assert got[generated[1]]["data"] == {"k": 2}


def test_bad_events_are_refused_and_nothing_is_written(server):
    srv = server()
    missing_id = {k: v for k, v in FULL_EVENT.items() if k != "id"}
    bad = assert_problem(srv.post("/v1/sources/events/events", json=missing_id,
                                  headers={"Content-Type": CE}), 400, "invalid_event")
    assert "id" in bad["detail"] and bad["pointer"] == "/id"
    assert_problem(srv.post("/v1/sources/events/events", data="<xml/>",
                            headers={"Content-Type": "application/xml"}),
                   415, "unsupported_media_type")
    assert_problem(srv.post("/v1/sources/nope/events", json={}), 404, "not_found")
    assert read_all(srv, "events") == []


def test_a_batch_is_answered_per_item_and_only_valid_items_are_stored(server):
    srv = server()
    half_bad = [FULL_EVENT, {"specversion": "1.0", "id": "x", "source": "/s"}]
    sent = srv.post("/v1/sources/events/events", json=half_bad, headers={"Content-Type": CE_BATCH})
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert [(a["index"], a["id"]) for a in answer["accepted"]] == [(0, FULL_EVENT["id"])]
    [rejected] = answer["rejected"]
    assert rejected["index"] == 1 and rejected["type"] == "invalid_event"
    assert rejected["status"] == 400 and rejected["pointer"] == "/1/type"
    assert [r["event"]["id"] for _, r in read_all(srv, "events")] == [FULL_EVENT["id"]]


def test_records_by_offset_time_and_limit(server):
    srv = server(config=ONE_PARTITION)
    for i in range(5):
        srv.post("/v1/sources/events/events", json={"i": i})
    page = srv.get("/v1/streams/events/records", params={"offset": 1, "limit": 2}).json()
    assert page["partition"] == 0
    assert [r["offset"] for r in page["records"]] == [1, 2]
    assert page["next_offset"] == 3 and page["end_offset"] == 5
    assert page["records"][0]["event"]["data"] == {"i": 1}
    assert page["records"][0]["append_time"].endswith("Z")
    latest = srv.get("/v1/streams/events/records", params={"offset": "latest"}).json()
    assert latest["records"] == [] and latest["next_offset"] == 5
    third_time = page["records"][1]["append_time"]
    by_time = srv.get("/v1/streams/events/records", params={"time": third_time}).json()
    assert by_time["records"][0]["offset"] <= 2
    assert_problem(srv.get("/v1/streams/events/records", params={"limit": 10001}),
                   400, "invalid_argument")
    assert_problem(srv.get("/v1/streams/events/records", params={"partition": 9}),
                   400, "invalid_argument")
    assert_problem(srv.get("/v1/streams/events/records", params={"offset": "x"}),
                   400, "invalid_argument")


def test_long_poll_returns_when_an_event_arrives(server):
    srv = server(config=ONE_PARTITION)
    result = {}

    def poll():
        result["page"] = srv.get("/v1/streams/events/records",
                                 params={"offset": "latest", "wait_ms": 20000}).json()

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)  # let the poll start waiting; correctness does not depend on it
    srv.post("/v1/sources/events/events", json={"wake": True})
    poller.join(timeout=30)
    assert not poller.is_alive()
    records = result["page"]["records"]
    assert len(records) == 1
    assert records[0]["event"]["data"] == {"wake": True}
    # Meanwhile the server keeps serving other requests on its io threads.
    assert srv.get("/healthz").status_code == 200


def test_group_seek(server):
    srv = server(config=ONE_PARTITION)
    for i in range(4):
        srv.post("/v1/sources/events/events", json={"i": i})
    seek = srv.post("/v1/streams/events/groups/readers/seek", json={"offset": 1})
    assert seek.status_code == 200, seek.text
    assert seek.json() == {"group": "readers", "committed": [1], "lag": [3]}
    latest = srv.post("/v1/streams/events/groups/readers/seek", json={"position": "latest"})
    assert latest.json()["committed"] == [4] and latest.json()["lag"] == [0]
    earliest = srv.post("/v1/streams/events/groups/readers/seek", json={"position": "earliest"})
    assert earliest.json()["committed"] == [0]
    by_time = srv.post("/v1/streams/events/groups/readers/seek",
                       json={"time": "2000-01-01T00:00:00Z"})
    assert by_time.json()["committed"] == [0]
    groups = srv.get("/v1/streams/events").json()["groups"]
    assert groups == [{"group": "readers", "committed": [0], "lag": [4], "total_lag": 4}]
    assert_problem(srv.post("/v1/streams/events/groups/readers/seek", json={}),
                   400, "invalid_argument")
    assert_problem(srv.post("/v1/streams/events/groups/readers/seek",
                            json={"position": "middle"}), 400, "invalid_argument")
    assert_problem(srv.post("/v1/streams/nope/groups/readers/seek", json={"offset": 0}),
                   404, "not_found")


# ---- errors ----

def test_problem_shapes_for_404_405_413(server):
    srv = server(config="server:\n  max_body_bytes: 1KiB\n" + ONE_PARTITION)
    assert_problem(srv.get("/v1/nothing"), 404, "not_found")
    not_allowed = requests.delete(srv.url + "/v1/streams", timeout=10)
    assert_problem(not_allowed, 405, "method_not_allowed")
    assert "GET" in not_allowed.headers["Allow"]
    too_big = srv.post("/v1/sources/events/events", json={"pad": "x" * 4096})
    body = assert_problem(too_big, 413, "payload_too_large")
    assert "max_body_bytes" in body["detail"]
    # The server is fine afterwards, and a body under the limit goes through.
    assert srv.post("/v1/sources/events/events", json={"pad": "x"}).status_code == 200


def run_serve(eventlake_bin, tmp_path, *args):
    return subprocess.run([eventlake_bin, "serve", "--data-dir", str(tmp_path / "data"), *args],
                          capture_output=True, text=True, timeout=30)


def test_non_loopback_listen_is_refused(eventlake_bin, tmp_path, free_port):
    done = run_serve(eventlake_bin, tmp_path, "--listen", f"0.0.0.0:{free_port()}",
                     "--pg-listen", f"127.0.0.1:{free_port()}")
    assert done.returncode != 0
    assert "refusing to listen on 0.0.0.0:" in done.stderr
    assert "without API keys" in done.stderr and "use a loopback address" in done.stderr
    pg = run_serve(eventlake_bin, tmp_path, "--listen", f"127.0.0.1:{free_port()}",
                   "--pg-listen", "0.0.0.0:5433")
    assert pg.returncode != 0
    assert "refusing to listen on 0.0.0.0:5433" in pg.stderr


def test_config_with_unknown_key_fails_with_its_path(eventlake_bin, tmp_path):
    config = tmp_path / "eventlake.yaml"
    config.write_text("server:\n  listen: 127.0.0.1:0\n  listne: 127.0.0.1:1\n")
    done = run_serve(eventlake_bin, tmp_path, "--config", str(config))
    assert done.returncode != 0
    assert "server.listne" in done.stderr
    assert str(config) in done.stderr
    check = subprocess.run([eventlake_bin, "config", "check", str(config)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 1
    assert "server.listne" in check.stderr
    config.write_text(ONE_PARTITION)
    ok = subprocess.run([eventlake_bin, "config", "check", str(config)],
                        capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr


# ---- durability ----

def test_data_survives_restart(server):
    srv = server()
    sent = srv.post("/v1/sources/events/events", json=FULL_EVENT, headers={"Content-Type": CE})
    assert sent.status_code == 200
    srv.post("/v1/streams", json={"name": "kept", "partitions": 3})
    srv.post("/v1/streams/events/groups/g/seek", json={"position": "latest"})
    srv.restart()
    assert events_by_id(srv)["order-1"] == FULL_EVENT
    assert [s["name"] for s in srv.get("/v1/streams").json()["streams"]] == ["events", "kept"]
    assert srv.get("/v1/streams/kept").json()["options"]["partitions"] == 3
    groups = srv.get("/v1/streams/events").json()["groups"]
    assert groups[0]["group"] == "g" and groups[0]["total_lag"] == 0
    # Acknowledged appends survive SIGKILL too (durability fsync).
    more = srv.post("/v1/sources/events/events", json={"after": "restart"},
                    headers={"Idempotency-Key": "k-1"})
    assert more.status_code == 200
    srv.kill()
    srv.start()
    assert events_by_id(srv)["k-1"]["data"] == {"after": "restart"}
