"""Writes source/figures/q29-label-distributions.svg: class shares after an unshuffled and a shuffled split.

Data: 1,000 examples, 250 per class, stored sorted by class; an 80/20 split.
"""
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q29-label-distributions.svg"
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, BLUE, ORANGE, LIGHT = "#1f3a5f", "#3b7dd8", "#e07b39", "#f1f2f4"
N_PER_CLASS, N_CLASSES, N_TRAIN = 250, 4, 800


def shares(labels):
    return [100 * labels.count(c) / len(labels) for c in range(N_CLASSES)]


def panels():
    data = [c for c in range(N_CLASSES) for _ in range(N_PER_CLASS)]  # sorted by class
    unshuffled = (shares(data[:N_TRAIN]), shares(data[N_TRAIN:]))
    # a perfectly stratified shuffle keeps every class at 25% in both sets
    stratified = ([100 / N_CLASSES] * N_CLASSES, [100 / N_CLASSES] * N_CLASSES)
    return [("split without shuffling", unshuffled), ("split after shuffling", stratified)]


def main():
    w, h = 920, 440
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}">',
        "<title>Class proportions in training and test sets</title>",
        "<desc>Two grouped bar charts over four classes. Left, split without shuffling: the training set "
        "holds 31% each of classes 1 to 3 and 6% of class 4, while the test set holds only class 4. Right, "
        "split after shuffling: both sets hold 25% of each class.</desc>",
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
    ]
    y0, ytop = 340, 90  # y of 0% and of 100%
    for p, (title, (train, test)) in enumerate(panels()):
        x0 = 90 + p * 470
        pw = 340
        out.append(f'<text x="{x0 + pw / 2}" y="40" font-size="28" font-weight="bold" text-anchor="middle" fill="{INK}" {FONT}>{title}</text>')
        for pct in (0, 50, 100):
            y = y0 - (y0 - ytop) * pct / 100
            out.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + pw}" y2="{y}" stroke="{LIGHT}" stroke-width="1.5"/>')
            out.append(f'<text x="{x0 - 10}" y="{y + 6}" font-size="24" text-anchor="end" fill="{INK}" {FONT}>{pct}%</text>')
        slot = pw / N_CLASSES
        for c in range(N_CLASSES):
            cx = x0 + slot * (c + 0.5)
            for j, (vals, color) in enumerate(((train, BLUE), (test, ORANGE))):
                bh = (y0 - ytop) * vals[c] / 100
                out.append(f'<rect x="{cx - 30 + j * 30:.1f}" y="{y0 - bh:.1f}" width="28" height="{bh:.1f}" fill="{color}"/>')
            out.append(f'<text x="{cx:.1f}" y="{y0 + 26}" font-size="24" text-anchor="middle" fill="{INK}" {FONT}>class {c + 1}</text>')
        out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0 + pw}" y2="{y0}" stroke="{INK}" stroke-width="2"/>')
        out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{ytop - 10}" stroke="{INK}" stroke-width="2"/>')
    # legend
    out.append(f'<rect x="300" y="392" width="22" height="22" fill="{BLUE}"/>')
    out.append(f'<text x="332" y="410" font-size="27" fill="{INK}" {FONT}>training set</text>')
    out.append(f'<rect x="490" y="392" width="22" height="22" fill="{ORANGE}"/>')
    out.append(f'<text x="522" y="410" font-size="27" fill="{INK}" {FONT}>test set</text>')
    out.append("</svg>")
    OUT.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
