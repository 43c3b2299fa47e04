"""Writes source/figures/q10-nucleus.svg: nucleus (top-p) sampling on the toy distribution:
sorted probabilities, cumulative sums and two thresholds. Standard library only."""
import pathlib

TOKENS = ["mat", "sofa", "floor", "roof", "moon"]
PROBS = [0.50, 0.20, 0.15, 0.10, 0.05]
CUM = [sum(PROBS[:i + 1]) for i in range(len(PROBS))]
P_MAIN, P_ALT = 0.8, 0.6
n_main = next(i + 1 for i, c in enumerate(CUM) if c >= P_MAIN - 1e-9)
n_alt = next(i + 1 for i, c in enumerate(CUM) if c >= P_ALT - 1e-9)

W, H = 880, 460
X0, X1, Y0, Y1 = 110, 640, 50, 370
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK = "#1f3a5f"
SLOT = (X1 - X0) / len(TOKENS)


def py(v):
    return Y1 - (Y1 - Y0) * v


def text(x, y, t, size=25, fill=INK, anchor="middle", weight="normal"):
    size = max(size, 23)  # at least 9 CSS px when a card shows the figure 350 px wide
    return f'  <text x="{x}" y="{y}" {FONT} font-size="{size}" fill="{fill}" text-anchor="{anchor}" font-weight="{weight}">{t}</text>\n'


svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Nucleus (top-p) sampling</title>
  <desc>Bars for five tokens sorted by probability: 0.50, 0.20, 0.15, 0.10 and 0.05. A line with dots shows the cumulative probability: 0.50, 0.70, 0.85, 0.95 and 1.00. A dashed threshold at p = 0.8 is first reached at the third token, so the nucleus holds three tokens; a gray threshold at p = 0.6 would be reached at the second token, giving a nucleus of two.</desc>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <line x1="{X0}" y1="{Y1}" x2="{X1}" y2="{Y1}" stroke="{INK}" stroke-width="2"/>
  <line x1="{X0}" y1="{Y1}" x2="{X0}" y2="{Y0 - 8}" stroke="{INK}" stroke-width="2"/>
"""
for v in (0, 0.5, 1.0):
    svg += f'  <line x1="{X0 - 6}" y1="{py(v):.1f}" x2="{X0}" y2="{py(v):.1f}" stroke="{INK}" stroke-width="2"/>\n'
    svg += text(X0 - 12, py(v) + 6, f"{v:.1f}", 18, anchor="end")
svg += f'  <text x="{X0 - 62}" y="{(Y0 + Y1) / 2}" {FONT} font-size="26" fill="{INK}" text-anchor="middle" transform="rotate(-90 {X0 - 62} {(Y0 + Y1) / 2})">probability</text>\n'
for i, (tok, p) in enumerate(zip(TOKENS, PROBS)):
    x = X0 + i * SLOT + 18
    on = i < n_main
    fill, stroke, tc = ("#e8f0fb", "#3b7dd8", INK) if on else ("#f1f2f4", "#8a8f98", "#8a8f98")
    svg += f'  <rect x="{x:.1f}" y="{py(p):.1f}" width="{SLOT - 36:.1f}" height="{Y1 - py(p):.1f}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>\n'
    svg += text(x + (SLOT - 36) / 2, Y1 + 28, tok, 19, tc)
# thresholds
for p, col, dash in ((P_MAIN, "#e07b39", "8 5"), (P_ALT, "#8a8f98", "4 5")):
    svg += f'  <line x1="{X0}" y1="{py(p):.1f}" x2="{X1 + 10}" y2="{py(p):.1f}" stroke="{col}" stroke-width="2.5" stroke-dasharray="{dash}"/>\n'
svg += text(X1 + 18, py(P_MAIN) + 6, f"<tspan font-style=\"italic\">p</tspan> = {P_MAIN}: {n_main} tokens", 19, "#e07b39", "start")
svg += text(X1 + 18, py(P_ALT) + 6, f"<tspan font-style=\"italic\">p</tspan> = {P_ALT}: {n_alt} tokens", 19, "#8a8f98", "start")
# cumulative line
pts = [(X0 + i * SLOT + SLOT / 2, py(c)) for i, c in enumerate(CUM)]
svg += '  <polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + f'" fill="none" stroke="{INK}" stroke-width="2.5"/>\n'
for (x, y), c in zip(pts, CUM):
    svg += f'  <circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{INK}"/>\n'
    svg += text(x - 12, y - 12, f"{c:.2f}", 17, INK, "end")
svg += text(X1 + 18, Y0 + 6, "cumulative", 19, INK, "start")
svg += text(X1 + 18, Y0 + 30, "probability", 19, INK, "start")
# nucleus bracket
bx0, bx1 = X0 + 12, X0 + n_main * SLOT - 12
yb = Y1 + 52
svg += f'  <path d="M {bx0:.1f} {yb - 8} L {bx0:.1f} {yb} L {bx1:.1f} {yb} L {bx1:.1f} {yb - 8}" fill="none" stroke="#e07b39" stroke-width="2.5"/>\n'
svg += text((bx0 + bx1) / 2, yb + 26, "nucleus for <tspan font-style=\"italic\">p</tspan> = 0.8", 19, "#e07b39")
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q10-nucleus.svg"
out.write_text(svg)
print(out, CUM, n_main, n_alt)
