"""Writes source/figures/q10-loss-landscape.svg: a one-dimensional loss curve with two
minima; gradient descent from two random starting weights ends in different minima.
Standard library only."""
import math
import pathlib

W, H = 860, 460
X0, X1, Y0, Y1 = 90, 820, 50, 380
WMIN, WMAX = -4.5, 4.5
LMIN, LMAX = 0.0, 3.6
FONT = 'font-family="\'Source Sans 3\', sans-serif"'


def loss(w):
    return 2.6 - 1.5 * math.exp(-(w + 2.2) ** 2 / 0.9) - 2.1 * math.exp(-(w - 2.0) ** 2 / 1.1) + 0.05 * w * w


def grad(w, h=1e-5):
    return (loss(w + h) - loss(w - h)) / (2 * h)


def px(w):
    return X0 + (X1 - X0) * (w - WMIN) / (WMAX - WMIN)


def py(v):
    return Y1 - (Y1 - Y0) * (v - LMIN) / (LMAX - LMIN)


def descend(w, lr=0.3, steps=25):
    path = [w]
    for _ in range(steps):
        w -= lr * grad(w)
        path.append(w)
    return path


curve = " L ".join(f"{px(WMIN + i * (WMAX - WMIN) / 300):.1f},{py(loss(WMIN + i * (WMAX - WMIN) / 300)):.1f}" for i in range(301))
runs = [("A", -3.9, "#3b7dd8"), ("B", 4.1, "#e07b39")]

svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Two random initializations end in two different minima</title>
  <desc>A loss curve over a single weight has a shallower valley on the left and a deeper valley on the right, separated by a hump. Gradient descent from start A, on the far left, follows a path of blue dots into the left valley. Gradient descent from start B, on the far right, follows a path of orange dots into the deeper right valley. Same model, same data, different random starting weights, different final minima.</desc>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <line x1="{X0}" y1="{Y1}" x2="{X1}" y2="{Y1}" stroke="#1f3a5f" stroke-width="2"/>
  <line x1="{X0}" y1="{Y1}" x2="{X0}" y2="{Y0 - 10}" stroke="#1f3a5f" stroke-width="2"/>
  <text x="{(X0 + X1) / 2}" y="{Y1 + 40}" {FONT} font-size="25" fill="#1f3a5f" text-anchor="middle">weight value <tspan font-style="italic">w</tspan></text>
  <text x="{X0 - 24}" y="{(Y0 + Y1) / 2}" {FONT} font-size="25" fill="#1f3a5f" text-anchor="middle" transform="rotate(-90 {X0 - 24} {(Y0 + Y1) / 2})">loss</text>
  <path d="M {curve}" fill="none" stroke="#1f3a5f" stroke-width="3"/>
"""
ends = []
for name, w0, col in runs:
    path = descend(w0)
    last = None
    for i, w in enumerate(path):
        r = 9 if i == 0 else 6
        x, y = px(w), py(loss(w))
        if last and math.hypot(x - last[0], y - last[1]) < 18 and i != len(path) - 1:
            continue
        last = (x, y)
        svg += f'  <circle cx="{px(w):.1f}" cy="{py(loss(w)):.1f}" r="{r}" fill="{col}" stroke="#ffffff" stroke-width="1.5"/>\n'
    ends.append((name, path[0], path[-1], col))
for name, w0, w_end, col in ends:
    dx, anchor = (20, "start") if name == "A" else (-20, "end")
    svg += f'  <text x="{px(w0) + dx:.1f}" y="{py(loss(w0)) - 14:.1f}" {FONT} font-size="25" fill="{col}" text-anchor="{anchor}" font-weight="bold">start {name}</text>\n'
    svg += f'  <text x="{px(w_end):.1f}" y="{py(loss(w_end)) + 38:.1f}" {FONT} font-size="23" fill="{col}" text-anchor="middle">end of run {name}</text>\n'
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q10-loss-landscape.svg"
out.write_text(svg)
print(out, [(n, round(a, 2), round(b, 2)) for n, a, b, _ in ends])
