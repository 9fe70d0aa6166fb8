#!/usr/bin/env python3
"""HTTP ingestion, counted rather than timed: the instructions one event costs
the server (issue 3), with `eventlake serve` under valgrind's callgrind and
bench/ingest_http as the load.

    bench/ingest_instructions.py BUILD_DIR [--mode batch|single] [--seconds 15]

The server is the one of scripts/bench-ingest-http (stream `bench`, 4
partitions, durability fsync; source `bench` validating every event against
`ingest_http --print-schema` and deduping ids). Instrumentation is switched on
only while the load runs (callgrind_control -i), and the count is divided by
the events the server took in meanwhile (eventlake_ingest_events_total), so
start-up falls out. Every thread of the server is counted: HTTP, partition
writers, completions. Callgrind runs one thread at a time and ~50x slower, so
the events per fsync differ from a timed run; kernel time (fdatasync, sendmsg)
is not in the count. Timed figures on a shared 2-core machine move by 20-50%
from run to run, this by ~1%: report it beside the timed figures, never
instead.
"""

import argparse
import importlib.machinery
import importlib.util
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent


def bench_script():
    """scripts/bench-ingest-http as a module: its server config and free_port."""
    path = str(REPO / "scripts" / "bench-ingest-http")
    loader = importlib.machinery.SourceFileLoader("bench_ingest_http", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def events_taken(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=60).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("eventlake_ingest_events_total{"))


def wait_ready(url, proc):
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"eventlake exited with {proc.returncode} under valgrind")
        try:
            if urllib.request.urlopen(url + "/readyz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("eventlake was not ready under valgrind within 300 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=pathlib.Path)
    parser.add_argument("--mode", choices=["batch", "single"], default="batch")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install valgrind)")
    bench = bench_script()
    build = args.build.resolve()
    work = pathlib.Path(tempfile.mkdtemp(prefix="ingest-instructions-", dir=build))
    try:
        schema = work / "schema.json"
        schema.write_text(subprocess.run([str(build / "bench/ingest_http"), "--print-schema"],
                                         check=True, capture_output=True, text=True).stdout)
        port, pg_port = bench.free_port(), bench.free_port()
        config = work / "eventlake.yaml"
        config.write_text(bench.server_config(port, pg_port, work / "data", schema))
        out = work / "callgrind.out"
        with open(work / "server.log", "wb") as log:
            proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                     f"--callgrind-out-file={out}", str(build / "eventlake"),
                                     "serve", "--config", str(config)],
                                    stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        load = [str(build / "bench/ingest_http"), "--url", url, "--source", "bench",
                "--mode", args.mode, "--duration", f"{args.seconds}s", "--warmup", "0s",
                "--threads", "1", "--connections", "16" if args.mode == "batch" else "64"]
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                       capture_output=True)
        before = events_taken(url)
        subprocess.run(load, check=True, capture_output=True)
        events = events_taken(url) - before
        subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], check=True,
                       capture_output=True)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
        instructions = 0
        for line in out.read_text().splitlines():
            if line.startswith("totals:"):
                instructions = int(line.split()[1])
        if events <= 0 or instructions <= 0:
            sys.exit(f"nothing counted: {events:.0f} events, {instructions} instructions")
        print(f"{args.mode}: {instructions / events:,.0f} instructions per event "
              f"({instructions:,} over {events:,.0f} events)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
