"""End-to-end tests of every way to post events to
POST /v1/sources/{source}/events (issue 3): CloudEvents structured, binary
(ce-* headers, percent-encoded values, any body type) and batch mode, plain
JSON objects and arrays, NDJSON, and gzip and zstd bodies. Each stored event
is read back through the records API and compared attribute by attribute."""

import base64
import gzip
import json

import pytest

from ingest_support import (CE, CE_BATCH, NDJSON, accepted, assert_problem, cloudevent,
                            events_by_id, read_all, record_count, stored_events, zstd_available,
                            zstd_compress)

CONFIG = """
streams:
  - name: events
    partitions: 2
sources:
  - name: web
    stream: events
    event_type: page.viewed
"""

URL = "/v1/sources/web/events"
WRAPPED_SOURCE = "/eventlake/sources/web"

FULL = cloudevent(
    "full-1", "order.created", "/shop/eu",
    datacontenttype="application/json", dataschema="https://example.com/schemas/order.json",
    subject="orders/Ünïcode ✓", time="2026-11-25T02:06:55.123456Z",
    tenant="acme", attempt=2, retried=False,
    data={"total": 12.5, "big": 12345678901234567, "exp": 1.5e300, "items": [{"sku": "a"}],
          "nested": {"empty": {}, "none": None, "list": []}, "note": "é ✓ \"quoted\" \\"})


@pytest.fixture
def srv(server):
    return server(config=CONFIG)


def assert_entry(entry, index, event_id):
    assert entry["index"] == index
    assert entry["id"] == event_id
    assert entry["partition"] in (0, 1)
    assert isinstance(entry["offset"], int) and entry["offset"] >= 0
    assert "duplicate" not in entry and "dead_letter" not in entry


def position_of(srv, event_id):
    for record in read_all(srv, "events"):
        if record["event"]["id"] == event_id:
            return record["partition"], record["offset"]
    raise AssertionError(f"{event_id} is not stored")


# ---- structured ----

def test_structured_event_is_stored_with_every_attribute(srv):
    sent = srv.post(URL, data=json.dumps(FULL).encode(), headers={"Content-Type": CE})
    [entry] = accepted(sent)
    assert_entry(entry, 0, "full-1")
    assert set(entry) == {"index", "id", "partition", "offset"}
    assert (entry["partition"], entry["offset"]) == position_of(srv, "full-1")
    assert stored_events(srv, "events") == [FULL]


def test_structured_json_data_keeps_its_tokens_byte_for_byte(srv):
    # Numbers are not reformatted (1.0 stays 1.0, 1E2 stays 1E2) and member order is kept.
    body = ('{ "specversion" : "1.0", "id" : "tokens", "source" : "/s", "type" : "t",\n'
            '  "data" : { "z" : 1.0, "a" : 1E2, "m" : [ 1 , 2 ] } }')
    accepted(srv.post(URL, data=body.encode(), headers={"Content-Type": CE}))
    [record] = read_all(srv, "events")
    raw = srv.get("/v1/streams/events/records",
                  params={"partition": record["partition"], "offset": record["offset"]}).text
    assert '"data":{"z":1.0,"a":1E2,"m":[1,2]}' in raw


def test_structured_content_type_with_parameters_and_other_case(srv):
    event = cloudevent("ct-1", data={"x": 1})
    sent = srv.post(URL, data=json.dumps(event).encode(),
                    headers={"Content-Type": "Application/CloudEvents+JSON; charset=utf-8"})
    assert [a["id"] for a in accepted(sent)] == ["ct-1"]
    assert stored_events(srv, "events") == [{**event, "datacontenttype": "application/json"}]


def test_structured_time_is_stored_in_utc_with_microseconds(srv):
    event = cloudevent("time-1", time="2026-03-14T10:26:53.5+01:00")
    accepted(srv.post(URL, json=event, headers={"Content-Type": CE}))
    assert stored_events(srv, "events")[0]["time"] == "2026-03-14T09:26:53.500000Z"


# ---- binary ----

BINARY_HEADERS = {
    "ce-specversion": "1.0",
    "ce-id": "bin-1",
    "ce-source": "/devices/thermo%2F7",
    "ce-type": "reading.taken",
    "ce-subject": "Euro%20%E2%82%AC",
    "ce-time": "2026-01-02T03:04:05.000006Z",
    "ce-dataschema": "https://example.com/reading.json",
    "ce-tenant": "acme%25corp",
    "ce-Region": "eu-west",  # header names are case-insensitive
}


