"""Pipelines end to end (issue 6): events sent over HTTP run through
validate, map, mask, filter and SQL steps into a lake table and a stream;
a poison record in a batch of 100 reaches the dead-letter stream after
exactly max_attempts while the other 99 are loaded once; a SIGKILL and a
restart leave the table without duplicates; queries see rows before their
commit; GET /v1/pipelines shows the group's lag; bad configs are refused
with the path of the mistake."""

import json
import time

import pytest

from lake_support import CE_BATCH, wait_for_rows
from pipeline_support import TABLE_LOOKUP, assert_refused, letter_data, query, records, send, wait_for

CLICK_SCHEMA = {
    "type": "object",
    "required": ["price", "email"],
    "properties": {"price": {"type": "string"}, "email": {"type": "string"}},
}

PIPELINE = """
streams:
  - name: clicks
    partitions: 2
  - name: clicks_priced
sources:
  - name: web
    stream: clicks
tables:
  - name: curated.clicks
    partition_by: [day(time)]
    max_age: 300ms
pipelines:
  - name: clicks_to_lake
    trigger: {{ stream: clicks, max_records: 100, max_wait: 200ms }}
    steps:
      - validate: {schema}
      - map: {{ rename: {{ ref: referrer }}, drop: [debug] }}
      - mask: {{ hash: [email] }}
      - lua: {{ code: "function process(e) e.data.channel = string.upper(e.data.referrer) return e end" }}
      - filter: "price <> 'test'"
      - sql: "SELECT id, time, CAST(price AS INTEGER) AS price, email, referrer, channel FROM batch"
    on_error: {{ max_attempts: 3, backoff: 10ms, max_backoff: 20ms }}
    sinks:
      - table: curated.clicks
      - stream: clicks_priced
"""


def config(tmp_path):
    schema = tmp_path / "click.json"
    schema.write_text(json.dumps(CLICK_SCHEMA))
    return PIPELINE.format(schema=schema)


def click(i, price=None, **extra):
    data = {"price": str(i) if price is None else price, "email": f"user{i}@example.com", "ref": "ads",
            "debug": True}
    data.update(extra)
    return {"specversion": "1.0", "id": f"c{i}", "source": "/web", "type": "click",
            "time": f"2026-11-20T10:{i % 60:02d}:00Z", "data": data}


def test_a_poison_record_reaches_the_dlq_after_max_attempts_and_the_99_others_load_once(server, tmp_path):
    srv = server(config(tmp_path))
    events = [click(i) for i in range(100)]
    events[42] = click(42, price="free")  # passes the schema, fails the SQL cast
    send(srv, events)
    wait_for_rows(srv, "curated.clicks", 99)
    rows = query(srv, "SELECT id, price, email, referrer, channel FROM curated.clicks ORDER BY price")
    assert len(rows) == 99
    assert len({r[0] for r in rows}) == 99
    assert "c42" not in {r[0] for r in rows}
    first = rows[0]
    assert first[1] == 0 and first[3] == "ads" and first[4] == "ADS"  # renamed, then the lua step
    assert first[2] != "user0@example.com" and len(first[2]) == 64  # hashed
    letters = wait_for(lambda: records(srv, "clicks_to_lake.dlq"), what="a dead letter")
    assert len(letters) == 1
    letter = letter_data(letters[0])
    assert letter["pipeline"] == "clicks_to_lake"
    assert letter["step"] == "sql"
    assert letter["attempts"] == 3
    assert letter["event"]["id"] == "c42"
    assert "free" in letter["problem"]["detail"]
    # Fan-out: the stream sink has the same 99.
    priced = wait_for(lambda: (lambda r: r if len(r) >= 99 else None)(records(srv, "clicks_priced")),
                      what="99 records in clicks_priced")
    assert len(priced) == 99


def test_invalid_and_filtered_events_never_reach_the_table(server, tmp_path):
    srv = server(config(tmp_path))
    send(srv, [click(1), click(2, price=7), click(3, price="test"), click(4)])
    wait_for_rows(srv, "curated.clicks", 2)
    time.sleep(1)
    assert sorted(r[0] for r in query(srv, "SELECT id FROM curated.clicks")) == ["c1", "c4"]
    letters = wait_for(lambda: records(srv, "clicks_to_lake.dlq"), what="a dead letter")
    data = [letter_data(letter) for letter in letters]
    assert [(d["step"], d["event"]["id"]) for d in data] == [("validate", "c2")]
    assert "/price" in data[0]["problem"]["detail"]


