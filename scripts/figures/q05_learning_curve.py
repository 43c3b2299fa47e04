"""Writes source/figures/q05-learning-curve.svg: training and validation accuracy versus training-set size.

The curves are synthetic (smooth formulas chosen to show a typical overfitting pattern), not measured.
Deterministic, standard library only:
    python3 scripts/figures/q05_learning_curve.py
"""
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q05-learning-curve.svg"
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"

SIZES = [1000 * k for k in range(1, 11)]                     # 10%, 20%, ... 100% of 10,000 examples
TRAIN = [0.995 - 0.05 * (n / 10000) ** 0.7 for n in SIZES]
VALID = [0.92 - 0.42 * (1000 / n) ** 0.6 for n in SIZES]

# plot area
X0, X1, Y0, Y1 = 110, 760, 400, 50          # pixel box: left, right, bottom, top
YMIN, YMAX = 0.4, 1.0


def px(n):
    return X0 + (n - 0) / 10000 * (X1 - X0)


def py(a):
    return Y0 - (a - YMIN) / (YMAX - YMIN) * (Y0 - Y1)


def polyline(values, colour, dash=""):
    pts = " ".join(f"{px(n):.1f},{py(v):.1f}" for n, v in zip(SIZES, values))
    out = [f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="3"{dash}/>']
    for n, v in zip(SIZES, values):
        out.append(f'<circle cx="{px(n):.1f}" cy="{py(v):.1f}" r="5" fill="#ffffff" stroke="{colour}" stroke-width="2.5"/>')
    return "\n".join(out)


def main():
    p = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 900 480" width="900" height="480" font-family="\'Source Sans 3\', sans-serif">',
         "<title>A learning curve: accuracy versus training-set size</title>",
         "<desc>Training accuracy starts near 98.5 percent and slowly declines to about 94.5 percent as the training set grows from 1,000 to 10,000 examples. "
         "Validation accuracy starts at 50 percent and rises to about 81 percent, still increasing at the largest size. "
         "A bracket marks the gap between the two curves as overfitting.</desc>",
         "<defs>",
         f'<marker id="q05lc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{GREEN}"/></marker>',
         "</defs>",
         '<rect x="0" y="0" width="900" height="480" fill="#ffffff"/>']
    # grid and ticks
    for k in range(7):
        a = YMIN + 0.1 * k
        y = py(a)
        p.append(f'<line x1="{X0}" y1="{y:.1f}" x2="{X1}" y2="{y:.1f}" stroke="#f1f2f4" stroke-width="1.5"/>')
        p.append(f'<text x="{X0 - 12}" y="{y + 6:.1f}" font-size="24" fill="{INK}" text-anchor="end">{a:.1f}</text>')
    for n in (2000, 4000, 6000, 8000, 10000):
        x = px(n)
        p.append(f'<line x1="{x:.1f}" y1="{Y0}" x2="{x:.1f}" y2="{Y0 + 6}" stroke="{INK}" stroke-width="1.5"/>')
        p.append(f'<text x="{x:.1f}" y="{Y0 + 28}" font-size="24" fill="{INK}" text-anchor="middle">{n:,}</text>')
    p.append(f'<line x1="{X0}" y1="{Y0}" x2="{X1}" y2="{Y0}" stroke="{INK}" stroke-width="1.5"/>')
    p.append(f'<line x1="{X0}" y1="{Y0}" x2="{X0}" y2="{Y1 - 10}" stroke="{INK}" stroke-width="1.5"/>')
    p.append(f'<text x="{(X0 + X1) / 2}" y="{Y0 + 62}" font-size="25" fill="{INK}" text-anchor="middle">number of training examples</text>')
    p.append(f'<text x="36" y="{(Y0 + Y1) / 2}" font-size="25" fill="{INK}" text-anchor="middle" transform="rotate(-90 36 {(Y0 + Y1) / 2})">accuracy</text>')
    # curves
    p.append(polyline(TRAIN, BLUE))
    p.append(polyline(VALID, ORANGE))
    p.append(f'<text x="{px(3000):.1f}" y="{py(TRAIN[2]) - 16:.1f}" font-size="25" font-weight="600" fill="{BLUE}">training accuracy</text>')
    p.append(f'<text x="{px(3000):.1f}" y="{py(VALID[2]) + 34:.1f}" font-size="25" font-weight="600" fill="{ORANGE}">validation accuracy</text>')
    # gap bracket at the largest size
    xg = px(10000) + 22
    yt, yv = py(TRAIN[-1]), py(VALID[-1])
    p.append(f'<path d="M{xg - 8},{yt:.1f} L{xg},{yt:.1f} L{xg},{yv:.1f} L{xg - 8},{yv:.1f}" fill="none" stroke="{INK}" stroke-width="2"/>')
    p.append(f'<text x="{xg + 10}" y="{(yt + yv) / 2 - 4:.1f}" font-size="24" fill="{INK}">gap:</text>')
    p.append(f'<text x="{xg + 10}" y="{(yt + yv) / 2 + 18:.1f}" font-size="24" fill="{INK}">overfitting</text>')
    # still rising
    p.append(f'<line x1="{px(7600):.1f}" y1="{py(0.63):.1f}" x2="{px(9300):.1f}" y2="{py(VALID[8]) + 22:.1f}" stroke="{GREEN}" stroke-width="2" marker-end="url(#q05lc-arrow)"/>')
    p.append(f'<text x="{px(7600):.1f}" y="{py(0.63) + 24:.1f}" font-size="24" fill="{GREEN}" text-anchor="middle">still rising:</text>')
    p.append(f'<text x="{px(7600):.1f}" y="{py(0.63) + 45:.1f}" font-size="24" fill="{GREEN}" text-anchor="middle">more data likely helps</text>')
    p.append("</svg>")
    OUT.write_text("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
