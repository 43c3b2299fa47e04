"""Load: find the book's files from book.yaml, read them, and parse all Markdown with pandoc."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from qabook import ast, pandoc, regular, yamldoc
from qabook.cache import NO_CACHE, Cache, key
from qabook.config import BOOK_FILE, BookConfig, FileEntry, parse_config
from qabook.diagnostics import NOWHERE, Diagnostics, Location
from qabook.load.history import History, read_history
from qabook.characters import FORBIDDEN
from qabook.load.files import (MAX_NOTE_CHAIN, Text, footnote_chain, footnote_cycle, inside,
                               opens_front_matter, read_text, split_front_matter)
from qabook.tex import Formula

Kind = Literal["front", "question", "back"]


@dataclass(frozen=True)
class SourceFile:
    """One Markdown file of the book, read and parsed but not yet interpreted."""

    path: str  # relative to the source root, with forward slashes
    kind: Kind
    chapter: int  # 0 for front and back matter
    meta: yamldoc.YamlDoc | None  # front matter; None when absent or unreadable
    body: str = field(repr=False)  # the Markdown for pandoc (front matter blanked out)
    lines: tuple[str, ...] = field(repr=False)  # the text, to turn pandoc columns into characters
    model_key: str = ""  # the cache key of this file's model
    cached: Any = field(default=None, repr=False)  # the model's cached result, when still valid


@dataclass(frozen=True)
class Bibliography:
    """The BibTeX file: its keys with their locations, and its entries as CSL (pandoc meta)."""

    path: str
    keys: dict[str, Location]
    references: Any = field(repr=False)  # pandoc MetaList of CSL entries
    formulas: tuple[Formula, ...] = ()  #: math in its entries (titles…), at each entry's key


@dataclass(frozen=True)
class LoadedBook:
    """Everything the model stage needs; no file is read after this stage except images."""

    root: Path
    config: BookConfig
    files: tuple[SourceFile, ...]
    bibliography: Bibliography | None
    complete: bool  # False when a file could not be loaded: labels may then be missing
    history: History | None = None  # the deck's lock file; None when it cannot be used


def load(root: Path, diags: Diagnostics, cache: Cache = NO_CACHE) -> LoadedBook | None:
    """Read book.yaml and every file it names; None when book.yaml itself is unusable.

    The Markdown is parsed by `parse`, batch by batch, as the model stage asks for it (so a
    long book never holds every AST at once); files whose model is in the cache (same text,
    same figures) are not parsed at all.
    """
    config = _config(root, diags)
    if config is None:
        return None
    history = read_history(root, diags)  # the deck's lock file: an input like any other
    entries = _entries(root, config, diags)
    texts = [(entry, kind, chapter, read_text(root, entry.path, entry.location, diags))
             for entry, kind, chapter in entries]
    bib = read_text(root, config.bibliography.path, config.bibliography.location, diags)
    splits = [(entry, kind, chapter, text, _split(text, diags)) for entry, kind, chapter, text in texts
              if text is not None]
    files: list[SourceFile] = []
    for _, kind, chapter, text, split in splits:
        meta = _meta(text, split, diags)
        if meta is False:  # unreadable front matter: the file's number and labels are unknown
            continue
        if _notes_in_a_loop(text, split, diags):
            continue
        ident = key("model", kind, chapter, text.path, text.text)
        files.append(SourceFile(text.path, kind, chapter, meta, split.body,
                                tuple(text.text.split("\n")), ident,
                                _valid(root, cache.get("model", ident))))
    bibliography = _load_bibliography(bib, diags, cache) if bib is not None else None
    complete = len(files) == len(entries) and bibliography is not None
    return LoadedBook(root, config, tuple(files), bibliography, complete, history)


BATCH = 300_000  # characters of Markdown parsed at a time (their decoded ASTs are ~500 times larger)


def parse(files: list[SourceFile], diags: Diagnostics) -> Iterator[tuple[SourceFile, Any]]:
    """Each file with its pandoc AST (None when pandoc failed, after reporting it), in batches
    of a bounded size, so the ASTs of a batch can be dropped before the next is read."""
    batch: list[SourceFile] = []
    size = 0
    for file in files + [None]:
        if batch and (file is None or size + len(file.body) > BATCH):
            asts = _parse([f.body for f in batch], [f.path for f in batch], pandoc.MARKDOWN, diags)
            yield from zip(batch, asts)
            batch, size = [], 0
        if file is not None:
            batch.append(file)
            size += len(file.body)


def _valid(root: Path, entry: Any) -> Any:
    """A cached model entry, if every figure it checked is still as it was."""
    if entry is None:
        return None
    for path, held in entry["images"]:
        if regular.state(root, path) != held:
            return None
    return entry


def _load_bibliography(bib: Text, diags: Diagnostics, cache: Cache) -> Bibliography | None:
    ident = key("bibliography", bib.text)
    hit = cache.get("bibliography", ident)
    if hit is not None:
        bibliography, problems = hit
        diags.extend(problems)
        return bibliography
    parsed = _parse([bib.text], [bib.path], "bibtex", diags)[0]
    if parsed is None:
        return None
    local = Diagnostics()
    bibliography = _bibliography(bib, parsed, local)
    diags.extend(local.items)
    cache.put("bibliography", ident, (bibliography, local.items))
    return bibliography


def read_config(root: Path, diags: Diagnostics) -> BookConfig | None:
    """book.yaml alone, validated (the CLI expands `--handout NAME` with it)."""
    return _config(root, diags)


def _config(root: Path, diags: Diagnostics) -> BookConfig | None:
    origin = Location(BOOK_FILE)
    if not os.path.lexists(root / BOOK_FILE):
        diags.error(origin, "file.missing", f"no {BOOK_FILE} in '{root}'",
                    "point --source at the folder that holds book.yaml")
        return None
    text = read_text(root, BOOK_FILE, origin, diags)
    if text is None:
        return None
    doc = _yaml(text.text, 1, origin, diags)
    return parse_config(doc, diags) if doc is not None else None


def _entries(root: Path, config: BookConfig, diags: Diagnostics):
    """(FileEntry, kind, chapter) for every Markdown file, each real file once."""
    found: list[tuple[FileEntry, Kind, int]] = []
    for entry in config.front:
        found.append((entry, "front", 0))
    for chapter in config.chapters:
        for path in _chapter_files(root, chapter, diags):
            found.append((FileEntry(path, Location(path, 1, 1)), "question", chapter.number))
    for entry in config.back:
        found.append((entry, "back", 0))
    seen: dict[Path, FileEntry] = {}
    unique = []
    for entry, kind, chapter in found:
        real = inside(root, entry.path)
        if real is not None and real in seen:
            first = seen[real]
            diags.error(entry.location, "file.duplicate",
                        f"'{entry.path}' is part of the book twice",
                        f"it is already included at {first.location}; remove one")
            continue
        if real is not None:
            seen[real] = entry
        unique.append((entry, kind, chapter))
    return unique


def _chapter_files(root: Path, chapter, diags: Diagnostics) -> list[str]:
    folder = inside(root, chapter.folder)
    if folder is None:
        diags.error(chapter.location, "file.outside",
                    f"chapter folder '{chapter.folder}' lies outside the source folder",
                    "use a folder under source/, e.g. chapters/01-basics")
        return []
    if not folder.is_dir():
        diags.error(chapter.location, "chapter.missing",
                    f"chapter folder '{chapter.folder}' does not exist",
                    "create it, or correct the folder in book.yaml")
        return []
    try:
        names = sorted(p.name for p in folder.iterdir() if p.suffix == ".md")
    except OSError as exc:
        diags.error(chapter.location, "chapter.unreadable",
                    f"cannot list chapter folder '{chapter.folder}': {exc.strerror}",
                    "give yourself permission to read it")
        return []
    for name in [name for name in names if FORBIDDEN.search(name)]:
        char = FORBIDDEN.search(name).group()
        diags.error(Location(f"{chapter.folder}/{name}"), "file.name",
                    f"the file name holds character U+{ord(char):04X}, which is not allowed",
                    "rename the file: names hold no control or invisible characters")
        names.remove(name)
    if not names:
        diags.error(chapter.location, "chapter.empty",
                    f"chapter folder '{chapter.folder}' holds no question files",
                    "add a question file (*.md), or remove the chapter")
    return [f"{chapter.folder}/{name}" for name in names]


def _split(text: Text, diags: Diagnostics):
    split = split_front_matter(text.text)
    if split.yaml is None and opens_front_matter(text.text):
        diags.error(Location(text.path, 1, 1), "meta.unclosed",
                    "the front matter is never closed", "end it with a line '---'")
    return split


def _notes_in_a_loop(text: Text, split, diags: Diagnostics) -> bool:
    """True (after reporting it) when a footnote contains itself: pandoc cannot read it."""
    cycle = footnote_cycle(split.body)
    if cycle is None:
        chain = footnote_chain(split.body)
        if chain is None:
            return False
        line, col, labels = chain
        diags.error(Location(text.path, line, col), "footnote.too-deep",
                    f"footnotes nested more than {MAX_NOTE_CHAIN} deep ([^{labels[0]}] calls "
                    f"[^{labels[1]}], which calls [^{labels[2]}], …)", "a note may call "
                    "another, but not in a chain this long: fold the notes together")
        return True
    line, col, labels = cycle
    chain = " → ".join(f"[^{label}]" for label in labels)
    diags.error(Location(text.path, line, col), "footnote.cycle",
                f"footnote [^{labels[0]}] contains itself ({chain}): pandoc would expand it "
                "without end",
                "a note cannot call itself, directly or through another note; remove the call")
    return True


def _meta(text: Text, split, diags: Diagnostics) -> yamldoc.YamlDoc | None | bool:
    if split.yaml is None:
        return None
    doc = _yaml(split.yaml, split.yaml_line, Location(text.path), diags)
    return doc if doc is not None else False


def _yaml(text: str, first_line: int, origin: Location,
          diags: Diagnostics) -> yamldoc.YamlDoc | None:
    """The YAML document, or None after reporting why it cannot be read."""
    try:
        return yamldoc.load(text, first_line)
    except yamldoc.YamlError as exc:
        diags.error(origin.at(exc.line, exc.col), exc.code, exc.message, exc.hint)
        return None


def _parse(texts: list[str], paths: list[str], reader: str, diags: Diagnostics) -> list[Any]:
    """Parse every text: the AST of each, or None after reporting why not.

    A file is blamed only for what pandoc says about that file alone: an error in its own
    answer, or pandoc's memory or time limit when it reads that file by itself. pandoc that
    cannot run, or is killed, is one problem of the machine, reported once at no file.
    """
    try:
        results = pandoc.read_many(texts, reader)
    except pandoc.PandocError as exc:
        results = _one_by_one(texts, reader, exc)
    except OSError as exc:  # e.g. no room for the scratch folder
        results = pandoc.PandocError(f"cannot run pandoc: {exc}", "environment")
    if isinstance(results, pandoc.PandocError):
        diags.error(NOWHERE, "pandoc.failed", f"pandoc could not read the book: {results}",
                    ENGINE_HINTS[results.cause])
        return [None] * len(texts)
    out = []
    for path, result in zip(paths, results):
        if "error" in result:
            _failed(Location(path), result, reader, diags)
            out.append(None)
        else:
            out.append(result)
    return out


#: how pandoc's readers (Parsec) say where they stopped: the position, then the reason
PARSE_ERROR = re.compile(r'^Error at (?:"[^"\n]*" )?\(line (\d+), column (\d+)\):\n([^\n]*)')


def _failed(here: Location, result: dict[str, Any], reader: str, diags: Diagnostics) -> None:
    """Report a file pandoc could not read: at the place it names, with its reason alone."""
    message = result["error"]
    parse = PARSE_ERROR.match(message)
    if parse:
        where = here.at(int(parse.group(1)), int(parse.group(2)))
        hint = ("the entry before this point is not closed, or holds a stray character: check "
                "its braces, quotes and commas" if reader == "bibtex"
                else "simplify the markup around the problem")
        diags.error(where, "pandoc.failed",
                    f"pandoc could not read this file: {parse.group(3).strip()}", hint)
        return
    diags.error(here.at(1, 1), "pandoc.failed", f"pandoc could not read this file: {message}",
                "very large or deeply nested lists, quotes or tables are the usual cause: "
                "split the file or flatten the markup" if result.get("input")
                else "simplify the markup around the problem")


ENGINE_HINTS = {
    "environment": "this is a problem of the machine, not of the book: check free memory and "
                   "disk space, and reinstall pandoc with `pip install --force-reinstall "
                   "pypandoc-binary`",
    "time": "no file is blamed for time: the machine may be overloaded; if it happens on an "
            "idle machine, check the book's parts one at a time to find the file",
    "engine": "this is not caused by one file of the book: run the command again, and "
              "report it with QABOOK_DEBUG=1 if it happens again",
}


def _one_by_one(texts: list[str], reader: str, failure: pandoc.PandocError):
    """After a failed batch: each text's result when read alone (pandoc's limits then name
    the file that hits them), or the failure when it is not one file's fault."""
    if failure.cause != "input":
        return failure
    if len(texts) == 1:
        return [{"error": str(failure), "input": True}]
    results: list[dict[str, Any]] = []
    for text in texts:
        try:
            results.extend(pandoc.read_many([text], reader, workers=1))
        except pandoc.PandocError as exc:
            if exc.cause != "input":
                return exc
            results.append({"error": str(exc), "input": True})
    return results


