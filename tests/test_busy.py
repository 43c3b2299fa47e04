"""A busy machine: what qabook reports never depends on how fast the machine is.

pandoc-server used to give each read 2 seconds; with 20 busy processes per CPU that limit
struck and correct files were reported as unreadable (this test failed that way before the
limit was switched off). The checks below read and model all 30 files of the real book and
ask pandoc about every formula; only the formulas' drawings come from a cache, as on an
author's machine, to keep the test short.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SOURCE, run

CHECKS = 2  #: clean checks in a row under saturation
LOAD = 20  #: busy processes per CPU


def test_the_real_book_checks_clean_on_a_saturated_machine(tmp_path: Path) -> None:
    warm = tmp_path / "warm"
    quiet = run("check", "--source", str(SOURCE), "--cache", str(warm))
    assert quiet == (0, "qabook check: no problems in 30 files\n", "")
    for kind in warm.iterdir():
        if kind.name != "math":  # nothing read or modelled is kept: every file is read again
            shutil.rmtree(kind)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(LOAD * (os.cpu_count() or 1))]
    results = []
    try:
        for index in range(CHECKS):
            cache = shutil.copytree(warm, tmp_path / f"cache{index}")
            results.append(run("check", "--source", str(SOURCE), "--cache", str(cache)))
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert results == [quiet] * CHECKS
