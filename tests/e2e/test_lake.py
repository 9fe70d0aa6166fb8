"""The lake end to end: events sent over HTTP are loaded by the default
loader into curated.events (Parquet + a Delta log), and read back intact by
delta-rs (the `deltalake` package) and pyarrow at every version; restarts
load nothing twice; the schema evolves; rows the table refuses are
dead-lettered; partition values of every kind round-trip."""

import datetime
import time
import json
import pathlib

import pyarrow.dataset as pads
import pyarrow.parquet as papq
import pytest

from ingest_support import read_all
from lake_support import FAST, delta_rows, describe, event, send_batch, table_dir, wait_for_rows



def test_default_config_loads_http_events_into_curated_events(server):
    srv = server()  # the embedded default: curated.events from the stream events
    r = srv.post("/v1/sources/events/events", json={"page": "/pricing", "n": 1})
    assert r.status_code == 200, r.text
    wait_for_rows(srv, "curated.events", 1)
    tables = srv.get("/v1/tables").json()["tables"]
    assert [t["name"] for t in tables] == ["curated.events"]
    _, rows = delta_rows(table_dir(srv, "curated.events"))
    assert [(r["page"], r["n"]) for r in rows] == [("/pricing", 1)]


def test_every_value_comes_back_intact_through_delta_rs_and_pyarrow(server):
    srv = server(config=FAST)
    events = [event(i, text="héllo ✓ \"quoted\"\nnewline", n=i, big=2**62 + i, ratio=i / 4,
                    ok=i % 2 == 0, nothing=None, tags=["a", i], nested={"k": {"deep": i}})
              for i in range(6)]
    send_batch(srv, events)
    wait_for_rows(srv, "curated.events", 6)
    table, rows = delta_rows(table_dir(srv, "curated.events"))
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == [f"ev-{i}" for i in range(6)]
    for i in range(6):
        r = by_id[f"ev-{i}"]
        assert r["source"] == "/e2e" and r["type"] == "test.event"
        assert r["subject"] == f"subject-{i}"
        assert r["time"] == datetime.datetime(2026, 11, 20 + i % 3, 10, i % 60, 0, 123456,
                                              tzinfo=datetime.timezone.utc)
        assert r["dt"] == datetime.date(2026, 11, 20 + i % 3)
        assert r["text"] == "héllo ✓ \"quoted\"\nnewline"
        assert r["n"] == i and r["big"] == 2**62 + i
        assert r["ratio"] == i / 4
        assert r["ok"] is (i % 2 == 0)
        assert json.loads(r["tags"]) == ["a", i]
        assert json.loads(r["nested"]) == {"k": {"deep": i}}
    fields = {f.name: f.type.type for f in table.schema().fields}
    assert fields["time"] == "timestamp" and fields["n"] == "long" and fields["ratio"] == "double"
    assert fields["ok"] == "boolean" and fields["dt"] == "date"
    assert table.metadata().partition_columns == ["dt"]
    # pyarrow alone, over the Hive directories, sees the same rows.
    dataset = pads.dataset(str(table_dir(srv, "curated.events")), format="parquet",
                           partitioning="hive", ignore_prefixes=["_", "."])
    assert sorted(dataset.to_table().column("id").to_pylist()) == sorted(by_id)


def test_every_version_reads_the_same_in_delta_rs_as_in_eventlake(server):
    srv = server(config=FAST)
    for round_ in range(4):
        send_batch(srv, [event(round_ * 10 + k, n=k) for k in range(5)])
        wait_for_rows(srv, "curated.events", 5 * (round_ + 1))
    latest = describe(srv, "curated.events")["version"]
    assert latest >= 4
    assert_every_version_reads_alike(srv)
    history = srv.get("/v1/tables/curated.events/history").json()["commits"]
    assert [c["version"] for c in history] == list(range(latest, -1, -1))
    assert history[-1]["operation"] == "CREATE TABLE"


