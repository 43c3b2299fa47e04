"""BookConfig: book.yaml validated into typed settings, with a location for every entry."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from qabook import handouts as handout_sets
from qabook import words as vocabulary
from qabook.diagnostics import Diagnostics, Location, did_you_mean
from qabook.yamldoc import YamlDoc

BOOK_FILE = "book.yaml"
KNOWN_KEYS = (
    "title", "subtitle", "slug", "author", "language", "identifier", "date", "rights",
    "description", "subjects", "bibliography", "front", "chapters", "back", "credits",
    "handouts",
)
REQUIRED = ("title", "author", "language", "identifier", "date", "rights", "description",
            "bibliography", "chapters")
UUID_URN = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: the dates every artifact can record: Unix times (Anki) start in 1970, zip time stamps
#: (the EPUB, whose files pandoc stamps with the book's date) end in 2107
FIRST_DATE, LAST_DATE = dt.date(1970, 1, 1), dt.date(2107, 12, 31)
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class FileEntry:
    """A file named in book.yaml (front or back matter, or the bibliography)."""

    path: str
    location: Location


@dataclass(frozen=True)
class ChapterEntry:
    """A chapter as book.yaml declares it."""

    number: int
    title: str
    folder: str
    location: Location


@dataclass(frozen=True)
class BookConfig:
    """The validated contents of book.yaml."""

    title: str
    subtitle: str
    slug: str
    authors: tuple[str, ...]
    language: str
    identifier: str
    date: dt.date
    rights: str
    description: str
    credits: str  #: an optional credit line for the copyright page
    subjects: tuple[str, ...]
    bibliography: FileEntry
    front: tuple[FileEntry, ...]
    chapters: tuple[ChapterEntry, ...]
    back: tuple[FileEntry, ...]
    #: named handout sets (qabook/handouts.py). Not part of the book's identity: a handout's
    #: PDF depends on its own set through its PrintOptions, and the book's outputs do not
    #: change (nor their caches go stale) when a set is added or edited.
    handouts: tuple[handout_sets.HandoutSet, ...] = field(default=(), repr=False,
                                                          compare=False)

    @property
    def timestamp(self) -> int:
        """The publication date as a Unix time (midnight UTC): the clock of reproducible builds."""
        moment = dt.datetime.combine(self.date, dt.time(), tzinfo=dt.timezone.utc)
        return int(moment.timestamp())


def slugify(text: str) -> str:
    """A lowercase ASCII file name stem made from text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "book"


def parse_config(doc: YamlDoc, diags: Diagnostics) -> BookConfig | None:
    """Validate book.yaml; report every problem; None when the book cannot be read on."""
    where = lambda *path, key=False: Location(BOOK_FILE, *doc.pos(path, key))  # noqa: E731
    data = doc.value
    if not isinstance(data, dict):
        diags.error(where(), "config.type", "book.yaml must be a mapping of keys to values",
                    "start from the example in docs/authoring.md")
        return None
    for path, (line, col) in doc.duplicates:
        diags.error(Location(BOOK_FILE, line, col), "yaml.duplicate-key",
                    f"key '{path[-1]}' is given twice", "remove one of them")
    for key in data:
        if key not in KNOWN_KEYS:
            diags.warning(where(key, key=True), "config.unknown-key",
                          f"unknown key '{key}' in book.yaml",
                          did_you_mean(str(key), KNOWN_KEYS) or "see docs/authoring.md for the keys")
    before = len(diags.errors)  # problems found elsewhere (e.g. in book.yaml's characters)
    missing = [key for key in REQUIRED if data.get(key) in (None, "", [])]
    for key in missing:
        diags.error(where(), "config.missing", f"book.yaml has no '{key}'",
                    "see docs/authoring.md for the required keys")
    text = lambda key: _text(data, key, where, diags)  # noqa: E731
    identifier = text("identifier")
    if identifier and not UUID_URN.match(identifier):
        diags.error(where("identifier"), "config.identifier",
                    f"identifier '{identifier}' is not a urn:uuid",
                    "use 'urn:uuid:' and a lowercase UUID, and never change it")
    language = text("language")
    if language and not BCP47.match(language):
        diags.error(where("language"), "config.language",
                    f"language '{language}' is not a BCP 47 tag", "for example en-US")
    elif language and vocabulary.catalogue_language(language) is None:
        diags.warning(where("language"), "config.language-words",
                      f"qabook has no translation of its generated words for '{language}': "
                      "the book's headings and labels will be in English",
                      "translations: " + ", ".join(vocabulary.available()) + "; to add one, "
                      "see docs/authoring.md, \"The book's language\"")
    date = _date(data.get("date"), where, diags)
    authors = _strings(data.get("author"), "author", where, diags)
    subjects = _strings(data.get("subjects", []), "subjects", where, diags)
    front = _files(data.get("front", []), "front", where, diags)
    back = _files(data.get("back", []), "back", where, diags)
    chapters = _chapters(data.get("chapters"), where, diags)
    handouts = handout_sets.parse(data.get("handouts"), where, diags)
    bibliography = text("bibliography")
    title, subtitle, slug = text("title"), text("subtitle"), text("slug")
    rights, description, credits = text("rights"), text("description"), text("credits")
    if missing or len(diags.errors) > before:  # every field is checked before giving up
        return None
    return BookConfig(
        title=title, subtitle=subtitle, slug=slugify(slug or title),
        authors=authors, language=language, identifier=identifier, date=date,
        rights=rights, description=description, credits=credits,
        subjects=subjects,
        bibliography=FileEntry(bibliography, where("bibliography")),
        front=front, chapters=chapters, back=back, handouts=handouts,
    )


