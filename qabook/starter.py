"""`qabook new`: a starter book, copied from templates/starter/ with a fresh identifier and
today's date, staged in a hidden folder and moved into place only once every file is written."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import string
import uuid
from pathlib import Path

from qabook import resources
from qabook.config import BOOK_FILE

STARTER = resources.STARTER
#: the one file with blanks to fill in (string.Template's $name, so the file stays YAML)
FILLED = Path(BOOK_FILE)


class NewBookError(Exception):
    """Why no book was written, and what to do about it."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def starter_files() -> list[Path]:
    """The starter book's files, relative to its folder, in a stable order."""
    return sorted(p.relative_to(STARTER) for p in STARTER.rglob("*") if p.is_file())


def create(folder: Path) -> list[Path]:
    """Write the starter book into folder (new, or empty); the files written, relative to it.

    Nothing is written when the folder holds anything, and a failure part-way leaves the
    folder as it was: the files are written into a hidden staging folder first.
    """
    files = starter_files() if STARTER.is_dir() else []
    if FILLED not in files:
        raise NewBookError("new.install", f"qabook's starter book is missing from {STARTER}",
                           "reinstall qabook")
    today = dt.date.today()
    values = {"identifier": str(uuid.uuid4()), "date": today.isoformat(),
              "year": str(today.year)}
    try:
        target = _target(folder)
        if target.is_dir():
            _fill_empty(target, files, values)
        else:
            staging = _stage(target.parent, f".{target.name}.", files, values)
            _publish(staging, lambda: staging.rename(target))
    except OSError as exc:
        raise NewBookError("new.write", f"could not write the book into {folder}: "
                           f"{exc.strerror or exc}", "choose a folder you can write to") from exc
    return files


def _target(folder: Path) -> Path:
    """The folder to write, once it is known to be new or empty (a symlink's target)."""
    try:
        target = folder.resolve()
    except RuntimeError as exc:  # a symlink loop (Python 3.13 raises OSError instead)
        raise NewBookError("new.exists", f"{folder} cannot be resolved: {exc}",
                           "give the name of a folder that does not exist yet") from exc
    if target.is_dir():
        held = sorted(p.name for p in target.iterdir())
        if held:
            shown = ", ".join(held[:3]) + (", …" if len(held) > 3 else "")
            raise NewBookError("new.not-empty",
                               f"{folder} is not empty (it holds {shown}): qabook new writes "
                               "a book only into a new or empty folder",
                               "give the name of a folder that does not exist yet (qabook "
                               "new makes it), or empty this one")
        return target
    if target.exists() or target.is_symlink():
        raise NewBookError("new.exists", f"{folder} exists and is not a folder",
                           "give the name of a folder that does not exist yet")
    parent = folder.parent
    if target.parent.exists() and not target.parent.is_dir():
        raise NewBookError("new.parent", f"cannot make {folder}: {parent} is not a folder",
                           "choose a place inside a folder")
    if not target.parent.exists():
        raise NewBookError("new.parent", f"cannot make {folder}: the folder {parent} does "
                           "not exist", f"create it first (mkdir -p {parent}), or choose a "
                           "place that exists")
    return target


def _stage(parent: Path, prefix: str, files: list[Path], values: dict[str, str]) -> Path:
    """The starter written into a new hidden folder of parent."""
    staging = parent / f"{prefix}qabook-new-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        for relative in files:
            _write(staging / relative, relative, values)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _write(path: Path, relative: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if relative == FILLED:
        text = string.Template((STARTER / relative).read_text("utf-8")).substitute(values)
        path.write_text(text, "utf-8")
    else:
        path.write_bytes((STARTER / relative).read_bytes())


def _fill_empty(target: Path, files: list[Path], values: dict[str, str]) -> None:
    """Stage inside the empty folder itself, then move each entry up: the folder keeps its
    inode, owner and mode (a shell standing in it after `qabook new .` stays in the book)."""
    staging = _stage(target, ".", files, values)

    def move_in() -> None:
        moved: list[str] = []
        try:
            for name in sorted(os.listdir(staging)):
                if os.path.lexists(target / name):  # written meanwhile: never replaced
                    raise FileExistsError(17, "a file appeared in the folder meanwhile")
                os.rename(staging / name, target / name)
                moved.append(name)
        except BaseException:
            for name in moved:  # back into staging, which _publish then removes
                os.rename(target / name, staging / name)
            raise
        staging.rmdir()

    _publish(staging, move_in)


def _publish(staging: Path, move) -> None:
    """Move the staged book into place, or remove it when that fails."""
    try:
        move()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
