"""Writes source/figures/q07-tensor-split.svg: Y = XW split over two GPUs, column-wise and
row-wise. Standard library only."""
import pathlib

W, H = 960, 380
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
BLUE, BLUE_F = "#3b7dd8", "#e8f0fb"
ORANGE, ORANGE_F = "#e07b39", "#fdf0e6"
INK, GREY_F = "#1f3a5f", "#f1f2f4"


def rect(x, y, w, h, fill, stroke):
    return f'  <rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>\n'


def sym(x, y, parts, size=31, color=INK, anchor="middle"):
    size = max(size, 25)  # at least 9 CSS px when a card shows the figure 350 px wide
    """parts: list of (letter, subscript or '') pairs, rendered as italic letters with subscripts."""
    spans = ""
    for letter, sub in parts:
        spans += f'<tspan font-style="italic">{letter}</tspan>'
        if sub:
            spans += f'<tspan font-size="25" dy="5">{sub}</tspan><tspan dy="-5"> </tspan>'
    return f'  <text x="{x}" y="{y}" {FONT} font-size="{size}" fill="{color}" text-anchor="{anchor}">{spans.rstrip()}</text>\n'


def text(x, y, s, size=31, color=INK, anchor="middle", weight="normal"):
    size = max(size, 25)  # at least 9 CSS px when a card shows the figure 350 px wide
    return f'  <text x="{x}" y="{y}" {FONT} font-size="{size}" fill="{color}" text-anchor="{anchor}" font-weight="{weight}">{s}</text>\n'


out = [f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Splitting the matrix product Y = XW over two GPUs</title>
  <desc>Left, column-wise: W is cut into a left half W1 and a right half W2; GPU 1 computes X W1 and GPU 2 computes X W2, and the two output halves are concatenated into Y. Right, row-wise: W is cut into a top half W1 and a bottom half W2, and X into a left half X1 and a right half X2; GPU 1 computes X1 W1, GPU 2 computes X2 W2, and the two partial products are added to give Y.</desc>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <line x1="480" y1="20" x2="480" y2="360" stroke="#8a8f98" stroke-width="1.5" stroke-dasharray="4 6"/>
"""]
# --- column-wise ---
out.append(text(240, 44, "Column-wise split of <tspan font-style=\"italic\">W</tspan>", 22, weight="bold"))
out.append(rect(30, 110, 70, 80, GREY_F, INK))
out.append(sym(65, 157, [("X", "")]))
out.append(text(118, 157, "×", 22))
out.append(rect(136, 110, 70, 80, BLUE_F, BLUE))
out.append(rect(206, 110, 70, 80, ORANGE_F, ORANGE))
out.append(sym(171, 157, [("W", "1")]))
out.append(sym(241, 157, [("W", "2")]))
out.append(text(296, 157, "=", 22))
out.append(rect(316, 110, 75, 80, BLUE_F, BLUE))
out.append(rect(391, 110, 75, 80, ORANGE_F, ORANGE))
out.append(sym(353, 157, [("X", ""), ("W", "1")]))
out.append(sym(428, 157, [("X", ""), ("W", "2")]))
out.append(text(240, 250, "GPU 1 computes the left half of <tspan font-style=\"italic\">Y</tspan>", 18, BLUE))
out.append(text(240, 280, "GPU 2 computes the right half of <tspan font-style=\"italic\">Y</tspan>", 18, ORANGE))
out.append(text(240, 326, "then concatenate the halves", 19))
# --- row-wise ---
out.append(text(720, 44, "Row-wise split of <tspan font-style=\"italic\">W</tspan>", 22, weight="bold"))
out.append(rect(500, 110, 50, 80, BLUE_F, BLUE))
out.append(rect(550, 110, 50, 80, ORANGE_F, ORANGE))
out.append(sym(525, 157, [("X", "1")]))
out.append(sym(575, 157, [("X", "2")]))
out.append(text(618, 157, "×", 22))
out.append(rect(636, 90, 70, 60, BLUE_F, BLUE))
out.append(rect(636, 150, 70, 60, ORANGE_F, ORANGE))
out.append(sym(671, 127, [("W", "1")]))
out.append(sym(671, 187, [("W", "2")]))
out.append(text(724, 157, "=", 22))
out.append(rect(742, 110, 78, 80, BLUE_F, BLUE))
out.append(sym(781, 157, [("X", "1"), ("W", "1")]))
out.append(text(838, 157, "+", 22))
out.append(rect(856, 110, 78, 80, ORANGE_F, ORANGE))
out.append(sym(895, 157, [("X", "2"), ("W", "2")]))
out.append(text(720, 250, "GPU 1 multiplies the blue pieces", 18, BLUE))
out.append(text(720, 280, "GPU 2 multiplies the orange pieces", 18, ORANGE))
out.append(text(720, 326, "then add the partial results", 19))
out.append("</svg>\n")

path = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q07-tensor-split.svg"
path.write_text("".join(out))
print(path)
