"""The load stage: files found from book.yaml, read safely, parsed by pandoc in batches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import BASE
from qabook import pandoc
from qabook.ast import stringify
from qabook.diagnostics import Diagnostics, Location
from qabook.load import load
from qabook import yamldoc as qyaml
from qabook.load.files import read_text, split_front_matter


def test_loads_every_file_in_book_order() -> None:
    diags = Diagnostics()
    loaded = load(BASE, diags)
    assert not diags.items
    assert [f.path for f in loaded.files] == [
        "front/preface.md", "chapters/01-one/q01-first.md", "chapters/01-one/q02-second.md",
        "chapters/02-two/q03-third.md"]
    assert [f.kind for f in loaded.files] == ["front", "question", "question", "question"]
    assert loaded.complete and sorted(loaded.bibliography.keys) == ["lee2019small", "smith2020tiny"]


def test_front_matter_is_split_off_and_line_numbers_hold() -> None:
    split = split_front_matter("---\nnumber: 3\ntitle: x\n---\n\nBody @Q1\n")
    assert split.yaml == "number: 3\ntitle: x\n"
    assert split.yaml_line == 2
    assert split.body.split("\n")[5] == "Body @Q1"  # line 6 stays line 6
    assert split_front_matter("No front matter\n").yaml is None


def test_yaml_positions_and_errors() -> None:
    doc = qyaml.load("a: 1\nlist:\n  - x\n  - y\n", first_line=2)
    assert doc.value == {"a": 1, "list": ["x", "y"]}
    assert doc.pos(("list", 1)) == (5, 5)
    assert doc.pos(("a",), key=True) == (2, 1)
    with pytest.raises(qyaml.YamlError) as error:
        qyaml.load("a: [1, 2\nb: 3\n", first_line=2)
    assert (error.value.line, error.value.col) == (3, 2)


def test_yaml_loader_is_safe() -> None:
    with pytest.raises(qyaml.YamlError):
        qyaml.load("x: !!python/object/apply:os.system ['true']\n")


def test_bom_and_crlf_are_normalised(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\nText\r\n")
    text = read_text(tmp_path, "a.md", Location("book.yaml"), Diagnostics())
    assert text.text == "---\ntitle: x\n---\nText\n"


def test_invalid_utf8_is_located(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes("line one\nab\xe9c\n".encode("latin-1"))
    diags = Diagnostics()
    assert read_text(tmp_path, "a.md", Location("book.yaml"), diags) is None
    assert [d.headline() for d in diags.items] == [
        "a.md:2:3: error: file is not UTF-8 (byte 0xe9) [file.encoding]"]


def test_symlink_out_of_the_book_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\nsecret\n")
    root = tmp_path / "book"
    root.mkdir()
    os.symlink(outside, root / "link.md")
    diags = Diagnostics()
    assert read_text(root, "link.md", Location("book.yaml", 3, 5), diags) is None
    assert diags.items[0].code == "file.outside"


def test_batches_keep_job_order_across_processes() -> None:
    texts = [f"Paragraph {i}\n" * (i + 1) for i in range(7)]
    results = pandoc.read_many(texts, pandoc.MARKDOWN, workers=3)
    assert [stringify(r["blocks"]).split()[:2] for r in results] == [
        ["Paragraph", str(i)] for i in range(7)]
    jobs = [{"write": _doc(f"Line {i}"), "format": "plain"} for i in range(7)]
    assert [r["text"].strip() for r in pandoc.run_batch(jobs, workers=3)] == [
        f"Line {i}" for i in range(7)]


def _doc(text: str) -> dict:
    return {"pandoc-api-version": pandoc.API_VERSION, "meta": {},
            "blocks": [{"t": "Para", "c": [{"t": "Str", "c": text}]}]}


def test_a_failing_job_does_not_sink_the_batch() -> None:
    results = pandoc.run_batch([{"write": _doc("x"), "format": "no-such-format"},
                                {"write": _doc("y"), "format": "plain"}], workers=1)
    assert "error" in results[0] and results[1]["text"].strip() == "y"
    results = pandoc.read_many(["x", "y"], "no-such-format", workers=1)
    assert all("error" in r for r in results)


def test_yaml_with_a_control_character_is_located() -> None:
    with pytest.raises(qyaml.YamlError) as error:
        qyaml.load("number: 4\n\x1f\n", first_line=2)
    assert (error.value.line, error.value.col) == (3, 1)
    assert "#x001f" in error.value.message
