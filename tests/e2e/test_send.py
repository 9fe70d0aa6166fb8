"""`eventlake send` against a real server (fixtures in conftest.py): NDJSON,
JSON arrays, CloudEvents with their ids, stdin, retries on 429 under a stream
quota until they run out, malformed files named by line, refused batches and
usage errors."""

import hashlib
import json
import os
import subprocess

import pytest

ONE_PARTITION = """
streams:
  - name: events
    partitions: 1
sources:
  - name: events
    stream: events
"""

# A stream so small that a few batches fill it; after that every append is
# refused with 429 (nothing in the test frees space).
SMALL_QUOTA = """
streams:
  - name: events
    partitions: 1
    quota_bytes: 2KiB
sources:
  - name: events
    stream: events
"""


def send(eventlake_bin, srv, *args, stdin=None, timeout=60):
    """Runs `eventlake send ARGS --server URL`; returns the CompletedProcess."""
    command = [eventlake_bin, "send", *args, "--server", srv.url]
    return subprocess.run(command, capture_output=True, text=True, input=stdin,
                          timeout=timeout)


def records(srv, stream="events"):
    return srv.get(f"/v1/streams/{stream}").json()["records"]


def tail_events(eventlake_bin, srv):
    """Every event of the `events` stream, read back with `eventlake tail`."""
    done = subprocess.run([eventlake_bin, "tail", "events", "--server", srv.url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["event"] for line in done.stdout.splitlines()]


def write_ndjson(path, objects):
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


def test_ndjson_file_of_2500_objects_arrives_whole(eventlake_bin, server, tmp_path):
    srv = server()
    data = write_ndjson(tmp_path / "clicks.ndjson",
                        [{"n": i, "page": f"/p/{i % 7}"} for i in range(2500)])
    done = send(eventlake_bin, srv, str(data), "--source", "events")
    assert done.returncode == 0, done.stderr
    assert records(srv) == 2500
    assert "2500 events accepted, 0 rejected, 0 retries in " in done.stderr
    assert "\r" not in done.stderr  # no progress drawing when stderr is not a terminal
    assert done.stdout == ""
    numbers = sorted(e["data"]["n"] for e in tail_events(eventlake_bin, srv))
    assert numbers == list(range(2500))


def test_json_array_file_is_wrapped_with_the_given_type(eventlake_bin, server, tmp_path):
    srv = server(config=ONE_PARTITION)
    data = tmp_path / "orders.json"
    data.write_text(json.dumps([{"order": 1, "total": 12.5}, {"order": 2, "total": 3},
                                {"order": 3, "items": ["a", "b"]}], indent=2))
    done = send(eventlake_bin, srv, str(data), "--source", "events", "--type", "order.created")
    assert done.returncode == 0, done.stderr
    events = tail_events(eventlake_bin, srv)
    assert [e["data"] for e in events] == json.loads(data.read_text())
    assert {e["type"] for e in events} == {"order.created"}
    assert {e["source"] for e in events} == {"/eventlake/sources/events"}


def test_cloudevents_keep_their_ids_and_attributes(eventlake_bin, server, tmp_path):
    srv = server(config=ONE_PARTITION)
    events = [{"specversion": "1.0", "id": f"order-{i}", "source": "/shop",
               "type": "order.created", "subject": f"o{i}", "data": {"i": i}} for i in range(7)]
    data = write_ndjson(tmp_path / "events.jsonl", events)
    done = send(eventlake_bin, srv, str(data), "--source", "events", "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    assert "7 events accepted" in done.stderr
    back = tail_events(eventlake_bin, srv)
    assert [e["id"] for e in back] == [f"order-{i}" for i in range(7)]
    assert [e["subject"] for e in back] == [f"o{i}" for i in range(7)]
    assert {e["source"] for e in back} == {"/shop"}


def test_stdin_is_sniffed_as_ndjson_or_json(eventlake_bin, server):
    srv = server(config=ONE_PARTITION)
    lines = "".join(json.dumps({"k": i}) + "\n" for i in range(5))
    done = send(eventlake_bin, srv, "--source", "events", stdin=lines)
    assert done.returncode == 0, done.stderr
    pretty = json.dumps({"k": 5, "nested": {"a": [1, 2]}}, indent=2)  # one object over lines
    done = send(eventlake_bin, srv, "-", "--source", "events", stdin=pretty)
    assert done.returncode == 0, done.stderr
    assert "1 event accepted" in done.stderr
    assert sorted(e["data"]["k"] for e in tail_events(eventlake_bin, srv)) == list(range(6))


def test_429_under_quota_is_retried_then_fails_clearly(eventlake_bin, server, tmp_path):
    srv = server(config=SMALL_QUOTA)
    data = write_ndjson(tmp_path / "many.ndjson", [{"n": i, "pad": "x" * 100} for i in range(200)])
    done = send(eventlake_bin, srv, str(data), "--source", "events", "--batch-size", "5",
                "--max-retries", "2")
    assert done.returncode == 1, done.stderr
    stored = records(srv)
    assert 0 < stored < 200
    assert "still refused after 2 retries (HTTP 429)" in done.stderr
    assert "quota" in done.stderr
    assert f"{stored} events accepted, 0 rejected, 2 retries in " in done.stderr
    # The failure is the last line; the summary comes before it.
    assert done.stderr.rstrip().splitlines()[-1].startswith("eventlake: ")


def test_malformed_line_fails_naming_it_after_sending_what_came_before(eventlake_bin, server,
                                                                       tmp_path):
    srv = server(config=ONE_PARTITION)
    data = tmp_path / "bad.ndjson"
    data.write_text('{"a":1}\n{"a":2}\n\n{"a":3,}\n{"a":4}\n')
    done = send(eventlake_bin, srv, str(data), "--source", "events")
    assert done.returncode == 1
    assert f"eventlake: {data}: line 4: not valid JSON" in done.stderr
    assert records(srv) == 2


def test_malformed_json_array_fails_naming_the_line(eventlake_bin, server, tmp_path):
    srv = server(config=ONE_PARTITION)
    data = tmp_path / "bad.json"
    data.write_text('[\n  {"a": 1},\n  {"a": 2}\n  {"a": 3}\n]\n')
    done = send(eventlake_bin, srv, str(data), "--source", "events")
    assert done.returncode == 1
    assert "line 4: expected ',' or ']'" in done.stderr


def test_missing_file_fails_before_anything_is_sent(eventlake_bin, server, tmp_path):
    srv = server(config=ONE_PARTITION)
    good = write_ndjson(tmp_path / "good.ndjson", [{"a": 1}])
    done = send(eventlake_bin, srv, str(good), str(tmp_path / "missing.ndjson"),
                "--source", "events")
    assert done.returncode == 1
    assert "cannot read" in done.stderr and "missing.ndjson" in done.stderr
    assert records(srv) == 0


def test_refused_batch_stops_with_the_servers_detail(eventlake_bin, server, tmp_path):
    srv = server(config=ONE_PARTITION)
    data = write_ndjson(tmp_path / "a.ndjson", [{"a": 1}])
    done = send(eventlake_bin, srv, str(data), "--source", "nosuch")
    assert done.returncode == 1
    assert "no source named 'nosuch'" in done.stderr
    assert f"(sending {data} line 1)" in done.stderr
    # A CloudEvent without a type: the server refuses the whole batch.
    bad = write_ndjson(tmp_path / "ce.ndjson",
                       [{"specversion": "1.0", "id": "x", "source": "/s"}])
    done = send(eventlake_bin, srv, str(bad), "--source", "events")
    assert done.returncode == 1
    assert "type" in done.stderr
    assert records(srv) == 0


def test_csv_rows_become_objects_of_strings(eventlake_bin, server, tmp_path):
    srv = server(config=ONE_PARTITION)
    data = tmp_path / "rows.csv"
    data.write_text('user,page\nu-1,/home\nu-2,"/a, b"\n')
    done = send(eventlake_bin, srv, str(data), "--source", "events")
    assert done.returncode == 0, done.stderr
    assert [e["data"] for e in tail_events(eventlake_bin, srv)] == [
        {"user": "u-1", "page": "/home"}, {"user": "u-2", "page": "/a, b"}]


@pytest.mark.parametrize("args", [
    [],                                            # no --source
    ["--source", "events", "--format", "xml"],
    ["--source", "events", "--batch-bytes", "0"],
    ["--source", "events", "--batch-size", "0"],
    ["--source", "events", "--type", ""],
])
def test_usage_errors_exit_2(eventlake_bin, args):
    done = subprocess.run([eventlake_bin, "send", *args], capture_output=True, text=True,
                          input="", timeout=30)
    assert done.returncode == 2, done.stderr


WITH_KEYS = """
security:
  api_keys:
    - name: loader
      key_sha256: {digest}
      policies: [load]
  policies:
    - name: load
      statements:
        - effect: allow
          actions: ["events:Put", "streams:Describe", "streams:Read"]
          resources: ["source/events", "stream/events"]
streams:
  - name: events
    partitions: 1
sources:
  - name: events
    stream: events
"""


def test_client_commands_authenticate_with_the_key_in_the_environment(eventlake_bin, server,
                                                                      tmp_path):
    key = "elk_" + "k" * 43
    srv = server(config=WITH_KEYS.format(digest=hashlib.sha256(key.encode()).hexdigest()))
    data = write_ndjson(tmp_path / "a.ndjson", [{"n": 1}, {"n": 2}])
    env = {k: v for k, v in os.environ.items() if k != "EVENTLAKE_API_KEY"}
    command = [eventlake_bin, "send", str(data), "--source", "events", "--server", srv.url]
    refused = subprocess.run(command,
                             capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 1
    assert "API key" in refused.stderr or "Authorization" in refused.stderr, refused.stderr
    env["EVENTLAKE_API_KEY"] = key
    sent = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert sent.returncode == 0, sent.stderr
    tailed = subprocess.run([eventlake_bin, "tail", "events", "--server", srv.url],
                            capture_output=True, text=True, timeout=60, env=env)
    assert tailed.returncode == 0, tailed.stderr
    assert [json.loads(line)["event"]["data"] for line in tailed.stdout.splitlines()] == \
        [{"n": 1}, {"n": 2}]
