"""The Anki deck: one note per question, per exercise and per question with key terms
(cloze), in a deck per chapter (genanki), planned against what earlier editions shipped.

Identity never depends on position or content: deck and note-type ids derive from the book
identifier, note GUIDs come from the deck's history (qabook.deck). Each note's modification
time moves only when what Anki updates (its fields, tags, note type) changes, and then to the
time of the build, later than anything a learner did to the note before the edition was
made: re-importing updates exactly the changed notes and keeps every review history. A note
that left the book is shipped as a tombstone that says so. The new history is written beside
the deck; a build publishes it into the source folder, where it is committed.
"""

from __future__ import annotations

import hashlib
import html
import json
import tempfile
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import genanki

from qabook import resources
from qabook.cache import Cache, key
from qabook.words import Words, words
from qabook.deck import Item, Plan, cloze_terms, deck_name, legacy_guid, plan, removed_deck
from qabook.diagnostics import Location
from qabook.load.history import HISTORY, MAX_TIME, Edition, Entry, History, Stamp, dumps
from qabook.model.attributes import is_cloze, plain_cloze, term_key
from qabook.render import RenderContext, book_inputs
from qabook.render import anki_fields
from qabook.render import fonts
from qabook.render import html as writer
from qabook.render.output import atomic_write, read_zip, write_zip
from qabook.render.sanitise import card_html

TEMPLATES = resources.TEMPLATES / "anki"
# Frozen forever: adding, removing or renaming a field makes Anki fork the note type and skip
# every update (unless the learner ticks "Merge note types").
QUESTION_FIELDS = ("Key", "Heading", "Prompt", "Summary", "Answer", "References", "Source", "Extra")
EXERCISE_FIELDS = ("Key", "Heading", "Question", "Exercise", "Solution", "References", "Source",
                   "Extra")
CLOZE_FIELDS = ("Key", "Heading", "Text", "Source")
FIELDS = {"question": QUESTION_FIELDS, "exercise": EXERCISE_FIELDS, "cloze": CLOZE_FIELDS}


def kind_names(say: Words) -> dict[str, str]:
    """What each note type is called after the book's title ("<title> · Key terms")."""
    return {"question": say.say("Question"), "exercise": say.say("Exercise"),
            "cloze": say.say("Key terms")}


def card_words(say: Words) -> dict[str, str]:
    """The words the card templates show, each written `{{qb-say:…}}` in templates/anki."""
    return {"Full answer": say.say("Full answer"), "Full solution": say.say("Full solution")}


def card_template(name: str, say: Words) -> str:
    """A card template of templates/anki with its words in the book's language."""
    text = (TEMPLATES / name).read_text()
    for msgid, said in card_words(say).items():
        text = text.replace(f"{{{{qb-say:{msgid}}}}}", html.escape(said))
    return text


@dataclass(frozen=True)
class CardNote:
    """One note before genanki: its identity, place, fields and tags."""

    item: Item | None  #: None for a tombstone
    key: str  #: its key in the history
    guid: str
    deck: str
    model: str  # "question", "exercise" or "cloze"
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    due: int
    suspended: bool = False
    terms: tuple[tuple[str, int], ...] = ()  #: a cloze note's key terms and card numbers
    shipped: str = ""  #: the deck it shipped in, when known

    def digest(self) -> str:
        """What Anki updates on import, and only that: a note whose place in the book moved
        (or whose deck changed, which Anki does not update) keeps its time."""
        content = [self.model, list(self.fields), sorted(self.tags)]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:16]


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>.apkg, and beside it the deck's next history when it changed."""
    config = ctx.config
    deck = plan(ctx.book)
    media = _Media(config.slug, ctx)
    notes = _notes(ctx, deck, media)
    notes += [_tombstone(ctx, deck, key, entry, len(notes) + index)
              for index, (key, entry) in enumerate(deck.retired)]
    css = media.card_css([field for note in notes for field in note.fields])
    stamps = _Stamps(deck.history, config.timestamp, _now(), config.date.isoformat())
    mtimes = {note.key: stamps.note(note) for note in notes}
    models = {kind: _model(ctx, kind, stamps, css) for kind in sorted({n.model for n in notes})}
    history = stamps.history()  # after every note and note type got its time
    decks = _decks(ctx, deck, history.edition)
    for note in notes:
        decks[note.deck].add_note(_Note(model=models[note.model], fields=list(note.fields),
                                        sort_field=note.fields[0], tags=list(note.tags),
                                        guid=note.guid, due=note.due, mtime=mtimes[note.key],
                                        suspended=note.suspended))
    package = genanki.Package(list(decks.values()), media_files=media.files())
    target = ctx.out / f"{config.slug}.apkg"
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw.apkg"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # genanki warns about invalid HTML: that is a bug
            package.write_to_file(str(raw), timestamp=config.timestamp)
        atomic_write(target, lambda tmp: write_zip(tmp, ((n, d, True) for n, d in read_zip(raw))))
    if stamps.changed:  # published into the source folder with the deck
        text = dumps(history)
        atomic_write(ctx.out / HISTORY, lambda handle: handle.write(text.encode("utf-8")))
    return target


