"""DAISY Ace (the EPUB accessibility checker) on the real book's EPUB, in Debian's chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from conftest import REPO

ACE = REPO / "tools" / "node" / "node_modules" / ".bin" / "ace-cli"


def test_ace_finds_no_violations(real_epub: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert ACE.exists() and chromium, "run `make test`: it installs Ace and chromium"
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium, "PUPPETEER_SKIP_DOWNLOAD": "true"}
    proc = subprocess.run([str(ACE), "--force", "--silent", "--outdir", str(tmp_path / "report"),
                           str(real_epub)], capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    violations = [(page["earl:testSubject"]["url"], check["earl:test"]["dct:title"],
                   check["earl:test"]["earl:impact"])
                  for page in report["assertions"] for check in page["assertions"]]
    assert violations == [], violations
    assert report["earl:result"]["earl:outcome"] == "pass", proc.stderr
    assert report["a11y-metadata"]["empty"] == []
    assert {"schema:accessMode", "schema:accessibilityFeature", "schema:accessibilityHazard",
            "schema:accessibilitySummary", "schema:accessModeSufficient"} <= set(
        report["a11y-metadata"]["present"])
