"""Writes source/figures/q07-pipeline.svg: timeline of naive model parallelism versus a
pipeline with four micro-batches on four GPUs (forward passes only). Standard library only."""
import pathlib

K, M = 4, 4              # stages (GPUs), micro-batches
U = 46                   # width of one time unit (one micro-batch on one stage)
X0 = 110                 # left edge of the grids
ROW_H = 40
W, H = 900, 520
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
TOTAL_NAIVE = K * M      # each stage works on the whole minibatch for M units
BUSY = ('#e8f0fb', '#3b7dd8')
IDLE = ('#f1f2f4', '#8a8f98')


def cell(x, y, w, busy, label=""):
    fill, stroke = BUSY if busy else IDLE
    s = f'  <rect x="{x}" y="{y}" width="{w}" height="{ROW_H}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>\n'
    if label:
        s += f'  <text x="{x + w / 2}" y="{y + 27}" {FONT} font-size="24" fill="#1f3a5f" text-anchor="middle">{label}</text>\n'
    return s


def grid(y0, title, blocks, span):
    """blocks: per GPU, list of (start, length, label) busy intervals; span: total time units."""
    s = f'  <text x="{X0}" y="{y0 - 14}" {FONT} font-size="26" fill="#1f3a5f" font-weight="bold">{title}</text>\n'
    for g in range(K):
        y = y0 + g * ROW_H
        s += f'  <text x="{X0 - 14}" y="{y + 27}" {FONT} font-size="24" fill="#1f3a5f" text-anchor="end">GPU {g + 1}</text>\n'
        t = 0
        for start, length, label in sorted(blocks[g]):
            if start > t:
                s += cell(X0 + t * U, y, (start - t) * U, False)
            s += cell(X0 + start * U, y, length * U, True, label)
            t = start + length
        if t < span:
            s += cell(X0 + t * U, y, (span - t) * U, False)
    return s


naive = [[(g * M, M, "whole minibatch")] for g in range(K)]
piped = [[(g + m, 1, str(m + 1)) for m in range(M)] for g in range(K)]
span_pipe = M + K - 1

svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">
  <title>Naive model parallelism versus pipeline parallelism on four GPUs</title>
  <desc>Two timelines with GPUs 1 to 4 as rows. Top: the whole minibatch passes from GPU 1 to GPU 4 one stage at a time, so each GPU is busy only a quarter of the {TOTAL_NAIVE} time units and idle otherwise. Bottom: the minibatch is split into four micro-batches that follow each other in a staircase; all work finishes after {span_pipe} time units, and idle time is limited to the triangles at the start and the end (3/7 of the cells).</desc>
  <defs>
    <marker id="q07-pipeline-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#1f3a5f"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>
"""
svg += grid(60, "Model parallelism: one minibatch at a time (75% idle)", naive, TOTAL_NAIVE)
svg += grid(290, "Pipeline: four micro-batches in flight (3/7 ≈ 43% idle)", piped, span_pipe)
ya = 290 + K * ROW_H + 34
svg += f'  <line x1="{X0}" y1="{ya}" x2="{X0 + TOTAL_NAIVE * U}" y2="{ya}" stroke="#1f3a5f" stroke-width="2" marker-end="url(#q07-pipeline-arrow)"/>\n'
svg += f'  <text x="{X0 + TOTAL_NAIVE * U}" y="{ya + 28}" {FONT} font-size="24" fill="#1f3a5f" text-anchor="end">time</text>\n'
lx = X0 + span_pipe * U + 40
svg += cell(lx, 300, 46, True) + f'  <text x="{lx + 58}" y="{327}" {FONT} font-size="24" fill="#1f3a5f">busy (micro-batch number)</text>\n'
svg += cell(lx, 356, 46, False) + f'  <text x="{lx + 58}" y="{383}" {FONT} font-size="24" fill="#1f3a5f">idle</text>\n'
svg += "</svg>\n"

out = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q07-pipeline.svg"
out.write_text(svg)
print(out)
