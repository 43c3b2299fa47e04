"""Writes source/figures/q04-pruning.svg: unstructured versus structured pruning of a weight matrix.

Deterministic, standard library only:
    python3 scripts/figures/q04_pruning.py
"""
import pathlib
import random

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q04-pruning.svg"
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
ROWS, COLS, CELL = 6, 8, 26

rng = random.Random(2018)
W = [[rng.uniform(-1.0, 1.0) for _ in range(COLS)] for _ in range(ROWS)]
# unstructured: drop the half of all weights with the smallest magnitude
cut = sorted(abs(w) for row in W for w in row)[ROWS * COLS // 2 - 1]
KEEP_W = [[abs(w) > cut for w in row] for row in W]
# structured: drop the two rows (filters) with the smallest L1 norm
norms = sorted(range(ROWS), key=lambda i: sum(abs(w) for w in W[i]))
DROP_ROWS = set(norms[:2])


def cell(x, y, v, keep=True, removed_row=False):
    if removed_row:
        return f'<rect x="{x}" y="{y}" width="{CELL - 3}" height="{CELL - 3}" fill="#f1f2f4" stroke="{GREY}" stroke-width="1.5" stroke-dasharray="3 3"/>'
    if not keep:
        return f'<rect x="{x}" y="{y}" width="{CELL - 3}" height="{CELL - 3}" fill="#ffffff" stroke="{GREY}" stroke-width="1.5"/>'
    colour = BLUE if v >= 0 else ORANGE
    return f'<rect x="{x}" y="{y}" width="{CELL - 3}" height="{CELL - 3}" fill="{colour}" fill-opacity="{0.3 + 0.7 * abs(v):.2f}" stroke="{INK}" stroke-width="1.5"/>'


def main():
    p = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 900 310" width="900" height="310" font-family="\'Source Sans 3\', sans-serif">',
         "<title>Unstructured and structured pruning</title>",
         "<desc>Left: a weight matrix after unstructured pruning; half of the individual weights, scattered across the matrix, are zero. "
         "Right: the same matrix after structured pruning; two entire rows, standing for two filters, are removed, and an arrow shows "
         "that the remaining rows form a smaller dense matrix.</desc>",
         "<defs>",
         f'<marker id="q04pr-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
         "</defs>",
         '<rect x="0" y="0" width="900" height="310" fill="#ffffff"/>',
         f'<text x="40" y="40" font-size="26" font-weight="600" fill="{INK}">(a) Unstructured</text>',
         f'<text x="360" y="40" font-size="26" font-weight="600" fill="{INK}">(b) Structured</text>']
    x0, y0 = 40, 66
    for i in range(ROWS):
        for j in range(COLS):
            p.append(cell(x0 + CELL * j, y0 + CELL * i, W[i][j], KEEP_W[i][j]))
    p.append(f'<text x="{x0}" y="{y0 + CELL * ROWS + 34}" font-size="24" fill="{INK}">single weights set to zero</text>')
    p.append(f'<text x="{x0}" y="{y0 + CELL * ROWS + 58}" font-size="24" fill="{INK}">(sparse, same shape)</text>')
    x1 = 360
    for i in range(ROWS):
        for j in range(COLS):
            p.append(cell(x1 + CELL * j, y0 + CELL * i, W[i][j], removed_row=i in DROP_ROWS))
        if i in DROP_ROWS:
            yy = y0 + CELL * i + (CELL - 3) / 2
            p.append(f'<line x1="{x1 - 6}" y1="{yy}" x2="{x1 + CELL * COLS + 3}" y2="{yy}" stroke="{ORANGE}" stroke-width="2.5"/>')
    p.append(f'<text x="{x1}" y="{y0 + CELL * ROWS + 34}" font-size="24" fill="{INK}">whole filters (rows) removed</text>')
    p.append(f'<text x="{x1}" y="{y0 + CELL * ROWS + 58}" font-size="24" fill="{INK}">(smaller, still dense)</text>')
    ax = x1 + CELL * COLS + 14
    p.append(f'<line x1="{ax}" y1="{y0 + CELL * 3}" x2="{ax + 44}" y2="{y0 + CELL * 3}" stroke="{INK}" stroke-width="2" marker-end="url(#q04pr-arrow)"/>')
    x2, k = ax + 58, 0
    for i in range(ROWS):
        if i in DROP_ROWS:
            continue
        for j in range(COLS):
            p.append(cell(x2 + CELL * j, y0 + CELL * (k + 1), W[i][j]))
        k += 1
    p.append("</svg>")
    OUT.write_text("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
