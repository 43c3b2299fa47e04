"""Writes source/figures/q09-diffusion.svg: a small pixel image made noisier step by step
(forward process) and the learned reverse process. Standard library only; the noise comes
from a fixed-seed random generator, so the output is deterministic."""
import pathlib
import random

SMILEY = ["..####..",
          ".#....#.",
          "#.#..#.#",
          "#......#",
          "#.#..#.#",
          "#..##..#",
          ".#....#.",
          "..####.."]
SIGNAL = [1.0, 0.8, 0.55, 0.3, 0.0]   # share of the clean image kept at each shown step
CELL = 13
SIZE = 8 * CELL
W, H = 900, 350
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK = (0x1f, 0x3a, 0x5f)

rng = random.Random(7)
noise = [[rng.gauss(0.0, 1.0) for _ in range(8)] for _ in range(8)]


def color(v):
    """v in [0, 1]: 0 = white, 1 = ink."""
    v = min(1.0, max(0.0, v))
    r, g, b = (round(255 + (c - 255) * v) for c in INK)
    return f"#{r:02x}{g:02x}{b:02x}"


def image(x0, y0, ab):
    s = ""
    for r in range(8):
        for c in range(8):
            clean = 1.0 if SMILEY[r][c] == "#" else 0.0
            v = ab * clean + (1 - ab) * (0.5 + 0.3 * noise[r][c])
            s += f'  <rect x="{x0 + c * CELL}" y="{y0 + r * CELL}" width="{CELL}" height="{CELL}" fill="{color(v)}"/>\n'
    s += f'  <rect x="{x0}" y="{y0}" width="{SIZE}" height="{SIZE}" fill="none" stroke="#1f3a5f" stroke-width="2"/>\n'
    return s


xs = [40 + i * 185 for i in range(5)]
Y = 120
svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>The forward and reverse processes of a diffusion model</title>
  <desc>Five pixel images in a row: a clean smiley face on the left, labeled image x, then three increasingly noisy versions, and pure Gaussian noise on the right, labeled z N. An arrow above the row points right: the fixed forward process adds noise. An arrow below points left: the learned reverse process removes noise step by step, turning new noise into a new image.</desc>
  <defs>
    <marker id="q09-diffusion-arrow-blue" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#3b7dd8"/>
    </marker>
    <marker id="q09-diffusion-arrow-green" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#4a9d5b"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <text x="{W / 2}" y="40" {FONT} font-size="29" fill="#3b7dd8" text-anchor="middle">forward process: add a little Gaussian noise per step (fixed)</text>
  <line x1="{xs[0]}" y1="70" x2="{xs[-1] + SIZE}" y2="70" stroke="#3b7dd8" stroke-width="3" marker-end="url(#q09-diffusion-arrow-blue)"/>
"""
for i, (x, ab) in enumerate(zip(xs, SIGNAL)):
    svg += image(x, Y, ab)
    if i < 4:
        svg += f'  <text x="{x + SIZE + 40}" y="{Y + SIZE / 2 + 8}" {FONT} font-size="35" fill="#8a8f98" text-anchor="middle">…</text>\n'
svg += f'  <text x="{xs[0] + SIZE / 2}" y="{Y + SIZE + 32}" {FONT} font-size="29" fill="#1f3a5f" text-anchor="middle">image <tspan font-style="italic">x</tspan></text>\n'
svg += (f'  <text x="{xs[-1] + SIZE / 2}" y="{Y + SIZE + 32}" {FONT} font-size="29" fill="#1f3a5f" text-anchor="middle">noise '
        f'<tspan font-style="italic">z</tspan><tspan font-size="24" font-style="italic" baseline-shift="-5">N</tspan></text>\n')
yb = Y + SIZE + 70
svg += f'  <line x1="{xs[-1] + SIZE}" y1="{yb}" x2="{xs[0]}" y2="{yb}" stroke="#4a9d5b" stroke-width="3" marker-end="url(#q09-diffusion-arrow-green)"/>\n'
svg += f'  <text x="{W / 2}" y="{yb + 36}" {FONT} font-size="29" fill="#4a9d5b" text-anchor="middle">reverse process: a trained network removes noise step by step</text>\n'
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q09-diffusion.svg"
out.write_text(svg)
print(out)