def test_binary_json_body_with_percent_encoded_headers(srv):
    body = b'{ "celsius" : 21.5, "tags" : [ "a" ] }'
    sent = srv.post(URL, data=body, headers={**BINARY_HEADERS, "Content-Type": "application/json"})
    [entry] = accepted(sent)
    assert_entry(entry, 0, "bin-1")
    assert stored_events(srv, "events") == [{
        "specversion": "1.0", "id": "bin-1", "source": "/devices/thermo/7",
        "type": "reading.taken", "subject": "Euro €", "time": "2026-01-02T03:04:05.000006Z",
        "dataschema": "https://example.com/reading.json", "tenant": "acme%corp",
        "region": "eu-west", "datacontenttype": "application/json",
        "data": {"celsius": 21.5, "tags": ["a"]},
    }]


def test_binary_quoted_header_value_is_unquoted_then_decoded(srv):
    headers = {**BINARY_HEADERS, "ce-id": "bin-q", "ce-subject": '"a \\"b\\" %E2%9C%93"',
               "Content-Type": "text/plain"}
    accepted(srv.post(URL, data=b"x", headers=headers))
    assert stored_events(srv, "events")[0]["subject"] == 'a "b" ✓'


def test_binary_octet_stream_body_is_stored_as_bytes(srv):
    body = bytes(range(256))
    headers = {**BINARY_HEADERS, "ce-id": "bin-2", "Content-Type": "application/octet-stream"}
    accepted(srv.post(URL, data=body, headers=headers))
    [event] = stored_events(srv, "events")
    assert event["datacontenttype"] == "application/octet-stream"
    assert "data" not in event
    assert base64.b64decode(event["data_base64"]) == body


def test_binary_text_body_keeps_its_content_type(srv):
    text = "plain text, é ✓\nsecond line"
    headers = {**BINARY_HEADERS, "ce-id": "bin-3", "Content-Type": "text/plain; charset=utf-8"}
    accepted(srv.post(URL, data=text.encode(), headers=headers))
    [event] = stored_events(srv, "events")
    assert event["datacontenttype"] == "text/plain; charset=utf-8"
    assert event["data"] == text


def test_binary_xml_body_is_accepted_as_opaque_data(srv):
    # An XML Content-Type is refused without ce-specversion (415) but fine in binary mode.
    headers = {**BINARY_HEADERS, "ce-id": "bin-4", "Content-Type": "application/xml"}
    accepted(srv.post(URL, data=b"<a>1</a>", headers=headers))
    [event] = stored_events(srv, "events")
    assert (event["datacontenttype"], event["data"]) == ("application/xml", "<a>1</a>")


def test_binary_event_without_body_has_no_data(srv):
    headers = {"ce-specversion": "1.0", "ce-id": "bin-5", "ce-source": "/s", "ce-type": "ping"}
    accepted(srv.post(URL, data=b"", headers=headers))
    assert stored_events(srv, "events") == [
        {"specversion": "1.0", "id": "bin-5", "source": "/s", "type": "ping"}]


# ---- batch ----

def test_batch_answers_each_event_in_order_and_stores_all(srv):
    batch = [
        cloudevent("b-1", data={"n": 1}),
        cloudevent("b-2", datacontenttype="text/plain", data="two"),
        cloudevent("b-3", datacontenttype="application/octet-stream",
                   data_base64=base64.b64encode(b"\x00\x01three").decode()),
        cloudevent("b-4", subject="no data"),
    ]
    sent = srv.post(URL, data=json.dumps(batch).encode(), headers={"Content-Type": CE_BATCH})
    answer = sent.json()
    assert answer["rejected"] == []
    for i, entry in enumerate(answer["accepted"]):
        assert_entry(entry, i, batch[i]["id"])
        assert (entry["partition"], entry["offset"]) == position_of(srv, batch[i]["id"])
    got = events_by_id(srv, "events")
    assert got == {
        "b-1": {**batch[0], "datacontenttype": "application/json"},
        "b-2": batch[1], "b-3": batch[2], "b-4": batch[3],
    }


