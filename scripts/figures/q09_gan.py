"""Writes source/figures/q09-gan.svg: a generative adversarial network (noise -> generator ->
fake sample; real and fake samples -> discriminator -> real or fake). Standard library only."""
import pathlib
import random

SMILEY = ["..####..", ".#....#.", "#.#..#.#", "#......#",
          "#.#..#.#", "#..##..#", ".#....#.", "..####.."]
FAKE = ["..####..", ".#....#.", "#..#.#.#", "#......#",
        "#.#...##", "#..###.#", ".#....#.", "..###..."]
CELL = 10
SIZE = 8 * CELL
W, H = 900, 440
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK = "#1f3a5f"
rng = random.Random(3)


def color(v):
    v = min(1.0, max(0.0, v))
    r, g, b = (round(255 + (c - 255) * v) for c in (0x1f, 0x3a, 0x5f))
    return f"#{r:02x}{g:02x}{b:02x}"


def image(x0, y0, pattern, jitter):
    s = ""
    for r, row in enumerate(pattern):
        for c, ch in enumerate(row):
            v = (0.9 if ch == "#" else 0.05) + jitter * rng.uniform(-1, 1)
            s += f'  <rect x="{x0 + c * CELL}" y="{y0 + r * CELL}" width="{CELL}" height="{CELL}" fill="{color(v)}"/>\n'
    return s + f'  <rect x="{x0}" y="{y0}" width="{SIZE}" height="{SIZE}" fill="none" stroke="{INK}" stroke-width="2"/>\n'


def text(x, y, t, size=26, fill=INK, anchor="middle", weight="normal"):
    size = max(size, 24)  # at least 9 CSS px when a card shows the figure 350 px wide
    return f'  <text x="{x}" y="{y}" {FONT} font-size="{size}" fill="{fill}" text-anchor="{anchor}" font-weight="{weight}">{t}</text>\n'


def arrow(x1, y1, x2, y2):
    return f'  <line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" stroke-width="2" marker-end="url(#q09-gan-arrow)"/>\n'


svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>A generative adversarial network</title>
  <desc>A random noise vector z enters the generator, which outputs a fake image. The fake image and a real image from the training data both go into the discriminator, which predicts whether its input is real or fake. A dashed feedback path from the prediction returns to both networks: the discriminator learns to spot fakes, the generator learns to fool it.</desc>
  <defs>
    <marker id="q09-gan-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/>
    </marker>
    <marker id="q09-gan-arrow-orange" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#e07b39"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
"""
# noise vector
for i in range(6):
    v = rng.uniform(0.1, 0.9)
    svg += f'  <rect x="40" y="{70 + i * 20}" width="20" height="20" fill="{color(v)}" stroke="{INK}" stroke-width="1.5"/>\n'
svg += text(50, 215, 'noise <tspan font-style="italic">z</tspan>')
svg += arrow(62, 130, 108, 130)
svg += f'  <rect x="110" y="90" width="160" height="80" rx="10" fill="#e8f0fb" stroke="#3b7dd8" stroke-width="2"/>\n'
svg += text(190, 137, "Generator", 20, weight="bold")
svg += arrow(270, 130, 316, 130)
svg += image(320, 90, FAKE, 0.12)
svg += text(360, 196, "fake sample")
svg += image(320, 250, SMILEY, 0.0)
svg += text(360, 356, "real sample")
svg += text(360, 380, "(training data)", 17, "#8a8f98")
svg += arrow(400, 130, 496, 185)
svg += arrow(400, 290, 496, 235)
svg += f'  <rect x="500" y="170" width="180" height="80" rx="10" fill="#fdf0e6" stroke="#e07b39" stroke-width="2"/>\n'
svg += text(590, 217, "Discriminator", 20, weight="bold")
svg += arrow(680, 210, 726, 210)
svg += text(800, 204, "real or")
svg += text(800, 228, "fake?")
# feedback
svg += (f'  <path d="M 800 240 L 800 398 L 190 398 L 190 174" fill="none" stroke="#e07b39" stroke-width="2.5" '
        f'stroke-dasharray="8 5" marker-end="url(#q09-gan-arrow-orange)"/>\n')
svg += (f'  <path d="M 590 398 L 590 254" fill="none" stroke="#e07b39" stroke-width="2.5" '
        f'stroke-dasharray="8 5" marker-end="url(#q09-gan-arrow-orange)"/>\n')
svg += text(495, 428, "feedback: the loss updates both networks", 18, "#e07b39")
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q09-gan.svg"
out.write_text(svg)
print(out)
