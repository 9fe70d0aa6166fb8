"""End-to-end tests of event validation (issue 3): the CloudEvents rules
(400 invalid_event with the attribute's JSON pointer), per-type JSON Schemas
(400 schema_violation with the pointer of the bad value, in the form of each
body mode), and on_invalid: dead_letter (invalid events stored with the reason
in the dead-letter stream, valid items of the same body in the main stream,
no item ever half-written)."""

import copy
import gzip
import json

import pytest

from ingest_support import (CE, CE_BATCH, NDJSON, accepted, assert_problem, cloudevent, compact,
                            record_count, stored_events)

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "minLength": 4, "maxLength": 12, "pattern": "^o-[0-9]+$"},
        "price": {"type": "number", "minimum": 0, "maximum": 1000},
        "currency": {"enum": ["EUR", "USD"]},
        "kind": {"const": "order"},
        "items": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "placed_at": {"type": "string", "format": "date-time"},
    },
    "required": ["order_id", "price"],
    "additionalProperties": False,
}

CONFIG = f"""
streams:
  - name: orders
    partitions: 1
  - name: lenient
    partitions: 1
  - name: custom
    partitions: 1
sources:
  - name: strict
    stream: orders
    event_type: order.created
    schemas:
      - type: order.created
        schema: '{json.dumps(ORDER_SCHEMA)}'
  - name: lenient
    stream: lenient
    event_type: order.created
    on_invalid: dead_letter
    schemas:
      - type: order.created
        schema: '{json.dumps(ORDER_SCHEMA)}'
  - name: custom
    stream: custom
    on_invalid: dead_letter
    dead_letter_stream: rejects
"""

STRICT = "/v1/sources/strict/events"
LENIENT = "/v1/sources/lenient/events"

VALID = {"order_id": "o-17", "price": 12.5, "currency": "EUR", "kind": "order",
         "items": [1, 2], "placed_at": "2026-03-14T09:26:53Z"}


def order(event_id, data):
    return cloudevent(event_id, "order.created", "/shop", data=data)


def without(data, key):
    return {k: v for k, v in data.items() if k != key}


# (what breaks, data, pointer inside the data)
SCHEMA_CASES = [
    ("type", {**VALID, "price": "12"}, "/price"),
    ("minimum", {**VALID, "price": -0.01}, "/price"),
    ("maximum", {**VALID, "price": 1000.5}, "/price"),
    ("enum", {**VALID, "currency": "GBP"}, "/currency"),
    ("const", {**VALID, "kind": "refund"}, "/kind"),
    ("minLength", {**VALID, "order_id": "o-1"}, "/order_id"),
    ("maxLength", {**VALID, "order_id": "o-" + "1" * 11}, "/order_id"),
    ("pattern", {**VALID, "order_id": "x-1234"}, "/order_id"),
    ("items", {**VALID, "items": [1, 0]}, "/items/1"),
    ("items type", {**VALID, "items": [1, 2, "3"]}, "/items/2"),
    ("additionalProperties", {**VALID, "coupon": "FREE"}, "/coupon"),
    ("required", without(VALID, "price"), "/price"),
    ("format date-time", {**VALID, "placed_at": "14/03/2026"}, "/placed_at"),
    ("root type", [VALID], ""),
]


@pytest.fixture
def srv(server):
    return server(config=CONFIG)


# ---- JSON Schema ----

def test_every_schema_keyword_is_enforced_with_the_pointer_of_the_bad_value(srv):
    for name, data, pointer in SCHEMA_CASES:
        response = srv.post(STRICT, json=order(f"bad-{name}", data), headers={"Content-Type": CE})
        body = assert_problem(response, 400, "schema_violation", pointer="/data" + pointer)
        assert "schema" in body["detail"], name
    assert record_count(srv, "orders") == 0
    ok = srv.post(STRICT, json=order("good", VALID), headers={"Content-Type": CE})
    assert [a["id"] for a in accepted(ok)] == ["good"]
    assert stored_events(srv, "orders")[0]["data"] == VALID


