"""Figures: each image path resolved once to a checked file of the book, captions and alt.

The path an author writes is resolved here, once, to a regular file inside the book, and
that file is checked (model.svg, model.png). The Figure records the resolved path and the
digest of the bytes that were checked; renderers are handed those, never the author's
string. A path may hold only letters, digits, '-', '_', '.' and '/', so no engine that reads
it as a URL (pandoc, WeasyPrint) can decode it into another file than the one checked.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from qabook import ast
from qabook.diagnostics import did_you_mean
from qabook.regular import NotRegular, TooLarge, read_regular, state
from qabook.model.attributes import clean_attr
from qabook.model.context import FileContext, Pos, refuse_text
from qabook.model.nodes import Figure, ref_kind
from qabook.model.png import check_png
from qabook.model.svg import read_svg

#: each type's reader: (why the file is refused or None, advice on an accepted file)
IMAGE_TYPES = {".svg": read_svg, ".png": lambda data: (check_png(data), ())}
#: the book's largest figure is 28 KB; a detailed PNG photograph fits in 5 MiB
MAX_BYTES = 5 * 1024 * 1024
PATH_PUNCTUATION = "-_./"
DRAWN = "figures must be plain SVG or PNG files drawn for the book"
FIGURE_HINTS = {
    "image.too-large": "simplify the drawing, or scale the picture down",
    "image.glyph": "write a character the book's fonts draw (… for ⋯, - for ‒), or draw the "
                   "symbol as a path",
}


@dataclass(frozen=True)
class CheckedFile:
    """A figure's file as the model checked it."""

    src: str  #: its real path relative to the source root (symlinks resolved)
    digest: str  #: SHA-256 of the bytes that were checked


def figure(content: list, caption: list, ctx: FileContext, here: Pos) -> dict:
    """A pandoc Figure block for an image alone in its paragraph, given its cleaned caption;
    registers the Figure."""
    attr = clean_attr(content[0], "Image", ctx, here)
    label = attr[0]
    alt = dict(attr[2]).get("fig-alt", "").strip()
    refuse_text(alt, prose=True, ctx=ctx, here=lambda _: here)
    if not ast.stringify(caption).strip():
        ctx.error(here, "image.caption", "figure without a caption",
                  "write the caption between the brackets: ![Caption.](path){fig-alt=\"…\"}")
    if not alt:
        ctx.error(here, "image.alt", "figure without alt text",
                  'add fig-alt="what the picture shows" to its attributes')
    if label and ref_kind(label) != "figure":
        ctx.error(here, "label.prefix", f"figure label '{label}' must start with 'fig-'",
                  f"rename it to fig-{label.split('-', 1)[-1]}")
    if ctx.in_note:
        ctx.error(here, "figure.in-note", "a figure inside a footnote",
                  "put the figure in the answer's text and refer to it from the note "
                  "(see @fig-…)")
    checked = image_source(content[2][0], ctx, here)
    src, digest = (checked.src, checked.digest) if checked else ("", "")
    ctx.figures.append(Figure(label, src, tuple(caption), alt, ctx.loc(here), digest=digest))
    image = {"t": "Image", "c": [ast.attr(), ast.text_inlines(alt), [src, ""]]}
    index = [["n", str(len(ctx.figures))]]
    return {"t": "Figure", "c": [ast.attr(label, ["figure"], index), [None, [ast.Plain(caption)]],
                                 [ast.Plain([image])]]}


def figure_image(content: list, ctx: FileContext, here: Pos) -> dict:
    """An inline image (already reported), cleaned so later stages can ignore it."""
    clean_attr(content[0], "Image", ctx, here)  # checked like a figure's, not kept
    checked = image_source(content[2][0], ctx, here)
    return {"t": "Image", "c": [ast.attr(), [], [checked.src if checked else "", ""]]}


def image_source(url: str, ctx: FileContext, here: Pos) -> CheckedFile | None:
    """The checked file an image path names, or None after reporting why there is none."""
    relative = _relative(url, ctx, here)
    if relative is None:
        return None
    ctx.images.append((relative, state(ctx.root, relative)))  # the verdict depends on it
    target = _locate(url, relative, ctx, here)
    if target is None:
        return None
    src = target.relative_to(ctx.root.resolve()).as_posix()
    if src != relative:
        ctx.images.append((src, state(ctx.root, src)))
    if _unsafe_character(src):
        ctx.error(here, "image.path", f"image '{url}' leads to '{src}', whose name has "
                  f"'{_unsafe_character(src)}'", "name figure files with letters, digits, "
                  "'-', '_' and '.' only")
        return None
    return _checked(url, src, target, ctx, here)


