"""The HTML a card may carry, held to an allow-list by nh3 (the binding of Rust's ammonia).

Anki runs the JavaScript of a card, so this is the second layer behind the model's attribute
allow-list (model/attributes.py): whatever slips past that one, or comes from a cache entry
or a future writer, still cannot put a script, an event handler, a style that fetches or a
link to a script URL on a card. The lists are what pandoc writes for the markup the model
lets through, and what the card stylesheet (templates/anki/card.css) styles; nothing else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

TAGS = {
    "a", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl",
    "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol",
    "p", "pre", "section", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}
CELL = {"style", "colspan", "rowspan"}  #: style: pandoc's column alignment
ATTRIBUTES = {
    "*": {"class", "id", "lang"},  # lang: the author's, a checked BCP 47 tag
    "a": {"href", "title", "role"},  # role: doc-noteref, doc-backlink
    "img": {"src", "alt", "title"},
    "div": {"role"}, "section": {"role"},  # listitem (references), doc-endnotes (footnotes)
    "ol": {"start", "type"},
    "td": CELL, "th": CELL, "col": {"style", "span"},
}
#: the empty line anchors pandoc puts in highlighted code, kept out of the tab order
VALUES = {"a": {"tabindex": {"-1"}, "aria-hidden": {"true"}}}
STYLES = {"text-align", "width"}  #: table cells and columns
URL_SCHEMES = {"http", "https", "mailto"}


def _url(tag: str, attribute: str, value: str) -> str | None:
    """Relative URLs pass ammonia's scheme list, `//host/…` included: a card's images are
    its own media files (a bare name) and its links go to a web address or within the card."""
    if attribute == "src":
        return value if value and not any(c in value for c in "/\\:?#") else None
    if attribute == "href":
        if value.startswith("#"):
            return value
        try:
            return value if urlsplit(value).scheme.lower() in URL_SCHEMES else None
        except ValueError:  # not a URL at all
            return None
    return value


CLEANER = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, tag_attribute_values=VALUES,
                      url_schemes=URL_SCHEMES, filter_style_properties=STYLES,
                      attribute_filter=_url, link_rel=None, strip_comments=True)


def card_html(fragment: str) -> str:
    """The fragment with everything outside the lists removed (the text inside stays)."""
    return CLEANER.clean(fragment)