def test_a_kill_and_a_restart_leave_no_duplicates(server, tmp_path):
    srv = server(config(tmp_path))
    send(srv, [click(i) for i in range(300)])
    wait_for_rows(srv, "curated.clicks", 100)
    srv.kill()
    srv.start()
    send(srv, [click(i) for i in range(300, 400)])
    wait_for_rows(srv, "curated.clicks", 400)
    time.sleep(1.5)  # a late duplicate would land by now
    count, distinct = query(srv, "SELECT count(*), count(DISTINCT id) FROM curated.clicks")[0]
    assert (count, distinct) == (400, 400)


def test_queries_see_rows_the_table_sink_has_not_committed_yet(server, tmp_path):
    slow = config(tmp_path).replace("max_age: 300ms", "max_age: 1h")
    srv = server(slow)
    send(srv, [click(i) for i in range(10)])
    rows = wait_for(lambda: (lambda r: r if r[0][0] == 10 else None)(query(srv, "SELECT count(*) FROM curated.clicks")),
                    what="10 pending rows")
    assert rows[0][0] == 10
    assert srv.get("/v1/tables/curated.clicks").json()["rows"] == 0  # nothing committed
    srv.stop()  # a graceful stop commits them
    srv.start()
    assert srv.get("/v1/tables/curated.clicks").json()["rows"] == 10


def test_the_pipeline_api_shows_trigger_steps_sinks_and_lag(server, tmp_path):
    srv = server(config(tmp_path))
    send(srv, [click(i) for i in range(5)])
    wait_for_rows(srv, "curated.clicks", 5)

    def caught_up():
        p = srv.get("/v1/pipelines/clicks_to_lake").json()
        return p if p["trigger"]["lag"] == 0 else None

    described = wait_for(caught_up, what="lag 0")
    assert described["steps"] == ["validate", "map", "mask", "lua", "filter", "sql"]
    assert described["sinks"] == [{"table": "curated.clicks"}, {"stream": "clicks_priced"}]
    assert described["trigger"]["group"] == "pipeline-clicks_to_lake"
    assert sum(described["trigger"]["committed"]) == 5
    assert [p["name"] for p in srv.get("/v1/pipelines").json()["pipelines"]] == ["clicks_to_lake"]
    assert srv.get("/v1/pipelines/nope").status_code == 404


@pytest.mark.parametrize("change, message", [
    (("- map: {{ rename: {{ ref: referrer }}, drop: [debug] }}", "- map: {{ cast: {{ price: complex }} }}"),
     "pipelines[0].steps[1].map.cast.price"),
    (("- filter:", "- explode:"), "pipelines[0].steps[4].explode: unknown step kind"),
    (("return e end", "return e"), "pipelines[0].steps[3].lua"),
    (("- stream: clicks_priced", "- stream: nowhere"), "pipelines[0].sinks[1].stream: no stream named 'nowhere'"),
    (("stream: clicks, max_records", "stream: clicks_typo, max_records"), "pipelines[0].trigger.stream"),
])
def test_a_bad_pipeline_config_is_refused_with_its_path(server, tmp_path, change, message):
    bad = PIPELINE.replace(change[0], change[1]).format(schema=tmp_path / "click.json")
    (tmp_path / "click.json").write_text(json.dumps(CLICK_SCHEMA))
    assert_refused(server, bad, message)


