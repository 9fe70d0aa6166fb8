#!/usr/bin/env python3
"""bench/pipeline end to end (issue 6): events/s from HTTP to a committed
table through a pipeline of validate + lua + sql, measured from the outside
on the real binary.

    bench/pipeline_e2e.py BUILD_DIR [--events 200000] [--batch 1000] [--clients 4]
                          [--partitions 2] [--runs 3] [--cases steps,none]

Per run: a fresh data directory under BUILD_DIR/bench-data/pipeline-e2e (the
build's disk: /tmp is often a tmpfs, where fsync is free), `eventlake serve
--config` with a stream of PARTITIONS partitions (durability fsync), the
HTTP source `web`, and the pipeline `clicks_to_lake` from the stream to the
table curated.clicks (max_age 500ms). CLIENTS threads POST the EVENTS events
as CloudEvents batches of BATCH (application/cloudevents-batch+json,
encoded before the clock starts) to /v1/sources/web/events; the run ends
when GET /v1/tables/curated.clicks reports all EVENTS rows committed
(polled every 20 ms). Per run: seconds from the first POST to the last
acknowledgement, and to all rows committed; events/s over the latter; and
the server's CPU seconds (utime + stime from /proc) over the run, so that
events per server CPU second reads as events/s per core.

Cases: `steps` is the pipeline validate + lua + sql; `none` the same
pipeline without steps (the cost of HTTP, the log, the trigger and the
table sink alone): their difference is what the three steps add.
Prints a markdown section for docs/benchmarks.md (medians of RUNS).
"""
import argparse
import json
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import threading
import time

import requests