ENTRY = re.compile(r"^[ \t]*@[A-Za-z]+[ \t]*[{(][ \t]*([^,\s]+)[ \t]*,", re.M)


def _bibliography(text: Text, doc: dict[str, Any], diags: Diagnostics) -> Bibliography:
    references = doc.get("meta", {}).get("references", {"t": "MetaList", "c": []})
    keys: dict[str, Location] = {}
    for match in ENTRY.finditer(text.text):
        line = text.text.count("\n", 0, match.start(1)) + 1
        col = match.start(1) - text.text.rfind("\n", 0, match.start(1))
        key, where = match.group(1), Location(text.path, line, col)
        if key in keys:
            diags.error(where, "bib.duplicate", f"citation key '{key}' is defined twice",
                        f"the first entry is at {keys[key]}; remove or rename one")
        keys.setdefault(key, where)
    parsed = {_meta_text(ref["c"].get("id")) for ref in references.get("c", [])}
    for key in list(keys):
        if key not in parsed:  # pandoc skipped it: a malformed entry
            diags.error(keys.pop(key), "bib.entry", f"pandoc could not read entry '{key}'",
                        "check the entry's braces and commas")
    formulas = tuple(Formula(math["c"][1], math["c"][0]["t"] == "DisplayMath", keys[key])
                     for ref in references.get("c", [])
                     if (key := _meta_text(ref["c"].get("id"))) in keys
                     for math in _math_in(ref))
    return Bibliography(text.path, keys, references, formulas)


def _math_in(value: Any) -> Iterator[dict]:
    """Every Math node in pandoc metadata (maps, lists, inlines)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("t") == "Math":
                yield item
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _meta_text(value: Any) -> str:
    if not value:
        return ""
    if value["t"] == "MetaString":
        return value["c"]
    return ast.stringify(value["c"])
