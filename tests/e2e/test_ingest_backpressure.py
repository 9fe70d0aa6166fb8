"""End-to-end tests of backpressure (issue 3): a stream over its quota and a
source whose consumers lag more than max_consumer_lag answer 429 with
Retry-After (problem type resource_exhausted) and append nothing more; a
batch that cannot be stored says which items were not."""

import time

import pytest

from ingest_support import (CE, CE_BATCH, accepted, assert_problem, cloudevent, record_count,
                            stored_events)

QUOTA = """
streams:
  - name: events
    partitions: 1
    quota_bytes: 4KiB
sources:
  - name: web
    stream: events
"""

LAG = """
streams:
  - name: events
    partitions: 2
sources:
  - name: web
    stream: events
    max_consumer_lag: 5
"""

URL = "/v1/sources/web/events"
PAD = "x" * 300


def assert_429(response):
    body = assert_problem(response, 429, "resource_exhausted")
    assert int(response.headers["Retry-After"]) >= 1
    return body


def fill_until_refused(srv, limit=200):
    """Posts events of ~400 bytes until one is refused; returns (ids stored, refusal)."""
    stored = []
    for i in range(limit):
        response = srv.post(URL, json=cloudevent(f"fill-{i}", data={"pad": PAD}),
                            headers={"Content-Type": CE})
        if response.status_code != 200:
            return stored, response
        stored.append(accepted(response)[0]["id"])
    raise AssertionError(f"{limit} events of ~400 bytes fitted under a 4 KiB quota")


def test_stream_over_its_quota_answers_429_and_appends_nothing(server):
    srv = server(config=QUOTA)
    stored, refused = fill_until_refused(srv)
    assert stored, "the first event should fit"
    body = assert_429(refused)
    assert "quota" in body["detail"]
    count = record_count(srv, "events")
    assert count == len(stored)
    # Still refused, whatever the mode; still nothing appended.
    assert_429(srv.post(URL, json=cloudevent("more"), headers={"Content-Type": CE}))
    assert_429(srv.post(URL, json={"plain": 1}))
    assert record_count(srv, "events") == count
    assert [e["id"] for e in stored_events(srv, "events")] == stored


def test_batch_over_quota_lists_every_item_as_failed(server):
    srv = server(config=QUOTA)
    fill_until_refused(srv)
    count = record_count(srv, "events")
    batch = [cloudevent("dup-check"), cloudevent("b-1"), {"specversion": "1.0", "id": "bad"}]
    response = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH})
    body = assert_429(response)
    # The invalid item is rejected as usual; the valid ones are failed (retryable), not stored.
    assert body["accepted"] == []
    assert [(r["index"], r["type"]) for r in body["rejected"]] == [(2, "invalid_event")]
    failed = sorted(body["failed"], key=lambda f: f["index"])
    assert [(f["index"], f["id"], f["type"], f["status"]) for f in failed] == [
        (0, "dup-check", "resource_exhausted", 429), (1, "b-1", "resource_exhausted", 429)]
    assert record_count(srv, "events") == count


def test_failed_items_are_not_remembered_as_duplicates(server):
    # An event refused for quota was not stored, so once there is room its
    # retry is stored (not answered as a duplicate of nothing).
    srv = server(config=QUOTA)
    _, refused = fill_until_refused(srv)
    assert_429(refused)
    srv.stop()
    config = srv.config_path.read_text().replace("quota_bytes: 4KiB", "quota_bytes: 1MiB")
    srv.config_path.write_text(config)
    srv.start()
    last = refused.request.body
    retry = srv.post(URL, data=last, headers={"Content-Type": CE})
    [entry] = accepted(retry)
    assert "duplicate" not in entry


def seek(srv, position):
    response = srv.post("/v1/streams/events/groups/readers/seek", json={"position": position})
    assert response.status_code == 200, response.text
    return response.json()


def poll_post(srv, want_status, deadline_s=5.0):
    """Posts new events until one is answered `want_status` (429 or 200; the
    lag is re-checked at most every 250 ms, so the other one may come first);
    returns (that response, events stored on the way)."""
    other = 200 if want_status == 429 else 429
    stored = 0
    deadline = time.monotonic() + deadline_s
    while True:
        response = srv.post(URL, json={"n": stored}, headers={"Content-Type": "application/json"})
        if response.status_code == want_status:
            return response, stored
        assert response.status_code == other, response.text
        stored += response.status_code == 200
        assert time.monotonic() < deadline, f"no {want_status} before the deadline"
        time.sleep(0.05)




def test_consumer_lag_over_max_consumer_lag_answers_429(server):
    srv = server(config=LAG)
    for i in range(8):
        accepted(srv.post(URL, json={"i": i}))
    # Without any consumer group there is no lag at all.
    assert record_count(srv, "events") == 8
    assert sum(seek(srv, "earliest")["lag"]) == 8
    refused, stored_meanwhile = poll_post(srv, 429)
    body = assert_429(refused)
    assert "max_consumer_lag" in body["detail"]
    count = record_count(srv, "events")
    assert count == 8 + stored_meanwhile
    # Every mode is refused while the lag lasts, and nothing is appended.
    assert_429(srv.post(URL, json=cloudevent("lagging"), headers={"Content-Type": CE}))
    assert_429(srv.post(URL, json=[cloudevent("lagging-b")], headers={"Content-Type": CE_BATCH}))
    assert record_count(srv, "events") == count
    # Once the consumer catches up, producers are let in again.
    assert sum(seek(srv, "latest")["lag"]) == 0
    ok, _ = poll_post(srv, 200)
    assert len(accepted(ok)) == 1


def test_lag_at_the_limit_is_not_refused(server):
    srv = server(config=LAG)
    for i in range(5):
        accepted(srv.post(URL, json={"i": i}))
    assert sum(seek(srv, "earliest")["lag"]) == 5
    # Lag 5 is not more than max_consumer_lag 5; the posts below raise it to 6.
    time.sleep(0.3)  # past one re-check interval; correctness does not depend on it
    first = srv.post(URL, json={"i": 5})
    assert first.status_code == 200, first.text
    refused, _ = poll_post(srv, 429)
    assert_429(refused)
