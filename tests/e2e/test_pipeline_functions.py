"""External functions in pipelines, through the real binary (issue 6):
a plain shell `bootstrap` and the real Python Lambda runtime client
(`awslambdaric`) speaking the Lambda Runtime API, and `http` functions
with their SSRF guard. A poison record named in batchItemFailures reaches
the dead-letter stream after max_attempts while the other 99 load once;
scale to zero and cold starts show in /metrics."""

import http.server
import json
import re
import threading
import time

import pytest

from lake_support import wait_for_rows
from pipeline_support import letter_data, query, records, send, wait_for

SHELL_BOOTSTRAP = r"""#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS=$(mktemp)
while true; do
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\r\n')
  case "$EVENT" in
    *"\"messageId\":\"$FAIL_ID\""*) RESPONSE="{\"batchItemFailures\":[{\"itemIdentifier\":\"$FAIL_ID\"}]}" ;;
    *) RESPONSE='{}' ;;
  esac
  curl -sS -X POST "$API/invocation/$ID/response" --data-binary "$RESPONSE" >/dev/null
done
"""

PYTHON_HANDLER = """
import json

def handler(event, context):
    out, failures = [], []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body["data"].get("price") == "free":
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        body["data"]["handled_by"] = "python " + context.function_name
        body["data"]["source_arn"] = record["eventSourceARN"]
        out.append(body)
    return {"batchItemFailures": failures, "events": out}
"""

BASE = """
streams:
  - name: clicks
    partitions: 2
sources:
  - name: web
    stream: clicks
tables:
  - name: curated.clicks
    partition_by: [day(time)]
    max_age: 300ms
pipelines:
  - name: fn
    trigger: { stream: clicks, max_records: 50, max_wait: 100ms }
    steps:
      - {step}
    on_error: { max_attempts: 2, backoff: 10ms, max_backoff: 20ms }
    sinks:
      - table: curated.clicks
"""


def click(i, price=None):
    return {"specversion": "1.0", "id": f"c{i}", "source": "/web", "type": "click",
            "time": f"2026-11-20T10:{i % 60:02d}:00Z", "data": {"price": str(i) if price is None else price}}


def metric(srv, name, **labels):
    """The value of one sample of /metrics, or None."""
    text = srv.get("/metrics").text
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = re.match(r"^(\w+)(\{[^}]*\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        if all(f'{k}="{v}"' in (m.group(2) or "") for k, v in labels.items()):
            return float(m.group(3))
    return None


def dead_letters(srv):
    return [letter_data(r) for r in records(srv, "fn.dlq")]


def test_a_shell_bootstrap_function_with_batch_item_failures_scales_to_zero(server, tmp_path):
    fn = tmp_path / "shell-fn"
    fn.mkdir()
    (fn / "bootstrap").write_text(SHELL_BOOTSTRAP)
    (fn / "bootstrap").chmod(0o755)
    step = ("function: { command: ./bootstrap, directory: %s, name: shell, idle_timeout: 1s, concurrency: 2, "
            "environment: { FAIL_ID: c7 } }" % fn)
    srv = server(BASE.replace("{step}", step))
    send(srv, [click(i) for i in range(100)])
    wait_for_rows(srv, "curated.clicks", 99)
    ids = [r[0] for r in query(srv, "SELECT id FROM curated.clicks")]
    assert len(ids) == 99 and len(set(ids)) == 99 and "c7" not in ids
    letters = wait_for(lambda: dead_letters(srv), what="the dead letter")
    assert [(d["step"], d["event"]["id"], d["attempts"]) for d in letters] == [("function", "c7", 2)]
    assert metric(srv, "eventlake_function_cold_starts_total", function="shell") >= 1
    # Idle for longer than idle_timeout: no instance left (scale to zero).
    wait_for(lambda: metric(srv, "eventlake_function_instances", function="shell") == 0, what="scale to zero")
    cold = metric(srv, "eventlake_function_cold_starts_total", function="shell")
    send(srv, [click(i) for i in range(100, 110)])
    wait_for_rows(srv, "curated.clicks", 109)
    assert metric(srv, "eventlake_function_cold_starts_total", function="shell") > cold
    assert metric(srv, "eventlake_function_cold_start_seconds_count", function="shell") >= 2


def test_the_python_lambda_runtime_client_transforms_events(server, tmp_path):
    pytest.importorskip("awslambdaric", reason="scripts/bootstrap installs awslambdaric")
    fn = tmp_path / "py-fn"
    fn.mkdir()
    (fn / "app.py").write_text(PYTHON_HANDLER)
    step = ("function: { command: [python3, -m, awslambdaric, app.handler], directory: %s, name: enricher, "
            "timeout: 10s, memory: 256MiB }" % fn)
    srv = server(BASE.replace("{step}", step))
    events = [click(i) for i in range(20)]
    events[3] = click(3, price="free")
    send(srv, events)
    wait_for_rows(srv, "curated.clicks", 19)
    rows = query(srv, "SELECT id, handled_by, source_arn FROM curated.clicks ORDER BY id")
    assert len(rows) == 19 and "c3" not in {r[0] for r in rows}
    assert {r[1] for r in rows} == {"python enricher"}
    assert {r[2] for r in rows} == {"arn:aws:sqs:us-east-1:000000000000:clicks"}
    letters = wait_for(lambda: dead_letters(srv), what="the dead letter")
    assert [(d["step"], d["event"]["id"]) for d in letters] == [("function", "c3")]


class Upper(http.server.BaseHTTPRequestHandler):
    """An http function: the events back with their price upper-cased."""

    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        out = []
        for record in event["Records"]:
            body = json.loads(record["body"])
            body["data"]["price"] = body["data"]["price"].upper() + "!"
            out.append(body)
        payload = json.dumps({"events": out}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_function():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upper)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/invoke"
    httpd.shutdown()


def test_an_http_function_on_loopback_runs_only_when_allowed(server, tmp_path, http_function):
    allowed = server(BASE.replace("{step}", "http: { url: %s, allow_private: true }" % http_function))
    send(allowed, [click(i, price=f"p{i}") for i in range(5)])
    wait_for_rows(allowed, "curated.clicks", 5)
    assert sorted(r[0] for r in query(allowed, "SELECT price FROM curated.clicks")) == \
        ["P0!", "P1!", "P2!", "P3!", "P4!"]
    allowed.stop()

    refused = server(BASE.replace("{step}", "http: { url: %s }" % http_function))
    send(refused, [click(1)])
    letters = wait_for(lambda: dead_letters(refused), what="the refused call's dead letter")
    assert letters[0]["step"] == "http"
    assert "loopback" in letters[0]["problem"]["detail"]
    assert refused.get("/v1/tables/curated.clicks").json()["rows"] == 0
