"""Writes the figures of Q20 into source/figures/ (q20-bleu.svg, q20-rouge.svg, q20-bertscore.svg).
Diagrams drawn with a few helpers; standard library only, deterministic output."""
from svgkit import GREEN, GREY, INK, LBLUE, LGREEN, LGREY, LORANGE, ORANGE, OUT, SVG, BLUE, esc  # noqa: F401

REF=["the","cat","is","sitting","on","the","mat"]
CAND=["a","cat","sat","on","the","mat"]
BW,BG,X0=92,10,170
def bx(i): return X0+i*(BW+BG)
def rows(s, ref_match, cand_match, links, ry=70, cy=190):
    s.text(20,ry+29,"Reference",18,anchor="start",weight="bold")
    s.text(20,cy+29,"Candidate",18,anchor="start",weight="bold")
    for i,w in enumerate(REF):
        m=i in ref_match
        s.box(bx(i),ry,BW,44,w,fill=LGREEN if m else LGREY,stroke=GREEN if m else GREY)
    for i,w in enumerate(CAND):
        m=i in cand_match
        s.box(bx(i),cy,BW,44,w,fill=LGREEN if m else LGREY,stroke=GREEN if m else GREY)
    for c,r in links:
        if cy>ry: s.line([(bx(c)+BW/2,cy-2),(bx(r)+BW/2,ry+46)],color=GREEN,sw=2,arrow=False)
        else: s.line([(bx(c)+BW/2,cy+46),(bx(r)+BW/2,ry-2)],color=GREEN,sw=2,arrow=False)

def q20_bleu():
    s=SVG("q20-bleu",900,470,"Unigram BLEU computed step by step",
     "Four of the six candidate words match the reference; precision divides by the candidate length, and a brevity penalty is applied.")
    s.text(450,36,"Unigram BLEU: which candidate words occur in the reference?",20,weight="bold")
    rows(s,{1,4,5,6},{1,3,4,5},[(1,1),(3,4),(4,5),(5,6)])
    it=lambda t:f'<tspan font-style="italic">{t}</tspan>'
    s.text(60,296,"Clipped matches: cat, on, the, mat  →  4",19,anchor="start")
    s.text(60,336,f"Precision  {it('p')}<tspan font-size=\"24\" baseline-shift=\"sub\">1</tspan> = 4 / 6 = 0.667",28,anchor="start")
    s.text(540,336,"÷ candidate length (6 words)",17,anchor="start",fill=INK)
    s.text(60,376,f"Brevity penalty  BP = {it('e')}<tspan font-size=\"24\" baseline-shift=\"super\">1 − 7/6</tspan> = 0.846",28,anchor="start")
    s.text(540,376,"candidate 6, reference 7 words",17,anchor="start",fill=INK)
    s.rect(50,400,420,48,fill=LBLUE,stroke=BLUE,rx=8)
    s.text(260,431,"BLEU-1 = 0.846 × 0.667 = 0.564",20,weight="bold")
    s.write(OUT / "q20-bleu.svg")

def q20_rouge():
    s=SVG("q20-rouge",900,470,"Unigram ROUGE: recall, precision and F1",
     "Four of the seven reference words are found in the candidate; recall, precision and their harmonic mean F1 are computed.")
    s.text(450,36,"Unigram ROUGE: which reference words occur in the candidate?",20,weight="bold")
    rows(s,{1,4,5,6},{1,3,4,5},[(1,1),(3,4),(4,5),(5,6)],ry=190,cy=70)
    it=lambda t:f'<tspan font-style="italic">{t}</tspan>'
    s.text(60,296,"Reference words found: cat, on, the, mat  →  4",19,anchor="start")
    s.text(60,336,f"Recall  {it('R')} = 4 / 7 = 0.571",19,anchor="start")
    s.text(520,336,"÷ reference length (7 words)",17,anchor="start",fill=INK)
    s.text(60,376,f"Precision  {it('P')} = 4 / 6 = 0.667",19,anchor="start")
    s.text(520,376,"÷ candidate length (6 words)",17,anchor="start",fill=INK)
    s.rect(40,400,600,48,fill=LBLUE,stroke=BLUE,rx=8)
    s.text(340,433,f"ROUGE-1 {it('F')}<tspan font-size=\"24\" baseline-shift=\"sub\">1</tspan> = 2{it('PR')} / ({it('P')} + {it('R')}) = 16/26 = 0.615",28,weight="bold")
    s.write(OUT / "q20-rouge.svg")

def q20_bertscore():
    s=SVG("q20-bertscore",900,480,"BERTScore from cosine similarities of contextual embeddings",
     "A three-by-four matrix of cosine similarities between candidate tokens (rows) and reference tokens (columns); the best match per candidate token is averaged.")
    ref=["the","cat","is","sleeping"]; cand=["a","cat","naps"]
    M=[[0.81,0.32,0.40,0.22],[0.30,0.93,0.28,0.41],[0.18,0.44,0.35,0.86]]
    vec={"the":[2,0,1,0],"cat":[0,2,2,1],"is":[1,0,0,2],"sleeping":[2,1,0,2],"a":[2,0,1,1],"naps":[1,1,0,2]}
    vec_c={"cat":[0,2,1,1]}
    shades=[LBLUE,BLUE,INK]
    def glyph(x,y,v):
        for k,c in enumerate(v): s.rect(x+k*15,y,15,15,fill=shades[c],stroke=INK,sw=1.5,rx=0)
    cw,ch,gx,gy=110,60,300,170
    s.text(gx+2*cw,36,"Reference tokens and their BERT embeddings",18,weight="bold")
    for j,t in enumerate(ref):
        cx=gx+j*cw+cw/2
        s.text(cx,80,t,19); glyph(cx-30,100,vec[t])
    s.text(150,150,"Candidate tokens",18,weight="bold")
    for i,t in enumerate(cand):
        cy=gy+i*ch+ch/2
        s.text(160,cy+7,t,19,anchor="end"); glyph(190,cy-8,vec_c.get(t,vec[t]) if i==1 else vec[t])
    for i in range(3):
        mx=max(M[i])
        for j in sorted(range(4),key=lambda j:M[i][j]==mx):
            best=M[i][j]==mx
            s.rect(gx+j*cw,gy+i*ch,cw,ch,fill=LORANGE if best else "#ffffff",stroke=ORANGE if best else GREY,sw=2.2 if best else 1.5,rx=0)
            s.text(gx+j*cw+cw/2,gy+i*ch+ch/2+7,f"{M[i][j]:.2f}",19,weight="bold" if best else None)
        s.rect(780,gy+i*ch+8,90,ch-16,fill=LORANGE,stroke=ORANGE,rx=6)
        s.text(825,gy+i*ch+ch/2+7,f"{mx:.2f}",19,weight="bold")
        s.line([(gx+4*cw+4,gy+i*ch+ch/2),(776,gy+i*ch+ch/2)],color=ORANGE,sw=1.6)
    s.text(825,150,"row max",18,weight="bold")
    s.text(gx+2*cw,gy+3*ch+30,"cosine similarity of each candidate token with each reference token",17)
    s.rect(90,410,720,50,fill=LBLUE,stroke=BLUE,rx=8)
    s.text(450,442,"BERTScore (precision) = (0.81 + 0.93 + 0.86) / 3 = 0.867",20,weight="bold")
    s.write(OUT / "q20-bertscore.svg")

if __name__ == "__main__":
    q20_bleu()
    q20_rouge()
    q20_bertscore()