def test_optional_members_may_be_left_out_and_integers_written_as_floats_pass(srv):
    minimal = {"order_id": "o-1234", "price": 0, "items": [1.0, 3]}
    assert len(accepted(srv.post(STRICT, json=order("min", minimal),
                                 headers={"Content-Type": CE}))) == 1
    assert stored_events(srv, "orders")[0]["data"] == minimal


def test_events_of_a_type_without_a_schema_are_not_checked(srv):
    other = cloudevent("other-1", "order.cancelled", "/shop", data={"price": "free"})
    assert len(accepted(srv.post(STRICT, json=other, headers={"Content-Type": CE}))) == 1
    assert record_count(srv, "orders") == 1


def test_schema_pointers_in_every_body_mode(srv):
    bad = {**VALID, "price": -5}
    structured = srv.post(STRICT, json=order("s", bad), headers={"Content-Type": CE})
    assert_problem(structured, 400, "schema_violation", pointer="/data/price")

    binary = srv.post(STRICT, data=json.dumps(bad).encode(), headers={
        "ce-specversion": "1.0", "ce-id": "b", "ce-source": "/shop", "ce-type": "order.created",
        "Content-Type": "application/json"})
    assert_problem(binary, 400, "schema_violation", pointer="/price")

    plain = srv.post(STRICT, json=bad)  # wrapped with the source's event_type
    assert_problem(plain, 400, "schema_violation", pointer="/price")

    batch = [order("b0", VALID), order("b1", {**VALID, "currency": "EUR"}), order("b2", bad)]
    answer = srv.post(STRICT, json=batch, headers={"Content-Type": CE_BATCH}).json()
    assert [a["id"] for a in answer["accepted"]] == ["b0", "b1"]
    [rejected] = answer["rejected"]
    assert (rejected["index"], rejected["type"], rejected["status"], rejected["pointer"]) == (
        2, "schema_violation", 400, "/2/data/price")
    assert "/price" in rejected["detail"]

    array = srv.post(STRICT, json=[VALID, bad], headers={"Idempotency-Key": "arr"}).json()
    assert [a["id"] for a in array["accepted"]] == ["arr-0"]
    [rejected] = array["rejected"]
    assert (rejected["index"], rejected["type"], rejected["pointer"]) == (
        1, "schema_violation", "/1/price")

    ndjson = "\n".join(json.dumps(d) for d in (VALID, VALID, bad)) + "\n"
    lines = srv.post(STRICT, data=ndjson.encode(),
                     headers={"Content-Type": NDJSON, "Idempotency-Key": "nd"}).json()
    assert [a["id"] for a in lines["accepted"]] == ["nd-0", "nd-1"]
    [rejected] = lines["rejected"]
    assert (rejected["index"], rejected["type"], rejected["pointer"]) == (
        2, "schema_violation", "/2/price")

    stored = {e["id"] for e in stored_events(srv, "orders")}
    assert stored == {"b0", "b1", "arr-0", "nd-0", "nd-1"}


# ---- CloudEvents rules ----

BASE = order("ce-1", VALID)


def changed(**changes):
    event = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is KeyError:
            event.pop(key)
        else:
            event[key] = value
    return event


