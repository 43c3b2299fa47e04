"""The Anki deck: one note per question and per exercise, in a deck per chapter (genanki).

Identity never depends on content: deck ids, note-type ids and note GUIDs derive from the
book identifier and labels. Each note's modification time changes only when its rendered
content changes (see anki-history.json in docs/architecture.md), so re-importing a rebuilt
deck updates exactly the edited notes and keeps every learner's review history.
"""

from __future__ import annotations

import hashlib
import html
import json
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki

from qabook import resources
from qabook.cache import Cache, key
from qabook.diagnostics import Location
from qabook.load.history import HISTORY
from qabook.load.history import entries as history_entries
from qabook.model.nodes import Chapter, Exercise, Question
from qabook.render import RenderContext, book_inputs
from qabook.render import anki_fields
from qabook.render import fonts
from qabook.render import html as writer
from qabook.render.output import atomic_write, read_zip, write_zip
from qabook.render.sanitise import card_html

TEMPLATES = resources.TEMPLATES / "anki"
# Frozen forever: adding, removing or renaming a field makes Anki fork the note type and skip
# updates. "Extra" is spare room for the future.
QUESTION_FIELDS = ("Key", "Heading", "Prompt", "Summary", "Answer", "References", "Source", "Extra")
EXERCISE_FIELDS = ("Key", "Heading", "Question", "Exercise", "Solution", "References", "Source",
                   "Extra")


