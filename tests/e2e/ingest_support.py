"""Helpers shared by the end-to-end tests of ingestion (tests/e2e/test_ingest_*.py):
problem+json checks, reading a stream back through the records API, raw HTTP
over sockets (for what `requests` cannot send or observe), API keys, and zstd
bodies made with the `zstd` command-line tool."""

import base64
import hashlib
import json
import shutil
import socket
import subprocess
import time

PROBLEM = "application/problem+json"
CE = "application/cloudevents+json"
CE_BATCH = "application/cloudevents-batch+json"
NDJSON = "application/x-ndjson"
PROBLEMS = "https://eventlake.dev/problems/"


def assert_problem(response, status, name, pointer=None):
    """`response` is an RFC 9457 problem of `status` and type `name`; with
    `pointer`, its JSON pointer is exactly that. Returns the parsed body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == PROBLEM, response.headers
    body = response.json()
    assert body["type"] == PROBLEMS + name, body
    assert body["status"] == status, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    if pointer is not None:
        assert body.get("pointer") == pointer, body
    return body


def accepted(response):
    """The `accepted` entries of a 200 answer."""
    assert response.status_code == 200, response.text
    return response.json()["accepted"]


def read_all(srv, stream, headers=None):
    """Every record of every partition of `stream`, in partition then offset
    order, as the records API returns them (partition added)."""
    described = srv.get(f"/v1/streams/{stream}", headers=headers)
    assert described.status_code == 200, described.text
    out = []
    for p in described.json()["partitions"]:
        offset = p["start_offset"]
        while True:
            page = srv.get(f"/v1/streams/{stream}/records", headers=headers,
                           params={"partition": p["partition"], "offset": offset})
            assert page.status_code == 200, page.text
            page = page.json()
            out += [{**r, "partition": p["partition"]} for r in page["records"]]
            if page["next_offset"] >= page["end_offset"]:
                break
            offset = page["next_offset"]
    return out


def stored_events(srv, stream, headers=None):
    """The events of `stream`, in partition then offset order."""
    return [r["event"] for r in read_all(srv, stream, headers)]


def events_by_id(srv, stream, headers=None):
    return {e["id"]: e for e in stored_events(srv, stream, headers)}


def record_count(srv, stream, headers=None):
    """How many records `stream` holds, from its description."""
    described = srv.get(f"/v1/streams/{stream}", headers=headers)
    assert described.status_code == 200, described.text
    return described.json()["records"]


def cloudevent(event_id, type_="com.example.thing", source="/test", **more):
    event = {"specversion": "1.0", "id": event_id, "source": source, "type": type_}
    event.update(more)
    return event


def compact(value):
    """JSON text without whitespace, the way eventlake stores JSON data."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def wait_for(condition, timeout=15.0, interval=0.05, what="the condition"):
    """Polls `condition()` until it returns something truthy; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


# ---- API keys ----

def make_api_key(seed):
    """A well-formed key ("elk_" + 43 base64url characters), derived from `seed`."""
    raw = hashlib.sha256(seed.encode()).digest()
    return "elk_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_sha256(key):
    return hashlib.sha256(key.encode()).hexdigest()


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


# ---- zstd ----

def zstd_available():
    return shutil.which("zstd") is not None


def zstd_compress(data):
    """`data` compressed by the zstd command-line tool (no Python module here)."""
    done = subprocess.run(["zstd", "-q", "-c", "-"], input=data, capture_output=True,
                          timeout=60, check=True)
    return done.stdout


# ---- raw HTTP ----

def connect(port, timeout=10.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_response(sock):
    """One HTTP/1.1 response with a Content-Length: (status, headers, body).
    Header names are lower-cased. Raises ConnectionError when the server
    closes first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} bytes: {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        body += chunk
    return status, headers, body[:length]


def get_request(path="/healthz"):
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def closed_by_server(sock, timeout=15.0):
    """True once the server closed `sock` (EOF or reset) within `timeout`;
    False when it stayed open that long. Discards any bytes it sends."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False
