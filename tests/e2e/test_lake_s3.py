"""The lake on S3: the S3 object store against a real S3-compatible server
(versitygw, built by scripts/bootstrap and started here on a free loopback
port), four processes racing commits to one table, the server loading events
into a table in a bucket that delta-rs then reads over S3, an enrich step
whose lookup is a table in the bucket, and the refusal of a store that
ignores If-None-Match."""

import http.server
import json
import os
import pathlib
import subprocess
import threading
import time

import pytest

from conftest import pick_free_port
from lake_support import send_batch, wait_for_rows
from pipeline_support import TABLE_LOOKUP

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("EVENTLAKE_BUILD", REPO / "build"))
CHECK = BUILD / "tests" / "tools" / "object_store_check"
VERSITYGW = REPO / "third_party" / "bin" / "versitygw"
KEY, SECRET = "eventlake-e2e", "eventlake-e2e-secret"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}


@pytest.fixture
def s3(tmp_path):
    """A versitygw on loopback with the bucket `lake`; yields its endpoint."""
    if not VERSITYGW.is_file():
        pytest.fail(f"{VERSITYGW} is missing: scripts/bootstrap builds it")
    root = tmp_path / "buckets"
    (root / "lake").mkdir(parents=True)
    (tmp_path / "gateway-meta").mkdir()
    port = pick_free_port()
    log = open(tmp_path / "versitygw.log", "wb")
    proc = subprocess.Popen([str(VERSITYGW), "--port", f"127.0.0.1:{port}", "posix",
                             "--sidecar", str(tmp_path / "gateway-meta"), str(root)],
                            stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "ROOT_ACCESS_KEY": KEY, "ROOT_SECRET_KEY": SECRET})
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while subprocess.run(["curl", "-s", "-o", "/dev/null", endpoint], timeout=5).returncode != 0:
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail("versitygw did not start: " + (tmp_path / "versitygw.log").read_text())
        time.sleep(0.1)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def check(*args):
    done = subprocess.run([str(CHECK), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **CREDENTIALS})
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout + done.stderr
    return done


def test_every_object_store_operation_against_a_real_s3_server(s3):
    check("conformance", s3, "lake", "conformance")


def test_four_processes_racing_commits_keep_versions_contiguous_and_lose_nothing(s3):
    writers, commits = 4, 25
    procs = [subprocess.Popen([str(CHECK), "commit", s3, "lake", "race", str(w), str(commits)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, **CREDENTIALS})
             for w in range(writers)]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
    check("verify", s3, "lake", "race", str(writers), str(commits))


S3_CONFIG = """
storage:
  type: s3
  s3: {{ endpoint: "{endpoint}", bucket: lake, prefix: eventlake, multipart_threshold: 5MiB }}
streams:
  - name: events
    partitions: 2
sources:
  - name: events
    stream: events
tables:
  - name: curated.events
    partition_by: [day(time)]
    max_age: 100ms
    checkpoint_interval: 3
    compact_min_files: 3
    compact_interval: 0s
loaders:
  - name: events
    stream: events
    table: curated.events
"""


