#!/usr/bin/env python3
"""Turns several runs of bench_log_append (--json-out files) into one Markdown
section for docs/benchmarks.md: the median of every figure across the runs,
the machine, the command and the date. Used by scripts/run-benchmarks.

    bench/summarize.py --date 2026-11-25 --machine "..." --command "..." run-*.json
"""

import argparse
import json
import statistics

FIGURES = ["records_per_sec", "mb_per_sec", "fsyncs_per_sec", "records_per_fsync",
           "p50_ms", "p99_ms", "cpu_cores"]


def thousands(v: float) -> str:
    return f"{round(v):,}"


def medians(runs: list[dict]) -> tuple[dict, list[dict]]:
    """The median disk figures and the median of each (threads, batch) row."""
    disk = {key: statistics.median(r["disk"][key] for r in runs)
            for key in ("fsyncs_per_sec", "fsyncs_per_sec_busy", "write_mb_per_sec")}
    disk["filesystem"] = runs[0]["disk"]["filesystem"]
    rows = []
    for row in runs[0]["runs"]:
        key = (row["threads"], row["batch"])
        same = [r2 for r in runs for r2 in r["runs"] if (r2["threads"], r2["batch"]) == key]
        rows.append({"threads": key[0], "batch": key[1],
                     "records_min": min(s["records_per_sec"] for s in same),
                     "records_max": max(s["records_per_sec"] for s in same),
                     **{f: statistics.median(s[f] for s in same) for f in FIGURES}})
    return disk, rows


def goals(disk: dict, rows: list[dict]) -> list[str]:
    lines = []
    single = [r for r in rows if r["threads"] == 64 and r["batch"] == 1]
    if single:
        r = single[0]
        raw = max(disk["fsyncs_per_sec_busy"], disk["fsyncs_per_sec"])  # the stricter base
        rate = r["records_per_sec"]
        lines.append(f"- 64 single appenders: {thousands(rate)} records/s = "
                     f"{100 * rate / (64 * raw):.1f}% of 64 × the raw fdatasync rate "
                     f"(64 × {thousands(raw)}/s = {thousands(64 * raw)}/s) (goal ≥ 80%); "
                     f"{r['records_per_fsync']:.1f} records per fsync (64 at best)")
    batched = [r for r in rows if r["batch"] == 100]
    if batched:
        best = max(batched, key=lambda r: r["records_per_sec"])
        lines.append(f"- batches of 100: {thousands(best['records_per_sec'])} records/s with "
                     f"{best['threads']} appenders (goal ≥ 1,000,000)")
    return lines


def section(args, runs: list[dict]) -> str:
    disk, rows = medians(runs)
    out = [f"## log_append, {args.date}", "",
           f"- Machine: {args.machine}",
           f"- Command: `{args.command}` (each figure is its median over {len(runs)} runs, "
           "so a row's figures need not multiply out)",
           f"- Disk ({disk['filesystem']}): raw fdatasync of 300-byte appends "
           f"{thousands(disk['fsyncs_per_sec'])}/s with the CPU otherwise idle, "
           f"{thousands(disk['fsyncs_per_sec_busy'])}/s with another thread spinning; "
           f"sequential write {thousands(disk['write_mb_per_sec'])} MB/s",
           "",
           "| appenders | events per append | records/s | min–max records/s | MB/s | fsyncs/s | records per fsync "
           "| p50 latency ms | p99 latency ms | CPU cores busy |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['threads']} | {r['batch']} | {thousands(r['records_per_sec'])} "
                   f"| {thousands(r['records_min'])}–{thousands(r['records_max'])} "
                   f"| {r['mb_per_sec']:.1f} | {thousands(r['fsyncs_per_sec'])} "
                   f"| {r['records_per_fsync']:.1f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} "
                   f"| {r['cpu_cores']:.2f} |")
    out += ["", "Goals (issue 2):", "", *goals(disk, rows), ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("runs", nargs="+", help="bench_log_append --json-out files")
    args = parser.parse_args()
    runs = []
    for path in args.runs:
        with open(path) as f:
            runs.append(json.load(f))
    print(section(args, runs))


if __name__ == "__main__":
    main()
