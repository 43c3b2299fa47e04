"""Writes the Q13 figures: q13-equivariance.svg, q13-fc-shift.svg and q13-patchify.svg."""
import pathlib

FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
LBLUE, LORANGE, LGREEN, LGREY = "#e8f0fb", "#fdf0e6", "#e9f5ec", "#f1f2f4"
FIGDIR = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures"


def text(x, y, s, size=28, fill=INK, anchor="middle", style="normal", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-style="{style}" font-weight="{weight}">{s}</text>')


def head(w, h, title, desc, marker):
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}">',
            f"<title>{title}</title>", f"<desc>{desc}</desc>",
            "<defs>",
            f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
            "</defs>",
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>']


def arrow(x1, y1, x2, y2, marker, color=INK, width=2, dash=None):
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
            f'stroke-width="{width}"{d} marker-end="url(#{marker})"/>')


def cells(x, y, n, cell, marked, mark_fill, base_fill=LGREY, stroke=GREY):
    parts = []
    for r in range(n):
        for c in range(n):
            fill = mark_fill if (r, c) in marked else base_fill
            parts.append(f'<rect x="{x + c * cell}" y="{y + r * cell}" width="{cell}" height="{cell}" '
                         f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>')
    parts.append(f'<rect x="{x}" y="{y}" width="{n * cell}" height="{n * cell}" fill="none" '
                 f'stroke="{INK}" stroke-width="2"/>')
    return parts


def equivariance():
    w, h, m = 740, 520, "q13eq-arrow"
    out = head(w, h, "Translation equivariance: the feature-map response moves with the input pattern",
               "Two rows. Top: an 8 by 8 input grid with a pattern of two dark cells on the left passes through a "
               "convolutional layer; the output feature map shows a strong response (orange) at the same place. "
               "Bottom: the pattern has moved four cells to the right, and the response in the feature map has "
               "moved four cells to the right as well.", m)
    n, cell = 8, 22
    ix, ox = 140, 520
    out.append(text(ix + n * cell / 2, 38, "input", size=28))
    out.append(text(ox + n * cell / 2, 38, "feature map", size=28))
    for row, (y, c0, label) in enumerate([(60, 1, "original"), (276, 5, "shifted")]):
        out.append(text(ix - 18, y + n * cell / 2 + 6, label, anchor="end", size=28))
        pat = {(3, c0), (3, c0 + 1)}
        out += cells(ix, y, n, cell, pat, INK)
        out += cells(ox, y, n, cell, pat, ORANGE, base_fill=LBLUE, stroke="#b9cde9")
        out.append(arrow(ix + n * cell + 20, y + n * cell / 2, ox - 20, y + n * cell / 2, m))
        out.append(text((ix + n * cell + ox) / 2, y + n * cell / 2 - 14, "conv layer", size=28))
        if row == 1:
            # ghost of the old position and the shift arrow, in both grids
            for gx in (ix, ox):
                out.append(f'<rect x="{gx + 1 * cell}" y="{y + 3 * cell}" width="{2 * cell}" height="{cell}" '
                           f'fill="none" stroke="{ORANGE if gx == ox else INK}" stroke-width="2" stroke-dasharray="4 3"/>')
                out.append(arrow(gx + 2 * cell, y + n * cell + 22, gx + 6 * cell, y + n * cell + 22, m,
                                 color=GREY))
                out.append(text(gx + 4 * cell, y + n * cell + 48, "shift by 4", size=26, fill=GREY))
    out.append("</svg>")
    (FIGDIR / "q13-equivariance.svg").write_text("\n".join(out) + "\n")


def fc_shift():
    w, h, m = 900, 400, "q13fc-arrow"
    out = head(w, h, "A fully connected layer has a separate weight for every input position",
               "Two panels, each with a row of six input cells connected by six weights w1 to w6 to one hidden "
               "unit. Left: the dark pattern occupies cells 1 and 2, and only the connections w1 and w2 are "
               "highlighted. Right: the pattern is shifted to cells 3 and 4, and now the unrelated weights w3 "
               "and w4 are highlighted.", m)
    cell = 56
    for p, (px, dark, title) in enumerate([(30, (0, 1), "pattern at positions 1–2"),
                                           (480, (2, 3), "shifted to positions 3–4")]):
        cx = px + 3 * cell
        uy, by = 90, 290
        out.append(text(cx, 36, title, size=29))
        for i in range(6):
            sx = px + i * cell + cell / 2
            hot = i in dark
            color, width = (ORANGE, 3.5) if hot else (GREY, 1.5)
            out.append(f'<line x1="{sx:.1f}" y1="{by}" x2="{cx:.1f}" y2="{uy + 26}" stroke="{color}" '
                       f'stroke-width="{width}"/>')
        for i in range(6):
            sx = px + i * cell + cell / 2
            hot = i in dark
            lx = sx + (cx - sx) * 0.3
            ly = by + (uy + 26 - by) * 0.3
            out.append(f'<rect x="{lx - 17:.1f}" y="{ly - 15:.1f}" width="34" height="26" rx="4" fill="#ffffff"/>')
            out.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" {FONT} font-size="31" font-style="italic" '
                       f'fill="{ORANGE if hot else INK}" text-anchor="middle" '
                       f'font-weight="{"bold" if hot else "normal"}">w<tspan font-size="25" dy="4">{i + 1}</tspan></text>')
        for i in range(6):
            fill = INK if i in dark else LGREY
            out.append(f'<rect x="{px + i * cell}" y="{by}" width="{cell}" height="{cell}" fill="{fill}" '
                       f'stroke="{INK}" stroke-width="2"/>')
            out.append(text(px + i * cell + cell / 2, by + cell + 26, str(i + 1), size=26, fill=GREY))
        out.append(f'<circle cx="{cx}" cy="{uy}" r="26" fill="{LBLUE}" stroke="{BLUE}" stroke-width="2"/>')
        out.append(text(cx, uy + 7, "h", size=34, style="italic"))
    out.append(f'<line x1="450" y1="60" x2="450" y2="380" stroke="{LGREY}" stroke-width="2"/>')
    out.append("</svg>")
    (FIGDIR / "q13-fc-shift.svg").write_text("\n".join(out) + "\n")