def test_the_server_loads_a_table_in_a_bucket_that_delta_rs_reads_over_s3(server, s3):
    from deltalake import DeltaTable
    srv = server(config=S3_CONFIG.format(endpoint=s3), env=CREDENTIALS)
    for round_ in range(5):
        send_batch(srv, [{"specversion": "1.0", "id": f"s3-{round_}-{k}", "source": "/s3",
                          "type": "t", "data": {"n": k, "who": "é/ü"}} for k in range(4)])
        wait_for_rows(srv, "curated.events", 4 * (round_ + 1))
    compacted = srv.post("/v1/tables/curated.events/compact")
    assert compacted.status_code == 200, compacted.text
    assert compacted.json()["files_removed"] >= 3
    table = DeltaTable("s3://lake/eventlake/curated/events", storage_options={
        "AWS_ENDPOINT_URL": s3, "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
    rows = table.to_pyarrow_table().to_pylist()
    assert sorted(r["id"] for r in rows) == sorted(
        f"s3-{r}-{k}" for r in range(5) for k in range(4))
    assert all(r["who"] == "é/ü" for r in rows)
    # The server restarts on the bucket and loads nothing twice.
    srv.restart()
    send_batch(srv, [{"specversion": "1.0", "id": "s3-late", "source": "/s3", "type": "t",
                      "data": {"n": 99}}])
    wait_for_rows(srv, "curated.events", 21)
    assert srv.get("/v1/tables/curated.events").json()["rows"] == 21
    # SQL over the bucket: the data files are fetched into the query cache once.
    r = srv.post("/v1/query", json={"sql": "SELECT count(*), count(DISTINCT id), min(who) "
                                           "FROM curated.events"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [[21, 21, "é/ü"]]
    r = srv.post("/v1/query", json={"sql": "SELECT count(*) FROM curated.events AT (VERSION => 1)"})
    assert r.json()["rows"] == [[4]], r.text
    metrics = srv.get("/metrics").text
    fetched = [line for line in metrics.splitlines()
               if line.startswith("eventlake_query_files_fetched_total")]
    assert fetched and float(fetched[0].split()[-1]) >= 1


class IgnoresConditions(http.server.BaseHTTPRequestHandler):
    """A store that accepts every PUT, If-None-Match or not (as many S3 servers
    did before 2024): eventlake must refuse it."""
    objects = {}

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.rstrip("/") == "/lake":
            self._answer(200, b"<ListBucketResult><IsTruncated>false</IsTruncated>"
                              b"</ListBucketResult>")
        elif path in self.objects:
            self._answer(200, self.objects[path])
        else:
            self._answer(404, b"<Error><Code>NoSuchKey</Code></Error>")

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.objects[self.path.split("?", 1)[0]] = self.rfile.read(length)
        self._answer(200)

    def do_DELETE(self):
        self.objects.pop(self.path.split("?", 1)[0], None)
        self._answer(204)


def test_a_store_that_ignores_if_none_match_is_refused_at_start(server):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), IgnoresConditions)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{httpd.server_address[1]}"
    srv = server(config=S3_CONFIG.format(endpoint=endpoint), env=CREDENTIALS, start=False)
    with pytest.raises(AssertionError) as failed:
        srv.start()
    assert "If-None-Match" in str(failed.value)
    httpd.shutdown()


S3_LOOKUP = """
storage:
  type: s3
  s3: { endpoint: "ENDPOINT", bucket: lake, prefix: eventlake }
""" + TABLE_LOOKUP


def test_an_enrich_step_reads_a_lake_table_in_a_bucket(server, s3):
    srv = server(config=S3_LOOKUP.replace("ENDPOINT", s3), env=CREDENTIALS)

    def post(source, events):
        r = srv.post(f"/v1/sources/{source}/events", data=json.dumps(events),
                     headers={"Content-Type": "application/cloudevents-batch+json"})
        assert r.status_code in (200, 202), r.text

    def click(i, user):
        return {"specversion": "1.0", "id": f"c{i}", "source": "/web", "type": "click",
                "time": "2026-11-20T10:00:00Z", "data": {"user": user}}

    post("people", [{"specversion": "1.0", "id": f"u{i}", "source": "/crm", "type": "user",
                     "time": "2026-11-20T09:00:00Z", "data": {"user_id": i, "name": name}}
                    for i, name in [(1, "Ada"), (2, "Bob")]])
    wait_for_rows(srv, "curated.users", 2)
    time.sleep(0.5)  # past `reload`
    post("web", [click(1, 1), click(2, 2), click(3, 9)])
    wait_for_rows(srv, "curated.clicks", 3)
    r = srv.post("/v1/query", json={"sql": "SELECT id, name FROM curated.clicks ORDER BY id"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [["c1", "Ada"], ["c2", "Bob"], ["c3", None]]
    cached = list((pathlib.Path(srv.data_dir) / "query-cache" / "curated" / "users").rglob("*.parquet"))
    assert cached, "the lookup's data files were not fetched into the cache"
