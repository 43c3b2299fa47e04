"""How long `qabook serve` takes from a save to the updated preview, per view, on the real book.

    python scripts/serve_bench.py [--question 4] [--edits 6] [--source source]

Copies the book into a temporary folder, starts `qabook serve` on it (its own cache there),
opens the question's preview in Debian's chromium (tests/serve.js, puppeteer-core from
tools/node) and waits until the page shows it once (that first, cold render is not
measured). Then it edits the question's answer several times, each time writing the file
and polling the page's DOM every 10 ms until the edit's text is in every frame of the card's
back (phone and desktop, light and night: "cards"), in the EPUB page ("epub"), and every
printed page image is new and loaded ("print"). Prints each edit's times, and the median and
worst per view against the targets (cards and e-book within 1 s, print within 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from reading import tools_dir  # noqa: E402  (tests/reading.py finds tools/node)

SCRIPT = REPO / "tests" / "serve.js"
TARGETS = {"cards": 1000, "epub": 1000, "print": 2000}


def question_file(book: Path, number: int) -> Path:
    for path in sorted((book / "chapters").rglob("*.md")):
        text = path.read_text("utf-8")
        if re.search(rf"^number:\s*{number}\s*$", text, re.M):
            return path
    raise SystemExit(f"no question {number} in {book}")


def edited(text: str, token: str) -> str:
    """The text with token put at the end of the first line of the answer's first paragraph
    (after the summary block)."""
    lines = text.splitlines(keepends=True)
    after = next(i for i, line in enumerate(lines) if line.startswith("::: summary"))
    end = next(i for i in range(after + 1, len(lines)) if lines[i].startswith(":::"))
    for index in range(end + 1, len(lines)):
        if lines[index][:1].isalpha():
            lines[index] = lines[index].rstrip("\n") + f" {token}\n"
            return "".join(lines)
    raise SystemExit("the question has no answer paragraph to edit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO / "source")
    parser.add_argument("--question", type=int, default=4)
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between edits")
    args = parser.parse_args()
    tools, chromium = tools_dir(), shutil.which("chromium")
    if tools is None or chromium is None:
        raise SystemExit("needs tools/node (puppeteer-core) and chromium: run `make test` once")
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(args.source, book)
        file = question_file(book, args.question)
        original = file.read_text("utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
        server = subprocess.Popen(
            [sys.executable, "-m", "qabook", "serve", "--source", str(book), "--port", "0",
             "--cache", str(Path(tmp) / "cache")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            line = server.stdout.readline()
            found = re.search(r"at (http://\S+/) ", line)
            if found is None:
                raise SystemExit(f"serve did not start: {line}{server.stderr.read()}")
            steps = [{"kind": "text", "expect": f"(bench-edit-{n})",
                      "content": edited(original, f"(bench-edit-{n})")}
                     for n in range(1, args.edits + 1)]
            job = {"tools": str(tools), "chromium": chromium, "url": found.group(1) +
                   f"q/{args.question}", "file": str(file), "timeout": 600_000,
                   "pause": int(args.pause * 1000), "shots": None, "steps": steps}
            (Path(tmp) / "job.json").write_text(json.dumps(job))
            proc = subprocess.run(["node", str(SCRIPT), str(Path(tmp) / "job.json")],
                                  capture_output=True, text=True, check=False,
                                  env={**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": tmp,
                                       "XDG_CACHE_HOME": tmp})
        finally:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=60)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        answer = json.loads(proc.stdout)
    if answer["failed"]:
        raise SystemExit(answer["failed"])
    print(f"qabook serve, save -> updated preview of Q{args.question} ({args.edits} edits, "
          f"ms after the write):")
    print(f"{'edit':>4} {'cards':>7} {'epub':>7} {'print':>7}")
    for n, step in enumerate(answer["steps"], 1):
        print(f"{n:>4} " + " ".join(f"{step.get(v, float('nan')):>7.0f}" for v in TARGETS)
              + ("" if step["ok"] else "  (timed out)"))
    good = [s for s in answer["steps"] if s["ok"]]
    failed = len(good) < len(answer["steps"])
    for view, target in TARGETS.items():
        times = [s[view] for s in good]
        if not times:
            continue
        median, worst = statistics.median(times), max(times)
        verdict = "met" if median <= target else "not met"
        print(f"{view:>5}: median {median:.0f} ms, worst {worst:.0f} ms "
              f"(target {target} ms: {verdict} by the median"
              f"{', and by the worst' if worst <= target else ''})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