# (what breaks, event, pointer)
RULE_CASES = [
    ("missing id", changed(id=KeyError), "/id"),
    ("missing source", changed(source=KeyError), "/source"),
    ("missing type", changed(type=KeyError), "/type"),
    ("missing specversion", changed(specversion=KeyError), "/specversion"),
    ("specversion 0.3", changed(specversion="0.3"), "/specversion"),
    ("specversion a number", changed(specversion=1.0), "/specversion"),
    ("empty id", changed(id=""), "/id"),
    ("id a number", changed(id=7), "/id"),
    ("null type", changed(type=None), "/type"),
    ("source with a control character", changed(source="/a\u0001b"), "/source"),
    ("time not RFC 3339", changed(time="yesterday"), "/time"),
    ("time not a date", changed(time="2026-02-30T00:00:00Z"), "/time"),
    ("time without zone", changed(time="2026-03-14T09:26:53"), "/time"),
    ("empty subject", changed(subject=""), "/subject"),
    ("relative dataschema", changed(dataschema="schemas/order.json"), "/dataschema"),
    ("datacontenttype not a media type", changed(datacontenttype="json"), "/datacontenttype"),
    ("extension name with upper case", changed(Tenant="acme"), "/Tenant"),
    ("extension name with a dash", changed(**{"tenant-id": "acme"}), "/tenant-id"),
    ("extension name over 20 characters", changed(abcdefghijklmnopqrstu="x"),
     "/abcdefghijklmnopqrstu"),
    ("extension value an object", changed(tenant={"a": 1}), "/tenant"),
    ("extension value a fraction", changed(attempt=1.5), "/attempt"),
    ("extension value beyond 32 bits", changed(attempt=2 ** 31), "/attempt"),
    ("data and data_base64", changed(data_base64="AAEC"), "/data_base64"),
    ("data_base64 not base64", changed(data=KeyError, data_base64="***"), "/data_base64"),
    ("non-JSON data not a string", changed(datacontenttype="text/plain"), "/data"),
]


def test_every_cloudevents_rule_is_400_invalid_event_with_the_attributes_pointer(srv):
    for name, event, pointer in RULE_CASES:
        response = srv.post(STRICT, data=json.dumps(event).encode(), headers={"Content-Type": CE})
        assert response.status_code == 400, (name, response.text)
        assert_problem(response, 400, "invalid_event", pointer=pointer)
    assert record_count(srv, "orders") == 0


def test_repeated_member_is_invalid(srv):
    body = b'{"specversion":"1.0","id":"a","id":"b","source":"/s","type":"t"}'
    assert_problem(srv.post(STRICT, data=body, headers={"Content-Type": CE}),
                   400, "invalid_event", pointer="/id")
    assert record_count(srv, "orders") == 0


def test_valid_extension_values_are_kept_with_their_types(srv):
    event = cloudevent("ext-1", "order.cancelled", "/shop", tenant="acme", attempt=10.0,
                       negative=-2147483648, flag=True, empty="", dropped=None)
    accepted(srv.post(STRICT, json=event, headers={"Content-Type": CE}))
    [got] = stored_events(srv, "orders")
    assert (got["tenant"], got["attempt"], got["negative"], got["flag"], got["empty"]) == (
        "acme", 10, -2147483648, True, "")
    assert "dropped" not in got


def test_batch_rules_point_into_the_item(srv):
    batch = [BASE, changed(id="x1", type=KeyError), changed(id="x2", time="nope"),
             changed(id="x3", Bad="v")]
    answer = srv.post(STRICT, json=batch, headers={"Content-Type": CE_BATCH}).json()
    assert [a["id"] for a in answer["accepted"]] == ["ce-1"]
    rejected = [(r["index"], r["type"], r["status"], r["pointer"]) for r in answer["rejected"]]
    assert rejected == [(1, "invalid_event", 400, "/1/type"), (2, "invalid_event", 400, "/2/time"),
                        (3, "invalid_event", 400, "/3/Bad")]
    assert all("id" not in r for r in answer["rejected"])  # none of them decoded
    assert [e["id"] for e in stored_events(srv, "orders")] == ["ce-1"]


BINARY = {"ce-specversion": "1.0", "ce-id": "bin", "ce-source": "/s", "ce-type": "t",
          "Content-Type": "text/plain"}


def binary_with(**changes):
    headers = dict(BINARY)
    for name, value in changes.items():
        name = name.replace("_", "-", 1)
        if value is KeyError:
            headers.pop(name)
        else:
            headers[name] = value
    return headers


