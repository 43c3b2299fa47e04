"""Writes templates/starter/figures/q01-forgetting.svg, the figure of `qabook new`'s starter
question: recall decaying along exponential forgetting curves, reset by reviews at days 1, 4,
13 and 40, beside the same curve without reviews.

The model is the starter's equation, R(t) = exp(-t/S); each stability S is chosen so that
recall has fallen to 70 % when the next review comes (intervals 1, 3, 9, 27 days).
Deterministic, standard library only:
    python3 scripts/figures/starter_forgetting.py
"""
import math
import pathlib

OUT = (pathlib.Path(__file__).resolve().parents[2] / "templates" / "starter" / "figures"
       / "q01-forgetting.svg")
INK, BLUE, ORANGE, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#8a8f98"

REVIEWS = [1, 4, 13, 40]  # days; the intervals triple: 1, 3, 9, 27
LAST_DAY = 44
TARGET = 0.7  # recall when a review comes
X0, X1, Y0, Y1 = 100, 680, 320, 70  # pixel box: day 0, LAST_DAY; recall 0 and 1


def px(day):
    return X0 + day / LAST_DAY * (X1 - X0)


def py(recall):
    return Y0 - recall * (Y0 - Y1)


def stability(interval):
    """The S at which recall falls to TARGET after interval days."""
    return interval / -math.log(TARGET)


def decay(start, end, s, steps=40):
    """Points of R(t) = exp(-(t - start)/s) from start to end."""
    return [(start + (end - start) * i / steps,
             math.exp(-(end - start) * i / steps / s)) for i in range(steps + 1)]


def path(points):
    return "M" + " L".join(f"{px(t):.1f},{py(r):.1f}" for t, r in points)


def main():
    starts = [0] + REVIEWS
    ends = REVIEWS + [LAST_DAY]
    intervals = [b - a for a, b in zip(starts, REVIEWS)] + [3 * (REVIEWS[-1] - REVIEWS[-2])]
    curve = [point for start, end, interval in zip(starts, ends, intervals)
             for point in decay(start, end, stability(interval))]
    alone = decay(0, 14, stability(REVIEWS[0]))
    p = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 420" width="720" '
         'height="420" font-family="\'Source Sans 3\', sans-serif">',
         "<title>Forgetting curves with and without spaced reviews</title>",
         "<desc>Chance of recall, from 0 to 100 percent, against days since first study, "
         "from 0 to 44. Without reviews, recall falls steeply and is near zero after two "
         "weeks. With reviews on days 1, 4, 13 and 40, recall drops to about 70 percent "
         "before each review, jumps back to 100 percent at the review, and falls more "
         "slowly after each one, so the intervals between reviews can triple.</desc>",
         '<rect x="0" y="0" width="720" height="420" fill="#ffffff"/>']
    for recall in (0, 0.5, 1):
        y = py(recall)
        p.append(f'<line x1="{X0}" y1="{y:.1f}" x2="{X1}" y2="{y:.1f}" stroke="#f1f2f4" '
                 'stroke-width="1.5"/>')
        p.append(f'<text x="{X0 - 12}" y="{y + 7:.1f}" font-size="22" fill="{INK}" '
                 f'text-anchor="end">{round(recall * 100)}%</text>')
    for day in range(0, 41, 10):
        x = px(day)
        p.append(f'<line x1="{x:.1f}" y1="{Y0}" x2="{x:.1f}" y2="{Y0 + 6}" stroke="{INK}" '
                 'stroke-width="1.5"/>')
        p.append(f'<text x="{x:.1f}" y="{Y0 + 30}" font-size="22" fill="{INK}" '
                 f'text-anchor="middle">{day}</text>')
    p.append(f'<line x1="{X0}" y1="{Y0}" x2="{X1}" y2="{Y0}" stroke="{INK}" stroke-width="2"/>')
    p.append(f'<line x1="{X0}" y1="{Y0}" x2="{X0}" y2="{Y1 - 10}" stroke="{INK}" '
             'stroke-width="2"/>')
    p.append(f'<text x="{(X0 + X1) / 2:.0f}" y="{Y0 + 66}" font-size="22" fill="{INK}" '
             'text-anchor="middle">days since first study</text>')
    p.append(f'<text x="{X0 - 60}" y="38" font-size="22" fill="{INK}">chance of recall</text>')
    p.append(f'<path d="{path(alone)}" fill="none" stroke="{GREY}" stroke-width="2.5" '
             'stroke-dasharray="8 6"/>')
    p.append(f'<path d="{path(curve)}" fill="none" stroke="{BLUE}" stroke-width="3" '
             'stroke-linejoin="round"/>')
    for day in REVIEWS:
        p.append(f'<circle cx="{px(day):.1f}" cy="{py(1):.1f}" r="6" fill="{ORANGE}"/>')
    legend_x, legend_y = 370, 210
    p.append(f'<line x1="{legend_x}" y1="{legend_y}" x2="{legend_x + 40}" y2="{legend_y}" '
             f'stroke="{BLUE}" stroke-width="3"/>')
    p.append(f'<line x1="{legend_x}" y1="{legend_y + 36}" x2="{legend_x + 40}" '
             f'y2="{legend_y + 36}" stroke="{GREY}" stroke-width="2.5" stroke-dasharray="8 6"/>')
    p.append(f'<circle cx="{legend_x + 20}" cy="{legend_y + 72}" r="6" fill="{ORANGE}"/>')
    for row, words in enumerate(("recall with reviews", "recall without reviews", "a review")):
        p.append(f'<text x="{legend_x + 54}" y="{legend_y + 36 * row + 7}" font-size="22" '
                 f'fill="{INK}">{words}</text>')
    p.append("</svg>")
    OUT.write_text("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