def cli(eventlake_bin, srv, *args):
    import subprocess
    done = subprocess.run([eventlake_bin, "--server", srv.url, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_replay_and_redrive_leave_no_duplicates_in_the_table(server, tmp_path, eventlake_bin):
    srv = server(config(tmp_path))
    events = [click(i) for i in range(50)]
    events[7] = click(7, price="free")
    send(srv, events)
    wait_for_rows(srv, "curated.clicks", 49)
    wait_for(lambda: records(srv, "clicks_to_lake.dlq"), what="the dead letter")
    listed = cli(eventlake_bin, srv, "dlq", "list", "clicks_to_lake")
    assert "c7" in listed and "sql" in listed
    shown = json.loads(cli(eventlake_bin, srv, "dlq", "show", "clicks_to_lake", "0"))
    assert shown["event"]["id"] == "c7" and shown["attempts"] == 3

    # Replay from the start: the table skips what it has.
    out = cli(eventlake_bin, srv, "replay", "clicks_to_lake", "--earliest")
    assert "goes on from offsets 0,0" in out
    time.sleep(2)
    assert query(srv, "SELECT count(*), count(DISTINCT id) FROM curated.clicks")[0] == [49, 49]
    assert "clicks_to_lake" in cli(eventlake_bin, srv, "pipelines")
    # The replay ran c7 again: the same dead letter (the same id) once more.
    letters = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(records(srv, "clicks_to_lake.dlq")),
                       what="the replayed dead letter")
    assert letters[0]["event"]["id"] == letters[1]["event"]["id"]

    # A redrive through the pipeline as it is fails again: new dead letters.
    out = cli(eventlake_bin, srv, "dlq", "redrive", "clicks_to_lake", "--rate", "100")
    assert "redrove 2 dead letter(s)" in out and "2 failed again" in out
    assert len(records(srv, "clicks_to_lake.dlq")) == 4
    # The next redrive takes only the letters after the last one's end.
    out = cli(eventlake_bin, srv, "dlq", "redrive", "clicks_to_lake")
    assert "redrove 2 dead letter(s)" in out
    assert query(srv, "SELECT count(*) FROM curated.clicks")[0][0] == 49


def with_steps(steps):
    """PIPELINE with other steps (YAML lines), to be formatted."""
    head, rest = PIPELINE.split("    steps:\n")
    return head + "    steps:\n" + steps + rest[rest.index("    on_error:"):]


ENRICH_STEP = "      - enrich: {{ file: {users}, key: user_id, on: user, fields: [name, country], reload: 200ms }}\n"


def replace_file(path, text):
    """A new file renamed over `path`, as docs/pipelines.md advises for lookups."""
    staged = path.with_suffix(".new")
    staged.write_text(text)
    staged.replace(path)


def test_an_enrich_step_joins_a_csv_and_new_events_get_its_new_values(server, tmp_path):
    users = tmp_path / "users.csv"
    users.write_text("user_id,name,country,email\n1,Ada,UK,ada@example.com\n2,Bob,FR,bob@example.com\n")
    srv = server(with_steps(ENRICH_STEP).format(users=users))
    send(srv, [click(0, user=1), click(1, user=2), click(2, user=9)])
    wait_for_rows(srv, "curated.clicks", 3)
    rows = query(srv, "SELECT id, name, country, email FROM curated.clicks ORDER BY id")
    assert rows == [["c0", "Ada", "UK", "user0@example.com"], ["c1", "Bob", "FR", "user1@example.com"],
                    ["c2", None, None, "user2@example.com"]]  # 9: kept unchanged; the lookup's email not copied

    replace_file(users, "user_id,name,country,email\n1,Ada,IE,ada@example.com\n9,Cy,DE,cy@example.com\n")
    time.sleep(0.5)  # past `reload`: the next batch checks the file, and loads it
    send(srv, [click(3, user=1)])
    reloaded = 'eventlake_enrich_reloads_total{lookup="%s",pipeline="clicks_to_lake",result="ok"} 1' % users
    wait_for(lambda: reloaded in srv.get("/metrics").text, what="the lookup reloaded")
    send(srv, [click(4, user=9), click(5, user=2)])  # (a partition's batch run while another loads has the old table)
    wait_for_rows(srv, "curated.clicks", 6)
    rows = query(srv, "SELECT id, name, country FROM curated.clicks ORDER BY id")
    assert rows[:3] == [["c0", "Ada", "UK"], ["c1", "Bob", "FR"], ["c2", None, None]]  # as they were loaded
    assert rows[3:] == [["c3", "Ada", "IE"], ["c4", "Cy", "DE"], ["c5", None, None]]
    metrics = srv.get("/metrics").text
    assert reloaded in metrics
    assert 'eventlake_enrich_events_total{lookup="%s",pipeline="clicks_to_lake",result="matched"} 4' % users in metrics


def test_an_enrich_step_whose_lookup_cannot_be_loaded_is_refused_with_its_path(server, tmp_path):
    users = tmp_path / "users.csv"
    users.write_text("id,name\n1,Ada\n")
    srv = server(with_steps(ENRICH_STEP).format(users=users), start=False)
    with pytest.raises(AssertionError) as failed:
        srv.start()
    assert "pipelines[0].steps[0].enrich" in str(failed.value)
    assert "has no column user_id" in str(failed.value)


def test_an_enrich_step_reads_a_lake_table_and_its_new_versions(server):
    srv = server(TABLE_LOOKUP)

    def users(*rows):
        events = [{"specversion": "1.0", "id": f"u{i}-{name}", "source": "/crm", "type": "user",
                   "time": "2026-11-20T09:00:00Z", "data": {"user_id": i, "name": name}} for i, name in rows]
        r = srv.post("/v1/sources/people/events", data=json.dumps(events), headers={"Content-Type": CE_BATCH})
        assert r.status_code in (200, 202), r.text

    send(srv, [click(0, user=1)])  # the table is empty: kept as it is
    wait_for_rows(srv, "curated.clicks", 1)
    users((1, "Ada"), (2, "Bob"))
    wait_for_rows(srv, "curated.users", 2)
    time.sleep(0.5)  # past `reload`: the next batch sees the table's new version
    send(srv, [click(1, user=1), click(2, user=2)])
    wait_for_rows(srv, "curated.clicks", 3)
    rows = query(srv, "SELECT id, name FROM curated.clicks ORDER BY id")
    assert rows == [["c0", None], ["c1", "Ada"], ["c2", "Bob"]]
