"""Writes source/figures/q11-kernel-3to1.svg and q11-kernel-3to5.svg (kernel parameter counts in Q11)."""
import pathlib

FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
LBLUE, LORANGE, LGREEN, LGREY = "#e8f0fb", "#fdf0e6", "#e9f5ec", "#f1f2f4"
CHANNELS = [(LBLUE, BLUE), (LGREEN, GREEN), (LORANGE, ORANGE)]
FIGDIR = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures"


def text(x, y, s, size=25, fill=INK, anchor="middle", style="normal", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-style="{style}" font-weight="{weight}">{s}</text>')


def grid(x, y, n, cell, fill, stroke):
    parts = [f'<rect x="{x}" y="{y}" width="{n * cell}" height="{n * cell}" fill="{fill}" '
             f'stroke="{stroke}" stroke-width="2"/>']
    for k in range(1, n):
        parts.append(f'<line x1="{x + k * cell}" y1="{y}" x2="{x + k * cell}" y2="{y + n * cell}" '
                     f'stroke="{stroke}" stroke-width="1.5"/>')
        parts.append(f'<line x1="{x}" y1="{y + k * cell}" x2="{x + n * cell}" y2="{y + k * cell}" '
                     f'stroke="{stroke}" stroke-width="1.5"/>')
    return parts


def head(w, h, title, desc, marker):
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}">',
            f"<title>{title}</title>", f"<desc>{desc}</desc>",
            "<defs>",
            f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
            "</defs>",
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>']


def arrow(x1, y1, x2, y2, marker):
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{INK}" '
            f'stroke-width="2" marker-end="url(#{marker})"/>')


def three_to_one():
    w, h, m = 800, 400, "q11k31-arrow"
    out = head(w, h, "One output channel from three input channels: 3 × 25 + 1 = 76 parameters",
               "Three 5 by 5 weight slices, one per input channel, each with 25 weights. Their weighted sums "
               "flow into one summation node that also adds a single bias b and outputs one value z. "
               "In total 3 times 25 plus 1 equals 76 parameters.", m)
    cell = 16
    sx, sy = 170, 30
    cy_sum = 185
    for i, (fill, stroke) in enumerate(CHANNELS):
        y = sy + i * 112
        out += grid(sx, y, 5, cell, fill, stroke)
        out.append(text(sx - 16, y + 46, f"channel {i + 1}", anchor="end"))
        out.append(text(sx + 5 * cell + 14, y + 46, "25 weights", anchor="start", fill=GREY, size=23))
        out.append(arrow(sx + 5 * cell + 132, y + 40, 500 - 30, cy_sum + (i - 1) * 14, m))
    # summation node
    out.append(f'<circle cx="500" cy="{cy_sum}" r="28" fill="{LGREY}" stroke="{INK}" stroke-width="2"/>')
    out.append(text(500, cy_sum + 9, "Σ", size=35))
    # bias
    out.append(f'<rect x="474" y="40" width="52" height="40" rx="6" fill="{LORANGE}" stroke="{ORANGE}" stroke-width="2"/>')
    out.append(text(500, 67, "b", size=30, style="italic"))
    out.append(text(540, 67, "1 bias", anchor="start", fill=GREY, size=23))
    out.append(arrow(500, 82, 500, cy_sum - 30, m))
    # output
    out.append(arrow(530, cy_sum, 622, cy_sum, m))
    out.append(f'<rect x="626" y="{cy_sum - 22}" width="44" height="44" fill="{LBLUE}" stroke="{BLUE}" stroke-width="2"/>')
    out.append(text(648, cy_sum + 8, "z", size=30, style="italic"))
    out.append(text(648, cy_sum + 52, "one output", size=23, fill=GREY))
    out.append(text(w / 2, h - 22, "3 × 25 weights + 1 bias = 76 parameters", size=27, weight="bold"))
    out.append("</svg>")
    (FIGDIR / "q11-kernel-3to1.svg").write_text("\n".join(out) + "\n")


def stack(x, y, size, off, colors):
    """Three offset squares, drawn back to front, front square at (x, y)."""
    parts = []
    for k in (2, 1, 0):
        fill, stroke = colors[k]
        parts.append(f'<rect x="{x + k * off}" y="{y - k * off}" width="{size}" height="{size}" '
                     f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>')
    return parts


def three_to_five():
    w, h, m = 880, 500, "q11k35-arrow"
    out = head(w, h, "Three input channels, five output channels: 5 × 76 = 380 parameters",
               "An input with three stacked channels on the left. In the middle, five separate kernels, each "
               "three stacked 5 by 5 slices plus a bias, labeled 76 parameters. Each kernel produces its own "
               "output channel on the right. In total 5 times 76 equals 380 parameters.", m)
    # input volume
    ix, iy, isz = 40, 175, 110
    out += stack(ix, iy, isz, 10, CHANNELS)
    out.append(text(ix + isz / 2 + 10, iy + isz + 40, "input", size=25))
    out.append(text(ix + isz / 2 + 10, iy + isz + 64, "3 channels", size=23, fill=GREY))
    # kernels
    kx, ksz, koff = 360, 40, 6
    out.append(text(kx + 30, 34, "5 kernels", size=25))
    ys = [70 + i * 80 for i in range(5)]
    for i, y in enumerate(ys):
        out.append(arrow(ix + isz + 24, iy + isz / 2 - 10, kx - 14, y + ksz / 2, m))
        out += stack(kx, y, ksz, koff, CHANNELS)
        out += grid(kx, y, 5, ksz // 5, CHANNELS[0][0], CHANNELS[0][1])
        out.append(text(kx + ksz + 2 * koff + 14, y + 28, "+", size=27, anchor="start"))
        out.append(text(kx + ksz + 2 * koff + 32, y + 28, "b", size=27, anchor="start", style="italic"))
        out.append(text(kx + ksz + 2 * koff + 56, y + 28, "= 76", size=25, anchor="start", fill=ORANGE, weight="bold"))
        out.append(arrow(kx + 170, y + ksz / 2, 652, y + ksz / 2, m))
        out.append(f'<rect x="660" y="{y}" width="{ksz}" height="{ksz}" fill="{LBLUE}" stroke="{BLUE}" stroke-width="2"/>')
        out.append(text(716, y + 27, f"channel {i + 1}", anchor="start", size=23))
    out.append(text(730, 34, "5 outputs", size=25))
    out.append(text(w / 2, h - 22, "5 kernels × (75 weights + 1 bias) = 380 parameters", size=27, weight="bold"))
    out.append("</svg>")
    (FIGDIR / "q11-kernel-3to5.svg").write_text("\n".join(out) + "\n")


three_to_one()
three_to_five()