def _relative(url: str, ctx: FileContext, here: Pos) -> str | None:
    """The path relative to the source root that the author's path names, if it is one a
    book may use; None after reporting why not."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) or url.startswith("//"):
        ctx.error(here, "image.remote", f"image '{url}' is not a file of the book",
                  "download it into source/figures/ and refer to it by a relative path")
        return None
    if url.startswith("/") or "\\" in url:
        ctx.error(here, "image.outside", f"image path '{url}' is absolute",
                  "use a path relative to this file, e.g. ../../figures/name.svg")
        return None
    bad = _unsafe_character(url)
    if bad:
        ctx.error(here, "image.path", f"image path '{url}' has '{bad}', which means something "
                  "else in a web address", "name figure files and folders with letters, "
                  "digits, '-', '_' and '.' only")
        return None
    relative = posixpath.normpath(posixpath.join(posixpath.dirname(ctx.path), url))
    if relative == ".." or relative.startswith("../"):
        _outside(url, ctx, here)
        return None
    return relative


def _unsafe_character(path: str) -> str:
    """The first character of a path that is not a letter, a digit or -_./ ("" if none)."""
    return next((c for c in path if not (c.isalnum() or c in PATH_PUNCTUATION)), "")


def _outside(url: str, ctx: FileContext, here: Pos) -> None:
    ctx.error(here, "image.outside", f"image '{url}' lies outside the book's source folder",
              "keep figures under source/figures/")


def _locate(url: str, relative: str, ctx: FileContext, here: Pos) -> Path | None:
    """The real path of the file, if it is inside the book; resolving looks at each name
    (lstat) and opens nothing."""
    try:
        target = Path(os.path.realpath(ctx.root / relative, strict=True))
    except (FileNotFoundError, NotADirectoryError):
        ctx.error(here, "image.missing", f"image file '{url}' does not exist",
                  _nearby(ctx.root / relative))
        return None
    except OSError as exc:
        what = "a loop of symbolic links" if exc.errno == errno.ELOOP else exc.strerror
        ctx.error(here, "image.not-a-file", f"image '{url}' is {what}, not a file",
                  "point the figure at a file under source/figures/")
        return None
    if not target.is_relative_to(ctx.root.resolve()):
        _outside(url, ctx, here)
        return None
    return target


def _checked(url: str, src: str, target: Path, ctx: FileContext,
             here: Pos) -> CheckedFile | None:
    """The file read (if it is a regular file within the size limit) and its content
    checked; None after reporting why not."""
    check = IMAGE_TYPES.get(target.suffix.lower())
    if check is None:
        ctx.error(here, "image.invalid", f"image '{url}' has type '{target.suffix}'; only "
                  f"{', '.join(IMAGE_TYPES)} are allowed", DRAWN)
        return None
    try:
        data = read_regular(target, MAX_BYTES)
    except NotRegular as what:
        ctx.error(here, "image.not-a-file", f"image '{url}' is {what}, not a file",
                  "point the figure at a file under source/figures/")
        return None
    except TooLarge as big:
        ctx.error(here, "image.too-large", f"image '{url}' is {big.size / 1048576:.1f} MiB; "
                  f"the limit is {MAX_BYTES // 1048576} MiB",
                  "simplify the drawing, or scale the picture down")
        return None
    except OSError as exc:
        ctx.error(here, "image.unreadable", f"image '{url}' cannot be read: {exc.strerror}",
                  "check the file's permissions")
        return None
    problem, advice = check(data)
    for does, hint in advice:
        ctx.warning(here, "image.print-differs", f"image '{url}' {does}", hint)
    if problem:
        code, reason = problem
        ctx.error(here, code, f"image '{url}' {reason}", FIGURE_HINTS.get(code, DRAWN))
        return None
    return CheckedFile(src, hashlib.sha256(data).hexdigest())


def _nearby(target: Path) -> str:
    if target.parent.is_dir():
        hint = did_you_mean(target.name, [p.name for p in target.parent.iterdir()])
        if hint:
            return hint
    return "check the file name and the relative path"