def assert_every_version_reads_alike(srv):
    """Each version of curated.events has the same files and rows in delta-rs,
    in pyarrow over those files and in eventlake's describe."""
    latest = describe(srv, "curated.events")["version"]
    root = table_dir(srv, "curated.events")
    for version in range(latest + 1):
        ours = describe(srv, "curated.events", version=version, files="true")
        assert ours["version"] == version
        table, rows = delta_rows(root, version=version)
        theirs = {pathlib.Path(u.removeprefix("file://")).relative_to(root).as_posix()
                  for u in table.file_uris()}
        assert theirs == {f["path"] for f in ours["file_list"]}, version
        # The rows of eventlake's files at that version, read by pyarrow.
        our_ids = sorted(i for f in ours["file_list"]
                         for i in papq.read_table(root / f["path"]).column("id").to_pylist())
        assert sorted(r["id"] for r in rows) == our_ids, version
        assert len(our_ids) == ours["rows"], version


def test_restarts_load_nothing_twice_and_lose_nothing(server):
    srv = server(config=FAST)
    send_batch(srv, [event(i, n=i) for i in range(30)])
    wait_for_rows(srv, "curated.events", 30)
    srv.stop()
    srv.start()
    send_batch(srv, [event(i, n=i) for i in range(30, 40)])
    wait_for_rows(srv, "curated.events", 40)
    srv.kill()  # no chance to flush
    srv.start()
    send_batch(srv, [event(i, n=i) for i in range(40, 50)])
    wait_for_rows(srv, "curated.events", 50)
    _, rows = delta_rows(table_dir(srv, "curated.events"))
    ids = [r["id"] for r in rows]
    assert sorted(ids) == sorted(f"ev-{i}" for i in range(50)), "each event exactly once"
    offsets = describe(srv, "curated.events")["loaded_offsets"]
    assert set(offsets) <= {f"events/events/{p}" for p in range(3)}


