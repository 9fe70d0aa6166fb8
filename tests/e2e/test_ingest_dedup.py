"""End-to-end tests of dedup (issue 3): an event retried with the same
(source, id) is answered as accepted, with the first copy's position and
"duplicate": true, and stored once: within one body, across requests, after
a clean restart and after SIGKILL; for wrapped JSON through Idempotency-Key
and id_field."""

import json

import pytest

from ingest_support import (CE, CE_BATCH, NDJSON, accepted, assert_problem, cloudevent,
                            events_by_id, record_count, stored_events)

CONFIG = """
streams:
  - name: events
    partitions: 4
  - name: keyed
    partitions: 2
  - name: nodedup
    partitions: 1
sources:
  - name: web
    stream: events
  - name: keyed
    stream: keyed
    id_field: event_id
  - name: nodedup
    stream: nodedup
    dedup:
      enabled: false
"""

URL = "/v1/sources/web/events"


@pytest.fixture
def srv(server):
    return server(config=CONFIG)


def post_event(srv, event):
    [entry] = accepted(srv.post(URL, json=event, headers={"Content-Type": CE}))
    return entry


def position(entry):
    return entry["partition"], entry["offset"]


def test_same_event_twice_is_stored_once_and_answered_with_the_first_position(srv):
    event = cloudevent("order-1", data={"n": 1})
    first = post_event(srv, event)
    assert "duplicate" not in first
    second = post_event(srv, event)
    assert second["duplicate"] is True
    assert (second["id"], position(second)) == ("order-1", position(first))
    assert record_count(srv, "events") == 1


def test_a_retry_with_other_data_is_still_a_duplicate_and_the_first_copy_wins(srv):
    first = post_event(srv, cloudevent("order-2", data={"v": "first"}))
    second = post_event(srv, cloudevent("order-2", data={"v": "second"}))
    assert second["duplicate"] is True and position(second) == position(first)
    assert [e["data"] for e in stored_events(srv, "events")] == [{"v": "first"}]


def test_same_id_from_another_source_is_a_different_event(srv):
    post_event(srv, cloudevent("shared-id", source="/a"))
    other = post_event(srv, cloudevent("shared-id", source="/b"))
    assert "duplicate" not in other
    assert sorted(e["source"] for e in stored_events(srv, "events")) == ["/a", "/b"]


def test_duplicates_across_modes(srv):
    # The same (source, id) sent structured, then binary, then in a batch.
    first = post_event(srv, cloudevent("multi", source="/m"))
    binary = srv.post(URL, data=b"x", headers={"ce-specversion": "1.0", "ce-id": "multi",
                                               "ce-source": "/m", "ce-type": "t",
                                               "Content-Type": "text/plain"})
    [entry] = accepted(binary)
    assert entry["duplicate"] is True and position(entry) == position(first)
    batch = srv.post(URL, json=[cloudevent("multi", source="/m")],
                     headers={"Content-Type": CE_BATCH})
    [entry] = accepted(batch)
    assert entry["duplicate"] is True and position(entry) == position(first)
    assert record_count(srv, "events") == 1


def test_two_copies_in_one_batch_are_stored_once(srv):
    batch = [cloudevent("twin"), cloudevent("solo"), cloudevent("twin")]
    answer = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()
    entries = {a["index"]: a for a in answer["accepted"]}
    assert sorted(entries) == [0, 1, 2] and answer["rejected"] == []
    assert "duplicate" not in entries[0] and "duplicate" not in entries[1]
    assert entries[2]["duplicate"] is True
    assert position(entries[2]) == position(entries[0])
    assert sorted(e["id"] for e in stored_events(srv, "events")) == ["solo", "twin"]


def test_whole_batch_retried_is_all_duplicates(srv):
    batch = [cloudevent(f"r-{i}", data={"i": i}) for i in range(20)]
    first = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()["accepted"]
    again = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()["accepted"]
    assert [a.get("duplicate") for a in again] == [True] * 20
    assert [position(a) for a in again] == [position(a) for a in first]
    assert record_count(srv, "events") == 20


def test_dedup_survives_a_clean_restart(srv):
    first = post_event(srv, cloudevent("restart-1"))
    batch = [cloudevent(f"restart-b{i}") for i in range(5)]
    before = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()["accepted"]
    srv.restart()
    second = post_event(srv, cloudevent("restart-1"))
    assert second["duplicate"] is True and position(second) == position(first)
    after = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()["accepted"]
    assert [(a.get("duplicate"), position(a)) for a in after] == [
        (True, position(a)) for a in before]
    assert record_count(srv, "events") == 6