@dataclass(frozen=True)
class CardPreview:
    """One question's notes as the deck holds them, for `qabook serve`: each note's fields,
    the card templates and stylesheet of its note type, and the media the cards name."""

    notes: tuple[CardNote, ...]
    templates: dict[str, tuple[str, str]]  #: note type -> (front template, back template)
    css: str
    media: dict[str, bytes]  #: file name -> bytes (figures and the card fonts)


def preview(ctx: RenderContext, number: int) -> CardPreview:
    """The notes of question `number` (its question, exercises and key-terms notes), made by
    the same functions as the deck's (fields through pandoc and the sanitiser, cached the
    same way); the stylesheet's fonts are subset to these notes' characters."""
    deck = plan(ctx.book)
    deck = replace(deck, items=tuple(i for i in deck.items if i.question.number == number))
    media = _Media(ctx.config.slug, ctx)
    notes = _notes(ctx, deck, media)
    css = media.card_css([field for note in notes for field in note.fields])
    say = words(ctx.config.language)
    templates = {kind: (card_template(f"{kind}-front.html", say),
                        card_template(f"{kind}-back.html", say)) for kind in FIELDS}
    files = {Path(path).name: Path(path).read_bytes() for path in media.files()}
    return CardPreview(tuple(notes), templates, css, files)


def _now() -> int:
    """The build's time, from the clock and nothing else: a changed note must be newer than
    what a learner did to it before this build (SOURCE_DATE_EPOCH, which packagers set to the
    last commit's time or to 1980, would make it older). The build stays reproducible: the
    times it gives are recorded in the history, which is committed."""
    return int(time.time())


def _id(identifier: str, *parts: str) -> int:
    """A stable 48-bit id from the book identifier and a label."""
    digest = hashlib.sha256("\x1f".join((identifier,) + parts).encode()).hexdigest()
    return (1 << 40) + int(digest[:12], 16) % (1 << 47)


def _decks(ctx: RenderContext, deck: Plan, edition: Edition | None) -> dict[str, genanki.Deck]:
    config = ctx.config
    decks = {config.title: genanki.Deck(_id(config.identifier, "deck"), config.title,
                                        _description(ctx, deck, edition))}
    for chapter in ctx.book.chapters:
        name = deck_name(ctx.book, chapter)
        decks[name] = genanki.Deck(_id(config.identifier, "deck", str(chapter.number)), name)
    if deck.retired:
        decks[removed_deck(ctx.book)] = genanki.Deck(_id(config.identifier, "deck", "removed"),
                                                      removed_deck(ctx.book))
    return decks


def _description(ctx: RenderContext, deck: Plan, edition: Edition | None) -> str:
    """The parent deck's description: the book, its edition, what the edition changed and
    how a learner takes the next one."""
    config = ctx.config
    say = words(config.language)
    when = config.date.isoformat()
    parts = [f"<p>{html.escape(config.description)}</p>",
             "<p><b>" + say.say("Edition of {date}.", date=html.escape(when)) + "</b>"]
    if edition is not None and edition.date != when:
        edition = None  # the last edition's changes are not this one's
    if edition is not None and (edition.added or edition.updated or edition.retired):
        counts = [said for names, said in (
            (edition.updated, say.say_count("{count} updated", "{count} updated",
                                            len(edition.updated))),
            (edition.added, say.say_count("{count} new", "{count} new", len(edition.added))),
            (edition.retired, say.say_count("{count} removed", "{count} removed",
                                            len(edition.retired)))) if names]
        parts.append(" " + say.say("Changes in this edition: {changes}.",
                                   changes=", ".join(counts)))
    parts.append("</p>")
    for old, new in edition.renamed if edition else ():
        parts.append("<p>" + say.say(
            "The deck “{old}” is now “{new}”: Anki keeps the cards you had in the old deck. "
            "Rename the old deck to the new name (or move its cards there).",
            old=html.escape(old), new=html.escape(new)) + "</p>")
    parts.append("<p>" + say.say(
        "To take a new edition, import its file over this one with Anki's default options: "
        "changed notes are updated in place and keep their review history. An updated note "
        "takes the book's fields and tags: keep your own marks as card flags, which updates "
        "leave alone. Notes removed from the book say so, are tagged {tag} and come in the "
        "subdeck “{subdeck}”: delete them (a new learner can delete that subdeck).",
        tag=f"<code>{html.escape(deck.root_tag)}::removed</code>",
        subdeck=html.escape(say.say("Removed from the book"))) + "</p>")
    return "".join(parts)


