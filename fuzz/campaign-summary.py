#!/usr/bin/env python3
"""Summarises a fuzzing campaign as Markdown rows for docs/security.md.

    python3 fuzz/campaign-summary.py LOGDIR

LOGDIR holds one `<target>.log` per target (libFuzzer's output, run with
-print_final_stats=1) and `summary.txt` lines `<target> start=... end=... rc=N` as the
campaign runner writes them. A target whose log has no final statistics is reported as
unfinished; rc != 0 or a crash/leak/timeout line is reported as a finding.
"""
import re
import sys
from pathlib import Path


def main():
    logdir = Path(sys.argv[1])
    runs = {}
    summary = logdir / "summary.txt"
    if summary.exists():
        for line in summary.read_text().splitlines():
            parts = line.split()
            if parts:
                fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
                runs[parts[0]] = fields
    print("| target | started (UTC) | executions | exec/s | coverage (edges) | corpus | result |")
    print("|---|---|---:|---:|---:|---:|---|")
    for log in sorted(logdir.glob("*.log")):
        target = log.stem
        text = log.read_text(errors="replace")
        stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
        cov = re.findall(r"cov: (\d+) ft: \d+ corp: (\d+)", text)
        problems = re.findall(r"^==\d+== ERROR: (libFuzzer: [^\n]*|AddressSanitizer: [^\n]*)|^(SUMMARY: [^\n]*)", text, re.M)
        run = runs.get(target, {})
        if problems:
            result = "**finding**: " + "; ".join(a or b for a, b in problems)[:200]
        elif "stat::number_of_executed_units" not in text:
            result = "unfinished"
        elif run.get("rc", "0") != "0":
            result = f"exit {run.get('rc')}"
        else:
            result = "no crash, leak, timeout or OOM"
        print(
            f"| `{target}` | {run.get('start', '?')} | {stats.get('number_of_executed_units', '?')} "
            f"| {stats.get('average_exec_per_sec', '?')} | {cov[-1][0] if cov else '?'} "
            f"| {cov[-1][1] if cov else '?'} | {result} |"
        )


if __name__ == "__main__":
    main()