def test_dedup_survives_sigkill(srv):
    first = post_event(srv, cloudevent("crash-1"))
    keyed = srv.post(URL, json={"n": 1}, headers={"Idempotency-Key": "crash-key"})
    [keyed_first] = accepted(keyed)
    srv.kill()
    srv.start()
    second = post_event(srv, cloudevent("crash-1"))
    assert second["duplicate"] is True and position(second) == position(first)
    [keyed_again] = accepted(srv.post(URL, json={"n": 1}, headers={"Idempotency-Key": "crash-key"}))
    assert keyed_again["duplicate"] is True
    assert position(keyed_again) == position(keyed_first)
    assert record_count(srv, "events") == 2
    # New events still go in after the crash.
    assert "duplicate" not in post_event(srv, cloudevent("crash-2"))
    assert record_count(srv, "events") == 3


def test_idempotency_key_makes_plain_json_retries_duplicates(srv):
    [first] = accepted(srv.post(URL, json={"cart": 1}, headers={"Idempotency-Key": "pay-1"}))
    [again] = accepted(srv.post(URL, json={"cart": 1}, headers={"Idempotency-Key": "pay-1"}))
    assert (first["id"], again["id"]) == ("pay-1", "pay-1")
    assert again["duplicate"] is True and position(again) == position(first)
    # Without the key every post is a new event.
    srv.post(URL, json={"cart": 2})
    srv.post(URL, json={"cart": 2})
    assert record_count(srv, "events") == 3


def test_idempotency_key_dedups_arrays_and_ndjson_item_by_item(srv):
    first = accepted(srv.post(URL, json=[{"i": 0}, {"i": 1}], headers={"Idempotency-Key": "a"}))
    assert [a["id"] for a in first] == ["a-0", "a-1"]
    # A retry with one more object stores only the new one.
    again = accepted(srv.post(URL, json=[{"i": 0}, {"i": 1}, {"i": 2}],
                              headers={"Idempotency-Key": "a"}))
    assert [(a["id"], a.get("duplicate", False)) for a in again] == [
        ("a-0", True), ("a-1", True), ("a-2", False)]
    body = b'{"i":0}\n{"i":1}\n'
    lines = accepted(srv.post(URL, data=body, headers={"Content-Type": NDJSON,
                                                       "Idempotency-Key": "n"}))
    lines_again = accepted(srv.post(URL, data=body, headers={"Content-Type": NDJSON,
                                                             "Idempotency-Key": "n"}))
    assert [a.get("duplicate") for a in lines_again] == [True, True]
    assert [position(a) for a in lines_again] == [position(a) for a in lines]
    assert sorted(events_by_id(srv, "events")) == ["a-0", "a-1", "a-2", "n-0", "n-1"]


def test_id_field_gives_wrapped_records_their_id(srv):
    url = "/v1/sources/keyed/events"
    records = [{"event_id": "k-1", "v": 1}, {"event_id": 42, "v": 2}]
    first = accepted(srv.post(url, json=records))
    assert [a["id"] for a in first] == ["k-1", "42"]
    ndjson = "".join(json.dumps(r) + "\n" for r in records).encode()
    again = accepted(srv.post(url, data=ndjson, headers={"Content-Type": NDJSON,
                                                         "Idempotency-Key": "ignored"}))
    assert [(a["id"], a.get("duplicate")) for a in again] == [("k-1", True), ("42", True)]
    assert [position(a) for a in again] == [position(a) for a in first]
    got = events_by_id(srv, "keyed")
    assert sorted(got) == ["42", "k-1"]
    assert got["42"]["data"] == {"event_id": 42, "v": 2}


def test_id_field_missing_or_unusable_is_rejected(srv):
    url = "/v1/sources/keyed/events"
    assert_problem(srv.post(url, json={"v": 1}), 400, "invalid_event", pointer="/event_id")
    answer = srv.post(url, json=[{"event_id": "ok"}, {"event_id": 1.5}, {"event_id": ""},
                                 {"event_id": None}]).json()
    assert [a["id"] for a in answer["accepted"]] == ["ok"]
    assert [(r["index"], r["type"], r["pointer"]) for r in answer["rejected"]] == [
        (1, "invalid_event", "/1/event_id"), (2, "invalid_event", "/2/event_id"),
        (3, "invalid_event", "/3/event_id")]
    assert record_count(srv, "keyed") == 1


def test_with_dedup_disabled_a_retry_is_stored_again(srv):
    url = "/v1/sources/nodedup/events"
    event = cloudevent("again")
    first = accepted(srv.post(url, json=event, headers={"Content-Type": CE}))[0]
    second = accepted(srv.post(url, json=event, headers={"Content-Type": CE}))[0]
    assert "duplicate" not in second and position(second) != position(first)
    assert record_count(srv, "nodedup") == 2