BINARY_CASES = [
    ("missing ce-id", binary_with(ce_id=KeyError), "/id"),
    ("missing ce-type", binary_with(ce_type=KeyError), "/type"),
    ("specversion 0.3", binary_with(ce_specversion="0.3"), "/specversion"),
    ("bad time", binary_with(ce_time="2026-13-01T00:00:00Z"), "/time"),
    ("bad extension name", binary_with(ce_bad_name="x"), "/bad_name"),
    ("datacontenttype as a header", binary_with(ce_datacontenttype="text/plain"),
     "/datacontenttype"),
    ("bad percent-encoding", binary_with(ce_subject="a%zz"), "/subject"),
    ("percent-encoded invalid UTF-8", binary_with(ce_subject="%FF"), "/subject"),
    ("Content-Type not a media type", binary_with(Content_Type="plain"), "/datacontenttype"),
]


def test_binary_mode_rules_point_at_the_attribute(srv):
    for name, headers, pointer in BINARY_CASES:
        response = srv.post(STRICT, data=b"hello", headers=headers)
        assert response.status_code == 400, (name, response.text)
        assert_problem(response, 400, "invalid_event", pointer=pointer)
    assert record_count(srv, "orders") == 0


# ---- dead letters ----

def dead_letters(srv, stream="lenient.dlq"):
    letters = stored_events(srv, stream)
    for letter in letters:
        assert letter["type"] == "eventlake.deadletter"
        assert letter["specversion"] == "1.0"
        assert letter["datacontenttype"] == "application/json"
        assert letter["time"].endswith("Z")
        assert len(letter["id"]) == 36
    return letters


def test_schema_violation_is_dead_lettered_with_reason_and_original_body(srv):
    text = compact(order("dl-1", {**VALID, "price": -1}))
    sent = srv.post(LENIENT, data=text.encode(), headers={"Content-Type": CE})
    [entry] = accepted(sent)
    assert entry["index"] == 0
    assert entry["stream"] == "lenient.dlq"
    assert (entry["partition"], entry["offset"]) == (0, 0)
    problem = entry["dead_letter"]
    assert (problem["type"], problem["pointer"]) == ("schema_violation", "/data/price")
    assert problem["detail"]
    assert record_count(srv, "lenient") == 0
    [letter] = dead_letters(srv)
    assert letter["source"] == "/eventlake/sources/lenient"
    assert letter["data"]["source"] == "lenient"
    assert letter["data"]["problem"] == problem
    assert letter["data"]["body"] == text
    assert set(letter["data"]) <= {"source", "problem", "event_id", "event_type", "body"}


def test_schema_rejection_names_the_event_id(srv):
    batch = [order("b0", VALID), order("b1", {**VALID, "price": -5})]
    answer = srv.post(STRICT, json=batch, headers={"Content-Type": CE_BATCH}).json()
    [rejected] = answer["rejected"]
    assert rejected.get("id") == "b1"


def test_schema_dead_letter_names_the_event_id_and_type(srv):
    text = compact(order("dl-1", {**VALID, "price": -1}))
    [entry] = accepted(srv.post(LENIENT, data=text.encode(), headers={"Content-Type": CE}))
    [letter] = dead_letters(srv)
    assert (entry.get("id"), letter["data"].get("event_id"), letter["data"].get("event_type")) == (
        "dl-1", "dl-1", "order.created")


