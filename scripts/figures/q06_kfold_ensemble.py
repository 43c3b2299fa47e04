"""Writes source/figures/q06-kfold-ensemble.svg: k = 5 cross-validation splits, one model per
split, predictions averaged into an ensemble. Standard library only."""
import pathlib

K = 5
W, H = 900, 500
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
BAR_X, SEG_W, SEG_H = 40, 56, 44
ROW0, ROW_GAP = 90, 76
MODEL_X, MODEL_W = 400, 130
AVG_X, AVG_Y = 645, ROW0 + SEG_H / 2 + ROW_GAP * (K - 1) / 2

parts = [f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>A k-fold ensemble built from the models of k-fold cross-validation</title>
  <desc>Five rows show the five splits of 5-fold cross-validation; in each, a different fifth of the data is the validation fold and the rest is training data. Each split trains its own model, and the five models' predictions are averaged into one ensemble prediction.</desc>
  <defs>
    <marker id="q06-kfold-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#1f3a5f"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
  <text x="{BAR_X + K * SEG_W / 2}" y="50" {FONT} font-size="26" fill="#1f3a5f" text-anchor="middle" font-weight="bold">Data splits</text>
  <text x="{MODEL_X + MODEL_W / 2}" y="50" {FONT} font-size="26" fill="#1f3a5f" text-anchor="middle" font-weight="bold">Models</text>
"""]
for r in range(K):
    y = ROW0 + r * ROW_GAP
    for s in range(K):
        val = s == r
        fill, stroke = ("#fdf0e6", "#e07b39") if val else ("#e8f0fb", "#3b7dd8")
        parts.append(f'  <rect x="{BAR_X + s * SEG_W}" y="{y}" width="{SEG_W}" height="{SEG_H}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>\n')
        if val:
            parts.append(f'  <text x="{BAR_X + s * SEG_W + SEG_W / 2}" y="{y + 29}" {FONT} font-size="24" fill="#e07b39" text-anchor="middle">val</text>\n')
    x_end = BAR_X + K * SEG_W
    parts.append(f'  <line x1="{x_end + 8}" y1="{y + SEG_H / 2}" x2="{MODEL_X - 4}" y2="{y + SEG_H / 2}" stroke="#1f3a5f" stroke-width="2" marker-end="url(#q06-kfold-arrow)"/>\n')
    parts.append(f'  <rect x="{MODEL_X}" y="{y}" width="{MODEL_W}" height="{SEG_H}" rx="8" fill="#e9f5ec" stroke="#4a9d5b" stroke-width="2"/>\n')
    parts.append(f'  <text x="{MODEL_X + MODEL_W / 2}" y="{y + 29}" {FONT} font-size="24" fill="#1f3a5f" text-anchor="middle">Model {r + 1}</text>\n')
    parts.append(f'  <line x1="{MODEL_X + MODEL_W}" y1="{y + SEG_H / 2}" x2="{AVG_X - 50}" y2="{AVG_Y + (y + SEG_H / 2 - AVG_Y) * 0.15:.1f}" stroke="#1f3a5f" stroke-width="2" marker-end="url(#q06-kfold-arrow)"/>\n')
parts.append(f"""  <circle cx="{AVG_X}" cy="{AVG_Y}" r="48" fill="#f1f2f4" stroke="#1f3a5f" stroke-width="2"/>
  <text x="{AVG_X}" y="{AVG_Y + 7}" {FONT} font-size="24" fill="#1f3a5f" text-anchor="middle">average</text>
  <line x1="{AVG_X + 48}" y1="{AVG_Y}" x2="{AVG_X + 92}" y2="{AVG_Y}" stroke="#1f3a5f" stroke-width="2" marker-end="url(#q06-kfold-arrow)"/>
  <text x="{AVG_X + 100}" y="{AVG_Y - 4}" {FONT} font-size="24" fill="#1f3a5f">ensemble</text>
  <text x="{AVG_X + 100}" y="{AVG_Y + 20}" {FONT} font-size="24" fill="#1f3a5f">prediction</text>
  <rect x="{BAR_X}" y="{H - 48}" width="26" height="20" fill="#e8f0fb" stroke="#3b7dd8" stroke-width="2"/>
  <text x="{BAR_X + 36}" y="{H - 32}" {FONT} font-size="24" fill="#1f3a5f">training folds</text>
  <rect x="{BAR_X + 190}" y="{H - 48}" width="26" height="20" fill="#fdf0e6" stroke="#e07b39" stroke-width="2"/>
  <text x="{BAR_X + 226}" y="{H - 32}" {FONT} font-size="24" fill="#1f3a5f">validation fold</text>
</svg>
""")
out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q06-kfold-ensemble.svg"
out.write_text("".join(parts))
print(out)
