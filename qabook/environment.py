"""What qabook needs from the machine, checked at start-up in milliseconds, with the fix.

Reading and checking need the pandoc of the pypandoc-binary wheel and qabook's own files.
The PDF needs the system libraries WeasyPrint loads. Among them is HarfBuzz's subsetter:
without it WeasyPrint subsets fonts with fontTools instead, which gives other PDF bytes, so
qabook requires it rather than let the output depend on what happens to be installed. The
EPUB needs them too, but for the subsetter: it lays out the print edition (for its page
numbers) without writing it.

`python -m qabook.environment [FORMAT...]` prints the Debian packages that are missing (the
Makefile installs them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from qabook import pandoc, resources
from qabook.diagnostics import NOWHERE, Diagnostic


@dataclass(frozen=True)
class Library:
    """A system library WeasyPrint loads, and where it comes from."""

    soname: str  #: the name the dynamic loader finds it by on Linux
    name: str  #: what find_library calls it elsewhere
    debian: str  #: the Debian and Ubuntu package that installs it
    what: str


PDF_LIBRARIES = (  # in the order they depend on each other: a missing one is named once
    Library("libfontconfig.so.1", "fontconfig", "libfontconfig1", "Fontconfig"),
    Library("libharfbuzz.so.0", "harfbuzz", "libharfbuzz0b", "HarfBuzz"),
    Library("libharfbuzz-subset.so.0", "harfbuzz-subset", "libharfbuzz-subset0",
            "HarfBuzz's font subsetter"),
    Library("libgobject-2.0.so.0", "gobject-2.0", "libglib2.0-0", "GLib's object system"),
    Library("libpango-1.0.so.0", "pango-1.0", "libpango-1.0-0", "Pango, the text layout library"),
    Library("libpangoft2-1.0.so.0", "pangoft2-1.0", "libpangoft2-1.0-0", "Pango's FreeType fonts"),
)
#: the Python packages each format imports (and reading and checking, under "")
MODULES = {"": ("click", "yaml", "ziamath", "latex2mathml", "langcodes", "tinycss2", "PIL"),
           "apkg": ("genanki", "nh3", "fontTools", "brotli"),
           "epub": ("PIL", "weasyprint", "jinja2", "lxml"),
           "pdf": ("weasyprint", "jinja2", "pikepdf")}
#: the one library only writing a PDF needs (the EPUB lays out, but writes no PDF)
SUBSETTER = "libharfbuzz-subset.so.0"
HARFBUZZ = (4, 1, 0)  # WeasyPrint subsets with HarfBuzz from this version on
PANGO = 14400  # WeasyPrint 70 needs Pango 1.44


@dataclass(frozen=True)
class Problem:
    """Something missing from the machine, with the Debian package that fixes it."""

    message: str
    hint: str
    debian: str = ""

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(NOWHERE, "error", "environment.missing", self.message, self.hint)


def problems(formats: tuple[str, ...] = ()) -> list[Problem]:
    """What is missing for checking the book and building the given formats."""
    found = _install(formats)
    if "pdf" in formats:
        found += _libraries("the PDF", PDF_LIBRARIES)
    elif "epub" in formats:  # it lays out the print edition's pages, writing nothing
        found += _libraries("the EPUB (for the print edition's page numbers)",
                            tuple(lib for lib in PDF_LIBRARIES if lib.soname != SUBSETTER))
    return found


def _install(formats: tuple[str, ...]) -> list[Problem]:
    found = []
    for name in sorted({m for fmt in ("", *formats) for m in MODULES.get(fmt, ())}):
        if importlib.util.find_spec(name) is None:
            found.append(Problem(f"the Python package '{name}' that qabook needs is not "
                                 "installed", "reinstall qabook with its dependencies: pip "
                                 "install --force-reinstall qabook (or `make book`)"))
    found += _pandoc()
    missing = [path for path in resources.REQUIRED if not path.is_file()]
    if missing:
        found.append(Problem(f"qabook is installed without its own files ({missing[0]} is "
                             "missing)", "reinstall qabook from its wheel or repository: "
                             "pip install --force-reinstall qabook"))
    return found


REINSTALL_PANDOC = "reinstall it: pip install --force-reinstall 'pypandoc-binary>=1.17,<1.18'"


def _pandoc() -> list[Problem]:
    """The pandoc of the pypandoc-binary wheel, by its path, and of the version qabook pins
    (another would write other ASTs and other EPUB bytes)."""
    binary = Path(pandoc.executable())
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        return [Problem(f"pandoc is missing: qabook reads and writes with the pandoc of the "
                        f"pypandoc-binary package, expected at {binary}", REINSTALL_PANDOC)]
    try:
        answer = subprocess.run([str(binary), "--version"], capture_output=True, timeout=30,
                                text=True, errors="replace", env={}).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        answer = f"({exc})"
    first = answer.split("\n", 1)[0].strip()
    if first != f"pandoc {pandoc.VERSION}":
        return [Problem(f"qabook needs pandoc {pandoc.VERSION}, the pandoc of the pinned "
                        f"pypandoc-binary package; {binary} says {first[:80]!r}",
                        REINSTALL_PANDOC)]
    return []


def _libraries(who: str, libraries: tuple[Library, ...]) -> list[Problem]:
    """What is missing of the libraries `who` ("the PDF") needs."""
    found = []
    loaded = {}
    named: set[str] = set()  # the files the loader could not find, each reported once
    for library in libraries:
        try:
            loaded[library.soname] = _load(library)
        except OSError as exc:
            loaded[library.soname] = None
            culprit = Path(str(exc).split(":", 1)[0]).name
            if culprit not in named:
                named.add(culprit)
                found.append(_missing(who, library, culprit, str(exc)))
    harfbuzz = loaded["libharfbuzz.so.0"]
    if harfbuzz is not None and not harfbuzz.hb_version_atleast(*HARFBUZZ):
        found.append(Problem(f"{who} needs HarfBuzz {'.'.join(map(str, HARFBUZZ))} or newer "
                             "(Debian 12, Ubuntu 24.04 or newer have it)",
                             "a newer system, or a newer HarfBuzz built for this one"))
    pango = loaded["libpango-1.0.so.0"]
    if pango is not None and pango.pango_version() < PANGO:
        found.append(Problem(f"{who} needs Pango 1.44 or newer", "a newer system, or a newer "
                             "Pango built for this one"))
    return found


def _load(library: Library):
    """The library loaded the way WeasyPrint will find it; OSError (the loader's message,
    which names the file it could not load) when it cannot be."""
    if sys.platform.startswith("linux"):
        return ctypes.CDLL(library.soname)
    # macOS, Windows: names differ, and find_library is slower, but it is only here
    return ctypes.CDLL(ctypes.util.find_library(library.name) or library.name)


def _missing(who: str, library: Library, culprit: str, message: str) -> Problem:
    """The library, or a library it needs (the file the loader names), is missing."""
    needed = next((lib for lib in PDF_LIBRARIES if lib.soname == culprit), None)
    if needed is None and culprit != library.soname:
        return Problem(f"{who} needs {library.what} ({library.soname}), which cannot be "
                       f"loaded: {message}", f"install the package that provides {culprit} "
                       f"(Debian: apt-file search {culprit}), or reinstall {library.debian}")
    needed = needed or library
    return Problem(f"{who} needs {needed.what} ({needed.soname}), which this machine lacks",
                   f"install it: sudo apt-get install {needed.debian} (Debian 12, Ubuntu 24.04 "
                   "or newer; `make book` does this), or the pango and harfbuzz packages of "
                   "your system (Homebrew: brew install pango)", needed.debian)


def main(argv: list[str]) -> int:
    """Print the Debian packages missing for the formats named (all when none); 0 if none."""
    found = problems(tuple(argv) or ("apkg", "epub", "pdf"))
    packages = sorted({p.debian for p in found if p.debian})
    if packages:
        print(" ".join(packages))
    others = [p for p in found if not p.debian]
    for problem in others:
        print(f"qabook: {problem.message}\n  hint: {problem.hint}", file=sys.stderr)
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
