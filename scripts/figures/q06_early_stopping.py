"""Writes source/figures/q06-early-stopping.svg: training and validation loss over epochs,
with the epoch of minimum validation loss marked (early stopping). Standard library only."""
import math
import pathlib

W, H = 800, 480
X0, X1 = 100, 740          # plot area, x
Y0, Y1 = 60, 390           # plot area, y (top, bottom)
EPOCHS = 40
LMAX = 1.6


def train_loss(e):
    return 0.12 + 1.3 * math.exp(-e / 6.0)


def val_loss(e):
    return 0.32 + 1.15 * math.exp(-e / 5.0) + 0.00042 * e * e


def px(e):
    return X0 + (X1 - X0) * e / EPOCHS


def py(v):
    return Y1 - (Y1 - Y0) * v / LMAX


def path(f):
    pts = [(px(i / 4), py(f(i / 4))) for i in range(0, 4 * EPOCHS + 1)]
    return "M " + " L ".join(f"{x:.1f},{y:.1f}" for x, y in pts)


best = min(range(EPOCHS + 1), key=val_loss)
bx, by = px(best), py(val_loss(best))
FONT = 'font-family="\'Source Sans 3\', sans-serif"'

svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Early stopping at the validation-loss minimum</title>
  <desc>Training loss falls steadily over {EPOCHS} epochs. Validation loss falls, reaches its minimum at epoch {best}, then rises as the model overfits. A dashed line marks epoch {best}, whose checkpoint is kept.</desc>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <rect x="{bx:.1f}" y="{Y0}" width="{X1 - bx:.1f}" height="{Y1 - Y0}" fill="#fdf0e6"/>
  <text x="{(bx + X1) / 2:.1f}" y="{Y0 + 30}" {FONT} font-size="23" fill="#e07b39" text-anchor="middle">overfitting</text>
  <line x1="{X0}" y1="{Y1}" x2="{X1}" y2="{Y1}" stroke="#1f3a5f" stroke-width="2"/>
  <line x1="{X0}" y1="{Y1}" x2="{X0}" y2="{Y0 - 10}" stroke="#1f3a5f" stroke-width="2"/>
"""
for e in range(0, EPOCHS + 1, 10):
    svg += f'  <line x1="{px(e):.1f}" y1="{Y1}" x2="{px(e):.1f}" y2="{Y1 + 6}" stroke="#1f3a5f" stroke-width="2"/>\n'
    svg += f'  <text x="{px(e):.1f}" y="{Y1 + 28}" {FONT} font-size="21" fill="#1f3a5f" text-anchor="middle">{e}</text>\n'
svg += f"""  <text x="{(X0 + X1) / 2}" y="{Y1 + 62}" {FONT} font-size="23" fill="#1f3a5f" text-anchor="middle">Training epoch</text>
  <text x="{X0 - 24}" y="{(Y0 + Y1) / 2}" {FONT} font-size="23" fill="#1f3a5f" text-anchor="middle" transform="rotate(-90 {X0 - 24} {(Y0 + Y1) / 2})">Loss</text>
  <path d="{path(train_loss)}" fill="none" stroke="#3b7dd8" stroke-width="3"/>
  <path d="{path(val_loss)}" fill="none" stroke="#e07b39" stroke-width="3"/>
  <line x1="{bx:.1f}" y1="{Y0}" x2="{bx:.1f}" y2="{Y1}" stroke="#4a9d5b" stroke-width="2.5" stroke-dasharray="8 6"/>
  <circle cx="{bx:.1f}" cy="{by:.1f}" r="7" fill="#4a9d5b"/>
  <text x="{bx - 12:.1f}" y="{Y0 + 30}" {FONT} font-size="23" fill="#4a9d5b" text-anchor="end">best checkpoint</text>
  <text x="{bx - 12:.1f}" y="{Y0 + 54}" {FONT} font-size="23" fill="#4a9d5b" text-anchor="end">(epoch {best})</text>
  <text x="{px(33):.1f}" y="{py(val_loss(33)) - 34:.1f}" {FONT} font-size="23" fill="#e07b39" text-anchor="middle">validation loss</text>
  <text x="{px(33):.1f}" y="{py(train_loss(33)) - 16:.1f}" {FONT} font-size="23" fill="#3b7dd8" text-anchor="middle">training loss</text>
</svg>
"""

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q06-early-stopping.svg"
out.write_text(svg)
print(out, "best epoch", best)