def _notes(ctx: RenderContext, deck: Plan, media: "_Media") -> list[CardNote]:
    """Every note of the book in book order, with HTML fields written in one pandoc batch."""
    config = ctx.config
    cache = Cache(ctx.cache)
    plan_parts: list[tuple[Item, str, dict[str, Any]]] = []
    for item in deck.items:
        question, exercise = item.question, item.exercise
        if item.kind == "question":
            parts = {"prompt": question.prompt,
                     "summary": question.summary or _first_paragraph(question.body),
                     "answer": question.body}
            prefix = f"q{question.number}"
        elif item.kind == "exercise":
            parts = {"exercise": exercise.prompt, "solution": exercise.solution}
            prefix = exercise.anchor
        else:
            parts = {"text": question.summary}
            prefix = f"q{question.number}-cloze"
        plan_parts.append((item, prefix, parts))
    # A note's HTML depends on its question's text and figures, on book_inputs and, for a
    # cloze note, on its card numbers: when none of them changed, it comes from the cache.
    shared = key("anki-html", book_inputs(ctx))
    written: list[Any] = []
    todo: list[tuple[int, str, writer.HtmlDocument, list[str]]] = []
    for index, (item, prefix, parts) in enumerate(plan_parts):
        question = item.question
        numbers = _cloze_numbers(deck, item) if item.kind == "cloze" else {}
        ident = key(shared, prefix, question.doc.digest, sorted(numbers.items()),
                    [(f.src, f.digest) for f in question.doc.figures])
        hit = cache.get("anki-html", ident)
        if hit is not None:
            for src in hit[1]:
                media.name(src)
            written.append(hit[0])
        else:
            document, sources = _document(prefix, parts, media, Location(question.doc.path),
                                          numbers)
            todo.append((index, ident, document, sources))
            written.append(None)
    fresh = writer.write([document for _, _, document, _ in todo], ctx.book.bibliography,
                         config.language, cache=cache)
    for (index, ident, _, sources), parts in zip(todo, fresh):
        written[index] = parts
        cache.put("anki-html", ident, (parts, sources))
    notes = []
    for due, ((item, _, _), parts) in enumerate(zip(plan_parts, written)):
        safe = {name: card_html(fragment) for name, fragment in parts.items()}
        if item.kind == "cloze":
            notes.append(_cloze_note(ctx, item, safe, due, _cloze_numbers(deck, item)))
        else:
            maker = _question_note if item.kind == "question" else _exercise_note
            notes.append(maker(ctx, item, safe, due))
    return notes


def _cloze_numbers(deck: Plan, item: Item) -> dict[str, int]:
    """Each key term of a cloze note with its card number: the number it shipped with, or
    the next never used (a removed term's number is not given to another: its learners'
    card would ask for a different term)."""
    entry = deck.entry(item)
    numbers = dict(entry.terms) if entry else {}
    for term in cloze_terms(item.question):
        if term not in numbers:
            numbers[term] = max(numbers.values(), default=0) + 1
    return numbers


def _first_paragraph(body) -> tuple:
    return tuple(block for block in body if block["t"] == "Para")[:1]


def _document(prefix: str, parts: dict[str, Any], media: "_Media", location: Location,
              numbers: dict[str, int] | None = None) -> tuple[writer.HtmlDocument, list[str]]:
    """The note's parts ready for pandoc, and the figures they show (now in the media).

    An exercise's solution becomes two parts, the direct answer and the rest (`extra`); a
    cross-reference says where its target is when that is not on the card (anki_fields).
    `numbers` gives a cloze note's key terms their card numbers; without, a key term is
    plain text (the question note's summary)."""
    sources: list[str] = []
    parts = anki_fields.note_parts(parts)
    defined = {name: anki_fields.ids(content) for name, content in parts.items()}

    def visitor(part: str):
        xref = anki_fields.xref_visitor(part, defined, media.question_of,
                                         words(media.ctx.config.language))

        def visit(node: dict) -> Any:
            if is_cloze(node):
                return _cloze_term(node, writer.transform(node["c"][1], visit), numbers)
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


