"""The lake's crash test (issue 4, "Done means").

The server loads events from its stream into curated.events, committing
every 100 ms, while a client sends batches of 100 events and records the
ids the server acknowledged. The test kills the server with SIGKILL at
random moments (EVENTLAKE_LAKE_CRASH_KILLS times, 50 by default) until
100,000 events were acknowledged, restarting it after each kill. At the end
the server runs until the table has loaded the whole stream, and delta-rs
reads the table: every acknowledged event is in it exactly once, and no
event at all is in it twice.

Timing only chooses when to kill; nothing asserts on speed.
"""

import json
import os
import random
import threading
import time

import requests

from lake_support import delta_rows, table_dir, wait_for_rows

KILLS = int(os.environ.get("EVENTLAKE_LAKE_CRASH_KILLS", "50"))
EVENTS = int(os.environ.get("EVENTLAKE_LAKE_CRASH_EVENTS", "100000"))
SEED = int(os.environ.get("EVENTLAKE_CRASH_SEED", str(time.time_ns() % 1_000_000)))
BATCH = 100

CONFIG = """
streams:
  - name: events
    partitions: 2
sources:
  - name: events
    stream: events
tables:
  - name: curated.events
    partition_by: [day(time), hour(time)]
    max_age: 100ms
    max_rows: 5000
loaders:
  - name: events
    stream: events
    table: curated.events
"""


class Sender:
    """Sends batches of fresh events until the server stops answering."""

    def __init__(self, url, first_id):
        self.url = url + "/v1/sources/events/events"
        self.next_id = first_id
        self.acked = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        session = requests.Session()
        while True:
            ids = [f"c-{self.next_id + k}" for k in range(BATCH)]
            self.next_id += BATCH
            body = [{"specversion": "1.0", "id": i, "source": "/crash", "type": "crash.event",
                     "data": {"n": int(i[2:]), "pad": "x" * 64}} for i in ids]
            try:
                r = session.post(self.url, data=json.dumps(body), timeout=10,
                                 headers={"Content-Type": "application/cloudevents-batch+json"})
            except requests.RequestException:
                return  # killed
            if r.status_code != 200:
                return
            self.acked += [a["id"] for a in r.json()["accepted"]]


def test_acknowledged_events_are_in_the_table_exactly_once_after_sigkills(server):
    rng = random.Random(SEED)
    srv = server(config=CONFIG)
    acked = []
    kills = 0
    next_id = 0
    while kills < KILLS or len(acked) < EVENTS:
        sender = Sender(srv.url, next_id)
        time.sleep(rng.uniform(0.05, 0.6))
        srv.kill()
        kills += 1
        sender.thread.join(timeout=30)
        acked += sender.acked
        next_id = sender.next_id
        srv.start()
    stream_records = srv.get("/v1/streams/events").json()["records"]
    assert stream_records >= len(acked)
    wait_for_rows(srv, "curated.events", stream_records, timeout=120)
    srv.stop()
    _, rows = delta_rows(table_dir(srv, "curated.events"))
    ids = [r["id"] for r in rows]
    counts = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    twice = [i for i, n in counts.items() if n > 1]
    missing = [i for i in acked if i not in counts]
    print(f"lake crash test (seed {SEED}): {kills} kills, {len(acked)} acked, "
          f"{stream_records} in the stream, {len(ids)} rows")
    assert not twice, f"seed {SEED}: stored twice: {twice[:5]}"
    assert not missing, f"seed {SEED}: acknowledged but missing: {missing[:5]}"
    assert len(ids) == stream_records
