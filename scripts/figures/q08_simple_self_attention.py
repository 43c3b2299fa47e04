"""Writes source/figures/q08-simple-self-attention.svg: parameter-free self-attention for the
first of three tokens (dot-product scores, softmax, weighted sum). Standard library only."""
import math
import pathlib

X = [(1, 0), (0, 1), (1, 1)]
q = X[0]
scores = [q[0] * x[0] + q[1] * x[1] for x in X]
exps = [math.exp(s) for s in scores]
weights = [e / sum(exps) for e in exps]
z = tuple(sum(w * x[d] for w, x in zip(weights, X)) for d in range(2))

W, H = 940, 400
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
YS = [140, 220, 300]
INK = "#1f3a5f"


def sub(letter, i):
    return f'<tspan font-style="italic">{letter}</tspan><tspan font-size="25" baseline-shift="-5">{i}</tspan>'


def box(x, y, w, h, fill, stroke, content, size=29):
    return (f'  <rect x="{x}" y="{y - h / 2}" width="{w}" height="{h}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="2"/>\n'
            f'  <text x="{x + w / 2}" y="{y + 7}" {FONT} font-size="{size}" fill="{INK}" text-anchor="middle">{content}</text>\n')


def arrow(x1, y1, x2, y2):
    return f'  <line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" stroke-width="2" marker-end="url(#q08-ssa-arrow)"/>\n'


svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Self-attention without trainable weights, computed for the first token</title>
  <desc>Three inputs x1 = (1, 0), x2 = (0, 1) and x3 = (1, 1). Their dot products with x1 give scores 1, 0 and 1; a softmax turns the scores into weights {weights[0]:.3f}, {weights[1]:.3f} and {weights[2]:.3f}; the weighted inputs are summed into the output z1 = ({z[0]:.3f}, {z[1]:.3f}).</desc>
  <defs>
    <marker id="q08-ssa-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
"""
heads = [(95, "inputs"), (290, "scores with " + sub("x", 1)), (440, ""), (590, "weighted inputs"), (855, "output")]
for x, t in heads:
    if t:
        svg += f'  <text x="{x}" y="80" {FONT} font-size="31" font-weight="bold" fill="{INK}" text-anchor="middle">{t}</text>\n'
for i, (y, x, s, w) in enumerate(zip(YS, X, scores, weights)):
    svg += box(30, y, 130, 50, "#e8f0fb", "#3b7dd8", f"{sub('x', i + 1)} = ({x[0]}, {x[1]})")
    svg += arrow(160, y, 213, y)
    svg += box(215, y, 150, 50, "#f1f2f4", INK, f"{sub('x', 1)} · {sub('x', i + 1)} = {s}")
    svg += arrow(365, y, 403, y)
    svg += arrow(475, y, 513, y)
    svg += box(515, y, 150, 50, "#fdf0e6", "#e07b39", f"{w:.3f} × {sub('x', i + 1)}")
    svg += arrow(665, y, 708, 220 + (y - 220) * 0.3)
svg += f'  <rect x="405" y="{YS[0] - 30}" width="70" height="{YS[-1] - YS[0] + 60}" rx="8" fill="#e9f5ec" stroke="#4a9d5b" stroke-width="2"/>\n'
svg += f'  <text x="446" y="220" {FONT} font-size="31" fill="{INK}" text-anchor="middle" transform="rotate(-90 446 220)">softmax</text>\n'
svg += f'  <circle cx="740" cy="220" r="30" fill="#f1f2f4" stroke="{INK}" stroke-width="2"/>\n'
svg += f'  <text x="740" y="230" {FONT} font-size="43" fill="{INK}" text-anchor="middle">Σ</text>\n'
svg += arrow(770, 220, 788, 220)
svg += f'  <rect x="790" y="166" width="140" height="108" rx="8" fill="#e9f5ec" stroke="#4a9d5b" stroke-width="2"/>\n'
svg += f'  <text x="860" y="197" {FONT} font-size="29" fill="{INK}" text-anchor="middle">{sub("z", 1)} =</text>\n'
svg += f'  <text x="860" y="229" {FONT} font-size="27" fill="{INK}" text-anchor="middle">({z[0]:.3f},</text>\n'
svg += f'  <text x="860" y="259" {FONT} font-size="27" fill="{INK}" text-anchor="middle">{z[1]:.3f})</text>\n'
svg += f'  <text x="470" y="375" {FONT} font-size="28" fill="#8a8f98" text-anchor="middle">The same steps, with each token in turn as the query, give {sub("z", 2)} and {sub("z", 3)}.</text>\n'
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q08-simple-self-attention.svg"
out.write_text(svg)
print(out, weights, z)
