"""Writes source/figures/q03-nearest.svg: few-shot classification by nearest neighbor in embedding space.

Deterministic, standard library only. Run from the repository root:
    python3 scripts/figures/q03_nearest.py
"""
import math
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from q03_episodes import shape, INK, BLUE, ORANGE, GREEN, GREY, FONT  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q03-nearest.svg"


def main():
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 900 420" width="900" height="420" {FONT}>',
         "<title>Classifying a query by its nearest support embedding</title>",
         "<desc>Three labeled support images and one query image pass through the same embedding network f. "
         "In the embedding space on the right, the query lands closest to the embedding of the plus-shaped support image, "
         "so it receives that image's label, class 2.</desc>",
         "<defs>",
         f'<marker id="q03nn-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
         "</defs>",
         '<rect x="0" y="0" width="900" height="420" fill="#ffffff"/>']
    # input tiles
    tiles = [("hexagon", 30, "1"), ("plus", 115, "2"), ("diamond", 200, "3")]
    for kind, y, lab in tiles:
        p.append(f'<rect x="50" y="{y}" width="64" height="64" rx="6" fill="#ffffff" stroke="{INK}" stroke-width="1.5"/>')
        p.append(shape(kind, 82, y + 32, 20))
        p.append(f'<text x="32" y="{y + 39}" font-size="27" fill="{INK}" text-anchor="middle">{lab}</text>')
    p.append(f'<rect x="50" y="310" width="64" height="64" rx="6" fill="#fdf0e6" stroke="{ORANGE}" stroke-width="2"/>')
    p.append(shape("plus", 82, 342, 17, 0.4))
    p.append(f'<text x="32" y="349" font-size="27" font-weight="700" fill="{ORANGE}" text-anchor="middle">?</text>')
    p.append(f'<text x="82" y="400" font-size="24" fill="{ORANGE}" text-anchor="middle">query</text>')
    p.append(f'<text x="82" y="25" font-size="24" fill="{GREY}" text-anchor="middle">support set</text>')
    # embedding network
    p.append(f'<path d="M170,50 L270,110 L270,290 L170,350 z" fill="#e8f0fb" stroke="{BLUE}" stroke-width="2"/>')
    p.append(f'<text x="215" y="207" font-size="32" font-style="italic" fill="{INK}" text-anchor="middle">f</text>')
    for y in (62, 147, 232, 342):  # every tile feeds the same network
        p.append(f'<line x1="118" y1="{y}" x2="164" y2="{y}" stroke="{INK}" stroke-width="2" marker-end="url(#q03nn-arrow)"/>')
    p.append(f'<line x1="274" y1="200" x2="320" y2="200" stroke="{INK}" stroke-width="2" marker-end="url(#q03nn-arrow)"/>')
    # embedding space
    p.append(f'<rect x="330" y="20" width="550" height="380" rx="10" fill="#f1f2f4" stroke="{GREY}" stroke-width="1.5"/>')
    p.append(f'<text x="350" y="50" font-size="27" font-weight="600" fill="{INK}">embedding space</text>')
    q = (660, 230)
    pts = {"hexagon": (450, 120), "plus": (720, 150), "diamond": (500, 320)}
    for kind, (x, y) in pts.items():
        d = math.hypot(x - q[0], y - q[1])
        near = kind == "plus"
        colour, dash, width = (GREEN, "", 3) if near else (GREY, ' stroke-dasharray="6 5"', 1.5)
        # stop the line short of both symbols
        ux, uy = (x - q[0]) / d, (y - q[1]) / d
        p.append(f'<line x1="{q[0] + 16 * ux:.1f}" y1="{q[1] + 16 * uy:.1f}" x2="{x - 26 * ux:.1f}" y2="{y - 26 * uy:.1f}" stroke="{colour}" stroke-width="{width}"{dash}/>')
    for kind, (x, y) in pts.items():
        p.append(shape(kind, x, y, 16))
    p.append(f'<circle cx="{q[0]}" cy="{q[1]}" r="11" fill="#ffffff" stroke="{ORANGE}" stroke-width="3.5"/>')
    p.append(f'<text x="{q[0] + 18}" y="{q[1] + 34}" font-size="27" fill="{ORANGE}">query</text>')
    p.append(f'<text x="720" y="108" font-size="27" font-weight="600" fill="{GREEN}" text-anchor="middle">nearest: label 2</text>')
    p.append("</svg>")
    OUT.write_text("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
