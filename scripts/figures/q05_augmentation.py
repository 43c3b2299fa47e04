"""Writes source/figures/q05-augmentation.svg: one image and seven augmented variants of it.

The "image" is a small drawn scene (house, sun, tree) so that every transformation is visible.
Deterministic, standard library only:
    python3 scripts/figures/q05_augmentation.py
"""
import pathlib
import random

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures" / "q05-augmentation.svg"
INK, BLUE, ORANGE, GREEN, GREY = "#1f3a5f", "#3b7dd8", "#e07b39", "#4a9d5b", "#8a8f98"
S = 160  # tile size

NORMAL = dict(sky="#e8f0fb", ground=GREEN, wall="#fdf0e6", roof=INK, sun=ORANGE, door=BLUE, leaf=GREEN, trunk="#8a5a3c")
WARM = dict(sky="#fdf0e6", ground="#b5c94a", wall="#f6d7b8", roof="#7a3b1f", sun="#e0b439", door="#e07b39", leaf="#8aa83a", trunk="#6b4a2f")
GRAY = dict(sky="#f1f2f4", ground="#8a8f98", wall="#e4e6ea", roof="#3a3d42", sun="#b0b4bb", door="#6d727a", leaf="#7d8289", trunk="#5b5f66")


def scene(c):
    """The original picture in tile coordinates 0..S."""
    return "\n".join([
        f'<rect x="0" y="0" width="{S}" height="{S}" fill="{c["sky"]}"/>',
        f'<circle cx="34" cy="32" r="16" fill="{c["sun"]}"/>',
        f'<rect x="0" y="118" width="{S}" height="42" fill="{c["ground"]}"/>',
        f'<rect x="58" y="76" width="66" height="48" fill="{c["wall"]}" stroke="{INK}" stroke-width="1.5"/>',
        f'<path d="M50,78 L91,44 L132,78 z" fill="{c["roof"]}"/>',
        f'<rect x="110" y="46" width="10" height="22" fill="{c["roof"]}"/>',
        f'<rect x="68" y="96" width="16" height="28" fill="{c["door"]}"/>',
        f'<rect x="96" y="88" width="18" height="14" fill="#ffffff" stroke="{INK}" stroke-width="1.5"/>',
        f'<rect x="24" y="96" width="8" height="26" fill="{c["trunk"]}"/>',
        f'<circle cx="28" cy="88" r="16" fill="{c["leaf"]}"/>',
    ])


def noise():
    rng = random.Random(5)
    dots = []
    for _ in range(140):
        x, y = rng.uniform(0, S), rng.uniform(0, S)
        shade = rng.choice(["#ffffff", "#1f3a5f", "#8a8f98"])
        dots.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="3" height="3" fill="{shade}" opacity="0.8"/>')
    return "\n".join(dots)


VARIANTS = [
    ("original", "", NORMAL, ""),
    ("horizontal flip", f"translate({S},0) scale(-1,1)", NORMAL, ""),
    ("rotation", f"rotate(18 {S / 2} {S / 2})", NORMAL, ""),
    ("crop and resize", "scale(1.7) translate(-38,-30)", NORMAL, ""),
    ("color change", "", WARM, ""),
    ("grayscale", "", GRAY, ""),
    ("added noise", "", NORMAL, "noise"),
    ("cutout", "", NORMAL, "cutout"),
]


def main():
    p = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 900 470" width="900" height="470" font-family="\'Source Sans 3\', sans-serif">',
         "<title>Data augmentation: one image, several variants</title>",
         "<desc>Eight tiles in two rows. The first tile is the original picture of a house with a sun and a tree. "
         "The others show the same picture flipped horizontally, rotated, cropped and enlarged, with changed colors, in grayscale, "
         "with random noise pixels, and with a gray square cut out over part of the house.</desc>",
         "<defs>"]
    for i in range(len(VARIANTS)):
        p.append(f'<clipPath id="q05au-clip-{i}"><rect x="0" y="0" width="{S}" height="{S}"/></clipPath>')
    p.append("</defs>")
    p.append('<rect x="0" y="0" width="900" height="470" fill="#ffffff"/>')
    for i, (label, transform, colours, extra) in enumerate(VARIANTS):
        col, row = i % 4, i // 4
        x, y = 48 + col * 215, 30 + row * 225
        p.append(f'<g transform="translate({x},{y})">')
        p.append(f'<rect x="0" y="0" width="{S}" height="{S}" fill="#ffffff"/>')
        p.append(f'<g clip-path="url(#q05au-clip-{i})">')
        p.append(f'<g transform="{transform}">' if transform else "<g>")
        p.append(scene(colours))
        p.append("</g>")
        if extra == "noise":
            p.append(noise())
        if extra == "cutout":
            p.append(f'<rect x="70" y="58" width="52" height="52" fill="{GREY}"/>')
        p.append("</g>")
        edge, width = (ORANGE, 3) if i == 0 else (INK, 1.5)
        p.append(f'<rect x="0" y="0" width="{S}" height="{S}" fill="none" stroke="{edge}" stroke-width="{width}"/>')
        weight = "700" if i == 0 else "400"
        p.append(f'<text x="{S / 2}" y="{S + 30}" font-size="24" font-weight="{weight}" fill="{INK}" text-anchor="middle">{label}</text>')
        p.append("</g>")
    p.append("</svg>")
    OUT.write_text("\n".join(p) + "\n")


if __name__ == "__main__":
    main()
