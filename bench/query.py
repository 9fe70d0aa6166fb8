#!/usr/bin/env python3
"""bench/query (issue 5): SQL latency over HTTP and the Postgres protocol
beside the same query in a bare DuckDB on the same files, and the time from
acknowledgement to visibility under a steady load.

    bench/query.py BUILD_DIR [--rows 10000000] [--runs 7] [--rate 10000] [--seconds 20]

Creates curated.clicks (ROWS rows, 30 day partitions) with
bench_query_table in BUILD_DIR/bench-data/query (once), starts
BUILD_DIR/eventlake on that data directory, and measures, median of RUNS
(after one warm-up run each):
  point    a lookup of one id
  groupby  a GROUP BY over every row
  pruned   a count over one day partition
each in bare DuckDB (bench_query_table baseline), over HTTP (requests,
keep-alive) and over the wire protocol (psycopg), in interleaved rounds;
a ratio is the median of each round's ratio. Then it sends events at
RATE per second (batches of 100) for SECONDS and, every 100 ms, one marked
event whose visibility it polls: p50 and p99 of acknowledgement to visible.
Prints a markdown section for docs/benchmarks.md.
"""
import argparse
import json
import os
import pathlib
import socket
import statistics
import subprocess
import threading
import time

import psycopg
import requests

QUERIES = {
    "point": "SELECT * FROM {t} WHERE id = 'ev-000004000000'",
    "groupby": "SELECT country, count(*), sum(revenue), avg(duration_ms) FROM {t} GROUP BY country",
    "pruned": "SELECT count(*), sum(revenue) FROM {t} WHERE dt = DATE '2026-11-15'",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_once(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--rate", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    build = pathlib.Path(args.build).resolve()
    data = build / "bench-data" / "query"
    marker = data / f"clicks-{args.rows}"
    if not marker.exists():
        subprocess.run(["rm", "-rf", str(data)], check=True)
        data.mkdir(parents=True)
        subprocess.run([str(build / "bench" / "bench_query_table"), "create", str(data), str(args.rows)],
                       check=True)
        marker.write_text("")
    http_port, pg_port = free_port(), free_port()
    log = open(data / "server.log", "ab")
    server = subprocess.Popen([str(build / "eventlake"), "serve", "--data-dir", str(data),
                               "--listen", f"127.0.0.1:{http_port}", "--pg-listen", f"127.0.0.1:{pg_port}"],
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(200):
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        session = requests.Session()
        pg = psycopg.connect(f"host=127.0.0.1 port={pg_port} user=bench dbname=lake", autocommit=True)
        rows = []
        for name, sql in QUERIES.items():
            lake_sql = sql.format(t="curated.clicks")

            def bare():
                # Its own warm-up run, then one timed run.
                out = json.loads(subprocess.run(
                    [str(build / "bench" / "bench_query_table"), "baseline", str(data), "2",
                     sql.format(t="clicks")], check=True, capture_output=True, text=True).stdout)
                return out["runs_ms"][1]

            def http():
                r = session.post(url + "/v1/query", json={"sql": lake_sql}, timeout=120)
                assert r.status_code == 200, r.text

            def wire():
                pg.execute(lake_sql).fetchall()

            # Interleaved, a round each of bare, HTTP and wire: a shared
            # machine's load drifts over seconds, and the ratios compare
            # runs made moments apart rather than blocks made minutes apart.
            http(), wire()  # warm-up
            bare_runs, http_runs, wire_runs = [], [], []
            for _ in range(args.runs):
                bare_runs.append(bare())
                http_runs.append(timed_once(http))
                wire_runs.append(timed_once(wire))
            rows.append((name, statistics.median(bare_runs), statistics.median(http_runs),
                         statistics.median(wire_runs),
                         statistics.median(h / b for h, b in zip(http_runs, bare_runs)),
                         statistics.median(w / b for w, b in zip(wire_runs, bare_runs))))

        # Freshness under load.
        stop = threading.Event()
        sent = [0]

        def load():
            s = requests.Session()
            batch = [{"page": "/load", "n": i} for i in range(100)]
            body = "\n".join(json.dumps(e) for e in batch)
            interval = 100 / args.rate
            next_at = time.perf_counter()
            while not stop.is_set():
                r = s.post(url + "/v1/sources/events/events", data=body,
                           headers={"Content-Type": "application/x-ndjson"}, timeout=30)
                if r.status_code == 200:
                    sent[0] += 100
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)

        loaders = [threading.Thread(target=load) for _ in range(2)]
        args.rate //= 2
        for t in loaders:
            t.start()
        probe = requests.Session()
        latencies = []
        t_start = time.perf_counter()
        k = 0
        while time.perf_counter() - t_start < args.seconds:
            k += 1
            mark = f"probe-{k}-{time.time_ns()}"
            r = probe.post(url + "/v1/sources/events/events", json={"probe": mark}, timeout=30)
            acked = time.perf_counter()
            if r.status_code != 200:
                continue
            while True:
                got = probe.post(url + "/v1/query", json={
                    "sql": "SELECT count(*) FROM curated.events WHERE probe = $1", "parameters": [mark]},
                    timeout=60)
                if got.status_code == 200 and got.json()["rows"] == [[1]]:
                    break
                time.sleep(0.005)
            latencies.append((time.perf_counter() - acked) * 1000)
            time.sleep(max(0, 0.1 - (time.perf_counter() - acked)))
        elapsed = time.perf_counter() - t_start
        stop.set()
        for t in loaders:
            t.join()
        rate = sent[0] / elapsed
    finally:
        server.terminate()
        server.wait(timeout=60)

    print(f"### bench/query ({time.strftime('%Y-%m-%d', time.gmtime())})\n")
    print(f"{os.cpu_count()} cores, curated.clicks of {args.rows:,} rows in 30 zstd Parquet files "
          f"(one per day partition); median of {args.runs} interleaved rounds (bare, HTTP, wire) after a "
          f"warm-up, ratios the median of each round's; command: "
          f"`bench/query.py {args.build} --rows {args.rows} --runs {args.runs}`.\n")
    print("| query | bare DuckDB ms | HTTP ms | wire protocol ms | HTTP / bare | wire / bare |")
    print("|---|---|---|---|---|---|")
    for name, bare, http_ms, wire_ms, http_ratio, wire_ratio in rows:
        print(f"| {name} | {bare:.1f} | {http_ms:.1f} | {wire_ms:.1f} | {http_ratio:.2f} | {wire_ratio:.2f} |")
    print(f"\nFreshness: {len(latencies)} probes while {rate:,.0f} events/s were sent (batches of 100); "
          f"acknowledgement to visible p50 {percentile(latencies, 50):.0f} ms, "
          f"p99 {percentile(latencies, 99):.0f} ms, max {max(latencies):.0f} ms.")


if __name__ == "__main__":
    main()
