"""The schedule trigger end to end (issue 6): a streaming pipeline loads
curated.clicks while a scheduled one (every second) recomputes
analytics.clicks_by_country from it with a query over the lake, replacing
the table's rows at each run (mode: overwrite): the batch layer beside the
speed layer. A restart goes on with the next run; bad schedules are
refused with their path."""

import pytest

from lake_support import wait_for_rows
from pipeline_support import assert_refused, send, wait_for

CONFIG = """
streams:
  - name: clicks
sources:
  - name: web
    stream: clicks
tables:
  - name: curated.clicks
    max_age: 200ms
  - name: analytics.clicks_by_country
pipelines:
  - name: clicks_to_lake
    trigger: { stream: clicks, max_records: 100, max_wait: 100ms }
    sinks:
      - table: curated.clicks
  - name: clicks_by_country
    trigger:
      schedule: "@every 1s"
      query: "SELECT country, count(*) AS clicks FROM curated.clicks GROUP BY country"
    steps:
      - map: { set: { job: hourly } }
    sinks:
      - table: { name: analytics.clicks_by_country, mode: overwrite }
"""


def click(i, country):
    return {"specversion": "1.0", "id": f"c{i}", "source": "/web", "type": "click",
            "data": {"country": country}}


def by_country(srv):
    """The analytics table's rows; None before its first run gave it the columns."""
    r = srv.post("/v1/query", json={"sql": "SELECT country, clicks, job FROM analytics.clicks_by_country"})
    return sorted(tuple(row) for row in r.json()["rows"]) if r.status_code == 200 else None


def test_a_scheduled_query_recomputes_its_analytics_table(server):
    srv = server(CONFIG)
    send(srv, [click(i, "DE" if i % 3 else "FR") for i in range(30)])
    wait_for_rows(srv, "curated.clicks", 30)
    expected = [("DE", 20, "hourly"), ("FR", 10, "hourly")]
    wait_for(lambda: by_country(srv) == expected, what="the first recompute")
    send(srv, [click(100 + i, "PL") for i in range(5)])
    wait_for_rows(srv, "curated.clicks", 35)
    expected = [("DE", 20, "hourly"), ("FR", 10, "hourly"), ("PL", 5, "hourly")]
    wait_for(lambda: by_country(srv) == expected, what="a recompute with the new clicks")
    history = srv.get("/v1/tables/analytics.clicks_by_country/history").json()
    commits = history["commits"] if isinstance(history, dict) else history
    assert any("Overwrite" in str(c) for c in commits), commits
    srv.restart()
    send(srv, [click(200, "PL")])
    expected = [("DE", 20, "hourly"), ("FR", 10, "hourly"), ("PL", 6, "hourly")]
    wait_for(lambda: by_country(srv) == expected, what="a recompute after the restart")
    described = srv.get("/v1/pipelines/clicks_by_country").json()
    assert described["trigger"]["schedule"] == "@every 1s"


@pytest.mark.parametrize("change, message", [
    (('schedule: "@every 1s"', 'schedule: "61 * * * *"'), "pipelines[1].trigger.schedule"),
    (('      query: "SELECT country, count(*) AS clicks FROM curated.clicks GROUP BY country"\n', ""),
     "pipelines[1].trigger.query: a scheduled pipeline needs a query"),
    (("- table: curated.clicks", "- table: { name: curated.clicks, mode: overwrite }"),
     "overwrite is for scheduled pipelines"),
])
def test_a_bad_schedule_is_refused_with_its_path(server, change, message):
    assert change[0] in CONFIG
    assert_refused(server, CONFIG.replace(*change), message)
