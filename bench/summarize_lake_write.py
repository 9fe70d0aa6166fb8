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
            "flush": "the flush alone: COPY to Parquet, stats, commit",
            "compact": "20 files of 50,000 rows compacted into one by concatenating row groups "
                       "(footers, copy, commit)",
            "compact_rewrite": "the same, rewriting the rows through DuckDB (read, rewrite, "
                               "commit)"}
    for phase in ("read", "encode", "load", "flush", "compact", "compact_rewrite"):
        rows = phases.get(phase)
        if not rows:
            continue
        rate = statistics.median(r["rows_per_s"] for r in rows)
        per_cpu = statistics.median(r["rows_per_cpu_s"] for r in rows)
        print(f"| {phase} | {what[phase]} | {rate:,.0f} | {per_cpu:,.0f} |")
    query = phases.get("query")
    if query:
        compacted = statistics.median(r["query_s_compacted"] for r in query)
        one = statistics.median(r["query_s_one_file"] for r in query)
        rewritten = statistics.median(r["query_s_rewritten"] for r in query)
        ratio = statistics.median(r["ratio"] for r in query)
        print(f"\nQuery (GROUP BY country with count, sum, avg, count(DISTINCT user), median of 5 "
              f"per run): {compacted * 1000:.1f} ms over the concatenated files, "
              f"{rewritten * 1000:.1f} ms over the rewritten ones, {one * 1000:.1f} ms "
              f"over one file with the same rows: ratio {ratio:.2f} (concatenated / one file).")
    print("\nGoals (issue 4):")
    for phase, goal in (("load", "500,000 rows/s per core end to end"),
                        ("compact", "2,000,000 rows/s per core for compaction")):
        rows = phases.get(phase)
        if rows:
            per_cpu = statistics.median(r["rows_per_cpu_s"] for r in rows)
            print(f"- {goal}: {per_cpu:,.0f} rows per CPU-second")
    if query:
        print(f"- a query over compacted data at most 1.2× the time over one file: "
              f"{statistics.median(r['ratio'] for r in query):.2f}×")


if __name__ == "__main__":
    main()