CE_BATCH = "application/cloudevents-batch+json"
SCHEMA = {
    "type": "object",
    "required": ["user_id", "price", "quantity"],
    "properties": {
        "user_id": {"type": "string", "pattern": "^u-[0-9]+$"},
        "country": {"type": "string", "minLength": 2, "maxLength": 2},
        "price": {"type": "number", "minimum": 0},
        "quantity": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
LUA = "function process(e) e.data.seen = true e.data.total = e.data.price * e.data.quantity return e end"
SQL = "SELECT * EXCLUDE (country, tags), upper(country) AS country, price * quantity AS amount FROM batch"
CONFIG = """
streams:
  - name: clicks
    partitions: {partitions}
sources:
  - name: web
    stream: clicks
tables:
  - name: curated.clicks
    max_age: 500ms
pipelines:
  - name: clicks_to_lake
    trigger: {{ stream: clicks, max_records: 1000, max_wait: 100ms }}
    steps: {steps}
    sinks:
      - table: curated.clicks
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def steps(case):
    if case == "none":
        return "[]"
    return json.dumps([{"validate": {"schema": SCHEMA}}, {"lua": {"code": LUA}}, {"sql": SQL}])


def bodies(events, batch):
    """The POST bodies: EVENTS click events of ~180 bytes of data, BATCH per body."""
    out = []
    for start in range(0, events, batch):
        out.append(json.dumps([{
            "specversion": "1.0", "id": f"c{k}", "source": "/web", "type": "click",
            "time": f"2026-12-0{1 + k % 3}T10:{k % 60:02d}:00Z", "datacontenttype": "application/json",
            "data": {"user_id": f"u-{k % 10000}", "session": f"s-{k}", "page": f"/products/item-{k % 977}",
                     "referrer": "https://example.com/search?q=shoes", "country": "de" if k % 3 == 0 else "fr",
                     "price": k % 300 + 0.99, "quantity": k % 5, "tags": ["sale", "new"], "ok": True},
        } for k in range(start, min(events, start + batch))]).encode())
    return out


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def start_server(build, data, config_text):
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    port = free_port()
    config = data / "eventlake.yaml"
    config.write_text(config_text)
    log = open(data / "server.log", "ab")
    server = subprocess.Popen([str(build / "eventlake"), "serve", "--config", str(config), "--data-dir",
                               str(data / "data"), "--listen", f"127.0.0.1:{port}", "--pg-listen",
                               f"127.0.0.1:{free_port()}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        if server.poll() is not None:
            raise RuntimeError(f"eventlake exited: see {data / 'server.log'}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return server, url
        except requests.ConnectionError:
            time.sleep(0.05)
    server.terminate()
    raise RuntimeError("eventlake did not become healthy")


def post_all(url, payloads, clients):
    """Sends every payload from CLIENTS threads (keep-alive sessions), retrying 429/503."""
    next_index = [0]
    lock = threading.Lock()
    errors = []

    def client():
        session = requests.Session()
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(payloads):
                return
            while True:
                r = session.post(url + "/v1/sources/web/events", data=payloads[i],
                                 headers={"Content-Type": CE_BATCH}, timeout=60)
                if r.status_code in (200, 202):
                    break
                if r.status_code not in (429, 503):
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                time.sleep(0.01)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"POST failed: {errors[0]}")


def one_run(build, data, case, args, payloads):
    config = CONFIG.format(partitions=args.partitions, steps=steps(case))
    server, url = start_server(build, data, config)
    try:
        cpu_start = cpu_seconds(server.pid)
        t0 = time.perf_counter()
        post_all(url, payloads, args.clients)
        acked = time.perf_counter() - t0
        deadline = time.monotonic() + 600
        rows = 0
        while rows < args.events:
            if time.monotonic() > deadline:
                raise RuntimeError(f"curated.clicks holds {rows} rows, not {args.events}")
            r = requests.get(url + "/v1/tables/curated.clicks", timeout=10)
            if r.status_code == 200:
                rows = r.json()["rows"]
            if rows < args.events:
                time.sleep(0.02)
        committed = time.perf_counter() - t0
        cpu = cpu_seconds(server.pid) - cpu_start
    finally:
        server.terminate()
        server.wait(timeout=60)
    shutil.rmtree(data, ignore_errors=True)
    return {"acked_s": acked, "committed_s": committed, "events_per_s": args.events / committed,
            "server_cpu_s": cpu, "events_per_cpu_s": args.events / cpu}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="steps,none")
    args = ap.parse_args()
    build = pathlib.Path(args.build).resolve()
    payloads = bodies(args.events, args.batch)
    load = os.getloadavg()[0]
    results = {}
    for case in args.cases.split(","):
        runs = []
        for i in range(args.runs):
            run = one_run(build, build / "bench-data" / "pipeline-e2e", case, args, payloads)
            print(f"# {case} run {i + 1}: {json.dumps(run)}", flush=True)
            runs.append(run)
        results[case] = runs

    names = {"steps": "validate + lua + sql", "none": "no steps"}
    print(f"\n### bench/pipeline end to end ({time.strftime('%Y-%m-%d', time.gmtime())})\n")
    print(f"{os.cpu_count()} cores, load average {load:.2f} at start; the clients run on the same cores. "
          f"Command: `bench/pipeline_e2e.py {args.build} --events {args.events} --batch {args.batch} "
          f"--clients {args.clients} --partitions {args.partitions} --runs {args.runs}`; "
          f"medians of {args.runs} runs (each run: min–max).\n")
    print("| pipeline | s to last ack | s to all rows committed | events/s | server CPU s | "
          "events per server CPU second |")
    print("|---|---:|---:|---:|---:|---:|")
    for case, runs in results.items():
        def cell(key, fmt):
            values = [r[key] for r in runs]
            return (f"{fmt.format(statistics.median(values))} "
                    f"({fmt.format(min(values))}–{fmt.format(max(values))})")
        print(f"| {names.get(case, case)} | {cell('acked_s', '{:.2f}')} | {cell('committed_s', '{:.2f}')} | "
              f"{cell('events_per_s', '{:,.0f}')} | {cell('server_cpu_s', '{:.2f}')} | "
              f"{cell('events_per_cpu_s', '{:,.0f}')} |")


if __name__ == "__main__":
    main()
