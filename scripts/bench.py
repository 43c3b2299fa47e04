#!/usr/bin/env python3
"""Benchmark qabook on a book: median and spread of wall time, and peak memory, per command.

    .venv/bin/python scripts/bench.py                 # the real book, 5 runs per command
    .venv/bin/python scripts/bench.py --runs 9 --source path/to/book

Every run is a fresh process (nothing is warm but the OS file cache). Peak memory is the
largest resident set of the qabook process and of its largest child (pandoc) in that run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def child(argv: list[str]) -> None:
    """Run the CLI in this process, then report our own and our children's peak RSS."""
    from qabook.cli import main

    try:
        main.main(args=argv, prog_name="qabook", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code or 0
    else:
        code = 0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write("BENCH " + json.dumps({"code": code, "self_kib": own, "child_kib": kids}) + "\n")


def measure(argv: list[str], runs: int) -> dict:
    """Run `qabook argv` `runs` times; wall times and memory of each run."""
    walls, selves, kids = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", *argv], cwd=REPO,
                              capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        report = next((json.loads(line[6:]) for line in proc.stderr.splitlines()
                       if line.startswith("BENCH ")), None)
        if report is None or report["code"] not in (0, None):
            sys.exit(f"qabook {' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
        selves.append(report["self_kib"] / 1024)
        kids.append(report["child_kib"] / 1024)
    return {"walls": walls, "self_mib": max(selves), "child_mib": max(kids)}


def describe(name: str, result: dict) -> str:
    walls = sorted(result["walls"])
    median = statistics.median(walls)
    spread = (walls[-1] - walls[0]) / 2
    return (f"{name:<28} median {median:7.3f} s  ±{spread:6.3f} s  "
            f"(min {walls[0]:.3f}, max {walls[-1]:.3f}, n={len(walls)})  "
            f"peak RSS qabook {result['self_mib']:6.1f} MiB, pandoc {result['child_mib']:6.1f} MiB")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO / "source"), help="book folder")
    parser.add_argument("--runs", type=int, default=5, help="runs per command")
    args = parser.parse_args()
    source = str(Path(args.source).resolve())
    print(f"book: {source}; {os.cpu_count()} CPUs; {args.runs} runs per command")
    commands = {"qabook check": ["check", "--source", source]}
    for name, argv in commands.items():
        print(describe(name, measure(argv, args.runs)), flush=True)


if __name__ == "__main__":
    main()
