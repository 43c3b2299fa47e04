"""Writes source/figures/q23-tiling.svg: row-by-row versus tile-by-tile traversal of an 8x8 array."""
import pathlib

FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
LBLUE, LORANGE, LGREEN, LGREY = "#e8f0fb", "#fdf0e6", "#e9f5ec", "#f1f2f4"
N, CELL, TILE = 8, 32, 4
W, H, TOP = 820, 440, 100
M = "q23tile-arrow"
MJ = "q23tile-jump"


def text(x, y, s, size=23, fill=INK, anchor="middle", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{s}</text>')


def grid(x0, tiled):
    parts = []
    fills = [LBLUE, LGREEN, LORANGE, LGREY]
    for r in range(N):
        for c in range(N):
            fill = fills[(r // TILE) * 2 + c // TILE] if tiled else LGREY
            parts.append(f'<rect x="{x0 + c * CELL}" y="{TOP + r * CELL}" width="{CELL}" height="{CELL}" '
                         f'fill="{fill}" stroke="#c5c8ce" stroke-width="1.5"/>')
    if tiled:
        for k in range(0, N + 1, TILE):
            parts.append(f'<line x1="{x0 + k * CELL}" y1="{TOP}" x2="{x0 + k * CELL}" y2="{TOP + N * CELL}" '
                         f'stroke="{INK}" stroke-width="2.5"/>')
            parts.append(f'<line x1="{x0}" y1="{TOP + k * CELL}" x2="{x0 + N * CELL}" y2="{TOP + k * CELL}" '
                         f'stroke="{INK}" stroke-width="2.5"/>')
    else:
        parts.append(f'<rect x="{x0}" y="{TOP}" width="{N * CELL}" height="{N * CELL}" fill="none" '
                     f'stroke="{INK}" stroke-width="2.5"/>')
    return parts


def runs(x0, segments, tile_of=None):
    """segments: list of (row, c_start, c_end) visited left to right, in order.

    Returns to the next row inside the same tile are thin grey dashes; jumps into a new
    tile (when tile_of is given) are orange dashed arrows, so the tile order stands out."""
    parts = []
    prev = None
    for r, c1, c2 in segments:
        y = TOP + r * CELL + CELL / 2
        xa = x0 + c1 * CELL + CELL / 2 - 8
        xb = x0 + c2 * CELL + CELL / 2 + 8
        if prev is not None:
            px, py, pseg = prev
            if tile_of is not None and tile_of(pseg) != tile_of((r, c1, c2)):
                parts.append(f'<line x1="{px - 4:.1f}" y1="{py + 7:.1f}" x2="{xa + 2:.1f}" y2="{y - 7:.1f}" '
                             f'stroke="{ORANGE}" stroke-width="2" stroke-dasharray="6 4" '
                             f'marker-end="url(#{MJ})"/>')
            else:
                parts.append(f'<line x1="{px - 4:.1f}" y1="{py + 7:.1f}" x2="{xa:.1f}" y2="{y:.1f}" '
                             f'stroke="{GREY}" stroke-width="1.5" stroke-dasharray="3 4"/>')
        parts.append(f'<line x1="{xa:.1f}" y1="{y:.1f}" x2="{xb:.1f}" y2="{y:.1f}" stroke="{INK}" '
                     f'stroke-width="2" marker-end="url(#{M})"/>')
        prev = (xb, y, (r, c1, c2))
    return parts


def badge(x, y, s):
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="14" fill="#ffffff" stroke="{ORANGE}" stroke-width="2"/>'
            + text(x, y + 6, s, size=22, fill=ORANGE, weight="bold"))


out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">',
       "<title>Loop tiling: row-by-row versus tile-by-tile traversal of an 8×8 array</title>",
       "<desc>Two 8 by 8 grids. Left: arrows run along each full row from left to right, one row after the "
       "other. Right: the grid is split into four 4 by 4 tiles in different light colors; arrows cover the four "
       "rows of the top-left tile first, then the top-right tile, then the bottom-left and bottom-right tiles, "
       "with thin dashed lines for the jumps between rows and orange dashed arrows for the jumps between "
       "tiles; small numbered circles 1 to 4 mark the order in which the tiles are visited.</desc>",
       "<defs>",
       f'<marker id="{M}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
       f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
       f'<marker id="{MJ}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
       f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ORANGE}"/></marker>',
       "</defs>",
       f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>']

left, right = 60, 500
out += grid(left, tiled=False)
out += runs(left, [(r, 0, N - 1) for r in range(N)])
out.append(text(left + N * CELL / 2, 46, "row by row", size=25, weight="bold"))

out += grid(right, tiled=True)
order = []
for tr in range(0, N, TILE):
    for tc in range(0, N, TILE):
        order += [(r, tc, tc + TILE - 1) for r in range(tr, tr + TILE)]
out += runs(right, order, tile_of=lambda seg: (seg[0] // TILE, seg[1] // TILE))
# visiting order of the tiles: badges above the top tiles and below the bottom tiles
for k, (tr, tc) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
    bx = right + (tc * TILE + TILE / 2) * CELL
    by = TOP - 22 if tr == 0 else TOP + N * CELL + 22
    out.append(badge(bx, by, str(k + 1)))
out.append(text(right + N * CELL / 2, 46, "tile by tile", size=25, weight="bold"))
out.append(text(left + N * CELL / 2, TOP + N * CELL + 70, "each row spans the whole array", size=22, fill=GREY))
out.append(text(right + N * CELL / 2, TOP + N * CELL + 70, "finish one 4×4 tile, then the next", size=22, fill=GREY))
out.append("</svg>")

path = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q23-tiling.svg"
path.write_text("\n".join(out) + "\n")
