"""The `eventlake` CLI driven as a user would: streams, tail and log check
against a real server started by the `server` fixture (tests/e2e/conftest.py)."""

import datetime
import glob
import json
import os
import select
import signal
import socket
import subprocess
import time
import uuid


def cli(eventlake_bin, *args, server=None, timeout=60):
    """Runs the CLI (against `server` when given) and returns the CompletedProcess."""
    command = [eventlake_bin, *args]
    if server is not None:
        command += ["--server", server.url]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def post(srv, path, body, content_type):
    """POSTs JSON to the server; returns the decoded 2xx answer."""
    response = srv.post(path, data=json.dumps(body), headers={"Content-Type": content_type})
    assert response.status_code // 100 == 2, response.text
    return response.json()


def unused_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send_cloudevent(srv, **attributes):
    """POSTs one structured CloudEvent to the `events` source; returns its id."""
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/tests/cli",
        "type": "com.example.test",
        "datacontenttype": "application/json",
        "data": {"n": 1},
    }
    event.update(attributes)
    answer = post(srv, "/v1/sources/events/events", event, "application/cloudevents+json")
    assert len(answer["accepted"]) == 1
    return event["id"]


def tail_lines(result):
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def rfc3339(micros):
    moment = datetime.datetime.fromtimestamp(micros / 1e6, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339_micros(text):
    moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6)


def test_streams_create_list_and_describe(eventlake_bin, server):
    srv = server()
    created = cli(
        eventlake_bin, "streams", "create", "orders", "--partitions", "3",
        "--durability", "interval", "--retention", "2d", "--segment-bytes", "1MiB", server=srv,
    )
    assert created.returncode == 0, created.stderr
    assert "orders" in created.stdout

    listed = cli(eventlake_bin, "streams", server=srv)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "PARTITIONS", "DURABILITY", "SIZE", "RECORDS"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["orders"][1:3] == ["3", "interval"]
    assert "events" in rows  # the embedded default's stream

    as_json = json.loads(cli(eventlake_bin, "streams", "--json", server=srv).stdout)
    orders = [s for s in as_json["streams"] if s["name"] == "orders"]
    assert orders and orders[0]["partitions"] == 3

    described = cli(eventlake_bin, "streams", "describe", "orders", server=srv)
    assert described.returncode == 0, described.stderr
    assert "retention" in described.stdout and "2d" in described.stdout
    assert "PARTITION" in described.stdout and "no consumer groups" in described.stdout

    detail = json.loads(cli(eventlake_bin, "streams", "describe", "orders", "--json",
                            server=srv).stdout)
    assert [p["partition"] for p in detail["partitions"]] == [0, 1, 2]
    assert all(p["health"] == "ok" for p in detail["partitions"])


def test_streams_create_reports_server_refusals(eventlake_bin, server):
    srv = server()
    assert cli(eventlake_bin, "streams", "create", "dup", server=srv).returncode == 0
    again = cli(eventlake_bin, "streams", "create", "dup", server=srv)
    assert again.returncode == 1
    assert again.stderr.startswith("eventlake: ") and "dup" in again.stderr

    bad = cli(eventlake_bin, "streams", "create", "bad", "--retention", "soon", server=srv)
    assert bad.returncode == 1
    assert "retention" in bad.stderr

    zero = cli(eventlake_bin, "streams", "create", "zero", "--partitions", "0", server=srv)
    assert zero.returncode == 1
    assert "partitions" in zero.stderr

    missing = cli(eventlake_bin, "streams", "describe", "nope", server=srv)
    assert missing.returncode == 1
    assert "nope" in missing.stderr

    usage = cli(eventlake_bin, "streams", "create", "x", "--durability", "sometimes", server=srv)
    assert usage.returncode == 2


def test_tail_from_earliest_prints_events_with_their_attributes(eventlake_bin, server):
    srv = server()
    structured = send_cloudevent(srv, subject="order-7", tenant="acme", data={"total": 12.5})
    plain = post(srv, "/v1/sources/events/events", {"plain": True}, "application/json")
    send_cloudevent(srv)

    result = cli(eventlake_bin, "tail", "events", "--from", "earliest", "--limit", "10",
                 server=srv)
    records = tail_lines(result)
    assert len(records) == 3
    by_id = {r["event"]["id"]: r for r in records}
    record = by_id[structured]
    assert set(record) == {"partition", "offset", "append_time", "event"}
    assert record["event"]["subject"] == "order-7"
    assert record["event"]["tenant"] == "acme"
    assert record["event"]["type"] == "com.example.test"
    assert record["event"]["data"] == {"total": 12.5}
    plain_id = plain["accepted"][0]["id"]
    assert by_id[plain_id]["event"]["data"] == {"plain": True}
    assert by_id[plain_id]["event"]["source"] == "/eventlake/sources/events"

    limited = tail_lines(cli(eventlake_bin, "tail", "events", "--from", "earliest",
                             "--limit", "2", server=srv))
    assert len(limited) == 2


