"""Writes source/figures/q08-fc-vs-attention.svg: a fully connected layer with fixed learned
weights versus attention with weights computed from the input. Standard library only."""
import pathlib

W, H = 900, 430
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
YS = [110, 190, 270]
R = 24


def node(x, y, letter, sub, fill, stroke):
    return (f'  <circle cx="{x}" cy="{y}" r="{R}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>\n'
            f'  <text x="{x - 2}" y="{y + 7}" {FONT} font-size="29" fill="#1f3a5f" text-anchor="middle">'
            f'<tspan font-style="italic">{letter}</tspan><tspan font-size="24" dy="5">{sub}</tspan></text>\n')


def panel(x_in, x_out, title, out_letter, color, widths, box_text, note):
    s = f'  <text x="{(x_in + x_out) / 2}" y="44" {FONT} font-size="32" font-weight="bold" fill="#1f3a5f" text-anchor="middle">{title}</text>\n'
    k = 0
    for yi in YS:
        for yo in YS:
            s += f'  <line x1="{x_in + R}" y1="{yi}" x2="{x_out - R}" y2="{yo}" stroke="{color}" stroke-width="{widths[k]}" stroke-linecap="round"/>\n'
            k += 1
    for i, y in enumerate(YS):
        s += node(x_in, y, "x", i + 1, "#f1f2f4", "#1f3a5f")
        s += node(x_out, y, out_letter, i + 1, "#f1f2f4", "#1f3a5f")
    cx = (x_in + x_out) / 2
    s += f'  <rect x="{cx - 115}" y="330" width="230" height="44" rx="8" fill="#ffffff" stroke="{color}" stroke-width="2"/>\n'
    s += f'  <text x="{cx}" y="358" {FONT} font-size="27" fill="#1f3a5f" text-anchor="middle">{box_text}</text>\n'
    s += f'  <line x1="{cx}" y1="330" x2="{cx}" y2="{YS[-1] + 22}" stroke="{color}" stroke-width="2" stroke-dasharray="6 4" marker-end="url(#q08-fcatt-arrow-{color[1:]})"/>\n'
    s += f'  <text x="{cx}" y="408" {FONT} font-size="27" fill="{color}" text-anchor="middle">{note}</text>\n'
    return s


svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Fixed weights in a fully connected layer versus input-dependent attention weights</title>
  <desc>Left: a fully connected layer links three inputs to three outputs with lines of equal width; the weights come from a matrix learned in training and are the same for every input. Right: self-attention links three inputs to three outputs with lines of different widths; the weights come from scores computed from the current input and change with each input.</desc>
  <defs>
    <marker id="q08-fcatt-arrow-3b7dd8" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#3b7dd8"/>
    </marker>
    <marker id="q08-fcatt-arrow-e07b39" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#e07b39"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <line x1="450" y1="20" x2="450" y2="410" stroke="#8a8f98" stroke-width="1.5" stroke-dasharray="4 6"/>
"""
svg += panel(90, 360, "Fully connected layer", "y", "#3b7dd8", [2] * 9,
             "learned matrix", "fixed after training")
svg += panel(540, 810, "Self-attention", "z", "#e07b39", [5, 1.5, 3, 1.5, 4.5, 2, 3, 2, 5],
             "scores from input", "recomputed for each input")
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q08-fc-vs-attention.svg"
out.write_text(svg)
print(out)
