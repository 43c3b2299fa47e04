"""Writes source/figures/q25-poisson-counts.svg: Poisson probabilities for two rates."""
import math
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q25-poisson-counts.svg"
W, H = 800, 480
X0, X1, Y0, Y1 = 90, 770, 400, 70  # plot area: left, right, bottom (y of 0), top
KMAX, PMAX = 10, 0.40
RATES = [(1, "#3b7dd8", "average rate 1"), (5, "#e07b39", "average rate 5")]
FONT = 'font-family="\'Source Sans 3\', sans-serif"'


def pmf(lam, k):
    return lam ** k * math.exp(-lam) / math.factorial(k)


def y_of(p):
    return Y0 - (Y0 - Y1) * p / PMAX


def main():
    slot = (X1 - X0) / (KMAX + 1)
    bar = slot * 0.36
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">',
        "<title>Poisson distributions for a low and a moderate average rate</title>",
        "<desc>Bar chart of the probability of each count from 0 to 10 for Poisson distributions "
        "with average rate 1 (blue) and 5 (orange). The rate-1 bars are tallest at 0 and 1; the "
        "rate-5 bars peak at 4 and 5.</desc>",
        f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>',
    ]
    # horizontal grid and y labels
    for i in range(5):
        p = i * 0.1
        y = y_of(p)
        out.append(f'<line x1="{X0}" y1="{y:.1f}" x2="{X1}" y2="{y:.1f}" stroke="#f1f2f4" stroke-width="1.5"/>')
        out.append(f'<text x="{X0 - 12}" y="{y + 6:.1f}" text-anchor="end" font-size="21" fill="#1f3a5f" {FONT}>{p:.1f}</text>')
    # bars
    for k in range(KMAX + 1):
        cx = X0 + slot * (k + 0.5)
        for j, (lam, color, _) in enumerate(RATES):
            p = pmf(lam, k)
            x = cx - bar + j * bar
            y = y_of(p)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{Y0 - y:.1f}" fill="{color}"/>')
        out.append(f'<text x="{cx:.1f}" y="{Y0 + 26}" text-anchor="middle" font-size="21" fill="#1f3a5f" {FONT}>{k}</text>')
    # axes
    out.append(f'<line x1="{X0}" y1="{Y0}" x2="{X1}" y2="{Y0}" stroke="#1f3a5f" stroke-width="2"/>')
    out.append(f'<line x1="{X0}" y1="{Y0}" x2="{X0}" y2="{Y1 - 10}" stroke="#1f3a5f" stroke-width="2"/>')
    out.append(f'<text x="{(X0 + X1) / 2:.0f}" y="{H - 16}" text-anchor="middle" font-size="23" fill="#1f3a5f" {FONT}>count <tspan font-style="italic">k</tspan></text>')
    out.append(f'<text x="24" y="{(Y0 + Y1) / 2:.0f}" text-anchor="middle" font-size="23" fill="#1f3a5f" {FONT} transform="rotate(-90 24 {(Y0 + Y1) / 2:.0f})">probability</text>')
    # legend
    lx, ly = 470, 92
    for j, (lam, color, label) in enumerate(RATES):
        y = ly + j * 34
        out.append(f'<rect x="{lx}" y="{y - 16}" width="22" height="22" fill="{color}"/>')
        out.append(f'<text x="{lx + 34}" y="{y + 2}" font-size="23" fill="#1f3a5f" {FONT}>{label} (<tspan font-style="italic">λ</tspan> = {lam})</text>')
    out.append("</svg>")
    OUT.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
