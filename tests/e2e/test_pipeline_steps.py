"""The dedup and route steps end to end (issue 6): events sent over HTTP,
duplicates by a business key dropped across requests and across a restart
(the claims are in the journal under data/state/pipelines), and a route
that sends each event to the tables its rules choose while an unrouted
sink gets everything."""

import pathlib

import pytest

from lake_support import wait_for_rows
from pipeline_support import assert_refused, query, records, send, wait_for

DEDUP = """
streams:
  - name: orders
    partitions: 2
sources:
  - name: web
    stream: orders
tables:
  - name: curated.orders
    max_age: 200ms
pipelines:
  - name: orders_once
    trigger: { stream: orders, max_records: 100, max_wait: 100ms }
    steps:
      - dedup: { key: [data.order], window: 1h }
    sinks:
      - table: curated.orders
"""


def order(i, order_id, **data):
    return {"specversion": "1.0", "id": f"o{i}", "source": "/shop", "type": "order",
            "time": "2026-12-01T10:00:00Z", "data": {"order": order_id, **data}}


def test_dedup_drops_later_events_of_a_key_across_requests_and_restarts(server):
    srv = server(DEDUP)
    send(srv, [order(i, i % 30) for i in range(60)])  # each order twice
    wait_for_rows(srv, "curated.orders", 30)
    send(srv, [order(100 + i, i) for i in range(25, 35)])  # 25..29 seen, 30..34 new
    wait_for_rows(srv, "curated.orders", 35)
    srv.restart()
    send(srv, [order(200 + i, i) for i in range(30, 40)])  # 30..34 seen before the restart
    wait_for_rows(srv, "curated.orders", 40)
    send(srv, [order(300, 1000)])
    wait_for_rows(srv, "curated.orders", 41)
    rows = query(srv, "SELECT \"order\", count(*), min(id) FROM curated.orders GROUP BY 1 ORDER BY 1")
    assert len(rows) == 41
    assert all(r[1] == 1 for r in rows), [r for r in rows if r[1] != 1]
    firsts = {r[0]: r[2] for r in rows}
    assert firsts[0] == "o0" and firsts[29] == "o29" and firsts[30] == "o130"
    journal = pathlib.Path(srv.data_dir) / "state" / "pipelines" / "orders_once" / "dedup-0.journal"
    assert journal.stat().st_size > 0


def test_an_event_without_the_key_is_a_dead_letter(server):
    srv = server(DEDUP)
    send(srv, [order(0, 1), {"specversion": "1.0", "id": "nokey", "source": "/shop", "type": "order",
                             "data": {"other": 1}}])
    wait_for_rows(srv, "curated.orders", 1)
    letters = wait_for(lambda: records(srv, "orders_once.dlq"), what="a dead letter")
    assert len(letters) == 1
    assert "no key field data.order" in letters[0]["event"]["data"]["problem"]["detail"]


ROUTE = """
streams:
  - name: payments
  - name: alerts
sources:
  - name: web
    stream: payments
tables:
  - name: curated.payments_eu
    max_age: 200ms
  - name: curated.payments_other
    max_age: 200ms
  - name: raw.payments
    max_age: 200ms
pipelines:
  - name: payments_router
    trigger: { stream: payments, max_records: 100, max_wait: 100ms }
    steps:
      - route:
          rules:
            - { when: "region = 'eu'", to: curated.payments_eu }
            - { when: "amount > 1000", to: [alerts] }
          otherwise: curated.payments_other
    sinks:
      - table: curated.payments_eu
      - table: curated.payments_other
      - stream: alerts
      - table: raw.payments
"""


def payment(i, region, amount):
    return {"specversion": "1.0", "id": f"p{i}", "source": "/pay", "type": "payment",
            "data": {"region": region, "amount": amount}}


def test_route_sends_each_event_to_the_sinks_its_rules_choose(server):
    srv = server(ROUTE)
    events = [payment(i, "eu" if i % 3 == 0 else "us", 5000 if i % 4 == 0 else 10) for i in range(24)]
    send(srv, events)
    eu = {e["id"] for e in events if e["data"]["region"] == "eu"}
    big = {e["id"] for e in events if e["data"]["amount"] > 1000}
    other = {e["id"] for e in events} - eu - big
    wait_for_rows(srv, "raw.payments", 24)
    wait_for_rows(srv, "curated.payments_eu", len(eu))
    wait_for_rows(srv, "curated.payments_other", len(other))
    assert {r[0] for r in query(srv, "SELECT id FROM curated.payments_eu")} == eu
    assert {r[0] for r in query(srv, "SELECT id FROM curated.payments_other")} == other
    alerts = wait_for(lambda: (lambda r: r if len(r) >= len(big) else None)(records(srv, "alerts")),
                      what="the alerts")
    assert {r["event"]["id"] for r in alerts} == big
    assert all("elroute" not in r["event"] for r in alerts)


@pytest.mark.parametrize("change, message", [
    (("to: [alerts]", "to: [alarms]"), "a route names alarms, which is none of the pipeline's sinks"),
    (("when: \"amount > 1000\"", "when: \"amount >\""), "pipelines[0].steps[0].route"),
    (("otherwise: curated.payments_other", "otherwise: []"), "pipelines[0].steps[0].route.otherwise"),
])
def test_a_bad_route_is_refused_at_start_with_its_path(server, change, message):
    assert change[0] in ROUTE
    assert_refused(server, ROUTE.replace(*change), message)
