"""The book's generated words and headings ("Chapter 3", "Figure 17.2", "Contents"), in the
book's language: one vocabulary for the deck, the EPUB and the print book.

The English strings in this module are the msgids of gettext catalogues,
`qabook/locale/<lang>/LC_MESSAGES/qabook.po`, read by Babel as they are (no compile step), so
a translator edits a .po file and nothing else. Placeholders are `{name}` (python-brace-format).
Every word a renderer prints goes through `Words.say` (`Words.say_count` for a message
whose form follows a number: msgid_plural in the catalogue); a test holds each catalogue to
every msgid the code and the print template use.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

from qabook.resources import LOCALE

DOMAIN = "qabook"
SOURCE = "en"  #: the language of the msgids


def available() -> tuple[str, ...]:
    """The languages qabook has a catalogue for ("de", "en", …)."""
    return tuple(sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def catalogue_language(tag: str) -> str | None:
    """The catalogue a BCP 47 tag is written in (de-DE → de), or None when qabook has none."""
    parts = tag.replace("_", "-").split("-")
    have = available()
    for n in range(len(parts), 0, -1):  # pt-BR before pt
        candidate = "_".join([parts[0].lower()] + parts[1:n])
        if candidate in have:
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def _catalogue(language: str):
    from babel.messages.pofile import read_po

    with open(catalogue_path(language), "rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


@functools.lru_cache(maxsize=None)
def _messages(language: str) -> Mapping[str, str]:
    return MappingProxyType({m.id: m.string for m in _catalogue(language)
                             if m.id and isinstance(m.id, str) and m.string})


@functools.lru_cache(maxsize=None)
def _plurals(language: str) -> tuple[Callable[[int], int], Mapping[str, tuple[str, ...]]]:
    """The catalogue's plural rule (its Plural-Forms header: n → form index) and its plural
    messages, by their singular msgid."""
    catalogue = _catalogue(language)
    forms = {m.id[0]: tuple(m.string) for m in catalogue
             if isinstance(m.id, tuple) and all(m.string)}
    return gettext.c2py(catalogue.plural_expr), MappingProxyType(forms)


def catalogue_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class Words:
    """The generated words in one language (a catalogue's; English when there is none)."""

    language: str  #: the catalogue's language, e.g. "de"
    locale: str = ""  #: the book's locale for dates and lists, e.g. "de_DE" (else language)

    def say(self, msgid: str, **values: object) -> str:
        """msgid in the book's language, its {placeholders} filled in."""
        text = _messages(self.language).get(msgid) or msgid
        return text.format(**values) if values else text

    def say_count(self, singular: str, plural: str, count: int, **values: object) -> str:
        """The form of a message a count takes ("1 new", "3 new"; French "1 nouvelle note",
        "3 nouvelles notes"), {count} and the other placeholders filled in."""
        rule, messages = _plurals(self.language)
        forms = messages.get(singular)
        if forms:
            text = forms[min(rule(count), len(forms) - 1)]
        else:  # English, the msgids' language: one and many
            text = singular if count == 1 else plural
        return text.format(count=count, **values)

    # --- the numbered things: one form each, everywhere ----------------------------------

    def chapter(self, number: int) -> str:
        """ "Chapter 3" """
        return self.say("Chapter {number}", number=number)

    def chapter_heading(self, number: int, title: str) -> str:
        """ "Chapter 3: Title": the one way every format writes a chapter's heading."""
        return self.say("{chapter}: {title}", chapter=self.chapter(number), title=title)

    def figure(self, number: str) -> str:
        return self.say("Figure {number}", number=number)

    def table(self, number: str) -> str:
        return self.say("Table {number}", number=number)

    def equation(self, number: str) -> str:
        return self.say("Equation ({number})", number=number)

    def exercise(self, number: str) -> str:
        """ "Exercise 17-A" """
        return self.say("Exercise {number}", number=number)

    def appendix(self, letter: str, title: str) -> str:
        """ "Appendix A: Quiz Solutions" """
        return self.say("Appendix {letter}: {title}", letter=letter, title=title)

    def handout_kind(self, kind: str) -> str:
        """What a handout of a kind (handouts.KINDS) is called where it is printed: its title
        block, running heads and PDF Title."""
        return {"handout": self.say("Handout"), "worksheet": self.say("Worksheet"),
                "answer-key": self.say("Answer Key")}[kind]

    def solutions_appendix(self) -> str:
        return self.appendix("A", self.say("Quiz Solutions"))

    def questions_appendix(self) -> str:
        return self.appendix("B", self.say("List of Questions"))

    def names(self, names) -> str:
        """A list of names as the language joins them ("A, B and C", "A, B und C")."""
        from babel.lists import format_list

        return format_list(list(names), locale=self.locale or self.language)

    def date(self, day: dt.date) -> str:
        """A date as readers of the language write it (26 November 2026, 26. November 2026)."""
        from babel.dates import format_date

        return format_date(day, format="long", locale=self.locale or self.language)


@functools.lru_cache(maxsize=None)
def words(tag: str) -> Words:
    """The vocabulary of a book in language tag (BCP 47); English when qabook has none."""
    language = catalogue_language(tag) or SOURCE
    return Words(language, _locale(tag, language))


def _locale(tag: str, language: str) -> str:
    """The Babel locale of a tag when Babel knows it and it speaks the catalogue's language
    (en-GB: "26 November 2026", en-US: "November 26, 2026"), else the catalogue's."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return language
    return str(locale) if locale.language == language.split("_")[0] else language
