"""Writes source/figures/q03-episodes.svg: 3-way 1-shot episodes from base and novel classes.

Deterministic, standard library only. Run from the repository root:
    python3 scripts/figures/q03_episodes.py
"""
import math
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q03-episodes.svg"
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
FONT = 'font-family="\'Source Sans 3\', sans-serif"'


def poly(points, fill):
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polygon points="{pts}" fill="{fill}" stroke="{INK}" stroke-width="1.5"/>'


def regular(cx, cy, r, n, rot, fill):
    return poly([(cx + r * math.cos(rot + 2 * math.pi * k / n), cy + r * math.sin(rot + 2 * math.pi * k / n)) for k in range(n)], fill)


def shape(kind, cx, cy, r=20, rot=0.0):
    """One class symbol; rot (radians) and r vary it so that a query is a different 'image'."""
    if kind == "circle":
        return f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{BLUE}" stroke="{INK}" stroke-width="1.5"/>'
    if kind == "square":
        return regular(cx, cy, r * 1.25, 4, math.pi / 4 + rot, GREEN)
    if kind == "triangle":
        return regular(cx, cy, r * 1.25, 3, -math.pi / 2 + rot, ORANGE)
    if kind == "star":
        pts = []
        for k in range(10):
            rr = r * 1.2 if k % 2 == 0 else r * 0.5
            a = -math.pi / 2 + rot + math.pi * k / 5
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        return poly(pts, INK)
    if kind == "hexagon":
        return regular(cx, cy, r * 1.15, 6, rot, GREEN)
    if kind == "diamond":
        return poly([(cx, cy - r * 1.25), (cx + r * 0.8, cy), (cx, cy + r * 1.25), (cx - r * 0.8, cy)], BLUE)
    if kind == "plus":
        w, h = r * 0.42, r * 1.2
        base = [(-w, -h), (w, -h), (w, -w), (h, -w), (h, w), (w, w), (w, h), (-w, h), (-w, w), (-h, w), (-h, -w), (-w, -w)]
        c, s = math.cos(rot), math.sin(rot)
        return poly([(cx + x * c - y * s, cy + x * s + y * c) for x, y in base], ORANGE)
    raise ValueError(kind)


def tile(x, y, kind, label, rot=0.0, r=20, query=False):
    """A 64x64 image tile showing one class symbol, with its label underneath."""
    fill, edge, width = ("#fdf0e6", ORANGE, 2) if query else ("#ffffff", INK, 1.5)
    weight = "700" if query else "400"
    return "\n".join([
        f'<rect x="{x}" y="{y}" width="64" height="64" rx="6" fill="{fill}" stroke="{edge}" stroke-width="{width}"/>',
        shape(kind, x + 32, y + 32, r, rot),
        f'<text x="{x + 32}" y="{y + 86}" font-size="27" font-weight="{weight}" fill="{edge}" text-anchor="middle">{label}</text>'])


def episode(y0, title, support, query, test=False):
    x0 = 300
    edge, fill = (GREEN, "#e9f5ec") if test else (BLUE, "#e8f0fb")
    out = [f'<rect x="{x0 - 10}" y="{y0}" width="580" height="150" rx="10" fill="{fill}" stroke="{edge}" stroke-width="2"/>',
           f'<text x="{x0 + 4}" y="{y0 + 26}" font-size="28" font-weight="600" fill="{INK}">{title}</text>',
           f'<text x="{x0 + 126}" y="{y0 + 50}" font-size="24" fill="{GREY}" text-anchor="middle">support set (labeled)</text>',
           f'<text x="{x0 + 452}" y="{y0 + 50}" font-size="24" fill="{GREY}" text-anchor="middle">query</text>',
           f'<line x1="{x0 + 300}" y1="{y0 + 40}" x2="{x0 + 300}" y2="{y0 + 140}" stroke="{GREY}" stroke-width="1.5" stroke-dasharray="5 4"/>']
    for i, kind in enumerate(support):
        out.append(tile(x0 + 10 + i * 84, y0 + 58, kind, str(i + 1)))
    kind, rot, r = query
    out.append(tile(x0 + 420, y0 + 58, kind, "?", rot, r, query=True))
    return "\n".join(out)


def main():
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 900 530" width="900" height="530" {FONT}>',
             "<title>Training and test episodes in 3-way 1-shot learning</title>",
             "<desc>On the left, the classes are split into four base classes, used only for training, and three novel classes, used only for testing. "
             "On the right, two training episodes and one test episode each show a support set of three labeled images, one per class, "
             "and a query image to be classified. The training episodes draw their classes from the base classes, the test episode from the novel classes.</desc>",
             "<defs>",
             f'<marker id="q03ep-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>',
             "</defs>",
             '<rect x="0" y="0" width="900" height="530" fill="#ffffff"/>']
    # class pools
    parts.append(f'<rect x="20" y="20" width="230" height="310" rx="10" fill="#f1f2f4" stroke="{BLUE}" stroke-width="2"/>')
    parts.append(f'<text x="135" y="50" font-size="28" font-weight="600" fill="{INK}" text-anchor="middle">base classes</text>')
    parts.append(f'<text x="135" y="74" font-size="24" fill="{GREY}" text-anchor="middle">(training only)</text>')
    for i, kind in enumerate(["circle", "square", "triangle", "star"]):
        cx, cy = 85 + 100 * (i % 2), 145 + 105 * (i // 2)
        parts.append(shape(kind, cx, cy, 26))
    parts.append(f'<rect x="20" y="360" width="230" height="150" rx="10" fill="#f1f2f4" stroke="{GREEN}" stroke-width="2"/>')
    parts.append(f'<text x="135" y="392" font-size="28" font-weight="600" fill="{INK}" text-anchor="middle">novel classes</text>')
    parts.append(f'<text x="135" y="416" font-size="24" fill="{GREY}" text-anchor="middle">(testing only)</text>')
    for i, kind in enumerate(["hexagon", "plus", "diamond"]):
        parts.append(shape(kind, 65 + 70 * i, 465, 20))
    # episodes
    parts.append(episode(20, "training episode 1", ["circle", "triangle", "star"], ("triangle", 0.35, 16)))
    parts.append(episode(180, "training episode 2", ["square", "circle", "star"], ("star", 0.3, 17)))
    parts.append(episode(360, "test episode", ["hexagon", "plus", "diamond"], ("plus", 0.4, 17), test=True))
    # sampling arrows
    for y in (95, 255):
        parts.append(f'<line x1="254" y1="{y}" x2="284" y2="{y}" stroke="{INK}" stroke-width="2" marker-end="url(#q03ep-arrow)"/>')
    parts.append(f'<line x1="254" y1="435" x2="284" y2="435" stroke="{INK}" stroke-width="2" marker-end="url(#q03ep-arrow)"/>')
    parts.append(f'<line x1="20" y1="345" x2="880" y2="345" stroke="{GREY}" stroke-width="1.5" stroke-dasharray="8 6"/>')
    parts.append("</svg>")
    OUT.write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
