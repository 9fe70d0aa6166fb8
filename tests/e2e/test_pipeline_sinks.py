"""The webhook and kafka sinks end to end (issue 6): events sent over HTTP
run through a pipeline into a webhook (a Python http.server here, on
loopback, so allow_private: true) that answers 503 once — every event
arrives once in the requests answered 200 — and into Kafka topics
of librdkafka's mock cluster (tests/tools/kafka_mock), read back with their
keys, values and headers."""

import http.server
import json
import threading

import pytest

from conftest import pick_free_port
from kafka_support import KafkaMock
from pipeline_support import send, wait_for


def event(i):
    return {"specversion": "1.0", "id": f"e{i}", "source": "/web", "type": "click",
            "subject": f"user-{i % 3}", "time": "2026-12-01T10:00:00Z", "data": {"n": i}}


class Hook:
    """A webhook receiver on a free loopback port: answers `statuses` in order
    (the last one from then on) and keeps each request's status, headers and body."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with hook.lock:
                    status = hook.statuses[min(len(hook.requests), len(hook.statuses) - 1)]
                    hook.requests.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = pick_free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def answered(self, status):
        """The ids of the events of the requests answered `status`, in order."""
        with self.lock:
            return [e["id"] for s, _, body in self.requests if s == status for e in json.loads(body)]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hook():
    h = Hook([200, 503, 200])
    yield h
    h.close()


WEBHOOK_CONFIG = """
streams:
  - name: clicks
sources:
  - name: web
    stream: clicks
pipelines:
  - name: to_hook
    trigger: {{ stream: clicks, max_records: 100, max_wait: 200ms }}
    sinks:
      - webhook:
          url: http://127.0.0.1:{port}/hook
          allow_private: true
          headers: {{ X-Token: s3cret }}
          max_batch: 10
"""


def test_a_webhook_answering_503_once_gets_every_event_once(server, hook):
    srv = server(WEBHOOK_CONFIG.format(port=hook.port))
    sent = [event(i) for i in range(25)]
    send(srv, sent)
    wanted = sorted(e["id"] for e in sent)
    wait_for(lambda: sorted(hook.answered(200)) == wanted, timeout=30, what="every event answered 200")
    delivered = hook.answered(200)
    assert len(delivered) == len(set(delivered)) == 25  # none twice
    retried = hook.answered(503)
    assert retried == [f"e{i}" for i in range(10, 20)]  # the second request, sent again after the 503
    # 10 (200), 10 (503), then the batch again from where it failed: 10 + 5.
    assert [s for s, _, _ in hook.requests] == [200, 503, 200, 200]
    status, headers, body = hook.requests[0]
    assert headers["Content-Type"] == "application/cloudevents-batch+json"
    assert headers["X-Token"] == "s3cret"
    first = json.loads(body)[0]
    assert first["specversion"] == "1.0" and first["type"] == "click" and first["data"]["n"] == int(first["id"][1:])
    # The API shows the sink without its header values.
    described = srv.get("/v1/pipelines/to_hook").json()["sinks"][0]["webhook"]
    assert described["headers"] == {"X-Token": "(secret)"}
    metrics = srv.get("/metrics").text
    assert 'eventlake_webhook_requests_total{outcome="retry",pipeline="to_hook",sink="127.0.0.1"} 1' in metrics
    assert 'eventlake_webhook_events_total{outcome="delivered",pipeline="to_hook",sink="127.0.0.1"} 25' in metrics


def test_a_webhook_on_loopback_is_refused_without_allow_private(server, hook):
    srv = server(WEBHOOK_CONFIG.format(port=hook.port).replace("allow_private: true", "allow_private: false"))
    send(srv, [event(1)])
    wait_for(lambda: "loopback" in srv.log(), timeout=20, what="the refusal in the log")
    assert hook.requests == []


@pytest.fixture
def kafka():
    mock = KafkaMock("clicks_json:2", "clicks_binary:1")
    yield mock
    mock.close()


KAFKA_CONFIG = """
streams:
  - name: clicks
    partitions: 2
sources:
  - name: web
    stream: clicks
pipelines:
  - name: to_kafka
    trigger: {{ stream: clicks, max_records: 100, max_wait: 200ms }}
    sinks:
      - kafka: {{ brokers: "{bootstrap}", topic: clicks_json, key: subject, properties: {{ linger.ms: 5 }} }}
      - kafka: {{ brokers: "{bootstrap}", topic: clicks_binary, key: n, format: binary }}
"""


def test_events_sent_over_http_end_up_in_kafka_topics(server, kafka):
    srv = server(KAFKA_CONFIG.format(bootstrap=kafka.bootstrap))
    sent = [event(i) for i in range(20)]
    send(srv, sent)
    records = wait_for(lambda: (lambda r: r if len(r) >= 20 else None)(kafka.consume("clicks_json")),
                       timeout=30, what="20 records in clicks_json")
    assert len(records) == 20
    values = [json.loads(r["value"]) for r in records]
    assert sorted(v["id"] for v in values) == sorted(e["id"] for e in sent)
    for r, v in zip(records, values):
        assert r["key"] == v["subject"]
        assert r["headers"]["content-type"] == "application/cloudevents+json"
        assert v["data"] == {"n": int(v["id"][1:])}
    # Records with one key stay in one partition.
    assert all(len({r["partition"] for r in records if r["key"] == k}) == 1 for k in ("user-0", "user-1"))
    binary = wait_for(lambda: (lambda r: r if len(r) >= 20 else None)(kafka.consume("clicks_binary")),
                      timeout=30, what="20 records in clicks_binary")
    assert len(binary) == 20
    by_id = {r["headers"]["ce_id"]: r for r in binary}
    assert sorted(by_id) == sorted(e["id"] for e in sent)
    r = by_id["e7"]
    assert r["key"] == "7"
    assert json.loads(r["value"]) == {"n": 7}
    assert r["headers"]["ce_type"] == "click" and r["headers"]["ce_subject"] == "user-1"
    assert r["headers"]["ce_specversion"] == "1.0"
    assert r["headers"]["content-type"] == "application/json"