def test_empty_batch_is_answered_with_no_items(srv):
    sent = srv.post(URL, data=b"[]", headers={"Content-Type": CE_BATCH})
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"accepted": [], "rejected": []}
    assert record_count(srv, "events") == 0


def test_batch_that_is_not_an_array_is_refused(srv):
    body = json.dumps(cloudevent("single")).encode()
    assert_problem(srv.post(URL, data=body, headers={"Content-Type": CE_BATCH}),
                   400, "invalid_event")
    assert record_count(srv, "events") == 0


# ---- plain JSON ----

def test_plain_json_object_is_wrapped_with_the_sources_type(srv):
    sent = srv.post(URL, data=b'{ "page" : "/home", "ms" : 1.50 }',
                    headers={"Content-Type": "application/json"})
    [entry] = accepted(sent)
    [event] = stored_events(srv, "events")
    assert entry["id"] == event["id"] and len(event["id"]) == 36
    assert event["time"].endswith("Z")
    assert {k: v for k, v in event.items() if k not in ("id", "time")} == {
        "specversion": "1.0", "source": WRAPPED_SOURCE, "type": "page.viewed",
        "datacontenttype": "application/json", "data": {"page": "/home", "ms": 1.50}}


def test_plain_json_type_from_ce_type_and_id_from_idempotency_key(srv):
    sent = srv.post(URL, json={"page": "/a"},
                    headers={"ce-type": "page.clicked", "Idempotency-Key": "req-42"})
    assert [a["id"] for a in accepted(sent)] == ["req-42"]
    event = events_by_id(srv, "events")["req-42"]
    assert (event["type"], event["source"], event["data"]) == (
        "page.clicked", WRAPPED_SOURCE, {"page": "/a"})


def test_plain_json_array_wraps_each_object(srv):
    objects = [{"i": 0}, {"i": 1, "nested": {"deep": [1]}}, {"i": 2}]
    sent = srv.post(URL, json=objects, headers={"Idempotency-Key": "arr"})
    answer = sent.json()
    assert answer["rejected"] == []
    assert [(a["index"], a["id"]) for a in answer["accepted"]] == [
        (0, "arr-0"), (1, "arr-1"), (2, "arr-2")]
    got = events_by_id(srv, "events")
    assert [got[f"arr-{i}"]["data"] for i in range(3)] == objects
    assert {e["type"] for e in got.values()} == {"page.viewed"}


def test_plain_json_array_rejects_non_objects_per_item(srv):
    sent = srv.post(URL, json=[{"ok": 1}, 7, {"ok": 2}], headers={"Idempotency-Key": "mix"})
    answer = sent.json()
    assert [a["id"] for a in answer["accepted"]] == ["mix-0", "mix-2"]
    [rejected] = answer["rejected"]
    assert (rejected["index"], rejected["type"], rejected["status"], rejected["pointer"]) == (
        1, "invalid_event", 400, "/1")
    assert sorted(events_by_id(srv, "events")) == ["mix-0", "mix-2"]


def test_plain_json_scalar_body_is_refused(srv):
    assert_problem(srv.post(URL, json="just a string"), 400, "invalid_event")
    assert record_count(srv, "events") == 0


# ---- NDJSON ----

def test_ndjson_lines_are_wrapped_and_answered_per_line(srv):
    lines = [{"n": 0}, {"n": 1, "s": "é"}, {"n": 2}]
    body = "".join(json.dumps(o) + "\n" for o in lines).encode()
    sent = srv.post(URL, data=body, headers={"Content-Type": NDJSON, "Idempotency-Key": "nd"})
    answer = sent.json()
    assert answer["rejected"] == []
    assert [(a["index"], a["id"]) for a in answer["accepted"]] == [
        (0, "nd-0"), (1, "nd-1"), (2, "nd-2")]
    got = events_by_id(srv, "events")
    assert [got[f"nd-{i}"]["data"] for i in range(3)] == lines
    assert {(e["type"], e["source"]) for e in got.values()} == {("page.viewed", WRAPPED_SOURCE)}


