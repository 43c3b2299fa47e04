"""Writes source/figures/q15-pretraining-tasks.svg: BERT's masked-token task next to GPT's
next-token task on the same sentence. Standard library only; deterministic output."""
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q15-pretraining-tasks.svg"
W, H = 900, 500
FONT = "'Source Sans 3', sans-serif"
TOKENS = ["the", "dog", None, "the", "ball", "back", "to", "me"]
TARGET = 2
ANSWER = "brought"
X0, BOX_W, STEP, BOX_H = 40, 90, 104, 50


def cx(i):
    return X0 + BOX_W / 2 + i * STEP


def panel(top, title, hole, color, marker, visible):
    """One row of tokens with arcs from the visible context tokens into the hidden slot."""
    out = [f'  <text x="24" y="{top + 30}" font-size="29" font-weight="bold" fill="#1f3a5f">{title}</text>']
    by = top + 100  # box top
    out.append(f'  <text x="{cx(TARGET):.0f}" y="{by - 22}" font-size="29" font-weight="bold" '
               f'fill="#4a9d5b" text-anchor="middle">{ANSWER}</text>')
    out.append(f'  <line x1="{cx(TARGET):.0f}" y1="{by - 2}" x2="{cx(TARGET):.0f}" y2="{by - 16}" '
               f'stroke="#4a9d5b" stroke-width="2" marker-end="url(#q15-pre-arrow-green)"/>')
    for i, tok in enumerate(TOKENS):
        x = X0 + i * STEP
        if i == TARGET:
            out.append(f'  <rect x="{x}" y="{by}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#e9f5ec" '
                       f'stroke="#4a9d5b" stroke-width="2.5"/>')
            out.append(f'  <text x="{cx(i):.0f}" y="{by + 32}" font-size="24" fill="#1f3a5f" '
                       f'text-anchor="middle">{hole}</text>')
        elif visible(i):
            out.append(f'  <rect x="{x}" y="{by}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#f1f2f4" '
                       f'stroke="#1f3a5f" stroke-width="2"/>')
            out.append(f'  <text x="{cx(i):.0f}" y="{by + 32}" font-size="26" fill="#1f3a5f" '
                       f'text-anchor="middle">{tok}</text>')
        else:
            out.append(f'  <rect x="{x}" y="{by}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#ffffff" '
                       f'stroke="#8a8f98" stroke-width="1.5" stroke-dasharray="5 4"/>')
            out.append(f'  <text x="{cx(i):.0f}" y="{by + 32}" font-size="26" fill="#8a8f98" '
                       f'text-anchor="middle">{tok}</text>')
    base = by + BOX_H  # box bottom
    bus = base + 34
    for side in (-1, 1):
        idx = [i for i in range(len(TOKENS)) if i != TARGET and visible(i) and (i - TARGET) * side > 0]
        if not idx:
            continue
        far = max(idx, key=lambda i: abs(i - TARGET))
        end_x = cx(TARGET) + side * 18
        for i in idx:  # a short drop from every visible context token onto the bus
            out.append(f'  <line x1="{cx(i):.0f}" y1="{base}" x2="{cx(i):.0f}" y2="{bus}" '
                       f'stroke="{color}" stroke-width="2"/>')
        out.append(f'  <polyline points="{cx(far):.0f},{bus} {end_x:.0f},{bus} {end_x:.0f},{base + 3}" '
                   f'fill="none" stroke="{color}" stroke-width="2.5" stroke-linejoin="round" '
                   f'marker-end="url(#{marker})"/>')
    return out


def main():
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'font-family="{FONT}">',
        "  <title>Two pretraining tasks: BERT fills in a masked token, GPT predicts the next token</title>",
        "  <desc>The same sentence, the dog brought the ball back to me, appears twice with the third "
        "word hidden. Top, BERT: the hidden word is a MASK token, and arrows run into it from every "
        "other word, on both sides, gathered by lines under the words. Bottom, GPT: arrows run into the hidden position only from the "
        "two words before it; the words after it are drawn dashed and grey because the model cannot "
        "see them yet. Both must predict brought.</desc>",
        "  <defs>",
    ]
    for name, color in (("blue", "#3b7dd8"), ("orange", "#e07b39"), ("green", "#4a9d5b")):
        parts.append(f'    <marker id="q15-pre-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
                     f'markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto">'
                     f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
    parts += ["  </defs>", f'  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>']
    parts += panel(0, "BERT: masked token, context on both sides", "[MASK]", "#3b7dd8",
                   "q15-pre-arrow-blue", lambda i: True)
    parts.append(f'  <line x1="24" y1="262" x2="{W - 24}" y2="262" stroke="#8a8f98" stroke-width="1.5" '
                 'stroke-dasharray="6 6"/>')
    parts += panel(272, "GPT: next token, left context only", "?", "#e07b39",
                   "q15-pre-arrow-orange", lambda i: i < TARGET)
    parts.append(f'  <text x="{cx(5):.0f}" y="{272 + 100 + BOX_H + 38}" font-size="24" fill="#8a8f98" '
                 'text-anchor="middle">not visible yet</text>')
    parts.append("</svg>")
    OUT.write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
