"""The EPUB read the way reading systems show it: tests/reading.js in Debian's chromium.

`read` loads every content file of an unzipped EPUB at each width, in each reading mode
(the book's own styles, Readium CSS day/night/sepia as Thorium injects it, night and dark
grey themes that only colour the body, a dark operating system on a white page), and returns
what it measured per file, width and mode: elements that stick out of the text column or
scroll, how far each noteref is raised, the size of code against the text around it, and
every text whose contrast with its background is under 4.5:1.
reading.js says exactly how. Screenshots on request.

    python tests/reading.py BOOK.epub [--width 390] [--mode readium-night]
        [--file ch022.xhtml] [--shot FILE:WIDTH:MODE[:ID]:OUT.png]

prints the failures (and writes the screenshots).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "reading.js"
WIDTHS = (390, 600)
HEIGHTS = {390: 844, 600: 800}
MODES = ("publisher", "readium-day", "readium-night", "readium-sepia", "forced-night",
         "forced-grey", "dark-os")
READIUM = Path("node_modules") / "@readium" / "css" / "css" / "dist"
CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
OPF = "http://www.idpf.org/2007/opf"
#: how far (in the line's em) a noteref's baseline must sit above the line's to count as raised
RAISED = 0.2


def tools_dir() -> Path | None:
    """tools/node with Readium CSS and puppeteer-core installed: of this checkout, or of the
    main checkout it is a worktree of (None if neither has them)."""
    here = HERE.parent
    candidates = [here / "tools" / "node"]
    common = subprocess.run(["git", "-C", str(here), "rev-parse", "--git-common-dir"],
                            capture_output=True, text=True, check=False).stdout.strip()
    if common:
        candidates.append((here / common).resolve().parent / "tools" / "node")
    for candidate in candidates:
        if (candidate / READIUM / "ReadiumCSS-after.css").is_file() and \
                (candidate / "node_modules" / "puppeteer-core").is_dir():
            return candidate
    return None


def unzip(epub: Path, into: Path) -> Path:
    """The EPUB unpacked into a folder (names inside the folder only)."""
    with zipfile.ZipFile(epub) as archive:
        for info in archive.infolist():
            target = (into / info.filename).resolve()
            if not target.is_relative_to(into.resolve()):
                raise ValueError(f"{epub}: {info.filename} points outside the book")
        archive.extractall(into)
    return into


def content_files(root: Path) -> list[str]:
    """The XHTML files of the spine in reading order, as paths inside the unpacked EPUB."""
    container = etree.parse(str(root / "META-INF" / "container.xml"))
    package = container.find(f".//{{{CONTAINER}}}rootfile").get("full-path")
    opf = etree.parse(str(root / package))
    base = PurePosixPath(package).parent
    items = {item.get("id"): item for item in opf.iter(f"{{{OPF}}}item")}
    files = []
    for ref in opf.iter(f"{{{OPF}}}itemref"):
        item = items[ref.get("idref")]
        if item.get("media-type") == "application/xhtml+xml":
            files.append(str(base / item.get("href")))
    return files


@dataclass(frozen=True)
class Shot:
    file: str  #: path inside the unpacked EPUB
    width: int
    mode: str
    png: Path
    target: str | None = None  #: the id of an element to scroll to
    full: bool = False  #: the whole page, not only the first screen

    def job(self) -> dict:
        return {"file": self.file, "width": self.width, "mode": self.mode, "png": str(self.png),
                "target": self.target, "full": self.full}


def read(root: Path, files: list[str] | None = None, widths=WIDTHS, modes=MODES,
         shots: tuple[Shot, ...] = (), timeout: float = 300) -> dict:
    """reading.js's answer: {"results": [{file, width, mode, overflows, noterefs, contrast,
    texts, unknownColours, column}], "errors": [...], "seconds": n}."""
    tools = tools_dir()
    chromium = shutil.which("chromium")
    if tools is None or chromium is None or shutil.which("node") is None:
        raise RuntimeError("run `make test`: it installs node's tools (tools/node) and chromium")
    files = content_files(root) if files is None else files
    job = {"tools": str(tools), "chromium": chromium, "root": str(root), "files": files,
           "widths": list(widths), "heights": {str(w): HEIGHTS.get(w, 800) for w in widths},
           "modes": list(modes), "shots": [shot.job() for shot in shots],
           "readium": {"before": str(tools / READIUM / "ReadiumCSS-before.css"),
                       "after": str(tools / READIUM / "ReadiumCSS-after.css")}}
    with tempfile.TemporaryDirectory(prefix="reading-") as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job))
        env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "true", "HOME": tmp,
               "XDG_CONFIG_HOME": tmp, "XDG_CACHE_HOME": tmp}
        proc = subprocess.run(["node", str(SCRIPT), str(path)], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"reading.js failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def unraised(result: dict) -> list[dict]:
    """The noterefs of one result whose baseline is not raised above the line's."""
    return [ref for ref in result["noterefs"] if ref["raise"] < RAISED]