def test_schema_evolves_and_refused_rows_are_dead_lettered(server):
    srv = server(config=FAST)
    send_batch(srv, [event(0, n=1)])
    wait_for_rows(srv, "curated.events", 1)
    send_batch(srv, [event(1, n=2.5, added="new"), event(2, n="not a number")])
    wait_for_rows(srv, "curated.events", 2)
    table, rows = delta_rows(table_dir(srv, "curated.events"))
    fields = {f.name: f.type.type for f in table.schema().fields}
    assert fields["n"] == "double" and fields["added"] == "string"
    by_id = {r["id"]: r for r in rows}
    assert by_id["ev-0"]["n"] == 1.0 and by_id["ev-0"]["added"] is None
    assert by_id["ev-1"]["n"] == 2.5 and by_id["ev-1"]["added"] == "new"
    assert "ev-2" not in by_id
    # SQL reads the two files of two shapes as the table's one schema.
    r = srv.post("/v1/query", json={"sql": "SELECT id, n, added FROM curated.events ORDER BY id"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [["ev-0", 1.0, None], ["ev-1", 2.5, "new"]]
    letters = [r["event"] for r in read_all(srv, "curated.events.dlq")]
    assert len(letters) == 1
    assert letters[0]["type"] == "eventlake.deadletter"
    assert letters[0]["data"]["problem"]["type"] == "schema_mismatch"
    assert letters[0]["data"]["event"]["id"] == "ev-2"
    assert "column n" in letters[0]["data"]["problem"]["detail"]


PARTITIONED = FAST.replace("partition_by: [day(time)]", "partition_by: [day(time), region]")
NASTY = ["a/b", "..", "x=y", "50%", "zürich", "sp ace", "q?#", "\\back", "nul\u0000byte"]


def test_partition_values_of_every_kind_round_trip(server):
    srv = server(config=PARTITIONED)
    events = [event(i, region=v, n=i) for i, v in enumerate(NASTY)]
    events.append(event(99, n=99))  # no region: the null partition
    send_batch(srv, events)
    wait_for_rows(srv, "curated.events", len(events))
    table, rows = delta_rows(table_dir(srv, "curated.events"))
    got = {r["id"]: r["region"] for r in rows}
    assert got == {**{f"ev-{i}": v for i, v in enumerate(NASTY)}, "ev-99": None}
    # Every file stays inside the table directory.
    root = table_dir(srv, "curated.events").resolve()
    for path in root.rglob("*.parquet"):
        assert root in path.resolve().parents


def test_unknown_table_is_404_and_bad_version_is_400(server):
    srv = server(config=FAST)
    assert srv.get("/v1/tables/curated.nothing").status_code == 404
    assert srv.get("/v1/tables/curated.events", params={"version": "x"}).status_code == 400
    assert srv.get("/v1/tables/curated.events", params={"version": "99"}).status_code == 404


def test_cli_lists_describes_and_shows_the_history_of_tables(server, eventlake_bin):
    import subprocess
    srv = server(config=FAST)
    send_batch(srv, [event(i, n=i) for i in range(4)])
    wait_for_rows(srv, "curated.events", 4)

    def cli(*args):
        done = subprocess.run([eventlake_bin, "--server", srv.url, *args], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listing = cli("tables")
    assert "curated.events" in listing and "dt" in listing
    described = cli("tables", "describe", "curated.events", "--files")
    assert "4 rows" in described
    assert "dt=2026-11-2" in described and ".zstd.parquet" in described
    assert "events/events/" in described  # the loaded offsets
    old = json.loads(cli("tables", "describe", "curated.events", "--version", "0", "--json"))
    assert old["version"] == 0 and old["rows"] == 0
    history = cli("table", "history", "curated.events")
    assert "CREATE TABLE" in history and "WRITE" in history
    missing = subprocess.run([eventlake_bin, "--server", srv.url, "tables", "describe",
                              "curated.nope"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "curated.nope" in missing.stderr


COMPACTING = FAST.replace("    max_age: 200ms", "    max_age: 100ms\n    compact_min_files: 3\n"
                          "    compact_interval: 0s\n    vacuum_interval: 0s")


def test_compaction_keeps_every_row_once_for_readers_and_vacuum_frees_the_old_files(
        server, eventlake_bin):
    import subprocess
    import threading
    srv = server(config=COMPACTING)
    for round_ in range(8):
        send_batch(srv, [event(round_ * 10 + k, n=k) for k in range(10)])
        wait_for_rows(srv, "curated.events", 10 * (round_ + 1))
    before = describe(srv, "curated.events")
    assert before["files"] >= 8
    root = table_dir(srv, "curated.events")

    # A reader keeps reading while the compaction commits and more events load.
    seen, problems, stop = [], [], threading.Event()

    def read_continuously():
        while not stop.is_set():
            _, rows = delta_rows(root)
            ids = [r["id"] for r in rows]
            if len(ids) != len(set(ids)):
                problems.append(f"duplicates in a read of {len(ids)} rows")
            seen.append(len(ids))

    reader = threading.Thread(target=read_continuously)
    reader.start()
    compacted = subprocess.run([eventlake_bin, "--server", srv.url, "compact", "curated.events",
                                "--json"], capture_output=True, text=True, timeout=120)
    send_batch(srv, [event(100 + k, n=k) for k in range(10)])
    wait_for_rows(srv, "curated.events", 90)
    stop.set()
    reader.join()
    assert compacted.returncode == 0, compacted.stderr
    result = json.loads(compacted.stdout)
    assert result["files_removed"] >= 8 and result["files_added"] < result["files_removed"]
    assert not problems, problems
    assert seen == sorted(seen) and seen[0] >= 80, "no read saw a gap"

    after = describe(srv, "curated.events")
    assert after["files"] < before["files"]
    _, rows = delta_rows(root)
    assert sorted(r["id"] for r in rows) == sorted(
        [f"ev-{i}" for i in range(80)] + [f"ev-{100 + k}" for k in range(10)])
    history = srv.get("/v1/tables/curated.events/history").json()["commits"]
    assert "OPTIMIZE" in [c["operation"] for c in history]

    files_on_disk = len(list(root.rglob("*.parquet")))
    dry = srv.post("/v1/tables/curated.events/vacuum", json={"retention": "0s", "dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["files_deleted"] >= result["files_removed"]
    assert len(list(root.rglob("*.parquet"))) == files_on_disk
    vacuumed = subprocess.run([eventlake_bin, "--server", srv.url, "vacuum", "curated.events",
                               "--retention", "0s"], capture_output=True, text=True, timeout=120)
    assert vacuumed.returncode == 0, vacuumed.stderr
    live = {f["path"] for f in describe(srv, "curated.events", files="true")["file_list"]}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")
               if "_delta_log" not in p.parts}
    assert on_disk == live, "vacuum deletes exactly the files no version needs"
    _, rows = delta_rows(root)  # the latest version reads whole after vacuum
    assert len(rows) == 90
    bad = srv.post("/v1/tables/curated.events/vacuum", json={"retention": "soon"})
    assert bad.status_code == 400


def test_compaction_by_concatenation_reads_alike_in_delta_rs_pyarrow_and_sql(server, eventlake_bin):
    import subprocess
    srv = server(config=COMPACTING.replace("    compact_min_files: 3\n",
                                           "    compact_min_files: 3\n    compact_concat_min_rows: 1\n"))
    sent = []
    for round_ in range(6):
        batch = [event(round_ * 10 + k, n=k, text=f"t-{k}" if k % 3 else None, ratio=k / 8,
                       tags=["x", k]) for k in range(10)]
        send_batch(srv, batch)
        sent += batch
        wait_for_rows(srv, "curated.events", 10 * (round_ + 1))
    _, before = delta_rows(table_dir(srv, "curated.events"))
    compacted = subprocess.run([eventlake_bin, "--server", srv.url, "compact", "curated.events",
                                "--json"], capture_output=True, text=True, timeout=120)
    assert compacted.returncode == 0, compacted.stderr
    result = json.loads(compacted.stdout)
    assert result["files_concatenated"] == result["files_added"] >= 1, result
    assert result["files_rewritten"] == 0, result

    _, after = delta_rows(table_dir(srv, "curated.events"))
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(after, key=key) == sorted(before, key=key)  # every value, every column
    assert_every_version_reads_alike(srv)
    root = table_dir(srv, "curated.events")
    latest = describe(srv, "curated.events", files="true")
    groups = [papq.ParquetFile(root / f["path"]).metadata.num_row_groups
              for f in latest["file_list"]]
    assert max(groups) >= 3, groups  # one concatenated file holds several flushes' row groups
    r = srv.post("/v1/query", json={"sql": "SELECT count(*) AS n, sum(n)::BIGINT AS total, "
                                           "count(text) AS texts FROM curated.events"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [[60, 6 * 45, 6 * 6]]


def test_delta_rs_reads_the_tables_checkpoints(server):
    srv = server(config=FAST.replace("    max_age: 200ms", "    max_age: 100ms\n"
                                     "    checkpoint_interval: 5"))
    for round_ in range(12):
        send_batch(srv, [event(round_ * 10 + k, n=k, region="a/b" if k % 2 else None)
                         for k in range(3)])
        wait_for_rows(srv, "curated.events", 3 * (round_ + 1))
    root = table_dir(srv, "curated.events")
    last = json.loads((root / "_delta_log" / "_last_checkpoint").read_text())
    assert last["version"] >= 10 and last["version"] % 5 == 0
    assert (root / "_delta_log" / f"{last['version']:020d}.checkpoint.parquet").is_file()
    # Without the commits before the checkpoint, delta-rs still reads it all.
    for n in range(last["version"]):
        (root / "_delta_log" / f"{n:020d}.json").rename(root / f"hidden-{n}.json")
    table, rows = delta_rows(root)
    assert sorted(r["id"] for r in rows) == sorted(
        f"ev-{r * 10 + k}" for r in range(12) for k in range(3))
    assert describe(srv, "curated.events")["rows"] == 36  # and so does eventlake
    _, at_checkpoint = delta_rows(root, version=last["version"])
    assert len(at_checkpoint) == describe(srv, "curated.events", version=last["version"])["rows"]


RAW = FAST + """raw:
  - name: events
    stream: events
    max_age: 100ms
"""


def test_the_raw_zone_keeps_every_event_as_received_exactly_once(server):
    import subprocess
    srv = server(config=RAW)
    send_batch(srv, [event(i, n=i, text="ünïcode") for i in range(20)])
    raw_dir = pathlib.Path(srv.data_dir) / "lake" / "raw" / "events"

    def archived():
        out = {}
        for f in sorted(raw_dir.rglob("*.ndjson.zst")):
            text = subprocess.run(["zstd", "-dc", str(f)], capture_output=True, check=True).stdout
            for line in text.decode().splitlines():
                e = json.loads(line)
                out.setdefault(e["id"], []).append((f, e))
        return out

    deadline = time.monotonic() + 30
    while len(archived()) < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    got = archived()
    assert sorted(got) == sorted(f"ev-{i}" for i in range(20))
    for i in range(20):
        (path, e), = got[f"ev-{i}"]  # exactly once
        assert e["data"] == {"n": i, "text": "ünïcode"} and e["source"] == "/e2e"
        assert path.parent.name.startswith("hour=") and path.parent.parent.name.startswith("dt=")
    srv.kill()
    srv.start()
    send_batch(srv, [event(100, n=100)])
    deadline = time.monotonic() + 30
    while "ev-100" not in archived() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(len(v) == 1 for v in archived().values()), "nothing archived twice"
    assert "ev-100" in archived()


DECLARED = FAST.replace("    partition_by: [day(time)]\n", """    partition_by: [day(time)]
    schema: '{"type":"object","additionalProperties":false,"properties":{
      "user":{"type":"string"},"price":{"type":"number"},
      "paid_at":{"type":"string","format":"date-time"}}}'
""")


def test_a_declared_schema_types_the_columns_and_closes_the_table(server):
    srv = server(config=DECLARED)
    columns = {c["name"]: c["type"] for c in describe(srv, "curated.events")["columns"]}
    assert columns["price"] == "double" and columns["paid_at"] == "timestamp"
    send_batch(srv, [event(1, user="u1", price=5, paid_at="2026-11-20T10:00:00+02:00"),
                     event(2, user="u2", price=2.5, extra="not declared"),
                     event(3, user="u3", paid_at="yesterday")])
    wait_for_rows(srv, "curated.events", 1)
    _, rows = delta_rows(table_dir(srv, "curated.events"))
    assert len(rows) == 1
    assert rows[0]["price"] == 5.0
    assert rows[0]["paid_at"] == datetime.datetime(2026, 11, 20, 8, 0,
                                                   tzinfo=datetime.timezone.utc)
    deadline = time.monotonic() + 30
    while len(read_all(srv, "curated.events.dlq")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    problems = sorted(r["event"]["data"]["problem"]["detail"]
                      for r in read_all(srv, "curated.events.dlq"))
    assert len(problems) == 2
    assert any("extra" in p for p in problems) and any("RFC 3339" in p for p in problems)


LIFECYCLE = FAST.replace("    max_age: 200ms\n", """    max_age: 200ms
    archive_after: 30d
    expire_after: 365d
    vacuum_interval: 1s
""")


def test_old_files_move_to_the_archive_table_and_older_ones_expire(server):
    srv = server(config=LIFECYCLE)
    now = datetime.datetime.now(datetime.timezone.utc)

    def aged(i, days):
        e = event(i, n=i, age=days)
        e["time"] = (now - datetime.timedelta(days=days)).isoformat().replace("+00:00", "Z")
        return e

    recent = [aged(i, 1) for i in range(5)]
    old = [aged(10 + i, 40 + i) for i in range(5)]        # archived
    ancient = [aged(20 + i, 400 + i) for i in range(5)]   # archived, then expired
    send_batch(srv, recent + old + ancient)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = [t["name"] for t in srv.get("/v1/tables").json()["tables"]]
        if ("archive.events" in names and describe(srv, "curated.events")["rows"] == 5
                and describe(srv, "archive.events")["rows"] == 5):
            break
        time.sleep(0.2)
    assert sorted(names) == ["archive.events", "curated.events"]

    # Still readable by any Delta reader: each row in exactly one table.
    _, current = delta_rows(table_dir(srv, "curated.events"))
    _, archived = delta_rows(table_dir(srv, "archive.events"))
    assert sorted(r["id"] for r in current) == sorted(e["id"] for e in recent)
    assert sorted(r["id"] for r in archived) == sorted(e["id"] for e in old)
    assert {r["id"]: r["n"] for r in archived} == {e["id"]: e["data"]["n"] for e in old}
    for f in describe(srv, "archive.events", files="true")["file_list"]:
        assert (table_dir(srv, "archive.events") / f["path"]).is_file()

    ops = [c["operation"] for c in srv.get("/v1/tables/curated.events/history").json()["commits"]]
    assert "ARCHIVE" in ops
    archive_ops = [c["operation"]
                   for c in srv.get("/v1/tables/archive.events/history").json()["commits"]]
    assert archive_ops[-1] == "WRITE" and "DELETE" in archive_ops  # the ancient rows expired
    # Time travel in the archive still reads the ancient rows before their expiry.
    ever = set()
    for version in range(len(archive_ops)):
        ever |= {r["id"] for r in delta_rows(table_dir(srv, "archive.events"), version=version)[1]}
    assert ever == {e["id"] for e in old + ancient}
    metrics = srv.get("/metrics").text
    assert "eventlake_lake_archived_files_total" in metrics
    assert "eventlake_lake_expired_files_total" in metrics
