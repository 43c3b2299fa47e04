"""Writes source/figures/q11-network.svg: the example CNN of Q11 with shapes and parameter counts."""
import pathlib

W, H = 960, 300
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
LBLUE, LORANGE, LGREEN, LGREY = "#e8f0fb", "#fdf0e6", "#e9f5ec", "#f1f2f4"

MID = 118          # vertical center line of the drawing
DEPTH = 6          # offset between stacked channel squares
GAPS = [62, 62, 62, 64, 78, 86, 86, 0]  # horizontal room for the arrow after each element

# (kind, size, fill, stroke, shape label)
elements = [
    ("map", 100, LGREY, INK, "32×32×3"),
    ("map", 88, LBLUE, BLUE, "28×28×5"),
    ("map", 48, LGREEN, GREEN, "13×13×5"),
    ("map", 36, LBLUE, BLUE, "9×9×12"),
    ("map", 22, LGREEN, GREEN, "4×4×12"),
    ("vec", 150, LORANGE, ORANGE, "192"),
    ("vec", 110, LORANGE, ORANGE, "128"),
    ("vec", 40, LORANGE, ORANGE, "10"),
]
# (operation line 1, line 2, parameters)
ops = [
    ("conv", "5×5", "380"),
    ("pool", "3×3", "0"),
    ("conv", "5×5", "1,512"),
    ("pool", "3×3", "0"),
    ("flatten", "", "0"),
    ("FC", "", "24,704"),
    ("FC", "", "1,290"),
]

def text(x, y, s, size=27, fill=INK, anchor="middle", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{s}</text>')

out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">',
       "<title>The example CNN of Q11 with feature-map shapes and parameter counts</title>",
       "<desc>A left-to-right pipeline: a 32 by 32 by 3 input, conv 5 by 5 to 28 by 28 by 5 (380 parameters), "
       "pooling to 13 by 13 by 5 (0), conv 5 by 5 to 9 by 9 by 12 (1,512), pooling to 4 by 4 by 12 (0), "
       "flattening to 192 values (0), a fully connected layer to 128 units (24,704) and a fully connected "
       "output layer with 10 units (1,290). Total 27,886 parameters.</desc>",
       "<defs>",
       f'<marker id="q11net-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
       f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
       "</defs>",
       f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>']

x = 22
spans = []
for gap, (kind, size, fill, stroke, label) in zip(GAPS, elements):
    if kind == "map":
        width = size + 2 * DEPTH
        for k in (2, 1, 0):  # back to front
            sx = x + k * DEPTH
            sy = MID - size / 2 - k * DEPTH + DEPTH
            out.append(f'<rect x="{sx:.1f}" y="{sy:.1f}" width="{size}" height="{size}" '
                       f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>')
    else:
        width = 20
        out.append(f'<rect x="{x:.1f}" y="{MID - size / 2:.1f}" width="{width}" height="{size}" rx="3" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>')
    spans.append((x, x + width))
    out.append(text(x + width / 2, MID + 92, label, size=27))
    x += width + gap

for i, (l1, l2, params) in enumerate(ops):
    x0 = spans[i][1] + 8
    x1 = spans[i + 1][0] - 8
    cx = (x0 + x1) / 2
    out.append(f'<line x1="{x0:.1f}" y1="{MID}" x2="{x1:.1f}" y2="{MID}" stroke="{INK}" '
               f'stroke-width="2" marker-end="url(#q11net-arrow)"/>')
    if l2:
        out.append(text(cx, MID - 40, l1, size=25))
        out.append(text(cx, MID - 12, l2, size=25))
    else:
        out.append(text(cx, MID - 12, l1, size=25))
    out.append(text(cx, MID + 30, params, size=25, fill=ORANGE, weight="bold"))

out.append(text(W / 2, H - 52, "Orange: trainable parameters of each step, 27,886 in total", size=27, fill=ORANGE))
out.append(text(W / 2, H - 22, "conv: stride 1, no padding  ·  pool: window 3×3, stride 2", size=25, fill=GREY))
out.append("</svg>")

path = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q11-network.svg"
path.write_text("\n".join(out) + "\n")