@dataclass(frozen=True)
class CardNote:
    """One note before genanki: its identity, place, fields and tags."""

    label: str  # "Q17" or "17-A": the key of its history entry
    guid: str
    deck: str
    model: str  # "question" or "exercise"
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    due: int


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>.apkg."""
    config = ctx.config
    media = _Media(config.slug, ctx)
    notes = _notes(ctx, media)
    css = media.card_css([field for note in notes for field in note.fields])
    history_path = ctx.root / HISTORY
    history = _History.load(history_path, config.timestamp)
    models = {name: _model(config.identifier, name, history, css)
              for name in ("question", "exercise")}
    decks = _decks(ctx)
    for note in notes:
        mtime = history.mtime(note.label, note)
        decks[note.deck].add_note(_Note(model=models[note.model], fields=list(note.fields),
                                        sort_field=note.fields[0], tags=list(note.tags),
                                        guid=note.guid, due=note.due, mtime=mtime))
    package = genanki.Package(list(decks.values()), media_files=media.files())
    target = ctx.out / f"{config.slug}.apkg"
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw.apkg"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # genanki warns about invalid HTML: that is a bug
            package.write_to_file(str(raw), timestamp=config.timestamp)
        atomic_write(target, lambda tmp: write_zip(tmp, ((n, d, True) for n, d in read_zip(raw))))
    history.save(ctx.out / HISTORY)  # published into the source folder with the deck
    return target


def _id(identifier: str, *parts: str) -> int:
    """A stable 48-bit id from the book identifier and a label."""
    digest = hashlib.sha256("\x1f".join((identifier,) + parts).encode()).hexdigest()
    return (1 << 40) + int(digest[:12], 16) % (1 << 47)


def _decks(ctx: RenderContext) -> dict[str, genanki.Deck]:
    config = ctx.config
    decks = {config.title: genanki.Deck(_id(config.identifier, "deck"), config.title,
                                        html.escape(config.description))}
    for chapter in ctx.book.chapters:
        name = deck_name(config.title, chapter)
        decks[name] = genanki.Deck(_id(config.identifier, "deck", str(chapter.number)), name)
    return decks


def deck_name(title: str, chapter: Chapter) -> str:
    return f"{title}::{chapter.number} {chapter.title}"


def heading(question: Question) -> str:
    return f"Q{question.number} · {question.title}"


def _notes(ctx: RenderContext, media: "_Media") -> list[CardNote]:
    """Every note in book order, with HTML fields written in one pandoc batch."""
    config = ctx.config
    cache = Cache(ctx.cache)
    plan: list[tuple[str, Any, Question, Chapter, str, dict[str, Any]]] = []
    for chapter in ctx.book.chapters:
        for question in chapter.questions:
            parts = {"prompt": question.prompt,
                     "summary": question.summary or _first_paragraph(question.body),
                     "answer": question.body}
            plan.append(("question", None, question, chapter, f"q{question.number}", parts))
            for exercise in question.exercises:
                parts = {"exercise": exercise.prompt, "solution": exercise.solution}
                plan.append(("exercise", exercise, question, chapter, exercise.anchor, parts))
    # A note's HTML depends on its question's text and figures and on book_inputs: when
    # none of them changed, it comes from the cache.
    shared = key("anki-html", book_inputs(ctx))
    written: list[Any] = []
    todo: list[tuple[int, str, writer.HtmlDocument, list[str]]] = []
    for index, (_, _, question, _, prefix, parts) in enumerate(plan):
        ident = key(shared, prefix, question.doc.digest,
                    [(f.src, f.digest) for f in question.doc.figures])
        hit = cache.get("anki-html", ident)
        if hit is not None:
            for src in hit[1]:
                media.name(src)
            written.append(hit[0])
        else:
            document, sources = _document(prefix, parts, media, Location(question.doc.path))
            todo.append((index, ident, document, sources))
            written.append(None)
    fresh = writer.write([document for _, _, document, _ in todo], ctx.book.bibliography,
                         config.language, cache=cache)
    for (index, ident, _, sources), parts in zip(todo, fresh):
        written[index] = parts
        cache.put("anki-html", ident, (parts, sources))
    notes = []
    for due, ((kind, exercise, question, chapter, _, _), parts) in enumerate(zip(plan, written)):
        maker = _question_note if kind == "question" else _exercise_note
        safe = {name: card_html(fragment) for name, fragment in parts.items()}
        notes.append(maker(ctx, chapter, question, exercise, safe, due))
    return notes


def _first_paragraph(body) -> tuple:
    return tuple(block for block in body if block["t"] == "Para")[:1]


def _document(prefix: str, parts: dict[str, Any], media: "_Media",
              location: Location) -> tuple[writer.HtmlDocument, list[str]]:
    """The note's parts ready for pandoc, and the figures they show (now in the media).

    An exercise's solution becomes two parts, the direct answer and the rest (`extra`); a
    cross-reference says where its target is when that is not on the card (anki_fields)."""
    sources: list[str] = []
    parts = anki_fields.note_parts(parts)
    defined = {name: anki_fields.ids(content) for name, content in parts.items()}

    def visitor(part: str):
        xref = anki_fields.xref_visitor(part, defined, media.question_of)

        def visit(node: dict) -> Any:
            if writer.is_xref(node):
                return xref(node)
            if node["t"] == "Image":
                src = node["c"][2][0]
                sources.append(src)
                return {"t": "Image", "c": [node["c"][0], node["c"][1], [media.name(src), ""]]}
            return None
        return visit

    document = writer.HtmlDocument(prefix, {name: writer.transform(content, visitor(name))
                                            for name, content in parts.items()}, location)
    return document, sorted(set(sources))


def _where(ctx: RenderContext, chapter: Chapter, question: Question) -> str:
    return html.escape(f"{ctx.config.title} · Chapter {chapter.number}, {chapter.title} · "
                       f"{heading(question)}")


def _tags(chapter: Chapter, question: Question) -> tuple[str, ...]:
    return (f"chapter-{chapter.number}", question.label) + tuple(question.tags)


def _question_note(ctx, chapter: Chapter, question: Question, _, parts, due: int) -> CardNote:
    fields = (f"{chapter.number:02d}.{question.number:03d}", html.escape(heading(question)),
              parts["prompt"], parts["summary"], parts["answer"],
              anki_fields.references(parts[writer.REFS]), _where(ctx, chapter, question), "")
    return CardNote(question.label,
                    genanki.guid_for(ctx.config.identifier, "question", question.label),
                    deck_name(ctx.config.title, chapter), "question", fields,
                    _tags(chapter, question), due)


def _exercise_note(ctx, chapter: Chapter, question: Question, exercise: Exercise, parts,
                   due: int) -> CardNote:
    fields = (f"{chapter.number:02d}.{question.number:03d}.{exercise.letter}",
              html.escape(f"Exercise {exercise.number}"), html.escape(heading(question)),
              parts["exercise"], parts["solution"], anki_fields.references(parts[writer.REFS]),
              _where(ctx, chapter, question), parts["extra"])
    return CardNote(exercise.number,
                    genanki.guid_for(ctx.config.identifier, "exercise", question.label,
                                     exercise.letter),
                    deck_name(ctx.config.title, chapter), "exercise", fields,
                    _tags(chapter, question), due)


class _Media:
    """Figures and fonts shipped as media under content-hashed, book-prefixed names."""

    def __init__(self, slug: str, ctx: RenderContext):
        self.slug, self.ctx = slug, ctx
        self.names: dict[str, str] = {}
        self.scratch = tempfile.TemporaryDirectory()
        self.questions = {t.anchor: t.question for t in ctx.resolved.labels.values()}

    def question_of(self, anchor: str) -> int:
        """The question a label's anchor is in (0: front or back matter)."""
        return self.questions.get(anchor, 0)

    def card_css(self, fragments: list[str]) -> str:
        """The card stylesheet with an @font-face rule for each face it names, the face
        subset to the characters of these fields and the templates, shipped as media.

        The files start with "_" (Anki keeps such files though no field names them) and
        carry the book's slug and a content hash: two books never overwrite each other's."""
        css = (TEMPLATES / "card.css").read_text()
        templates = [(TEMPLATES / name).read_text() for name in sorted(
            p.name for p in TEMPLATES.glob("*.html"))]
        characters = anki_fields.characters(fragments + templates)
        rules = []
        cache = Cache(self.ctx.cache)
        for face in anki_fields.FACES:
            data = fonts.woff2(face, characters, cache)
            name = (f"_{self.slug}-{Path(face.file).stem}-"
                    f"{hashlib.sha256(data).hexdigest()[:16]}.woff2")
            (Path(self.scratch.name) / name).write_bytes(data)
            self.names[f"font:{face.file}"] = name
            rules.append(f'@font-face {{ font-family: "{face.family}"; '
                         f'src: url("{name}") format("woff2"); font-weight: {face.weight}; '
                         f'font-style: {face.style}; font-display: block; }}')
        return "\n".join(rules) + "\n" + css

    def name(self, src: str) -> str:
        if src not in self.names:
            data = self.ctx.figure_bytes(src)
            name = f"{self.slug}-{hashlib.sha256(data).hexdigest()[:16]}{Path(src).suffix.lower()}"
            (Path(self.scratch.name) / name).write_bytes(data)
            self.names[src] = name
        return self.names[src]

    def files(self) -> list[str]:
        return sorted(str(Path(self.scratch.name) / name) for name in set(self.names.values()))


