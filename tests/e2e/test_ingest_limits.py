"""End-to-end tests of the limits of ingestion (issue 3): every limit of a
source's `limits:` section and of the HTTP server (`server:`) is answered with
its status and problem type, nothing of the refused request is appended, and
the server keeps serving afterwards."""

import gzip
import json
import socket
import time

import pytest

from ingest_support import (CE, CE_BATCH, NDJSON, accepted, assert_problem, closed_by_server,
                            cloudevent, connect, get_request, read_response, record_count,
                            zstd_available, zstd_compress)

LIMITED = """
streams:
  - name: events
    partitions: 1
sources:
  - name: web
    stream: events
    limits:
      max_body_bytes: 64KiB
      max_decompressed_bytes: 256KiB
      max_events_per_batch: 3
      max_depth: 6
      max_string_bytes: 256
      max_header_value_bytes: 256
      max_attribute_bytes: 128
"""

URL = "/v1/sources/web/events"
BINARY = {"ce-specversion": "1.0", "ce-id": "b-1", "ce-source": "/s", "ce-type": "t",
          "Content-Type": "application/json"}


@pytest.fixture
def srv(server):
    return server(config=LIMITED)


def assert_stored(srv, expected=0):
    """The stream holds `expected` records: refused requests appended nothing."""
    assert record_count(srv, "events") == expected


def still_serving(srv, expected):
    """A valid request after refused ones is stored; the stream then holds `expected` records."""
    sent = srv.post(URL, json=cloudevent("after"), headers={"Content-Type": CE})
    assert len(accepted(sent)) == 1
    assert_stored(srv, expected)


def nested(depth):
    """A JSON value `depth` levels of arrays deep."""
    value = 1
    for _ in range(depth):
        value = [value]
    return value


# ---- source limits ----

def test_body_over_max_body_bytes_is_413(srv):
    event = cloudevent("big", data={"pad": "x" * 200, "more": ["y" * 200] * 400})
    body = json.dumps(event).encode()
    assert len(body) > 64 * 1024
    assert_problem(srv.post(URL, data=body, headers={"Content-Type": CE}), 413, "body_too_large")
    packed = bytes(range(256)) * 300  # over 64 KiB as sent; the size counts before inflating
    assert_problem(srv.post(URL, data=packed, headers={"Content-Type": NDJSON,
                                                      "Content-Encoding": "gzip"}),
                   413, "body_too_large")
    still_serving(srv, 1)


def test_gzip_bomb_is_413_decompressed_too_large(srv):
    bomb = gzip.compress(b"\0" * (10 << 20), 9)
    assert len(bomb) < 64 * 1024
    body = assert_problem(srv.post(URL, data=bomb, headers={"Content-Type": CE,
                                                           "Content-Encoding": "gzip"}),
                          413, "decompressed_too_large")
    assert "pointer" not in body
    still_serving(srv, 1)


@pytest.mark.skipif(not zstd_available(), reason="no zstd command-line tool to make zstd bodies")
def test_zstd_bomb_is_413_decompressed_too_large(srv):
    bomb = zstd_compress(b"\0" * (10 << 20))
    assert len(bomb) < 64 * 1024
    assert_problem(srv.post(URL, data=bomb, headers={"Content-Type": CE,
                                                    "Content-Encoding": "zstd"}),
                   413, "decompressed_too_large")
    assert_stored(srv)


def test_gzip_body_that_is_not_gzip_is_400_invalid_encoding(srv):
    assert_problem(srv.post(URL, data=b"this is not gzip",
                            headers={"Content-Type": CE, "Content-Encoding": "gzip"}),
                   400, "invalid_encoding")
    truncated = gzip.compress(json.dumps(cloudevent("cut")).encode())[:-6]
    assert_problem(srv.post(URL, data=truncated,
                            headers={"Content-Type": CE, "Content-Encoding": "gzip"}),
                   400, "invalid_encoding")
    assert_stored(srv)


