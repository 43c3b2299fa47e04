"""Writes source/figures/q09-vae.svg: a variational autoencoder (encoder -> mean and variance
-> sampled latent vector -> decoder -> reconstruction), plus the generation path from the
standard Gaussian prior. Standard library only."""
import pathlib

SMILEY = ["..####..", ".#....#.", "#.#..#.#", "#......#",
          "#.#..#.#", "#..##..#", ".#....#.", "..####.."]
CELL = 10
SIZE = 8 * CELL
W, H = 880, 400
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK = "#1f3a5f"
CY = 150   # vertical center of the main row


def color(v):
    v = min(1.0, max(0.0, v))
    r, g, b = (round(255 + (c - 255) * v) for c in (0x1f, 0x3a, 0x5f))
    return f"#{r:02x}{g:02x}{b:02x}"


def pixels(blur):
    base = [[1.0 if ch == "#" else 0.0 for ch in row] for row in SMILEY]
    if not blur:
        return base
    out = []
    for r in range(8):
        row = []
        for c in range(8):
            nb = [base[rr][cc] for rr in range(max(0, r - 1), min(8, r + 2))
                  for cc in range(max(0, c - 1), min(8, c + 2))]
            row.append(0.45 * base[r][c] + 0.55 * sum(nb) / len(nb))
        out.append(row)
    return out


def image(x0, y0, blur=False):
    s = ""
    for r, row in enumerate(pixels(blur)):
        for c, v in enumerate(row):
            s += f'  <rect x="{x0 + c * CELL}" y="{y0 + r * CELL}" width="{CELL}" height="{CELL}" fill="{color(v)}"/>\n'
    return s + f'  <rect x="{x0}" y="{y0}" width="{SIZE}" height="{SIZE}" fill="none" stroke="{INK}" stroke-width="2"/>\n'


def text(x, y, t, size=26, color=INK, anchor="middle", extra=""):
    size = max(size, 23)  # at least 9 CSS px when a card shows the figure 350 px wide
    return f'  <text x="{x}" y="{y}" {FONT} font-size="{size}" fill="{color}" text-anchor="{anchor}"{extra}>{t}</text>\n'


def arrow(x1, y1, x2, y2, color=INK, dash=""):
    d = f' stroke-dasharray="{dash}"' if dash else ""
    mid = "green" if color == "#4a9d5b" else "ink"
    return f'  <line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="2"{d} marker-end="url(#q09-vae-arrow-{mid})"/>\n'


it = lambda s: f'<tspan font-style="italic">{s}</tspan>'
svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>A variational autoencoder</title>
  <desc>An input image x enters the encoder, which outputs a mean and a standard deviation. A latent vector z is sampled from that Gaussian and decoded into a reconstruction x prime. The loss combines the reconstruction error with a KL term that pulls the latent Gaussian toward a standard Gaussian. A dashed green path shows generation: z is drawn from the standard Gaussian N(0, I) and fed directly to the decoder.</desc>
  <defs>
    <marker id="q09-vae-arrow-ink" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/>
    </marker>
    <marker id="q09-vae-arrow-green" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#4a9d5b"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
"""
svg += image(20, CY - SIZE // 2)
svg += text(60, CY + 100, f"input {it('x')}")
svg += arrow(100, CY, 136, CY)
svg += f'  <polygon points="140,{CY - 70} 270,{CY - 35} 270,{CY + 35} 140,{CY + 70}" fill="#e8f0fb" stroke="#3b7dd8" stroke-width="2"/>\n'
svg += text(198, CY + 7, "encoder")
svg += arrow(270, CY - 20, 306, CY - 36)
svg += arrow(270, CY + 20, 306, CY + 36)
svg += f'  <rect x="308" y="{CY - 60}" width="56" height="44" rx="6" fill="#f1f2f4" stroke="{INK}" stroke-width="2"/>\n'
svg += text(336, CY - 31, it("μ"), 22)
svg += f'  <rect x="308" y="{CY + 16}" width="56" height="44" rx="6" fill="#f1f2f4" stroke="{INK}" stroke-width="2"/>\n'
svg += text(336, CY + 45, it("σ"), 22)
svg += arrow(364, CY - 36, 402, CY - 12)
svg += arrow(364, CY + 36, 402, CY + 12)
svg += f'  <rect x="404" y="{CY - 30}" width="132" height="60" rx="8" fill="#fdf0e6" stroke="#e07b39" stroke-width="2"/>\n'
svg += text(470, CY - 4, f"sample {it('z')}", 19)
svg += text(470, CY + 20, f"from N({it('μ')}, {it('σ')}²)", 17)
svg += arrow(536, CY, 568, CY)
svg += f'  <polygon points="572,{CY - 35} 690,{CY - 70} 690,{CY + 70} 572,{CY + 35}" fill="#e8f0fb" stroke="#3b7dd8" stroke-width="2"/>\n'
svg += text(636, CY + 7, "decoder")
svg += arrow(690, CY, 722, CY)
svg += image(726, CY - SIZE // 2, blur=True)
svg += text(766, CY + 100, f"reconstruction {it('x')}′")
# loss note
svg += text(W / 2, 40, "training loss = reconstruction error + KL(N(μ, σ²) ‖ N(0, I))", 19, "#e07b39")
# generation path
svg += f'  <rect x="404" y="{CY + 130}" width="132" height="50" rx="8" fill="#e9f5ec" stroke="#4a9d5b" stroke-width="2"/>\n'
svg += text(470, CY + 162, f"{it('z')} ~ N(0, I)", 19)
svg += f'  <path d="M 536 {CY + 155} L 606 {CY + 155} Q 631 {CY + 155} 631 {CY + 130} L 631 {CY + 58}" fill="none" stroke="#4a9d5b" stroke-width="2.5" stroke-dasharray="8 5" marker-end="url(#q09-vae-arrow-green)"/>\n'
svg += text(404, CY + 215, "generation: sample from the prior, then decode", 18, "#4a9d5b", "start")
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q09-vae.svg"
out.write_text(svg)
print(out)
