"""Helpers for the end-to-end tests of pipelines (tests/e2e/test_pipeline*.py):
sending to the source `web`, querying, reading a stream that may not exist
yet, dead letters' data, waiting for a condition, and a config refused at
start."""

import json
import time

import pytest

from ingest_support import read_all
from lake_support import CE_BATCH


# Clicks enriched from the lake table curated.users, which another pipeline
# loads (test_pipelines.py; test_lake_s3.py with the lake in a bucket).
TABLE_LOOKUP = """
streams:
  - name: clicks
  - name: users
sources:
  - name: web
    stream: clicks
  - name: people
    stream: users
tables:
  - name: curated.users
    partition_by: [day(time)]
    max_age: 200ms
  - name: curated.clicks
    partition_by: [day(time)]
    max_age: 200ms
pipelines:
  - name: users_to_lake
    trigger: { stream: users, max_wait: 100ms }
    sinks:
      - table: curated.users
  - name: clicks_to_lake
    trigger: { stream: clicks, max_wait: 100ms }
    steps:
      - enrich: { table: curated.users, key: user_id, on: user, fields: [name], reload: 200ms }
    sinks:
      - table: curated.clicks
"""


def send(srv, events):
    r = srv.post("/v1/sources/web/events", data=json.dumps(events), headers={"Content-Type": CE_BATCH})
    assert r.status_code in (200, 202), r.text


def query(srv, sql):
    r = srv.post("/v1/query", json={"sql": sql})
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def records(srv, stream):
    """The records of `stream`, or [] while it does not exist."""
    if srv.get(f"/v1/streams/{stream}").status_code == 404:
        return []
    return read_all(srv, stream)


def letter_data(record):
    """A dead letter's data: the pipeline, step, problem, attempts and event."""
    data = record["event"]["data"]
    return json.loads(data) if isinstance(data, str) else data


def wait_for(predicate, timeout=60, what="condition"):
    """The first true value of predicate(), polled every 100 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} not met after {timeout}s")


def assert_refused(server, config, message):
    """`config` makes eventlake exit at start with `message` in its error."""
    srv = server(config, start=False)
    with pytest.raises(AssertionError) as failed:
        srv.start()
    assert message in str(failed.value)