def test_ndjson_bad_line_is_rejected_with_its_line_pointer(srv):
    body = b'{"n":0}\n{"n":\n{"n":2}\n[1]\n'
    sent = srv.post(URL, data=body, headers={"Content-Type": NDJSON, "Idempotency-Key": "bad"})
    answer = sent.json()
    assert [a["id"] for a in answer["accepted"]] == ["bad-0", "bad-2"]
    malformed, not_object = answer["rejected"]
    assert (malformed["index"], malformed["type"], malformed["status"], malformed["pointer"]) == (
        1, "malformed_json", 400, "/1")
    assert "line 2" in malformed["detail"]
    assert (not_object["index"], not_object["type"], not_object["pointer"]) == (
        3, "invalid_event", "/3")
    assert sorted(events_by_id(srv, "events")) == ["bad-0", "bad-2"]


def test_ndjson_pointers_count_blank_lines_and_crlf_is_fine(srv):
    body = b'{"n":0}\r\n\r\n\n{"n":3}\r\n{oops}\r\n'
    sent = srv.post(URL, data=body, headers={"Content-Type": "application/jsonl",
                                             "Idempotency-Key": "crlf"})
    answer = sent.json()
    assert [a["id"] for a in answer["accepted"]] == ["crlf-0", "crlf-3"]
    [rejected] = answer["rejected"]
    assert (rejected["type"], rejected["pointer"]) == ("malformed_json", "/4")
    assert "line 5" in rejected["detail"]
    got = events_by_id(srv, "events")
    assert got["crlf-3"]["data"] == {"n": 3}
    assert len(got) == 2




def test_ndjson_answer_index_is_the_line_index(srv):
    body = b'{"n":0}\n\n{"n":2}\n{bad}\n'
    answer = srv.post(URL, data=body, headers={"Content-Type": NDJSON,
                                               "Idempotency-Key": "k"}).json()
    assert [(r["index"], r["pointer"]) for r in answer["rejected"]] == [(3, "/3")]
    assert [(a["index"], a["id"]) for a in answer["accepted"]] == [(0, "k-0"), (2, "k-2")]


# ---- compressed bodies ----

def compressed_modes():
    """(name, body, headers, expected stored events) for each mode."""
    structured = cloudevent("z-structured", data={"mode": "structured", "pad": "ab" * 200})
    batch = [cloudevent(f"z-batch-{i}", data={"i": i}) for i in range(3)]
    ndjson = "".join(json.dumps({"line": i, "pad": "x" * 50}) + "\n" for i in range(4))
    return [
        ("structured", json.dumps(structured).encode(), {"Content-Type": CE},
         {"z-structured": {**structured, "datacontenttype": "application/json"}}),
        ("batch", json.dumps(batch).encode(), {"Content-Type": CE_BATCH},
         {e["id"]: {**e, "datacontenttype": "application/json"} for e in batch}),
        ("ndjson", ndjson.encode(), {"Content-Type": NDJSON, "Idempotency-Key": "z-nd"},
         {f"z-nd-{i}": {"line": i, "pad": "x" * 50} for i in range(4)}),
        ("binary", "Grüße ✓".encode() * 30,
         {**BINARY_HEADERS, "ce-id": "z-binary", "Content-Type": "text/plain"},
         {"z-binary": "Grüße ✓" * 30}),
    ]


def check_compressed(srv, compress, encoding):
    for name, body, headers, expected in compressed_modes():
        packed = compress(body)
        assert len(packed) < len(body), name
        sent = srv.post(URL, data=packed, headers={**headers, "Content-Encoding": encoding})
        answer = sent.json()
        assert answer["rejected"] == [], (name, answer)
        assert sorted(a["id"] for a in answer["accepted"]) == sorted(expected), name
    got = events_by_id(srv, "events")
    for name, _, _, expected in compressed_modes():
        for event_id, want in expected.items():
            if name in ("structured", "batch"):
                assert got[event_id] == want, name
            else:
                assert got[event_id]["data"] == want, name
    assert len(got) == sum(len(m[3]) for m in compressed_modes())


def test_gzip_bodies_in_every_mode(srv):
    check_compressed(srv, gzip.compress, "gzip")


@pytest.mark.skipif(not zstd_available(), reason="no zstd command-line tool to make zstd bodies "
                    "(and no zstandard Python module)")
def test_zstd_bodies_in_every_mode(srv):
    check_compressed(srv, zstd_compress, "zstd")


def test_identity_encoding_is_accepted(srv):
    sent = srv.post(URL, json={"plain": True},
                    headers={"Content-Encoding": "identity", "Idempotency-Key": "ident"})
    assert [a["id"] for a in accepted(sent)] == ["ident"]
