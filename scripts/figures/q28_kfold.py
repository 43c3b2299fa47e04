"""Writes source/figures/q28-kfold-rounds.svg and q28-kfold-5-vs-10.svg (k-fold cross-validation)."""
import pathlib

FIG = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures"
FONT = 'font-family="\'Source Sans 3\', sans-serif"'
INK, BLUE, ORANGE, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#8a8f98"
SCORES = ["0.84", "0.81", "0.86", "0.83", "0.81"]  # mean 0.83


def head(w, h, title, desc, defs=""):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}">',
        f"<title>{title}</title>",
        f"<desc>{desc}</desc>",
        defs,
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
    ]


def text(x, y, s, size=28, anchor="start", fill=INK, extra=""):
    return f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT} {extra}>{s}</text>'


def rounds():
    w, h = 960, 470
    defs = (
        '<defs><marker id="q28-kfold-rounds-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerUnits="userSpaceOnUse" markerWidth="14" markerHeight="14" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>'
    )
    out = head(w, h, "Five-fold cross-validation",
               "Five rounds; in each, one of five folds (orange) is held out for validation and the "
               "other four (blue) train a model. The five validation scores 0.84, 0.81, 0.86, 0.83 and "
               "0.81 average to 0.83, the estimate for the final model trained on all the data.", defs)
    x0, fw, gap, rh = 150, 74, 4, 40
    # legend
    out.append(f'<rect x="{x0}" y="18" width="26" height="22" fill="{BLUE}"/>')
    out.append(text(x0 + 36, 36, "training folds"))
    out.append(f'<rect x="{x0 + 200}" y="18" width="26" height="22" fill="{ORANGE}"/>')
    out.append(text(x0 + 236, 36, "validation fold"))
    for r in range(5):
        y = 70 + r * 58
        out.append(text(30, y + 28, f"Round {r + 1}"))
        for f in range(5):
            color = ORANGE if f == r else BLUE
            out.append(f'<rect x="{x0 + f * (fw + gap)}" y="{y}" width="{fw}" height="{rh}" fill="{color}"/>')
        xe = x0 + 5 * (fw + gap)
        out.append(f'<line x1="{xe + 8}" y1="{y + rh / 2}" x2="{xe + 58}" y2="{y + rh / 2}" stroke="{INK}" '
                   f'stroke-width="2" marker-end="url(#q28-kfold-rounds-arrow)"/>')
        out.append(text(xe + 70, y + 28, f"score {SCORES[r]}"))
    # bracket
    bx, top, bot = 740, 70, 70 + 4 * 58 + rh
    out.append(f'<path d="M{bx},{top} h14 v{bot - top} h-14" fill="none" stroke="{INK}" stroke-width="2"/>')
    mid = (top + bot) / 2
    out.append(f'<line x1="{bx + 14}" y1="{mid}" x2="{bx + 40}" y2="{mid}" stroke="{INK}" stroke-width="2"/>')
    out.append(f'<rect x="{bx + 40}" y="{mid - 44}" width="170" height="88" rx="8" fill="#e9f5ec" stroke="#4a9d5b" stroke-width="1.5"/>')
    out.append(text(bx + 125, mid - 12, "mean = 0.83", anchor="middle", extra='font-weight="bold"'))
    out.append(text(bx + 125, mid + 22, "(5 models)", anchor="middle"))
    # final model
    y = 400
    out.append(text(30, y + 28, "Final"))
    out.append(f'<rect x="{x0}" y="{y}" width="{5 * (fw + gap) - gap}" height="{rh}" fill="{BLUE}"/>')
    out.append(text(x0 + (5 * (fw + gap) - gap) / 2, y + 27, "all training data", anchor="middle", fill="#ffffff"))
    out.append(f'<path d="M{bx + 125},{mid + 46} V{y + 20} H{x0 + 5 * (fw + gap) + 6}" fill="none" stroke="{INK}" '
               f'stroke-width="2" stroke-dasharray="7 5" marker-end="url(#q28-kfold-rounds-arrow)"/>')
    out.append(text((x0 + 5 * (fw + gap) + bx + 125) / 2, y + 8, "estimates its performance", anchor="middle", size=25, fill=GREY))
    out.append("</svg>")
    (FIG / "q28-kfold-rounds.svg").write_text("\n".join(o for o in out if o) + "\n")


def five_vs_ten():
    w, h = 840, 270
    out = head(w, h, "Training share in 5-fold and 10-fold cross-validation",
               "Two bars of equal length. With 5 folds, four of five segments train the model (80%) and "
               "one validates (20%). With 10 folds, nine of ten segments train (90%) and one validates (10%).")
    x0, total = 160, 480
    for row, k in enumerate((5, 10)):
        y = 30 + row * 120
        fw = total / k
        out.append(text(30, y + 32, f"{k}-fold", size=31, extra='font-weight="bold"'))
        for f in range(k):
            color = ORANGE if f == k - 1 else BLUE
            out.append(f'<rect x="{x0 + f * fw:.1f}" y="{y}" width="{fw - 3:.1f}" height="46" fill="{color}"/>')
        train_w = total - fw
        out.append(f'<path d="M{x0},{y + 58} v8 h{train_w - 3:.1f} v-8" fill="none" stroke="{BLUE}" stroke-width="2"/>')
        out.append(text(x0 + (train_w - 3) / 2, y + 90, f"training: {k - 1} folds = {100 * (k - 1) // k}%",
                        anchor="middle", fill=BLUE))
        out.append(text(x0 + total + 12, y + 32, f"{100 // k}% validation", fill=ORANGE))
    out.append("</svg>")
    (FIG / "q28-kfold-5-vs-10.svg").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    rounds()
    five_vs_ten()