class _Note(genanki.Note):
    """A note with its own modification time (genanki gives all notes the package's)."""

    def __init__(self, *args, mtime: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.mtime = mtime

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):
        super().write_to_db(cursor, self.mtime, deck_id, id_gen)


class _Model(genanki.Model):
    """A note type with its own modification time."""

    mtime = 0

    def to_json(self, timestamp, deck_id):
        return super().to_json(self.mtime, deck_id)


def _model(identifier: str, kind: str, history: "_History", css: str) -> _Model:
    names = QUESTION_FIELDS if kind == "question" else EXERCISE_FIELDS
    config = anki_fields.field_config(kind, names)  # descriptions, editor fonts, collapsed
    browser_question, browser_answer = anki_fields.BROWSER[kind]
    template = {"name": "Card", "qfmt": (TEMPLATES / f"{kind}-front.html").read_text(),
                "afmt": (TEMPLATES / f"{kind}-back.html").read_text(),
                "bqfmt": browser_question, "bafmt": browser_answer}
    model = _Model(_id(identifier, "model", kind), f"qabook {kind}",
                   fields=config, templates=[template], css=css, sort_field_index=0)
    model.mtime = history.mtime(f"model:{kind}", (config, template, css))
    return model


class _History:
    """Per-note modification times that move only when a note's content changes.

    anki-history.json (in the source folder, committed with the book) maps each note and note
    type to [mtime, content hash]. Unchanged content keeps its mtime; changed content gets
    max(previous + 1, book date), so Anki sees it as newer; a new note gets the book date.
    The build is a pure function of the source folder, history included.
    """

    def __init__(self, entries: dict[str, list], base: int):
        self.entries, self.base, self.changed = entries, base, False

    @classmethod
    def load(cls, path: Path, base: int) -> "_History":
        # the book's check has refused a history that cannot be used (qabook.load.history)
        return cls(history_entries(path.read_text(encoding="utf-8")) if path.is_file() else {},
                   base)

    def mtime(self, key: str, content: Any) -> int:
        digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=repr,
                                           ensure_ascii=False).encode()).hexdigest()[:16]
        previous = self.entries.get(key)
        if previous and previous[1] == digest:
            return previous[0]
        mtime = max(previous[0] + 1, self.base) if previous else self.base
        self.entries[key] = [mtime, digest]
        self.changed = True
        return mtime

    def save(self, path: Path) -> None:
        if self.changed:
            text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}"
                                      for k, v in sorted(self.entries.items())) + "\n}\n"
            atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
