"""The cover image, drawn from the book's title with the shipped fonts (the one Pillow user)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from qabook.resources import TEMPLATES

FONTS = TEMPLATES / "fonts"
WIDTH, HEIGHT = 900, 1350  # 2:3, under the 1,000 px pandoc recommends for reader software
INK, PAPER, ACCENT, SOFT = "#1f3a5f", "#fbfaf7", "#e07b39", "#9ec3f5"


def cover_png(title: str, subtitle: str, authors: tuple[str, ...]) -> bytes:
    """A PNG cover: title, subtitle and authors set in Source Serif and Source Sans."""
    image = Image.new("RGB", (WIDTH, HEIGHT), INK)
    draw = ImageDraw.Draw(image)
    _motif(draw)
    margin = 80
    title_font = ImageFont.truetype(str(FONTS / "SourceSerif4-Bold.otf"), 78)
    y = _text(draw, title, title_font, margin, 300, WIDTH - 2 * margin, PAPER, 1.15)
    draw.rectangle((margin, y + 30, margin + 120, y + 38), fill=ACCENT)
    sub_font = ImageFont.truetype(str(FONTS / "SourceSans3-Regular.otf"), 38)
    _text(draw, subtitle, sub_font, margin, y + 80, WIDTH - 2 * margin, SOFT, 1.3)
    author_font = ImageFont.truetype(str(FONTS / "SourceSans3-Semibold.otf"), 36)
    _text(draw, ", ".join(authors), author_font, margin, HEIGHT - 150, WIDTH - 2 * margin, PAPER,
          1.3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _motif(draw: ImageDraw.ImageDraw) -> None:
    """A row of question marks fading out: a quiet pattern, the same for every build."""
    font = ImageFont.truetype(str(FONTS / "SourceSerif4-Semibold.otf"), 64)
    shades = ("#2b4a73", "#335682", "#3b6291", "#335682", "#2b4a73")
    for index, shade in enumerate(shades):
        draw.text((80 + index * 150, 120), "?", font=font, fill=shade)


def _text(draw, text: str, font, x: int, y: int, width: int, fill: str, leading: float) -> int:
    """Draw text wrapped to width; return the y below its last line."""
    line_height = int(font.size * leading)
    for line in _wrap(draw, text, font, width):
        draw.text((x, y), line, font=font, fill=fill)
        y += line_height
    return y


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines
