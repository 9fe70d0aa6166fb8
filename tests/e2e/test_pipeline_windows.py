"""Windowed SQL end to end (issue 6): readings sent over HTTP are counted
per sensor and minute of event time by a sql step with a tumbling window,
written to an analytics table once the watermark (the newest event time
less the allowed lateness) passes a window's end. Open windows survive a
restart; a late reading becomes a dead letter that says so; nothing is
counted twice after another restart."""

import pathlib

from lake_support import wait_for_rows
from pipeline_support import assert_refused, query, records, send, wait_for

CONFIG = """
streams:
  - name: readings
sources:
  - name: web
    stream: readings
tables:
  - name: analytics.readings_per_minute
    max_age: 200ms
pipelines:
  - name: per_minute
    trigger: { stream: readings, max_records: 100, max_wait: 100ms }
    steps:
      - filter: "value >= 0"
      - sql:
          sql: >-
            SELECT window_start AS time, window_end, sensor, count(*) AS readings, sum(value) AS total
            FROM batch GROUP BY ALL
          window: { size: 1m, allowed_lateness: 30s }
    sinks:
      - table: analytics.readings_per_minute
"""


def reading(i, at, sensor, value):
    return {"specversion": "1.0", "id": f"r{i}", "source": "/sensors", "type": "reading",
            "time": f"2026-12-01T10:{at}Z", "data": {"sensor": sensor, "value": value}}


def per_minute(srv):
    return query(srv, "SELECT strftime(time, '%H:%M'), sensor, readings, total "
                      "FROM analytics.readings_per_minute ORDER BY 1, 2")


def test_a_tumbling_window_is_written_once_when_the_watermark_passes_it(server):
    srv = server(CONFIG)
    # The minute 10:00: a has 1 + 2 + ... + 6 (and a negative one filtered out), b has 10 twice.
    send(srv, [reading(i, f"00:{5 + 5 * i:02d}", "a", i + 1) for i in range(6)] +
         [reading(10, "00:40", "b", 10), reading(11, "00:59", "b", 10), reading(12, "00:30", "a", -1)])
    # 10:01:20 less 30 s is 10:00:50: the minute 10:00 is still open.
    send(srv, [reading(20, "01:20", "a", 100)])
    journal = pathlib.Path(srv.data_dir) / "state" / "pipelines" / "per_minute" / "window-1.journal"
    wait_for(lambda: journal.exists() and journal.stat().st_size > 500, what="the window's journal")
    srv.restart()
    send(srv, [reading(21, "01:31", "b", 1)])  # the watermark at 10:01:01: 10:00 closes
    wait_for_rows(srv, "analytics.readings_per_minute", 2)
    assert per_minute(srv) == [["10:00", "a", 6, 21], ["10:00", "b", 2, 20]]

    send(srv, [reading(30, "00:45", "a", 1000)])  # late: its minute is written
    letters = wait_for(lambda: records(srv, "per_minute.dlq"), what="the late reading's dead letter")
    assert len(letters) == 1
    letter = letters[0]["event"]["data"]
    assert letter["event"]["id"] == "r30" and letter["attempts"] == 1
    assert "late" in letter["problem"]["detail"] and "2026-12-01T10:00:00" in letter["problem"]["detail"]

    srv.restart()
    send(srv, [reading(40, "02:45", "a", 1)])  # 10:01 closes, after the restart
    wait_for_rows(srv, "analytics.readings_per_minute", 4)
    assert per_minute(srv) == [["10:00", "a", 6, 21], ["10:00", "b", 2, 20],
                               ["10:01", "a", 1, 100], ["10:01", "b", 1, 1]]
    metrics = srv.get("/metrics").text
    assert 'eventlake_pipeline_windows_closed_total{pipeline="per_minute"} 1' in metrics  # since the restart


def test_a_bad_window_is_refused_with_its_path(server):
    assert_refused(server, CONFIG.replace("size: 1m", "size: 0s"), "pipelines[0].steps[1].sql.window")
    assert_refused(server, CONFIG.replace("allowed_lateness: 30s", "late: later"),
                   "pipelines[0].steps[1].sql.window.late: expected dead_letter or drop")
