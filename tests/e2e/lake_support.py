"""Helpers for the end-to-end tests of the lake (tests/e2e/test_lake*.py):
waiting for a table to hold rows, and reading it with the `deltalake`
(delta-rs) and pyarrow packages, as another engine would."""

import pathlib
import time

import pytest

CE_BATCH = "application/cloudevents-batch+json"

# A table that commits every 200 ms, loaded from the stream of the source `events`.
FAST = """
streams:
  - name: events
    partitions: 3
sources:
  - name: events
    stream: events
tables:
  - name: curated.events
    partition_by: [day(time)]
    max_age: 200ms
loaders:
  - name: events
    stream: events
    table: curated.events
"""


def event(i, **data):
    """A CloudEvent of the tests: id ev-<i>, a time on one of three days."""
    return {"specversion": "1.0", "id": f"ev-{i}", "source": "/e2e", "type": "test.event",
            "time": f"2026-11-{20 + i % 3}T10:{i % 60:02d}:00.123456Z",
            "subject": f"subject-{i}", "data": data}


def table_dir(srv, name):
    zone, table = name.split(".")
    return pathlib.Path(srv.data_dir) / "lake" / zone / table


def describe(srv, name, **params):
    r = srv.get(f"/v1/tables/{name}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def wait_for_rows(srv, name, rows, timeout=60):
    """Waits until eventlake's latest snapshot of `name` counts `rows` rows."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        r = srv.get(f"/v1/tables/{name}")
        if r.status_code == 200:
            seen = r.json()["rows"]
            if seen >= rows:
                return r.json()
        time.sleep(0.1)
    pytest.fail(f"{name} holds {seen} rows, not {rows}, after {timeout}s")


def delta_rows(path, version=None):
    """Every row of the Delta table at `path` as delta-rs reads it, by id."""
    from deltalake import DeltaTable
    table = DeltaTable(str(path), version=version)
    return table, table.to_pyarrow_table().to_pylist()


def send_batch(srv, events, source="events"):
    import json
    r = srv.post(f"/v1/sources/{source}/events", data=json.dumps(events),
                 headers={"Content-Type": CE_BATCH})
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["rejected"], body
    return body["accepted"]