def batch_body(content_type, count):
    if content_type == CE_BATCH:
        return json.dumps([cloudevent(f"e{i}") for i in range(count)])
    if content_type == NDJSON:
        return "".join(json.dumps({"i": i}) + "\n" for i in range(count))
    return json.dumps([{"i": i} for i in range(count)])


@pytest.mark.parametrize("content_type", [CE_BATCH, "application/json", NDJSON])
def test_more_events_than_max_events_per_batch_is_413(srv, content_type):
    too_many = batch_body(content_type, 4).encode()
    assert_problem(srv.post(URL, data=too_many, headers={"Content-Type": content_type}),
                   413, "too_many_events")
    assert_stored(srv)
    # Exactly the limit goes through.
    limit = batch_body(content_type, 3).encode()
    assert len(accepted(srv.post(URL, data=limit, headers={"Content-Type": content_type}))) == 3
    assert_stored(srv, 3)


def test_nesting_deeper_than_max_depth_is_400_too_deep(srv):
    # An event object holding data is 2 deep; 5 more arrays inside make 7 > 6.
    deep = cloudevent("deep", data=nested(6))
    assert_problem(srv.post(URL, json=deep, headers={"Content-Type": CE}), 400, "too_deep")
    assert_problem(srv.post(URL, json=[deep], headers={"Content-Type": CE_BATCH}),
                   400, "too_deep")
    assert_problem(srv.post(URL, json={"a": nested(6)}), 400, "too_deep")
    assert_problem(srv.post(URL, data=json.dumps(nested(7)).encode(), headers=BINARY),
                   400, "too_deep")
    assert_stored(srv)
    # Exactly max_depth is fine.
    ok = cloudevent("deep-ok", data=nested(5))
    assert len(accepted(srv.post(URL, json=ok, headers={"Content-Type": CE}))) == 1
    assert_stored(srv, 1)


def test_deep_ndjson_line_is_rejected_alone(srv):
    body = (json.dumps({"ok": 1}) + "\n" + json.dumps({"a": nested(6)}) + "\n").encode()
    answer = srv.post(URL, data=body, headers={"Content-Type": NDJSON}).json()
    assert len(answer["accepted"]) == 1
    [rejected] = answer["rejected"]
    assert (rejected["index"], rejected["type"], rejected["status"], rejected["pointer"]) == (
        1, "too_deep", 400, "/1")
    assert_stored(srv, 1)


def test_string_longer_than_max_string_bytes_is_400_with_its_pointer(srv):
    long_value = cloudevent("long", data={"ok": "x", "note": {"text": "é" * 129}})  # 258 bytes
    assert_problem(srv.post(URL, json=long_value, headers={"Content-Type": CE}),
                   400, "string_too_long", pointer="/data/note/text")
    long_key = cloudevent("long-key", data={"k" * 257: 1})
    assert_problem(srv.post(URL, json=long_key, headers={"Content-Type": CE}),
                   400, "string_too_long", pointer="/data/" + "k" * 257)
    plain = {"list": ["short", "y" * 300]}
    assert_problem(srv.post(URL, json=plain), 400, "string_too_long", pointer="/list/1")
    binary = srv.post(URL, data=json.dumps({"s": "z" * 300}).encode(), headers=BINARY)
    assert_problem(binary, 400, "string_too_long", pointer="/s")
    assert_stored(srv)


def test_long_string_in_a_batch_rejects_only_its_item(srv):
    batch = [cloudevent("fine-0"), cloudevent("too-long", data={"s": "x" * 300})]
    answer = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()
    assert [a["id"] for a in answer["accepted"]] == ["fine-0"]
    [rejected] = answer["rejected"]
    assert (rejected["index"], rejected["type"], rejected["status"], rejected["pointer"]) == (
        1, "string_too_long", 400, "/1/data/s")
    assert_stored(srv, 1)


