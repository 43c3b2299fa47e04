"""Writes source/figures/q10-top-k.svg: top-k sampling with k = 3 on a toy next-token
distribution (keep, renormalize, sample). Standard library only."""
import pathlib

TOKENS = ["mat", "sofa", "floor", "roof", "moon"]
PROBS = [0.50, 0.20, 0.15, 0.10, 0.05]
K = 3
kept = sum(PROBS[:K])
RENORM = [p / kept for p in PROBS[:K]]

W, H = 940, 430
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK = "#1f3a5f"
ROW0, ROW_GAP, BAR_H = 110, 50, 32


def text(x, y, t, size=25, fill=INK, anchor="start", weight="normal"):
    size = max(size, 25)  # at least 9 CSS px when a card shows the figure 350 px wide
    return f'  <text x="{x}" y="{y}" {FONT} font-size="{size}" fill="{fill}" text-anchor="{anchor}" font-weight="{weight}">{t}</text>\n'


svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Top-k sampling with k = 3</title>
  <desc>Left: the model's next-token probabilities after the prompt "The cat sat on the": mat 0.50, sofa 0.20, floor 0.15, roof 0.10, moon 0.05. The top three are kept and the last two grayed out. Right: the three kept tokens renormalized by dividing by 0.85, giving 0.588, 0.235 and 0.176. One token is sampled from these and appended to the text.</desc>
  <defs>
    <marker id="q10-topk-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
"""
svg += text(W / 2, 36, "Prompt: “The cat sat on the …”", 20, anchor="middle", weight="bold")
svg += text(240, 84, "next-token probabilities", 19, anchor="middle")
svg += text(745, 84, f"keep top {K}, renormalize", 19, anchor="middle")
scale_l = 300
for i, (tok, p) in enumerate(zip(TOKENS, PROBS)):
    y = ROW0 + i * ROW_GAP
    on = i < K
    fill, stroke, tc = ("#e8f0fb", "#3b7dd8", INK) if on else ("#f1f2f4", "#8a8f98", "#8a8f98")
    svg += text(100, y + 23, tok, 19, tc, "end")
    svg += f'  <rect x="110" y="{y}" width="{p * scale_l:.1f}" height="{BAR_H}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>\n'
    svg += text(118 + p * scale_l, y + 23, f"{p:.2f}", 18, tc)
svg += f'  <line x1="440" y1="{ROW0 + 1.5 * ROW_GAP}" x2="540" y2="{ROW0 + 1.5 * ROW_GAP}" stroke="{INK}" stroke-width="2.5" marker-end="url(#q10-topk-arrow)"/>\n'
svg += text(490, ROW0 + 1.5 * ROW_GAP - 14, "÷ 0.85", 18, anchor="middle")
scale_r = 300
for i, (tok, p) in enumerate(zip(TOKENS[:K], RENORM)):
    y = ROW0 + i * ROW_GAP
    svg += text(620, y + 23, tok, 19, INK, "end")
    svg += f'  <rect x="630" y="{y}" width="{p * scale_r:.1f}" height="{BAR_H}" fill="#fdf0e6" stroke="#e07b39" stroke-width="2"/>\n'
    svg += text(638 + p * scale_r, y + 23, f"{p:.3f}", 18)
# sampling
ys = ROW0 + 3 * ROW_GAP + 10
svg += f'  <line x1="700" y1="{ys}" x2="700" y2="{ys + 58}" stroke="{INK}" stroke-width="2.5" marker-end="url(#q10-topk-arrow)"/>\n'
svg += text(714, ys + 36, "sample one token", 18)
svg += f'  <rect x="540" y="{ys + 64}" width="330" height="46" rx="8" fill="#e9f5ec" stroke="#4a9d5b" stroke-width="2"/>\n'
svg += text(705, ys + 94, "“The cat sat on the <tspan font-weight=\"bold\">sofa</tspan>”", 19, anchor="middle")
svg += text(705, ys + 140, "append it to the text and repeat", 18, "#8a8f98", "middle")
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q10-top-k.svg"
out.write_text(svg)
print(out, [round(p, 3) for p in RENORM])