def _cloze_term(node: dict, content: list, numbers: dict[str, int] | None) -> list[Any]:
    """A key term on a card: {{cN::term}} on the cloze note, plain text elsewhere (the model
    kept only terms that Anki's cloze markup cannot break: model.inlines._cloze)."""
    if not numbers:
        return plain_cloze(node, content)
    number = numbers[term_key(node["c"][1])]
    return [{"t": "RawInline", "c": ["html", f"{{{{c{number}::"]}, *plain_cloze(node, content),
            {"t": "RawInline", "c": ["html", "}}"]}]


def _where(ctx: RenderContext, item: Item) -> str:
    chapter = item.chapter
    say = words(ctx.config.language)
    return html.escape(f"{ctx.config.title} · {say.chapter_heading(chapter.number, chapter.title)}"
                       f" · {item.question.label} · {item.question.title}")


def _card(item: Item, model: str, fields: tuple[str, ...], due: int,
          terms: dict[str, int] | None = None) -> CardNote:
    return CardNote(item, item.key, item.guid, item.deck, model, fields, item.tags, due,
                    terms=tuple(sorted((terms or {}).items(), key=lambda term: term[1])),
                    shipped=item.shipped)


def _question_note(ctx, item: Item, parts, due: int) -> CardNote:
    fields = (item.sort, html.escape(item.heading), parts["prompt"], parts["summary"],
              parts["answer"],
              anki_fields.references(parts[writer.REFS], words(ctx.config.language)),
              _where(ctx, item), "")
    return _card(item, "question", fields, due)


def _exercise_note(ctx, item: Item, parts, due: int) -> CardNote:
    fields = (item.sort, html.escape(item.heading),
              html.escape(f"{item.question.label} · {item.question.title}"),
              parts["exercise"], parts["solution"],
              anki_fields.references(parts[writer.REFS], words(ctx.config.language)),
              _where(ctx, item), parts["extra"])
    return _card(item, "exercise", fields, due)


def _cloze_note(ctx, item: Item, parts, due: int, numbers: dict[str, int]) -> CardNote:
    fields = (item.sort, html.escape(f"{item.question.label} · {item.question.title}"),
              parts["text"], _where(ctx, item))
    return _card(item, "cloze", fields, due, numbers)