def test_invalid_utf8_is_400(srv):
    structured = b'{"specversion":"1.0","id":"u","source":"/s","type":"t","data":{"s":"a\xff"}}'
    assert_problem(srv.post(URL, data=structured, headers={"Content-Type": CE}),
                   400, "invalid_utf8")
    assert_problem(srv.post(URL, data=b'{"s":"\xc3\x28"}',
                            headers={"Content-Type": "application/json"}),
                   400, "invalid_utf8")
    assert_problem(srv.post(URL, data=b'{"s":"\xed\xa0\x80"}', headers=BINARY),  # a surrogate
                   400, "invalid_utf8")
    gzipped = gzip.compress(b'[{"specversion":"1.0","id":"u","source":"/\xfe","type":"t"}]')
    assert_problem(srv.post(URL, data=gzipped, headers={"Content-Type": CE_BATCH,
                                                       "Content-Encoding": "gzip"}),
                   400, "invalid_utf8")
    assert_stored(srv)


def test_header_value_over_max_header_value_bytes_is_431(srv):
    headers = {**BINARY, "ce-subject": "s" * 257}
    assert_problem(srv.post(URL, data=b"{}", headers=headers), 431, "header_too_large",
                   pointer="/subject")
    headers = {**BINARY, "ce-myext": "%41" * 100}  # 300 bytes as sent, 100 decoded
    assert_problem(srv.post(URL, data=b"{}", headers=headers), 431, "header_too_large",
                   pointer="/myext")
    assert_problem(srv.post(URL, json={"a": 1}, headers={"Idempotency-Key": "k" * 257}),
                   431, "header_too_large")
    still_serving(srv, 1)


def test_attribute_over_max_attribute_bytes_is_400_invalid_event(srv):
    structured = cloudevent("attr", subject="s" * 129)
    assert_problem(srv.post(URL, json=structured, headers={"Content-Type": CE}),
                   400, "invalid_event", pointer="/subject")
    ext = cloudevent("attr-ext", myext="e" * 129)
    assert_problem(srv.post(URL, json=ext, headers={"Content-Type": CE}),
                   400, "invalid_event", pointer="/myext")
    binary = {**BINARY, "ce-id": "i" * 129}  # under the header limit, over the attribute limit
    assert_problem(srv.post(URL, data=b"{}", headers=binary), 400, "invalid_event",
                   pointer="/id")
    assert_stored(srv)
    batch = [cloudevent("b-ok"), cloudevent("b-long", source="/" + "p" * 128)]
    answer = srv.post(URL, json=batch, headers={"Content-Type": CE_BATCH}).json()
    assert [a["id"] for a in answer["accepted"]] == ["b-ok"]
    [rejected] = answer["rejected"]
    assert (rejected["index"], rejected["type"], rejected["pointer"]) == (
        1, "invalid_event", "/1/source")
    assert_stored(srv, 1)


def test_unsupported_content_type_is_415(srv):
    for content_type in ("application/xml", "text/plain", "application/cloudevents+xml",
                         "application/cloudevents-batch+protobuf", "multipart/form-data"):
        response = srv.post(URL, data=b'{"a":1}', headers={"Content-Type": content_type})
        assert_problem(response, 415, "unsupported_media_type")
    missing = srv.post(URL, data=b'{"a":1}')
    assert "Content-Type" not in missing.request.headers
    assert_problem(missing, 415, "unsupported_media_type")
    assert_stored(srv)


def test_unsupported_content_encoding_is_415(srv):
    for encoding in ("br", "deflate", "compress", "gzip, zstd"):
        response = srv.post(URL, data=gzip.compress(b'{"a":1}'),
                            headers={"Content-Type": "application/json",
                                     "Content-Encoding": encoding})
        assert_problem(response, 415, "unsupported_encoding")
    assert_stored(srv)


# ---- server limits ----

