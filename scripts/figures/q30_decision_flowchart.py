"""Writes source/figures/q30-decision-flowchart.svg: choosing a technique when labeled data is limited."""
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q30-decision-flowchart.svg"
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, GREY, GREEN = "#1f3a5f", "#8a8f98", "#4a9d5b"

# (question, technique lines); the first technique is the exit, the last row is the fallback
ROWS = [
    ("Good enough?", ["Done"]),
    ("Budget to label more data?", ["Label more data, chosen", "by active learning"]),
    ("Related labeled data or", ["Transfer learning:", "fine-tune a pretrained model"], "a pretrained model?"),
    ("Plenty of unlabeled data?", ["Self-supervised pretraining or", "semi-supervised learning"]),
    ("Rules that can label", ["Weakly supervised learning"], "part of the data?"),
    ("Only a few examples", ["Few-shot learning"], "per class?"),
]
FALLBACK = ["Augment the data; use a model", "with stronger inductive biases"]

W = 960
QX, QW = 40, 380      # question column
TX, TW = 520, 360     # technique column
BUS = 920             # return line
BH, STEP, TOP = 64, 92, 110


def text_lines(cx, cy, lines, size=28, fill=INK, bold=False):
    n = len(lines)
    out = []
    for i, line in enumerate(lines):
        y = cy + (i - (n - 1) / 2) * (size + 5) + size * 0.35
        weight = ' font-weight="bold"' if bold else ""
        out.append(f'<text x="{cx}" y="{y:.1f}" font-size="{size}" text-anchor="middle" fill="{fill}"{weight} {FONT}>{line}</text>')
    return out


def arrow(x1, y1, x2, y2, dashed=False, color=INK):
    dash = ' stroke-dasharray="7 5"' if dashed else ""
    return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="2"{dash} '
            f'marker-end="url(#q30-flow-arrow)"/>')


def main():
    h = TOP + (len(ROWS) + 1) * STEP + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="{W}" height="{h}">',
        "<title>Decision flowchart for limited labeled data</title>",
        "<desc>Starting from evaluating model performance, a column of yes-or-no questions: good enough; "
        "budget to label more data; related labeled data or a pretrained model; plenty of unlabeled data; "
        "rules that can label part of the data; only a few examples per class. Each yes leads right to a "
        "technique: done, active learning, transfer learning, self-supervised or semi-supervised learning, "
        "weak supervision, few-shot learning. The last no leads to augmentation and models with stronger "
        "inductive biases. A return line leads from every technique back to the evaluation step.</desc>",
        '<defs><marker id="q30-flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" '
        f'markerWidth="13" markerHeight="13" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>',
        f'<rect x="0" y="0" width="{W}" height="{h}" fill="#ffffff"/>',
    ]
    # start node
    sy = 20
    out.append(f'<rect x="{QX}" y="{sy}" width="{QW}" height="{BH - 8}" rx="28" fill="#e8f0fb" stroke="#3b7dd8" stroke-width="2"/>')
    out += text_lines(QX + QW / 2, sy + (BH - 8) / 2, ["Evaluate model performance"], bold=True)
    out.append(arrow(QX + QW / 2, sy + BH - 8, QX + QW / 2, TOP - 4))
    returns = []
    for i, row in enumerate(ROWS):
        q, tech = row[0], row[1]
        qlines = [q] + list(row[2:])
        y = TOP + i * STEP
        cy = y + BH / 2
        out.append(f'<rect x="{QX}" y="{y}" width="{QW}" height="{BH}" rx="6" fill="#f1f2f4" stroke="{GREY}" stroke-width="2"/>')
        out += text_lines(QX + QW / 2, cy, qlines)
        # yes arrow
        out.append(arrow(QX + QW, cy, TX - 4, cy))
        out.append(f'<text x="{(QX + QW + TX) / 2}" y="{cy - 10}" font-size="25" text-anchor="middle" fill="{INK}" {FONT}>yes</text>')
        if i == 0:
            out.append(f'<rect x="{TX}" y="{y}" width="{TW}" height="{BH}" rx="6" fill="#e9f5ec" stroke="{GREEN}" stroke-width="2"/>')
            out += text_lines(TX + TW / 2, cy, tech, bold=True)
        else:
            out.append(f'<rect x="{TX}" y="{y}" width="{TW}" height="{BH}" rx="6" fill="{INK}"/>')
            out += text_lines(TX + TW / 2, cy, tech, fill="#ffffff")
            returns.append(cy)
        # no arrow
        out.append(arrow(QX + QW / 2, y + BH, QX + QW / 2, y + STEP - 4))
        out.append(f'<text x="{QX + QW / 2 + 10}" y="{y + BH + 21}" font-size="25" fill="{INK}" {FONT}>no</text>')
    # fallback
    y = TOP + len(ROWS) * STEP
    cy = y + BH / 2
    out.append(f'<rect x="{QX}" y="{y}" width="{QW}" height="{BH}" rx="6" fill="{INK}"/>')
    out += text_lines(QX + QW / 2, cy, FALLBACK, fill="#ffffff")
    # return line: from every technique to the bus, up, and back into the start node
    for ry in returns:
        out.append(f'<line x1="{TX + TW}" y1="{ry}" x2="{BUS}" y2="{ry}" stroke="{GREY}" stroke-width="2" stroke-dasharray="7 5"/>')
    out.append(f'<path d="M{QX + QW},{cy} H{TX - 40} V{cy + BH / 2 + 14} H{BUS} V{sy + (BH - 8) / 2}" fill="none" '
               f'stroke="{GREY}" stroke-width="2" stroke-dasharray="7 5"/>')
    out.append(arrow(BUS, sy + (BH - 8) / 2, QX + QW + 4, sy + (BH - 8) / 2, dashed=True, color=GREY))
    out.append(f'<text x="{(QX + QW + BUS) / 2}" y="{sy + (BH - 8) / 2 - 10}" font-size="25" text-anchor="middle" fill="{GREY}" {FONT}>try it, then evaluate again</text>')
    out.append("</svg>")
    OUT.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