def _date(value, where, diags: Diagnostics) -> dt.date | None:
    """The publication date, within the years every format can record."""
    if value is None:
        return None
    if not isinstance(value, dt.date):
        diags.error(where("date"), "config.date", f"date '{value}' is not a date",
                    "write it as YYYY-MM-DD")
        return None
    if not FIRST_DATE <= _day(value) <= LAST_DATE:
        diags.error(where("date"), "config.date",
                    f"date {_day(value).isoformat()} is outside the years "
                    f"{FIRST_DATE.year} to {LAST_DATE.year}",
                    "the date stamps the EPUB's files (zip time stamps end in 2107) and the "
                    "deck's notes (Unix times start in 1970); give the publication date")
        return None
    return value


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _text(data: dict, key: str, where, diags: Diagnostics) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        diags.error(where(key), "config.type", f"'{key}' must be text", "write it on one line")
        return ""
    return str(value).strip()


def _strings(value, key: str, where, diags: Diagnostics) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    bad = [i for i, item in enumerate(items) if not isinstance(item, (str, int, float))]
    for index in bad:
        diags.error(where(key, index), "config.type", f"'{key}' must be text or a list of text")
    return tuple(str(item) for item in items if isinstance(item, (str, int, float)))


def _files(value, key: str, where, diags: Diagnostics) -> tuple[FileEntry, ...]:
    if not isinstance(value, list):
        diags.error(where(key), "config.type", f"'{key}' must be a list of file paths")
        return ()
    entries: list[FileEntry] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            diags.error(where(key, index), "config.type", f"'{key}' entries must be file paths")
            continue
        entries.append(FileEntry(item.strip(), where(key, index)))
    return tuple(entries)


def _chapters(value, where, diags: Diagnostics) -> tuple[ChapterEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        diags.error(where("chapters"), "config.type",
                    "'chapters' must be a list of {title, folder}")
        return ()
    chapters: list[ChapterEntry] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("title") or not item.get("folder"):
            diags.error(where("chapters", index), "config.chapter",
                        "a chapter needs a 'title' and a 'folder'",
                        "for example: {title: Computer Vision, folder: chapters/02-vision}")
            continue
        for key in item:
            if key not in ("title", "folder"):
                diags.warning(where("chapters", index, key, key=True), "config.unknown-key",
                              f"unknown chapter key '{key}'",
                              did_you_mean(str(key), ("title", "folder")))
        chapters.append(ChapterEntry(len(chapters) + 1, str(item["title"]).strip(),
                                     str(item["folder"]).strip().rstrip("/"),
                                     where("chapters", index)))
    return tuple(chapters)
