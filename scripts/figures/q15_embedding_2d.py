"""Writes source/figures/q15-embedding-2d.svg: a schematic 2-D map of word embeddings.

The positions are illustrative (placed by hand, not taken from a trained model): related words
form clusters, unrelated clusters lie far apart, and the polysemous word "bank" falls between
its financial and its river neighbors. Standard library only; deterministic output.
"""
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q15-embedding-2d.svg"

W, H = 900, 600
FONT = "'Source Sans 3', sans-serif"

# cluster name, color, label position, words with (x, y) in SVG units
CLUSTERS = [
    ("animals", "#3b7dd8", (110, 70), [("cat", 160, 150), ("kitten", 120, 205), ("dog", 250, 120),
                                       ("puppy", 235, 185), ("horse", 330, 160)]),
    ("food", "#4a9d5b", (620, 70), [("sandwich", 630, 125), ("pizza", 760, 110), ("bread", 700, 180),
                                    ("soup", 800, 170), ("cheese", 610, 205)]),
    ("finance", "#e07b39", (90, 395), [("money", 130, 440), ("loan", 230, 470), ("deposit", 110, 510),
                                     ("credit", 235, 420)]),
    ("nature", "#8a8f98", (640, 395), [("river", 660, 440), ("shore", 740, 490), ("stream", 620, 505),
                                       ("slope", 780, 430)]),
]
BANK = (440, 470)


def text(x, y, s, size=26, fill="#1f3a5f", anchor="start", extra=""):
    size = max(size, 24)  # at least 9 CSS px when a card shows the figure 350 px wide
    return (f'  <text x="{x}" y="{y}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}"{extra}>{s}</text>')


def main():
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'font-family="{FONT}">',
        "  <title>A schematic two-dimensional map of word embeddings</title>",
        "  <desc>Words drawn as dots in a plane. Animal words (cat, kitten, dog, puppy, horse) cluster "
        "at the top left, food words (sandwich, pizza, bread, soup, cheese) at the top right, finance "
        "words (money, loan, deposit, credit) at the bottom left and nature words (river, shore, "
        "stream, slope) at the bottom right. The word bank sits between the finance and nature "
        "clusters, with dashed lines to both. Positions are illustrative.</desc>",
        f'  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>',
        # axes
        '  <line x1="50" y1="560" x2="870" y2="560" stroke="#8a8f98" stroke-width="1.5"/>',
        '  <line x1="50" y1="560" x2="50" y2="30" stroke="#8a8f98" stroke-width="1.5"/>',
        text(860, 588, "dimension 1", 18, "#8a8f98", "end"),
        text(28, 40, "dimension 2", 18, "#8a8f98", "end", ' transform="rotate(-90 28 40)"'),
    ]
    # dashed links from "bank" to its two neighborhoods
    parts.append(f'  <line x1="{BANK[0]}" y1="{BANK[1]}" x2="298" y2="462" stroke="#e07b39" '
                 'stroke-width="2" stroke-dasharray="6 5"/>')
    parts.append(f'  <line x1="{BANK[0]}" y1="{BANK[1]}" x2="635" y2="448" stroke="#8a8f98" '
                 'stroke-width="2" stroke-dasharray="6 5"/>')
    for name, color, (lx, ly), words in CLUSTERS:
        parts.append(text(lx, ly, name, 20, color, "start", ' font-style="italic"'))
        for w, x, y in words:
            parts.append(f'  <circle cx="{x}" cy="{y}" r="7" fill="{color}"/>')
            parts.append(text(x + 12, y + 7, w))
    parts.append(f'  <circle cx="{BANK[0]}" cy="{BANK[1]}" r="9" fill="#1f3a5f"/>')
    parts.append(text(BANK[0], BANK[1] + 36, "bank", 22, "#1f3a5f", "middle", ' font-weight="bold"'))
    parts.append("</svg>")
    OUT.write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