def test_tail_from_a_time_skips_older_records(eventlake_bin, server):
    srv = server()
    first = send_cloudevent(srv)
    [old] = tail_lines(cli(eventlake_bin, "tail", "events", "--from", "earliest", server=srv))
    assert old["event"]["id"] == first
    time.sleep(0.01)  # keeps the next append time apart; nothing is timed
    second = send_cloudevent(srv)

    since = rfc3339(parse_rfc3339_micros(old["append_time"]) + 1)
    records = tail_lines(cli(eventlake_bin, "tail", "events", "--from", since, server=srv))
    assert [r["event"]["id"] for r in records] == [second]

    by_offset = tail_lines(cli(eventlake_bin, "tail", "events", "--partition",
                               str(old["partition"]), "--from", str(old["offset"]), server=srv))
    assert by_offset[0]["event"]["id"] == first


def test_tail_follow_prints_an_event_sent_after_it_started(eventlake_bin, server):
    srv = server()
    send_cloudevent(srv)  # older than --from: must not be printed
    time.sleep(0.01)
    since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    follower = subprocess.Popen(
        [eventlake_bin, "--server", srv.url, "tail", "events", "--follow", "--from", since],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        new_id = send_cloudevent(srv, subject="fresh")
        ready, _, _ = select.select([follower.stdout], [], [], 30)
        assert ready, "tail --follow printed nothing"
        line = json.loads(follower.stdout.readline())
        assert line["event"]["id"] == new_id
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=15) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


def find_big_segment(data_dir):
    segments = glob.glob(os.path.join(data_dir, "log", "events", "*", "*.log"))
    segments = [s for s in segments if os.path.getsize(s) > 4096]
    assert segments, "no segment of the events stream is large enough"
    return max(segments, key=os.path.getsize)


def fill_events(srv, count=60):
    batch = [
        {"specversion": "1.0", "id": f"fill-{i}", "source": "/tests/cli", "type": "fill",
         "data": {"payload": "x" * 200, "i": i}}
        for i in range(count)
    ]
    answer = post(srv, "/v1/sources/events/events", batch, "application/cloudevents-batch+json")
    assert len(answer["accepted"]) == count


def test_log_check_passes_on_a_healthy_data_dir(eventlake_bin, server):
    srv = server()
    fill_events(srv)
    srv.stop()
    result = cli(eventlake_bin, "log", "check", "--data-dir", srv.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.splitlines()[0]
    assert summary.startswith("streams ")
    counts = dict(part.rsplit(" ", 1) for part in summary.split(", "))
    assert int(counts["records"]) >= 60
    assert int(counts["segments"]) >= 1
    assert "problem:" not in result.stdout


def test_log_check_names_a_segment_with_a_flipped_byte(eventlake_bin, server):
    srv = server()
    fill_events(srv)
    srv.stop()
    segment = find_big_segment(srv.data_dir)
    with open(segment, "r+b") as f:
        f.seek(os.path.getsize(segment) // 2)  # far past the 16-byte header, inside a record
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    result = cli(eventlake_bin, "log", "check", "--data-dir", srv.data_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert os.path.basename(segment) in result.stdout
    assert "problem:" in result.stdout
    assert result.stderr.startswith("eventlake: log check found")


def test_log_check_of_a_missing_directory_fails(eventlake_bin, tmp_path):
    result = cli(eventlake_bin, "log", "check", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert result.stderr.startswith("eventlake: ")


def test_usage_errors_exit_2(eventlake_bin):
    assert cli(eventlake_bin, "frobnicate").returncode == 2
    assert cli(eventlake_bin).returncode == 2
    assert cli(eventlake_bin, "tail").returncode == 2  # no stream
    bad_from = cli(eventlake_bin, "tail", "events", "--from", "yesterday")
    assert bad_from.returncode == 2
    assert "yesterday" in bad_from.stderr
    assert cli(eventlake_bin, "--server", "https://x:1", "streams").returncode == 2


def test_version_and_help_exit_0(eventlake_bin):
    version = cli(eventlake_bin, "--version")
    assert version.returncode == 0 and version.stdout.startswith("eventlake ")
    helped = cli(eventlake_bin, "tail", "--help")
    assert helped.returncode == 0 and "--follow" in helped.stdout


def test_unreachable_server_gives_a_helpful_message(eventlake_bin):
    url = f"http://127.0.0.1:{unused_port()}"
    for args in (["streams"], ["tail", "events"], ["streams", "describe", "events"]):
        result = subprocess.run([eventlake_bin, "--server", url, *args],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, args
        assert result.stderr.strip() == (
            f"eventlake: cannot reach eventlake at {url}: is `eventlake serve` running?"
        )


def test_server_address_comes_from_the_environment(eventlake_bin, server):
    srv = server()
    env = dict(os.environ, EVENTLAKE_SERVER=srv.url)
    result = subprocess.run([eventlake_bin, "streams"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "events" in result.stdout