def _tombstone(ctx: RenderContext, deck: Plan, key: str, entry: Entry, due: int) -> CardNote:
    """A note that left the book, shipped so that learners' copies say so (Anki cannot
    delete a note on import); suspended, so that a new learner never studies it."""
    tag = f"{deck.root_tag}::removed"
    name = html.escape(entry.heading or key)
    say = words(ctx.config.language)
    # no date: the tombstone stays the same note from one edition to the next
    notice = ("<p><b>" + say.say("Removed from the book.") + "</b> " + say.say(
        "“{name}” is no longer in {book}. You can delete this note: in the Browser, search "
        "{search}.", name=name, book=html.escape(ctx.config.title),
        search=f"<code>tag:{tag}</code>") + "</p>")
    heading = html.escape(say.say("Removed: {heading}", heading=entry.heading or key))
    # its old place, not another note's Key
    sort = html.escape(say.say("{key} removed", key=entry.key))
    if entry.kind == "cloze":
        # the notice stays outside the cloze: Anki reads a "::" inside one as a hint
        removed = say.say("Removed")
        fields: tuple[str, ...] = (sort, heading, f"{{{{c1::{removed}}}}} {notice}", "")
    elif entry.kind == "exercise":
        fields = (sort, heading, "", notice, notice, "", "", "")
    else:
        fields = (sort, heading, notice, notice, "", "", "", "")
    guid = entry.guid or legacy_guid(ctx.config.identifier, entry.kind, key)
    return CardNote(None, key, guid, removed_deck(ctx.book), entry.kind, fields, (tag,), due,
                    suspended=True)


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
        say = words(self.ctx.config.language)
        templates = [card_template(name, say) for name in sorted(
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

    def __init__(self, *args, mtime: int, suspended: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mtime, self.suspended = mtime, suspended

    @property
    def cards(self):
        cards = genanki.Note.cards.func(self)
        return [genanki.Card(card.ord, suspend=True) for card in cards] if self.suspended \
            else cards

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):
        super().write_to_db(cursor, self.mtime, deck_id, id_gen)


class _Model(genanki.Model):
    """A note type with its own modification time."""

    mtime = 0

    def to_json(self, timestamp, deck_id):
        return super().to_json(self.mtime, deck_id)


def _model(ctx: RenderContext, kind: str, stamps: "_Stamps", css: str) -> _Model:
    """A note type named after the book (two books' note types must not collide)."""
    config = ctx.config
    say = words(config.language)
    fields = anki_fields.field_config(kind, FIELDS[kind], say)  # descriptions, fonts, collapsed
    browser_question, browser_answer = anki_fields.BROWSER[kind]
    template = {"name": "Card", "qfmt": card_template(f"{kind}-front.html", say),
                "afmt": card_template(f"{kind}-back.html", say),
                "bqfmt": browser_question, "bafmt": browser_answer}
    model = _Model(_id(config.identifier, "model", kind),
                   f"{config.title} · {kind_names(say)[kind]}", fields=fields, templates=[template],
                   css=css, sort_field_index=0,
                   model_type=genanki.Model.CLOZE if kind == "cloze" else genanki.Model.FRONT_BACK)
    model.mtime = stamps.model(kind, [model.name, fields, template, css])
    return model


class _Stamps:
    """The modification times of this edition, and the history that records them.

    A note whose content is unchanged keeps its time. A changed one (and a note leaving the
    book) gets the build's time: later than anything a learner did to the note before this
    edition was built, so Anki's default import (update when newer) takes it. A new note gets
    the book's date, so that building a book for the first time stays reproducible. A note
    type moves by one second past its last time: a learner who restyled it since keeps their
    style (Anki skips an older note type).
    """

    def __init__(self, history: History, base: int, now: int, date: str):
        self.old, self.base, self.now, self.date = history, base, max(now, base), date
        self.notes: dict[str, Entry] = {}
        self.types: dict[str, Stamp] = {}
        self.added: list[str] = []
        self.updated: list[str] = []
        self.retired: list[str] = []
        self.renamed: list[tuple[str, str]] = []

    def note(self, note: CardNote) -> int:
        item = note.item
        previous = self.old.notes.get(item.previous if item else note.key)
        digest = note.digest()
        if previous is not None and previous.hash == digest:
            mtime = previous.time
        elif previous is not None:
            mtime = min(max(self.now, previous.time + 1), MAX_TIME)
            (self.updated if item else self.retired).append(
                item.shown if item else previous.heading or note.key)
        else:
            mtime = self.base
            self.added.append(item.shown)
        if item is None:
            self.notes[note.key] = replace(previous, guid=previous.guid or note.guid,
                                           time=mtime, hash=digest, retired=True)
        else:
            self.notes[note.key] = Entry(note.guid, mtime, digest, note.model, item.sort,
                                         item.heading, item.deck, False, note.terms, item.text)
            moved = (note.shipped, item.deck) if note.shipped else None
            if moved and moved[0] != moved[1] and moved not in self.renamed:
                self.renamed.append(moved)
        return mtime

    def model(self, kind: str, content: Any) -> int:
        digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False)
                                .encode()).hexdigest()[:16]
        previous = self.old.types.get(kind)
        if previous is not None and previous.hash == digest:
            mtime = previous.time
        else:
            mtime = min(max(previous.time + 1, self.base), MAX_TIME) if previous else self.base
        self.types[kind] = Stamp(mtime, digest)
        return mtime

    @property
    def changed(self) -> bool:
        old = self.old
        return old.legacy or self.notes != old.notes or self.types != old.types

    def history(self) -> History:
        """The next history; its edition (the book's date) gathers what every build of that
        edition changed, so that the deck's description tells all of it."""
        old = self.old.edition
        if not self.changed:
            return replace(self.old, digest="", lines={})
        same = old is not None and old.date == self.date

        def gather(earlier: tuple, now: list, *before: tuple) -> tuple:
            seen = [name for part in before for name in part]
            return tuple(dict.fromkeys(name for name in [*earlier, *now] if name not in seen))

        added = gather(old.added if same else (), self.added)
        edition = Edition(self.date, self.now, added,
                          gather(old.updated if same else (), self.updated, added),
                          gather(old.retired if same else (), self.retired),
                          gather(old.renamed if same else (), self.renamed))
        return History(dict(self.notes), dict(self.types), edition)
