"""Reading XML and CSS that qabook does not trust: one expat setup and one CSS walker.

Two checks read such text, and they read it the same way, through this module: the figure
check (model/svg.py), which `check` runs on every SVG figure and the EPUB's last check runs
again on the figure files the package carries, and the EPUB's check of its XHTML
(render/epub_safety.py). What each of them allows stays in its own lists; how the text is
read is decided here, once.

XML is parsed by expat in whatever encoding the document declares, and its handlers (not a
search of the text) refuse document type declarations, entity declarations, references to
external entities and processing instructions; parameter entities are never read. CSS is
read by a real tokenizer (tinycss2), so escapes such as `u\\72l(` are decoded before anything
is judged, and `walk` yields every token, inside functions and blocks too.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, NoReturn
from xml.parsers import expat

import tinycss2

#: what the parser raises for XML that is not well-formed (its message names line and column)
XMLError = expat.ExpatError
#: refuse(what, line): raises, to stop the parse; `what` follows the document's name in a
#: sentence ("declares a DOCTYPE", "has a processing instruction <?xml-stylesheet?>")
Refuse = Callable[[str, int], NoReturn]


def parser(refuse: Refuse, doctype: str | None = None) -> expat.XMLParserType:
    """A namespace-aware expat parser (names come as "namespace-URI local-name") whose own
    handlers call refuse for a DOCTYPE (except a bare `<!DOCTYPE doctype>`, with no external
    identifier and no internal subset, when doctype names one), an entity declaration, a
    reference to an external entity or a processing instruction. The caller sets the
    element and text handlers."""
    reader = expat.ParserCreate(namespace_separator=" ")
    reader.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refusing(what: str) -> Callable[..., NoReturn]:
        return lambda *_: refuse(what, reader.CurrentLineNumber)

    def declaration(name: str, system: str | None, public: str | None, subset: int) -> None:
        if doctype is None or name != doctype or system or public or subset:
            refuse("declares a DOCTYPE", reader.CurrentLineNumber)

    reader.StartDoctypeDeclHandler = declaration
    reader.EntityDeclHandler = refusing("declares an entity")
    reader.ExternalEntityRefHandler = refusing("refers to an external entity")
    reader.ProcessingInstructionHandler = lambda target, _: refuse(
        f"has a processing instruction <?{target}?>", reader.CurrentLineNumber)
    return reader


def declarations(css: str | list) -> list:
    """The declarations (and anything else) of a style attribute or a rule's block."""
    return tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True)


def values(css: str) -> list:
    """The component values of one CSS value, such as a presentation attribute's."""
    return tinycss2.parse_component_value_list(css, skip_comments=True)


def rules(css: str) -> list:
    """The rules (qualified and at-rules) of a style sheet."""
    return tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)


def walk(values: Iterable) -> Iterator:
    """Every token of CSS component values, inside functions and blocks too."""
    for token in values:
        yield token
        if token.type == "function":
            yield from walk(token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            yield from walk(token.content)


def url(token) -> str | None:
    """The address of a url token or a url() function, "" for a url() whose argument is not
    one plain string; None for any other token."""
    if token.type == "url":
        return token.value
    if token.type == "function" and token.lower_name == "url":
        parts = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
        return parts[0].value if len(parts) == 1 and parts[0].type == "string" else ""
    return None


def fragment(address: str) -> bool:
    """Whether an address refers only to a part of the same file: `#id`."""
    return address.startswith("#") and len(address) > 1
