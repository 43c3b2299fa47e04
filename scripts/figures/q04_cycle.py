"""Writes source/figures/q04-cycle.svg: the train-prune-reset cycle of the lottery ticket hypothesis.

Each step shows a 5x5 weight matrix: blue cells are positive weights, orange cells negative,
darker means larger magnitude, white cells are pruned (zero). Deterministic, standard library only:
    python3 scripts/figures/q04_cycle.py
"""
import pathlib
import random

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q04-cycle.svg"
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"


def weights(seed, scale):
    """A 5x5 matrix of uniform values in [-scale, scale); random.Random(seed) is reproducible."""
    rng = random.Random(seed)
    return [[scale * rng.uniform(-1.0, 1.0) for _ in range(5)] for _ in range(5)]


INIT = weights(7, 0.35)                      # small random initial weights
TRAINED = [[w + 0.65 * d for w, d in zip(r1, r2)] for r1, r2 in zip(INIT, weights(11, 1.0))]
mags = sorted(abs(w) for row in TRAINED for w in row)
THRESH = mags[14]                           # prune the 15 of 25 smallest-magnitude weights (60%)
MASK = [[abs(w) > THRESH for w in row] for row in TRAINED]


def grid(x, y, values, mask=None):
    out = []
    for i in range(5):
        for j in range(5):
            cx, cy = x + 18 * j, y + 18 * i
            if mask is not None and not mask[i][j]:
                out.append(f'<rect x="{cx}" y="{cy}" width="16" height="16" fill="#ffffff" stroke="{GREY}" stroke-width="1.5"/>')
                continue
            v = values[i][j]
            colour = BLUE if v >= 0 else ORANGE
            alpha = min(1.0, 0.25 + abs(v))
            out.append(f'<rect x="{cx}" y="{cy}" width="16" height="16" fill="{colour}" fill-opacity="{alpha:.2f}" stroke="{INK}" stroke-width="1.5"/>')
    return "\n".join(out)


def box(x, y, number, title, lines, values, mask=None, edge=BLUE, fill="#e8f0fb"):
    out = [f'<rect x="{x}" y="{y}" width="270" height="140" rx="10" fill="{fill}" stroke="{edge}" stroke-width="2"/>',
           grid(x + 16, y + 26, values, mask),
           f'<text x="{x + 120}" y="{y + 40}" font-size="26" font-weight="700" fill="{INK}">{number}  {title}</text>']
    for k, line in enumerate(lines):
        out.append(f'<text x="{x + 120}" y="{y + 70 + 24 * k}" font-size="24" fill="{INK}">{line}</text>')
    return "\n".join(out)


def main():
    p = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 900 440" width="900" height="440" font-family="\'Source Sans 3\', sans-serif">',
         "<title>The train, prune and reset cycle that finds a winning ticket</title>",
         "<desc>Four boxes in a loop, each with a small weight matrix. Step 1 initializes a dense network with small random weights. "
         "Step 2 trains it to convergence. Step 3 prunes the weights with the smallest magnitudes, leaving white, zeroed cells. "
         "Step 4 resets the surviving weights to their values from step 1. An arrow leads from step 4 back to step 2 for further rounds; "
         "once the target sparsity is reached, the reset sparse network is the winning ticket.</desc>",
         "<defs>",
         f'<marker id="q04cy-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
         f'<marker id="q04cy-arrow-g" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{GREEN}"/></marker>',
         "</defs>",
         '<rect x="0" y="0" width="900" height="440" fill="#ffffff"/>',
         box(20, 130, "1", "Initialize", ["small random", "weights"], INIT, fill="#f1f2f4", edge=GREY),
         box(315, 20, "2", "Train", ["until it", "converges"], TRAINED),
         box(610, 130, "3", "Prune", ['smallest |<tspan font-style="italic">w</tspan>|', "set to zero"], TRAINED, MASK),
         box(315, 280, "4", "Reset", ["survivors to", "step-1 values"], INIT, MASK, edge=ORANGE, fill="#fdf0e6"),
         # 1 -> 2, 2 -> 3, 3 -> 4, 4 -> 2
         f'<path d="M155,128 C155,90 220,90 309,90" fill="none" stroke="{INK}" stroke-width="2" marker-end="url(#q04cy-arrow)"/>',
         f'<path d="M589,90 C680,90 745,90 745,124" fill="none" stroke="{INK}" stroke-width="2" marker-end="url(#q04cy-arrow)"/>',
         f'<path d="M745,274 C745,340 680,350 591,350" fill="none" stroke="{INK}" stroke-width="2" marker-end="url(#q04cy-arrow)"/>',
         f'<line x1="450" y1="276" x2="450" y2="166" stroke="{INK}" stroke-width="2.5" stroke-dasharray="7 5" marker-end="url(#q04cy-arrow)"/>',
         f'<text x="462" y="218" font-size="24" fill="{INK}">repeat</text>',
         f'<text x="462" y="240" font-size="24" fill="{INK}">rounds</text>',
         # exit
         f'<path d="M315,385 C250,385 180,385 180,345" fill="none" stroke="{GREEN}" stroke-width="2.5" marker-end="url(#q04cy-arrow-g)"/>',
         f'<text x="30" y="306" font-size="24" font-weight="700" fill="{GREEN}">target sparsity reached:</text>',
         f'<text x="30" y="330" font-size="24" font-weight="700" fill="{GREEN}">winning ticket</text>',
         "</svg>"]
    OUT.write_text("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
