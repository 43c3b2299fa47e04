#!/usr/bin/env python3
"""The benchmark: qabook against the naive pipeline, on the real book or a synthetic one.

    .venv/bin/python scripts/bench.py                  # the real book, 3 runs per measure
    .venv/bin/python scripts/bench.py --runs 5
    .venv/bin/python scripts/bench.py --synthetic 270  # ten times the real book
    .venv/bin/python scripts/bench.py --only check     # one measure (see --help)

Every run is a fresh process. It measures (a) `qabook check` with no cache and on an unchanged
book, (b) each format alone from cold, (c) the full cold build, (d) a no-op rebuild, (e) a
rebuild after editing one answer, and (f) the naive baseline in the same session: one pandoc
call for the EPUB, one pandoc call to HTML plus one WeasyPrint call for the PDF, and genanki
for the deck, one after the other. Each of ours is also given as a ratio to the baseline.
Peak memory is the largest resident set of the measured process and of its largest child.
The book is copied to a temporary folder first: edits and the deck history stay there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEASURES = ("check", "formats", "cold", "noop", "edit", "baseline")


def child(argv: list[str]) -> None:
    """Run one command in this process, then report its own and its children's peak RSS."""
    code = 0
    try:
        if argv[0] == "baseline":
            baseline(Path(argv[1]), Path(argv[2]))
        else:
            from qabook.cli import main

            main.main(args=argv, prog_name="qabook", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code or 0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write("BENCH " + json.dumps({"code": code, "self_kib": own, "child_kib": kids}) + "\n")


def baseline(source: Path, out: Path) -> None:
    """The naive pipeline: what one would write without qabook's design."""
    import genanki
    import pypandoc
    import yaml
    from weasyprint import HTML

    config = yaml.safe_load((source / "book.yaml").read_text())
    files = [source / f for f in config.get("front", [])]
    for chapter in config["chapters"]:
        files += sorted((source / chapter["folder"]).glob("*.md"))
    files += [source / f for f in config.get("back", [])]
    pandoc = pypandoc.get_pandoc_path()
    common = ["-f", "markdown", "--citeproc", f"--bibliography={source / config['bibliography']}",
              f"--resource-path={source}:{source / 'chapters' / 'x'}", "--quiet"]
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([pandoc, *common, "-t", "epub3", "--mathml", "--toc", "-o",
                    str(out / "book.epub"), *map(str, files)], check=True)
    subprocess.run([pandoc, *common, "-t", "html5", "-s", "--mathml", "-o",
                    str(out / "book.html"), *map(str, files)], check=True)
    HTML(filename=str(out / "book.html"), base_url=str(files[-1].parent)).write_pdf(
        out / "book.pdf")
    model = genanki.Model(1607392319, "Simple", fields=[{"name": "Q"}, {"name": "A"}],
                          templates=[{"name": "Card", "qfmt": "{{Q}}", "afmt": "{{A}}"}])
    deck = genanki.Deck(2059400110, config["title"])
    for path in files:
        text = path.read_text()
        deck.add_note(genanki.Note(model=model, fields=[path.stem, text]))
    genanki.Package(deck).write_to_file(out / "book.apkg")


def run(argv: list[str], cwd: Path) -> dict:
    """One fresh process: wall time and peak memory."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", *argv], cwd=cwd,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    report = next((json.loads(line[6:]) for line in proc.stderr.splitlines()
                   if line.startswith("BENCH ")), None)
    if report is None or report["code"] not in (0, None):
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
    return {"wall": wall, "self": report["self_kib"] / 1024, "child": report["child_kib"] / 1024}


class Bench:
    def __init__(self, source: Path, runs: int, work: Path):
        self.runs, self.work = runs, work
        self.book = work / "book"
        shutil.copytree(source, self.book)
        self.results: dict[str, list[dict]] = {}

    def out(self, name: str) -> Path:
        return self.work / name

    def fresh(self, name: str) -> Path:
        folder = self.out(name)
        shutil.rmtree(folder, ignore_errors=True)
        return folder

    def measure(self, name: str, argv_for, before=None) -> None:
        samples = []
        for index in range(self.runs):
            if before:
                before(index)
            samples.append(run(argv_for(index), self.work))
        self.results[name] = samples
        print(describe(name, samples, self.results.get("baseline")), flush=True)


def describe(name: str, samples: list[dict], base: list[dict] | None) -> str:
    walls = sorted(s["wall"] for s in samples)
    median = statistics.median(walls)
    spread = (walls[-1] - walls[0]) / 2
    ratio = ""
    if base and name != "baseline":
        ratio = f"  ratio {median / statistics.median(s['wall'] for s in base):5.2f}"
    return (f"{name:<34} median {median:7.3f} s ±{spread:6.3f}{ratio}  "
            f"peak RSS {max(s['self'] for s in samples):6.0f} MiB "
            f"(largest child {max(s['child'] for s in samples):5.0f} MiB)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO / "source"), help="book folder")
    parser.add_argument("--synthetic", type=int, help="use a synthetic book of N questions")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure")
    parser.add_argument("--only", choices=MEASURES, action="append", help="measures to run")
    args = parser.parse_args()
    only = set(args.only or MEASURES)
    # qabook's bytecode, as `make book` leaves it, even where PYTHONDONTWRITEBYTECODE is set
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "qabook")],
                   check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        source = Path(args.source).resolve()
        if args.synthetic:
            source = work / "synthetic"
            subprocess.run([sys.executable, str(REPO / "scripts" / "synth_book.py"),
                            str(args.synthetic), str(source)], check=True)
        bench = Bench(source, args.runs, work)
        print(f"book: {source} ({sum(1 for _ in bench.book.rglob('*.md'))} Markdown files); "
              f"{os.cpu_count()} CPUs; {args.runs} runs per measure", flush=True)
        b = bench.book
        if "baseline" in only:
            bench.measure("baseline (naive pipeline)", lambda i: [
                "baseline", str(b), str(bench.fresh("baseline"))])
            bench.results["baseline"] = bench.results.pop("baseline (naive pipeline)")
        if "check" in only:
            bench.measure("check, no cache", lambda i: ["check", "--source", "book", "--no-cache"])
            run(["check", "--source", "book", "--cache", "check-cache"], work)
            bench.measure("check, unchanged book", lambda i: [
                "check", "--source", "book", "--cache", "check-cache"])
        if "formats" in only:
            for fmt in ("apkg", "epub", "pdf"):
                bench.measure(f"{fmt} alone, cold", lambda i, f=fmt: [
                    "build", "--source", "book", "--out", str(bench.fresh("cold")), "-f", f])
        if "cold" in only:
            bench.measure("full build, cold", lambda i: [
                "build", "--source", "book", "--out", str(bench.fresh("cold"))])
        if "noop" in only or "edit" in only:
            run(["build", "--source", "book", "--out", str(bench.fresh("warm"))], work)
        if "noop" in only:
            bench.measure("no-op rebuild", lambda i: [
                "build", "--source", "book", "--out", str(bench.out("warm"))])
        if "edit" in only:
            bench.measure("rebuild after editing one answer", lambda i: [
                "build", "--source", "book", "--out", str(bench.out("warm"))],
                before=lambda i: edit_one_answer(b, i))


def edit_one_answer(book: Path, index: int) -> None:
    """Add a sentence to the answer of a question in the middle of the book."""
    files = sorted(book.glob("chapters/*/*.md"))
    path = files[len(files) // 2]
    text = path.read_text()
    heading = text.index("\n## ")
    path.write_text(text[:heading] + f"\n\nAn edited sentence, number {index + 1}.\n" +
                    text[heading:])


if __name__ == "__main__":
    main()
