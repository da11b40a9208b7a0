#!/usr/bin/env python3
"""Prints the one table of `make bench` from the benchmarks' output.

Each benchmark prints its own lines and, for the table, rows of the form

    bench-row<TAB>path<TAB>weigrid<TAB>baseline<TAB>ratio<TAB>aim<TAB>met

and the database's commit settings as

    bench-durability<TAB>who<TAB>settings

(`platform::bench::row` and `platform::bench::durability`). The analytic
ingest benchmark's own lines (its rate beside raw JetStream, and the camera
flood's intake p99 beside the quiet one) are read as it prints them.

Usage: bench-table.py LOG
"""

import re
import sys


def video_rows(text):
    """Rows from the analytic-ingest benchmark's printed lines."""
    rows = []
    ingest = re.search(r"^StreamAnalyticEvents[^\n]*?\s([\d.]+) events/s", text, re.M)
    raw = re.search(r"^same events, raw JetStream publish \+ ack\s+([\d.]+) events/s", text, re.M)
    if ingest and raw and float(raw.group(1)) > 0:
        ratio = float(ingest.group(1)) / float(raw.group(1))
        rows.append(
            (
                "analytic-event ingest (StreamAnalyticEvents)",
                f"{float(ingest.group(1)):,.0f}/s",
                f"raw JetStream publish + ack {float(raw.group(1)):,.0f}/s",
                f"{ratio:.2f}",
                "—",
                "",
            )
        )
    quiet = re.search(r"^12345 intake at \d+/s, no camera flood\s+p50\s+[\d.]+ ms\s+p99\s+([\d.]+) ms", text, re.M)
    for m in re.finditer(
        r"^12345 intake at (\d+)/s, camera (\S+) of ([\d.]+) events/s\s+p50\s+[\d.]+ ms\s+p99\s+([\d.]+) ms",
        text,
        re.M,
    ):
        if not quiet:
            break
        rate, what, events, p99 = m.groups()
        q = float(quiet.group(1))
        ratio = float(p99) / q if q > 0 else float("inf")
        rows.append(
            (
                f"camera {what} isolation: 12345 intake p99 at {rate}/s under {float(events):,.0f} camera events/s",
                f"p99 {float(p99):.2f} ms",
                f"no flood p99 {q:.2f} ms",
                f"{ratio:.2f}",
                "≤ 2.00",
                "yes" if ratio <= 2.0 else "NO",
            )
        )
    return rows


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    rows = []
    durability = []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "bench-row" and len(parts) == 7:
            rows.append(tuple(parts[1:]))
        elif parts[0] == "bench-durability" and len(parts) == 3:
            durability.append((parts[1], parts[2]))
    rows.extend(video_rows(text))
    if not rows:
        print("no benchmark rows found", file=sys.stderr)
        return 1
    print()
    print("## weigrid beside its baselines (measured in the same run)")
    print()
    print("| path | weigrid | baseline in the same run | ratio | aim | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if durability:
        print()
        seen = {}
        for who, settings in durability:
            seen.setdefault(settings, []).append(who)
        for settings, whos in seen.items():
            print(f"commit settings ({', '.join(whos)}): {settings}")
    missing = [r[0] for r in rows if r[5] == "NO"]
    if missing:
        print()
        print("short of the aim: " + "; ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
