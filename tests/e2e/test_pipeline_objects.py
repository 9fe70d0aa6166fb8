"""The object-created trigger through the real binary (issue 6): files
landing under the local lake's prefix `landing/uploads/` trigger a pipeline
whose `function` step (a Python `bootstrap` speaking the Lambda Runtime
API) gets them in the S3 event shape and returns events that land in a
table; objects there before the first start are not events (existing:
false), and after a restart nothing is triggered twice. A zone trigger
sees its tables' new Parquet files as ordinary events of a `sql` step; two
triggers, or an unknown zone, are refused with their path."""

import json
import os
import pathlib
import time

from lake_support import wait_for_rows
from pipeline_support import assert_refused, query, records, send

BOOTSTRAP = r"""#!/usr/bin/env python3
import json, os, urllib.parse, urllib.request

API = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]
SEEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "invocations.ndjson")
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.load(r)
    out = []
    for record in event["Records"]:
        s3 = record["s3"]
        key = urllib.parse.unquote_plus(s3["object"]["key"])
        with open(SEEN, "a") as f:
            f.write(json.dumps(key) + "\n")
        out.append({"specversion": "1.0", "id": record["responseElements"]["x-amz-request-id"],
                    "source": "/uploads", "type": "upload", "time": record["eventTime"],
                    "data": {"key": key, "size": s3["object"]["size"], "etag": s3["object"]["eTag"],
                             "bucket": s3["bucket"]["name"], "event_name": record["eventName"],
                             "event_source": record["eventSource"]}})
    body = json.dumps({"events": out}).encode()
    urllib.request.urlopen(urllib.request.Request(API + "/invocation/%s/response" % request_id,
                                                  data=body, method="POST")).read()
"""

CONFIG = """
tables:
  - name: curated.uploads
    partition_by: [day(time)]
    max_age: 300ms
pipelines:
  - name: on_upload
    trigger: { objects: { prefix: landing/uploads/, poll: 200ms }, max_wait: 100ms }
    steps:
      - function: { command: ./bootstrap, directory: %s, name: uploads }
    sinks:
      - table: curated.uploads
"""


def land(srv, name, content):
    """Writes an object under the lake's landing prefix whole (a rename)."""
    landing = pathlib.Path(srv.data_dir) / "lake" / "landing" / "uploads"
    landing.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(srv.data_dir) / f".{name}.tmp"
    tmp.write_text(content)
    os.rename(tmp, landing / name)


def invocations(fn):
    path = fn / "invocations.ndjson"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_new_objects_reach_a_function_in_the_s3_shape_once_across_restarts(server, tmp_path):
    fn = tmp_path / "fn"
    fn.mkdir()
    (fn / "bootstrap").write_text(BOOTSTRAP)
    (fn / "bootstrap").chmod(0o755)
    srv = server(CONFIG % fn, start=False)
    land(srv, "before.csv", "there before the pipeline")
    srv.start()

    land(srv, "a.csv", "a,b\n1,2\n")
    land(srv, "b c.csv", "x\n")
    wait_for_rows(srv, "curated.uploads", 2)
    rows = query(srv, "SELECT key, size, bucket, event_name, event_source FROM curated.uploads ORDER BY key")
    assert rows == [["landing/uploads/a.csv", 8, "eventlake", "ObjectCreated:Put", "aws:s3"],
                    ["landing/uploads/b c.csv", 2, "eventlake", "ObjectCreated:Put", "aws:s3"]]
    # The internal stream holds the object-created events.
    events = [r["event"] for r in records(srv, "on_upload.objects")]
    assert [e["type"] for e in events] == ["eventlake.object.created"] * 2

    srv.restart()
    land(srv, "d.csv", "d\n")
    wait_for_rows(srv, "curated.uploads", 3)
    time.sleep(1.5)  # several polls: nothing old comes again
    keys = [r[0] for r in query(srv, "SELECT key FROM curated.uploads ORDER BY key")]
    assert keys == ["landing/uploads/a.csv", "landing/uploads/b c.csv", "landing/uploads/d.csv"]
    assert sorted(invocations(fn)) == keys
    assert len(records(srv, "on_upload.objects")) == 3


ZONE_CONFIG = """
streams:
  - name: clicks
sources:
  - name: web
    stream: clicks
tables:
  - name: raw.clicks
    max_age: 200ms
  - name: curated.files
    max_age: 200ms
pipelines:
  - name: load
    trigger: { stream: clicks, max_wait: 100ms }
    sinks: [ { table: raw.clicks } ]
  - name: files
    trigger: { objects: { zone: raw, poll: 200ms }, max_wait: 100ms }
    steps:
      - sql: "SELECT key, size, bucket FROM batch"
    sinks: [ { table: curated.files } ]
"""


def test_a_zone_trigger_sees_its_tables_new_data_files_as_ordinary_events(server):
    srv = server(ZONE_CONFIG)
    send(srv, [{"specversion": "1.0", "id": f"c{i}", "source": "/web", "type": "click", "data": {"n": i}}
               for i in range(3)])
    wait_for_rows(srv, "raw.clicks", 3)
    wait_for_rows(srv, "curated.files", 1)
    rows = query(srv, "SELECT key, size, bucket FROM curated.files")
    assert all(k.startswith("raw/clicks/") and k.endswith(".parquet") and "_delta_log" not in k
               for k, _, _ in rows), rows
    assert all(size > 0 and bucket == "eventlake" for _, size, bucket in rows)
    trigger = srv.get("/v1/pipelines/files").json()["trigger"]
    assert trigger["stream"] == "files.objects" and trigger["objects"] == {"zone": "raw", "poll_ms": 200}


REFUSED = """
streams: [ { name: s } ]
tables: [ { name: curated.x } ]
pipelines:
  - name: p
    trigger: TRIGGER
    sinks: [ { table: curated.x } ]
"""


def test_two_triggers_or_a_bad_zone_are_refused_with_their_path(server):
    assert_refused(server, REFUSED.replace("TRIGGER", "{ stream: s, objects: { prefix: a/ } }"),
                   "pipelines[0].trigger: give exactly one of stream, schedule and objects")
    assert_refused(server, REFUSED.replace("TRIGGER", "{ objects: { zone: bronze } }"),
                   "pipelines[0].trigger.objects.zone: the zone must be")