def test_server_max_body_bytes_is_413_also_for_chunked_bodies(server):
    srv = server(config="server:\n  max_body_bytes: 1KiB\n" + LIMITED)
    big = json.dumps(cloudevent("big", data={"pad": "x" * 2048})).encode()
    assert_problem(srv.post(URL, data=big, headers={"Content-Type": CE}),
                   413, "payload_too_large")

    def chunks():
        for _ in range(8):
            yield b" " * 512
        yield json.dumps(cloudevent("chunked")).encode()

    assert_problem(srv.post(URL, data=chunks(), headers={"Content-Type": CE}),
                   413, "payload_too_large")
    small = srv.post(URL, json=cloudevent("small"), headers={"Content-Type": CE})
    assert len(accepted(small)) == 1
    assert record_count(srv, "events") == 1


def test_header_of_20_kib_is_431(server):
    srv = server(config=LIMITED)
    response = srv.post(URL, json=cloudevent("h"),
                        headers={"Content-Type": CE, "X-Padding": "p" * (20 << 10)})
    assert_problem(response, 431, "request_header_fields_too_large")
    # Many headers adding up to 20 KiB are refused the same way.
    many = {f"X-Pad-{i}": "q" * 200 for i in range(100)}
    assert_problem(srv.post(URL, json=cloudevent("h2"), headers={"Content-Type": CE, **many}),
                   431, "request_header_fields_too_large")
    assert record_count(srv, "events") == 0
    assert srv.get("/healthz").status_code == 200


def open_connection(srv, deadline):
    """A keep-alive connection that the server has answered once; retried while
    connections of earlier requests are still being closed (503)."""
    while True:
        sock = connect(srv.port)
        sock.sendall(get_request())
        try:
            status, _, _ = read_response(sock)
        except ConnectionError:
            status = None
        if status == 200:
            return sock
        sock.close()
        assert time.monotonic() < deadline, f"could not open a connection (last: {status})"
        time.sleep(0.05)


def test_connection_beyond_max_connections_gets_503(server):
    srv = server(config="server:\n  max_connections: 4\n  threads: 1\n" + LIMITED)
    deadline = time.monotonic() + 10
    held = [open_connection(srv, deadline) for _ in range(4)]
    try:
        extra = connect(srv.port)
        status, headers, body = read_response(extra)  # answered without sending anything
        assert status == 503
        assert headers["content-type"] == "application/problem+json"
        assert headers["retry-after"] == "1"
        problem = json.loads(body)
        assert problem["type"] == "https://eventlake.dev/problems/unavailable"
        assert "max_connections" in problem["detail"]
        assert closed_by_server(extra)
        extra.close()
        # The held connections still work.
        held[0].sendall(get_request())
        assert read_response(held[0])[0] == 200
    finally:
        for sock in held[1:]:
            sock.close()
    # With room again, new connections are served.
    again = open_connection(srv, time.monotonic() + 10)
    again.close()
    held[0].close()


IDLE = "server:\n  idle_timeout: 1s\n" + LIMITED


def test_idle_keep_alive_connection_is_closed(server):
    srv = server(config=IDLE)
    sock = connect(srv.port)
    sock.sendall(get_request())
    assert read_response(sock)[0] == 200
    assert closed_by_server(sock, timeout=15)
    sock.close()


def test_client_that_stalls_inside_its_headers_is_disconnected(server):
    srv = server(config=IDLE)
    sock = connect(srv.port)
    sock.sendall(b"POST /v1/sources/web/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
    assert closed_by_server(sock, timeout=15)
    sock.close()
    assert record_count(srv, "events") == 0


def test_client_that_drips_its_request_is_disconnected(server):
    # Bytes keep arriving, but the request never ends: the idle timeout bounds
    # the whole request, not the gaps between bytes.
    srv = server(config=IDLE)
    sock = connect(srv.port)
    body = json.dumps(cloudevent("drip")).encode()
    sock.sendall(b"POST /v1/sources/web/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/cloudevents+json\r\n"
                 b"Content-Length: " + str(len(body) + 10_000).encode() + b"\r\n\r\n")
    closed = False
    deadline = time.monotonic() + 20
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            sock.sendall(b" ")
            if sock.recv(65536) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    sock.close()
    assert closed, "the server kept a dripping request open"
    assert record_count(srv, "events") == 0
    assert srv.get("/healthz").status_code == 200
