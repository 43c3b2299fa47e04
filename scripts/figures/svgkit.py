"""Shared drawing helpers of the figure scripts: palette, font and a tiny SVG writer.

Standard library only; the output of every script that uses it is deterministic."""
import math
import pathlib

OUT = pathlib.Path(__file__).resolve().parents[2] / "source" / "figures"

INK="#1f3a5f"; BLUE="#3b7dd8"; ORANGE="#e07b39"; GREEN="#4a9d5b"; GREY="#8a8f98"
LBLUE="#e8f0fb"; LORANGE="#fdf0e6"; LGREEN="#e9f5ec"; LGREY="#f1f2f4"
FONT='font-family="\'Source Sans 3\', sans-serif"'
def esc(t): return t.replace("&","&amp;").replace("<","&lt;").replace(">","&gt;")
class SVG:
    def __init__(s, name, w, h, title, desc):
        s.name=name; s.w=w; s.h=h; s.parts=[]; s.title=title; s.desc=desc
        # the smallest label that is 9 CSS px when a phone card shows the figure 350 px wide
        s.least=math.ceil(w*9/350)
    def add(s, x): s.parts.append(x)
    def rect(s, x,y,w,h, fill=LBLUE, stroke=INK, sw=1.5, rx=6, dash=None):
        d=f' stroke-dasharray="{dash}"' if dash else ""
        s.add(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{d}/>')
    def text(s, x,y,t, size=25, anchor="middle", fill=INK, weight=None, italic=False):
        size=max(size, s.least)
        wt=f' font-weight="{weight}"' if weight else ""
        it=' font-style="italic"' if italic else ""
        s.add(f'<text x="{x}" y="{y}" {FONT} font-size="{size}" text-anchor="{anchor}" fill="{fill}"{wt}{it}>{t}</text>')
    def box(s, x,y,w,h,t, fill=LBLUE, stroke=INK, size=25, tfill=INK, dash=None, weight=None):
        size=max(size, s.least); s.rect(x,y,w,h,fill,stroke,dash=dash)
        s.text(x+w/2, y+h/2+size*0.35, t, size, fill=tfill, weight=weight)
    def line(s, pts, color=INK, sw=1.8, arrow=True, dash=None):
        d=" ".join(f"{x},{y}" for x,y in pts)
        m=f' marker-end="url(#{s.name}-arrow-{color[1:]})"' if arrow else ""
        da=f' stroke-dasharray="{dash}"' if dash else ""
        s.add(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="{sw}"{da}{m}/>')
    def write(s, path):
        cols=[INK,BLUE,ORANGE,GREEN,GREY]
        defs="".join(f'<marker id="{s.name}-arrow-{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>' for c in cols)
        out=[f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s.w} {s.h}" width="{s.w}" height="{s.h}">',
             f'<title>{esc(s.title)}</title>', f'<desc>{esc(s.desc)}</desc>',
             f'<defs>{defs}</defs>', f'<rect x="0" y="0" width="{s.w}" height="{s.h}" fill="#ffffff"/>']
        out+=s.parts; out.append('</svg>')
        open(path,"w").write("\n".join(out)+"\n")
