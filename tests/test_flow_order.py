"""Page flow on an adversarial chunk: twenty figures in a row, a figure taller than half a
page, a figure inside a list, a table inside the quiz. No block is lost or printed twice, and
figures print in their numbered order (a float was moved past a list holding a figure)."""

from __future__ import annotations

import re
import subprocess

from conftest import BOOKS, assemble, run
from PIL import Image


def test_figures_keep_their_order_past_a_list_holding_one(tmp_path) -> None:
    book = assemble(BOOKS / "_base", tmp_path)
    Image.new("RGB", (400, 2400), (40, 120, 200)).save(book / "figures/tall.png")
    q3 = book / "chapters/02-two/q03-third.md"
    row = "\n\n".join(f'![Row figure {i}.](../../figures/q01-a.svg){{#fig-r{i} fig-alt="Box."}}'
                      for i in range(20))
    q3.write_text(q3.read_text() + f"""
{row}

![A very tall figure.](../../figures/tall.png){{#fig-tall fig-alt="Tall."}}

- item one

  ![In a list.](../../figures/q01-a.svg){{#fig-list fig-alt="L."}}

- item two

::: exercise
Read the table.

| A | B |
|---|---|
| 1 | 2 |

: A quiz table. {{#tbl-quiz}}

::: solution
It is @tbl-quiz and @fig-tall.
:::
:::
""")
    out = tmp_path / "out"
    code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "pdf")
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(next(out.glob("*.pdf"))), "-"], check=True,
                          capture_output=True, text=True).stdout
    numbers = [int(n) for n in re.findall(r"Figure 3\.(\d+)\. ", text)]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) == 23
    for words in ("Row figure 0.", "Row figure 19.", "A very tall figure.", "In a list.",
                  "item one", "item two"):
        assert text.count(words) == 1, words
    assert text.count("A quiz table.") == 2  # the quiz, and the solution's appendix