def patchify():
    w, h, m = 940, 420, "q13patch-arrow"
    out = head(w, h, "Patchify: image to patches to embedded tokens to transformer encoder",
               "On the left an image divided into a 3 by 3 grid of patches numbered 1 to 9. An arrow leads to a "
               "row of the nine patches in order. Each patch goes through the same linear projection and "
               "becomes a token; a position embedding p1 to p9 is added to each token. The nine tokens enter "
               "a transformer encoder at the top.", m)
    # image with 3x3 patches
    ix, iy, isz = 30, 206, 186
    ps = isz / 3
    out.append(f'<rect x="{ix}" y="{iy}" width="{isz}" height="{isz}" fill="{LBLUE}"/>')
    out.append(f'<polygon points="{ix},{iy + isz} {ix + 80},{iy + 70} {ix + 140},{iy + 130} '
               f'{ix + 165},{iy + 105} {ix + isz},{iy + 150} {ix + isz},{iy + isz}" fill="{LGREEN}" '
               f'stroke="{GREEN}" stroke-width="2"/>')
    out.append(f'<circle cx="{ix + 160}" cy="{iy + 40}" r="16" fill="{LORANGE}" stroke="{ORANGE}" stroke-width="2"/>')
    for k in (1, 2):
        out.append(f'<line x1="{ix + k * ps:.1f}" y1="{iy}" x2="{ix + k * ps:.1f}" y2="{iy + isz}" '
                   f'stroke="{INK}" stroke-width="2"/>')
        out.append(f'<line x1="{ix}" y1="{iy + k * ps:.1f}" x2="{ix + isz}" y2="{iy + k * ps:.1f}" '
                   f'stroke="{INK}" stroke-width="2"/>')
    out.append(f'<rect x="{ix}" y="{iy}" width="{isz}" height="{isz}" fill="none" stroke="{INK}" stroke-width="2"/>')
    for k in range(9):
        r, c = divmod(k, 3)
        out.append(text(ix + c * ps + 14, iy + r * ps + 22, str(k + 1), size=26, weight="bold"))
    out.append(text(ix + isz / 2, iy - 16, "image", size=28))
    # rows on the right
    x0, step, sq = 272, 48, 36
    centers = [x0 + i * step + sq / 2 for i in range(9)]
    right = x0 + 8 * step + sq
    # patches row
    py = 356
    out.append(arrow(ix + isz + 10, py + sq / 2, x0 - 12, py + sq / 2, m))
    for i, cx in enumerate(centers):
        out.append(f'<rect x="{cx - sq / 2}" y="{py}" width="{sq}" height="{sq}" fill="{LGREY}" '
                   f'stroke="{INK}" stroke-width="2"/>')
        out.append(text(cx, py + 24, str(i + 1), size=26, weight="bold"))
        out.append(arrow(cx, py - 4, cx, 300, m, width=1.5))
    out.append(text(right + 20, py + 24, "patches", anchor="start"))
    # linear projection
    out.append(f'<rect x="{x0 - 6}" y="254" width="{right - x0 + 12}" height="42" rx="6" fill="{LBLUE}" '
               f'stroke="{BLUE}" stroke-width="2"/>')
    out.append(text((x0 + right) / 2, 281, "shared linear projection", size=28))
    # tokens
    ty, th = 124, 52
    for i, cx in enumerate(centers):
        out.append(arrow(cx, 250, cx, ty + th + 32, m, width=1.5))
        out.append(f'<rect x="{cx - 9}" y="{ty}" width="18" height="{th}" rx="3" fill="{LORANGE}" '
                   f'stroke="{ORANGE}" stroke-width="2"/>')
        out.append(f'<text x="{cx:.1f}" y="{ty + th + 24}" {FONT} font-size="25" font-style="italic" '
                   f'fill="{GREEN}" text-anchor="middle">+p<tspan font-size="25" dy="4">{i + 1}</tspan></text>')
        out.append(arrow(cx, ty - 4, cx, 82, m, width=1.5))
    out.append(text(right + 20, ty + 22, "tokens", anchor="start"))
    out.append(text(right + 20, ty + 46, "+ position", anchor="start", fill=GREEN, size=25))
    out.append(text(right + 20, ty + 72, "embeddings", anchor="start", fill=GREEN, size=25))
    # encoder
    out.append(f'<rect x="{x0 - 6}" y="30" width="{right - x0 + 12}" height="46" rx="6" fill="{LGREY}" '
               f'stroke="{INK}" stroke-width="2"/>')
    out.append(text((x0 + right) / 2, 60, "transformer encoder", size=29, weight="bold"))
    out.append("</svg>")
    (FIGDIR / "q13-patchify.svg").write_text("\n".join(out) + "\n")


equivariance()
fc_shift()
patchify()
