"""A busy machine: what qabook reports never depends on how fast the machine is.

pandoc-server used to give each read 2 seconds; with 20 busy processes per CPU that limit
struck and correct files were reported as unreadable (this test failed that way before the
limit was switched off). The checks below read and model all 30 files of the real book and
ask pandoc about every formula, two at once beside the busy processes; only the formulas'
drawings come from a cache, as on an author's machine, to keep the test short.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SOURCE

CHECKS = 2  #: clean checks under saturation, run side by side
LOAD = 10  #: busy processes per CPU: a read that takes 0.3 s quiet takes over 3 s


def check(cache: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qabook", "check", "--source", str(SOURCE),
                             "--cache", str(cache)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_the_real_book_checks_clean_on_a_saturated_machine(real_epub, tmp_path: Path) -> None:
    # the drawings of the session's build: nothing read or modelled is kept, so every file is
    # read again
    drawings = real_epub.parent / ".cache" / "math"
    caches = [tmp_path / f"cache{index}" for index in range(CHECKS)]
    for cache in caches:
        shutil.copytree(drawings, cache / "math")
    cpus = min(len(os.sched_getaffinity(0)), 8)  # the CPUs this test may use, at most 8
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(LOAD * cpus)]
    try:
        checks = [check(cache) for cache in caches]
        results = [(proc.wait(timeout=900), *proc.communicate()) for proc in checks]
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert results == [(0, "qabook check: no problems in 30 files\n", "")] * CHECKS
