"""The print PDF is a pure function of the source, attacked where it was not: a book whose
figures are PNG, built in two folders (WeasyPrint names a raster image in the PDF by the MD5
of its URL, which held the book's folder)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from conftest import BOOKS, assemble, run
from PIL import Image


def _png_book(into: Path) -> Path:
    book = assemble(BOOKS / "_base", into)
    for name, size, colour in (("q01-a", (600, 300), (40, 120, 200)),
                               ("q03-b", (300, 300), (240, 120, 20))):
        (book / f"figures/{name}.svg").unlink()
        Image.new("RGB", size, colour).save(book / f"figures/{name}.png")
    for chapter in (book / "chapters").rglob("*.md"):
        chapter.write_text(chapter.read_text().replace(".svg)", ".png)"))
    return book


def test_a_png_book_gives_the_same_pdf_in_any_folder(tmp_path) -> None:
    pdfs = []
    for folder in ("here", "somewhere-else/deeper"):
        book = _png_book(tmp_path / folder)
        out = tmp_path / folder / "out"
        code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "pdf",
                           "--no-cache")
        assert code == 0, err
        (pdf,) = out.glob("*.pdf")
        pdfs.append(pdf)
    with pikepdf.open(pdfs[0]) as pdf:  # both figures are in it, as images
        sizes = sorted((int(o.Width), int(o.Height)) for o in pdf.objects
                       if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image")
    assert sizes == [(300, 300), (600, 300)]
    assert pdfs[0].read_bytes() == pdfs[1].read_bytes()
