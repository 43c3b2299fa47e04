"""Write the Anki cards' prebuilt font subsets, templates/fonts/cards/*.woff2.

Run it after changing a font in templates/fonts or the COVERAGE of qabook/render/fonts.py;
tests/test_cards.py fails while the files differ from what this script writes.

    python scripts/card_fonts.py
"""

from __future__ import annotations

from qabook import resources
from qabook.render import anki_fields, fonts


def main() -> None:
    resources.CARD_FONTS.mkdir(parents=True, exist_ok=True)
    for face in anki_fields.FACES:
        data = fonts.subset_woff2((fonts.FONTS / face.file).read_bytes(), fonts.coverage())
        (resources.CARD_FONTS / face.prebuilt).write_bytes(data)
        print(f"{face.prebuilt}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