def summary(answer: dict) -> str:
    """Counts per mode and width, then every failure."""
    lines = []
    totals: dict[tuple[str, int], list[int]] = {}
    for r in answer["results"]:
        row = totals.setdefault((r["mode"], r["width"]), [0, 0, 0, 0, 0])
        row[0] += bool(r["overflows"])
        row[1] += len(r["overflows"])
        row[2] += len(unraised(r))
        row[3] += len(r["contrast"])
        row[4] += len(r["noterefs"])
    lines.append(f"{'mode':15} {'width':>5} {'files':>6} {'overflows':>9} {'unraised':>9} "
                 f"{'contrast':>9}")
    for (mode, width), (files, overflows, low, contrast, refs) in totals.items():
        lines.append(f"{mode:15} {width:>5} {files:>6} {overflows:>9} {low:>5}/{refs:<3} "
                     f"{contrast:>9}")
    for r in answer["results"]:
        where = f"{r['file']} {r['width']} {r['mode']}"
        for o in r["overflows"]:
            lines.append(f"overflow  {where}: {json.dumps(o, ensure_ascii=False)}")
        for n in unraised(r):
            lines.append(f"noteref   {where}: {json.dumps(n, ensure_ascii=False)}")
        for c in r["contrast"]:
            lines.append(f"contrast  {where}: {json.dumps(c, ensure_ascii=False)}")
        for u in r["unknownColours"]:
            lines.append(f"colour?   {where}: {u}")
    lines.append(f"errors: {answer['errors']}  seconds: {answer['seconds']}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("epub", type=Path)
    parser.add_argument("--width", type=int, action="append")
    parser.add_argument("--mode", action="append", choices=MODES)
    parser.add_argument("--file", action="append", help="a file name, e.g. ch022.xhtml")
    parser.add_argument("--shot", action="append", default=[],
                        help="FILE:WIDTH:MODE[:ID]:OUT.png (FILE by name, ID to scroll to)")
    parser.add_argument("--full", action="store_true", help="screenshots of whole pages")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reading-epub-") as tmp:
        root = unzip(args.epub, Path(tmp))
        files = content_files(root)
        if args.file:
            files = [f for f in files if PurePosixPath(f).name in args.file]
        by_name = {PurePosixPath(f).name: f for f in content_files(root)}
        shots = []
        for spec in args.shot:
            parts = spec.split(":")
            target = parts[3] if len(parts) == 5 else None
            shots.append(Shot(by_name[parts[0]], int(parts[1]), parts[2],
                              Path(parts[-1]).resolve(), target, args.full))
        widths = tuple(args.width or WIDTHS)
        if shots:
            files = sorted(set(files) | {s.file for s in shots}, key=list(by_name.values()).index)
            widths = tuple(sorted(set(widths) | {s.width for s in shots}))
        modes = [m for m in MODES if m in (args.mode or MODES) or any(s.mode == m for s in shots)]
        answer = read(root, files, widths, tuple(modes), tuple(shots))
    print(summary(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
