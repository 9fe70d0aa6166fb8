#!/usr/bin/env python3
"""The docs/benchmarks.md section of bench_lake_write runs: the median per
phase of rows/s and rows per CPU-second over every run given.

    summarize_lake_write.py --date D --machine M --command C run-1.jsonl ...
"""

import argparse
import json
import statistics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--date", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    phases = {}
    for path in args.runs:
        for line in open(path):
            if line.startswith("{\"phase\""):
                row = json.loads(line)
                phases.setdefault(row["phase"], []).append(row)
    print(f"## lake_write, {args.date}\n")
    print(f"- Machine: {args.machine}")
    print(f"- Command: `{args.command}` (median of {len(args.runs)} runs)")
    print("- Data: 1,000,000 clickstream events (8 JSON members, ~300 bytes) in a 2-partition "
          "stream; one table partitioned by day(time), one zstd Parquet file per flush")
    print("- Rows per CPU-second count the whole process, DuckDB's threads included: the "
          "figure to compare with \"per core\"\n")
    print("| phase | what runs | rows/s | rows per CPU-second |")
    print("|---|---|---:|---:|")
    what = {"read": "log read and event decode", "encode": "+ events as row cells",
            "load": "+ table writer, Parquet and commit (end to end)",
            "flush": "the flush alone: COPY to Parquet, stats, commit"}
    for phase in ("read", "encode", "load", "flush"):
        rows = phases.get(phase)
        if not rows:
            continue
        rate = statistics.median(r["rows_per_s"] for r in rows)
        per_cpu = statistics.median(r["rows_per_cpu_s"] for r in rows)
        print(f"| {phase} | {what[phase]} | {rate:,.0f} | {per_cpu:,.0f} |")
    load = phases.get("load")
    if load:
        per_cpu = statistics.median(r["rows_per_cpu_s"] for r in load)
        print(f"\nGoal (issue 4): ≥ 500,000 rows/s per core end to end: {per_cpu:,.0f} rows per "
              "CPU-second. Compaction and the compacted-query ratio are not measured yet "
              "(compaction is not built).")


if __name__ == "__main__":
    main()