def test_batch_sends_valid_items_to_the_stream_and_invalid_ones_to_dead_letters(srv):
    items = [compact(order("ok-1", VALID)),
             compact(order("sv-1", {**VALID, "currency": "JPY"})),
             compact(changed(id="ce-bad", type=KeyError)),
             compact(order("ok-2", {**VALID, "price": 1000}))]
    body = "[" + ",".join(items) + "]"
    answer = srv.post(LENIENT, data=body.encode(), headers={"Content-Type": CE_BATCH}).json()
    assert answer["rejected"] == []
    by_index = {a["index"]: a for a in answer["accepted"]}
    assert sorted(by_index) == [0, 1, 2, 3]
    for i in (0, 3):
        assert "stream" not in by_index[i] and "dead_letter" not in by_index[i]
    assert by_index[1]["stream"] == by_index[2]["stream"] == "lenient.dlq"
    assert by_index[1]["dead_letter"]["pointer"] == "/1/data/currency"
    assert by_index[1]["dead_letter"]["type"] == "schema_violation"
    assert "id" not in by_index[2]
    assert (by_index[2]["dead_letter"]["type"], by_index[2]["dead_letter"]["pointer"]) == (
        "invalid_event", "/2/type")

    assert [e["id"] for e in stored_events(srv, "lenient")] == ["ok-1", "ok-2"]
    letters = dead_letters(srv)
    assert [letter["data"]["body"] for letter in letters] == [items[1], items[2]]
    assert "event_id" not in letters[1]["data"] and "event_type" not in letters[1]["data"]
    assert letters[1]["data"]["problem"]["pointer"] == "/2/type"
    positions = {(by_index[i]["partition"], by_index[i]["offset"]) for i in (1, 2)}
    assert positions == {(0, 0), (0, 1)}


def test_malformed_json_body_is_dead_lettered_whole(srv):
    text = '{"specversion":"1.0","id":"broken",'
    [entry] = accepted(srv.post(LENIENT, data=text.encode(), headers={"Content-Type": CE}))
    assert entry["stream"] == "lenient.dlq"
    assert entry["dead_letter"]["type"] == "malformed_json"
    [letter] = dead_letters(srv)
    assert letter["data"]["body"] == text
    assert record_count(srv, "lenient") == 0


def test_ndjson_lines_are_dead_lettered_one_by_one(srv):
    lines = [compact(VALID), '{"price":', compact({**VALID, "price": 5000})]
    answer = srv.post(LENIENT, data=("\n".join(lines) + "\n").encode(),
                      headers={"Content-Type": NDJSON, "Idempotency-Key": "l"}).json()
    assert answer["rejected"] == []
    entries = sorted(answer["accepted"], key=lambda a: a["index"])
    assert [e.get("stream") for e in entries] == [None, "lenient.dlq", "lenient.dlq"]
    assert [e["dead_letter"]["pointer"] for e in entries[1:]] == ["/1", "/2/price"]
    assert [e["id"] for e in stored_events(srv, "lenient")] == ["l-0"]
    assert [letter["data"]["body"] for letter in dead_letters(srv)] == lines[1:]


def test_dead_letter_stream_can_be_named(srv):
    sent = srv.post("/v1/sources/custom/events", data=b'{"specversion":"2.0"}',
                    headers={"Content-Type": CE})
    [entry] = accepted(sent)
    assert entry["stream"] == "rejects"
    assert entry["dead_letter"]["pointer"] == "/specversion"
    assert len(dead_letters(srv, "rejects")) == 1
    assert record_count(srv, "custom") == 0


def test_request_level_problems_are_refused_even_when_dead_lettering(srv):
    assert_problem(srv.post(LENIENT, data=b"<order/>", headers={"Content-Type": "text/xml"}),
                   415, "unsupported_media_type")
    assert_problem(srv.post(LENIENT, data=b"{}", headers={"Content-Type": CE,
                                                         "Content-Encoding": "br"}),
                   415, "unsupported_encoding")
    # A compressed body that does not decode is refused rather than kept compressed.
    assert_problem(srv.post(LENIENT, data=gzip.compress(b'{"specversion":'),
                            headers={"Content-Type": CE, "Content-Encoding": "gzip"}),
                   400, "malformed_json")
    assert record_count(srv, "lenient") == 0
    assert record_count(srv, "lenient.dlq") == 0
