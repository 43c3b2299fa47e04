"""Figures: image paths kept inside the book, files checked to be safe images, captions and alt."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from qabook import ast
from qabook.cache import file_digest
from qabook.diagnostics import did_you_mean
from qabook.model.attributes import clean_attr
from qabook.model.context import FileContext, Pos
from qabook.model.nodes import Figure, ref_kind

IMAGE_TYPES = {".svg": "SVG", ".png": "PNG"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
FORBIDDEN_SVG = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video"}
HREF_KEYS = ("href", "{http://www.w3.org/1999/xlink}href")
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.I)


def figure(content: list, caption: list, ctx: FileContext, here: Pos) -> dict:
    """A pandoc Figure block for an image alone in its paragraph, given its cleaned caption;
    registers the Figure."""
    attr = clean_attr(content[0], "Image", ctx, here)
    label = attr[0]
    alt = dict(attr[2]).get("fig-alt", "").strip()
    if not ast.stringify(caption).strip():
        ctx.error(here, "image.caption", "figure without a caption",
                  "write the caption between the brackets: ![Caption.](path){fig-alt=\"…\"}")
    if not alt:
        ctx.error(here, "image.alt", "figure without alt text",
                  'add fig-alt="what the picture shows" to its attributes')
    if label and ref_kind(label) != "figure":
        ctx.error(here, "label.prefix", f"figure label '{label}' must start with 'fig-'",
                  f"rename it to fig-{label.split('-', 1)[-1]}")
    src = image_source(content[2][0], ctx, here)
    ctx.figures.append(Figure(label, src or "", tuple(caption), alt, ctx.loc(here)))
    image = {"t": "Image", "c": [ast.attr(), ast.text_inlines(alt), [src or "", ""]]}
    index = [["n", str(len(ctx.figures))]]
    return {"t": "Figure", "c": [ast.attr(label, ["figure"], index), [None, [ast.Plain(caption)]],
                                 [ast.Plain([image])]]}


def figure_image(content: list, ctx: FileContext, here: Pos) -> dict:
    """An inline image (already reported), cleaned so later stages can ignore it."""
    clean_attr(content[0], "Image", ctx, here)  # checked like a figure's, not kept
    src = image_source(content[2][0], ctx, here)
    return {"t": "Image", "c": [ast.attr(), [], [src or "", ""]]}


def image_source(url: str, ctx: FileContext, here: Pos) -> str | None:
    """The image's path relative to the source root, or None after reporting why not."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) or url.startswith("//"):
        ctx.error(here, "image.remote", f"image '{url}' is not a file of the book",
                  "download it into source/figures/ and refer to it by a relative path")
        return None
    if url.startswith("/") or "\\" in url:
        ctx.error(here, "image.outside", f"image path '{url}' is absolute",
                  "use a path relative to this file, e.g. ../../figures/name.svg")
        return None
    relative = posixpath.normpath(posixpath.join(posixpath.dirname(ctx.path), url))
    root = ctx.root.resolve()
    target = (ctx.root / relative).resolve()
    if relative.startswith("../") or not target.is_relative_to(root):
        ctx.error(here, "image.outside", f"image '{url}' lies outside the book's source folder",
                  "keep figures under source/figures/")
        return None
    ctx.images.append((relative, file_digest(target)))  # the model's verdict depends on it
    if not target.is_file():
        ctx.error(here, "image.missing", f"image file '{url}' does not exist",
                  _nearby(target))
        return None
    problem = check_image(target)
    if problem:
        ctx.error(here, "image.invalid", f"image '{url}' {problem}",
                  "figures must be plain SVG or PNG files drawn for the book")
        return None
    return relative


def _nearby(target: Path) -> str:
    if target.parent.is_dir():
        hint = did_you_mean(target.name, [p.name for p in target.parent.iterdir()])
        if hint:
            return hint
    return "check the file name and the relative path"


def check_image(path: Path) -> str | None:
    """Why the file is not an acceptable image, or None."""
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None:
        return f"has type '{path.suffix}'; only {', '.join(IMAGE_TYPES)} are allowed"
    data = path.read_bytes()
    if kind == "PNG":
        return None if data.startswith(PNG_MAGIC) else "is not a PNG file"
    return check_svg(data)


def check_svg(data: bytes) -> str | None:
    """Why an SVG is unsafe or not an SVG at all, or None."""
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        return "declares a DOCTYPE or entities, which are not allowed"
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return f"is not a valid SVG file ({exc})"
    if root.tag != SVG_NS + "svg":
        return "is not an SVG file (its root element is not <svg>)"
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in FORBIDDEN_SVG:
            return f"contains <{name}>"
        for key, value in element.attrib.items():
            local = key.rsplit("}", 1)[-1]
            if local.lower().startswith("on"):
                return f"has an event handler attribute '{local}'"
            if key in HREF_KEYS and not value.startswith("#"):
                return f"refers to an external resource '{value[:60]}'"
            if CSS_URL.search(value):
                return "refers to an external resource in a style"
        if name == "style" and element.text and CSS_URL.search(element.text):
            return "refers to an external resource in a <style> element"
    return None
