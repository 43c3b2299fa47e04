"""Writes the figures of Q18 into source/figures/ (q18-transformer.svg, q18-mlm.svg, q18-causal.svg).
Diagrams drawn with a few helpers; standard library only, deterministic output."""
from svgkit import GREEN, GREY, INK, LBLUE, LGREEN, LGREY, LORANGE, ORANGE, OUT, SVG, BLUE, esc  # noqa: F401

def q18_transformer():
    s=SVG("q18-transformer",900,810,"The original encoder–decoder transformer",
     "Encoder stack on the left and decoder stack on the right, each with six repeated blocks; the encoder output feeds the decoder's encoder–decoder attention.")
    s.text(230,40,"Encoder",24,weight="bold"); s.text(665,40,"Decoder",24,weight="bold")
    # legend
    s.line([(60,130),(120,130)],color=GREY,sw=1.6); s.text(135,136,"residual (skip) connection",18,anchor="start")
    s.rect(60,160,60,34,fill="none",stroke=GREY,sw=1.8,rx=8,dash="7 5"); s.text(135,183,"block repeated six times",18,anchor="start")
    # encoder
    ex,ew=90,290; cx=ex+ew/2
    s.text(cx,792,"Input tokens (source sentence)",18)
    s.rect(ex,700,ew,56,fill=LGREY); s.text(cx,722,"Token embedding",18); s.text(cx,744,"+ positional encoding",18)
    s.line([(cx,772),(cx,758)])
    s.rect(40,416,360,268,fill="none",stroke=GREY,sw=1.8,rx=10,dash="7 5")
    s.text(22,552,"×6",20,anchor="middle",weight="bold")
    eb=[(614,"Multi-head self-attention",LBLUE),(556,"Add &amp; norm",LGREEN),(498,"Feed-forward",LORANGE),(440,"Add &amp; norm",LGREEN)]
    for y,t,f in eb: s.box(ex,y,ew,42,t,fill=f)
    s.line([(cx,700),(cx,658)])
    for a,b in [(614,598),(556,540),(498,482)]: s.line([(cx,a),(cx,b)])
    # skips (left side)
    for below,target in [(667,577),(548,461)]:
        s.line([(cx,below),(62,below),(62,target),(ex-2,target)],color=GREY,sw=1.6)
    # encoder output route
    s.line([(cx,440),(cx,380),(445,380),(445,515),(538,515)],color=BLUE,sw=2.2)
    s.text(300,370,"encoder output",18,fill=BLUE)
    # decoder
    dx,dw=540,290; dc=dx+dw/2
    s.text(dc,792,"Output tokens so far (target)",18)
    s.rect(dx,700,dw,56,fill=LGREY); s.text(dc,722,"Token embedding",18); s.text(dc,744,"+ positional encoding",18)
    s.line([(dc,772),(dc,758)])
    s.rect(500,300,360,384,fill="none",stroke=GREY,sw=1.8,rx=10,dash="7 5")
    s.text(880,490,"×6",20,weight="bold")
    db=[(614,"Masked self-attention",LBLUE),(556,"Add &amp; norm",LGREEN),(494,"Encoder–decoder attention",LBLUE),(436,"Add &amp; norm",LGREEN),(378,"Feed-forward",LORANGE),(320,"Add &amp; norm",LGREEN)]
    for y,t,f in db: s.box(dx,y,dw,42,t,fill=f)
    s.line([(dc,700),(dc,658)])
    for a,b in [(614,600),(556,538),(494,480),(436,422),(378,364)]: s.line([(dc,a),(dc,b)])
    for below,target in [(667,577),(546,457),(428,341)]:
        s.line([(dc,below),(845,below),(845,target),(dx+dw+2,target)],color=GREY,sw=1.6)
    s.box(dx,226,dw,42,"Linear",fill=LGREY)
    s.box(dx,160,dw,42,"Softmax",fill=LGREY)
    s.line([(dc,320),(dc,270)]); s.line([(dc,226),(dc,204)]); s.line([(dc,160),(dc,120)])
    s.text(dc,108,"Probabilities of the next token",18)
    s.write(OUT / "q18-transformer.svg")

def q18_mlm():
    s=SVG("q18-mlm",900,440,"Masked language modeling",
     "Input tokens with two of them replaced by [MASK] go into the BERT encoder, which predicts the original words cat and windowsill at the masked positions.")
    toks=["the","[MASK]","slept","on","the","warm","[MASK]"]
    pred={1:"cat",6:"windowsill"}
    w,g,x0=104,14,(900-(7*104+6*14))/2
    for i,t in enumerate(toks):
        x=x0+i*(w+g); m=t=="[MASK]"
        s.box(x,318,w,44,t,fill=LGREY if m else LBLUE,stroke=GREY if m else INK,tfill=INK,weight="bold" if m else None)
        s.line([(x+w/2,318),(x+w/2,262)])
        if i in pred:
            s.line([(x+w/2,176),(x+w/2,120)],color=ORANGE,sw=2)
            ww=130 if len(pred[i])>5 else w
            s.box(x+w/2-ww/2,72,ww,44,pred[i],fill=LORANGE,stroke=ORANGE,weight="bold")
    s.rect(x0,176,7*w+6*g,84,fill=LBLUE,stroke=INK,rx=10)
    s.text(450,208,"BERT encoder",20,weight="bold")
    s.line([(300,236),(600,236)],color=BLUE,sw=2); s.line([(600,236),(300,236)],color=BLUE,sw=2)
    s.text(450,405,"Input: some tokens hidden behind [MASK]",18)
    s.text(450,40,"Output: the hidden tokens, predicted from context on both sides",18)
    s.write(OUT / "q18-mlm.svg")

def q18_causal():
    s=SVG("q18-causal",940,470,"Next-word generation with a causal mask",
     "Left: four generation steps in which the sentence grows one word at a time from 'the cat' to 'the cat sat on the mat'. Right: a lower-triangular causal mask.")
    words=["the","cat","sat","on","the","mat"]
    s.text(330,40,"Generation, one word per step",20,weight="bold")
    sw,sg,sx=70,8,110
    for k in range(4):
        y=80+k*78
        s.text(30,y+28,f"Step {k+1}",18,anchor="start")
        n_known=2+k
        for j in range(6):
            x=sx+j*(sw+sg)
            if j<n_known: s.box(x,y,sw,44,words[j],fill=LBLUE)
            elif j==n_known: s.box(x,y,sw,44,words[j],fill=LORANGE,stroke=ORANGE,weight="bold")
            else: s.rect(x,y,sw,44,fill="none",stroke=GREY,dash="5 4")
    # legend left
    ly=440
    s.rect(110,ly-18,26,24,fill=LBLUE); s.text(144,ly,"context",18,anchor="start")
    s.rect(250,ly-18,26,24,fill=LORANGE,stroke=ORANGE); s.text(284,ly,"predicted next word",18,anchor="start")
    s.rect(506,ly-18,26,24,fill="none",stroke=GREY,dash="5 4"); s.text(540,ly,"future",18,anchor="start")
    # grid
    c,gx,gy=44,652,110
    s.text(gx+3*c,40,"Causal mask",20,weight="bold")
    s.text(gx+3*c,72,"key position →",16,fill=INK)
    for i,w in enumerate(words):
        s.text(gx-10,gy+i*c+c/2+6,w,16,anchor="end")
        s.text(gx+i*c+c/2,gy-10,w,16)
        for j in range(6):
            ok=j<=i
            s.rect(gx+j*c,gy+i*c,c,c,fill=BLUE if ok else LGREY,stroke="#ffffff" if ok else GREY,sw=1.5,rx=0)
    s.text(gx+3*c,gy+6*c+30,"rows: query position",16)
    s.rect(gx-20,ly-18,26,24,fill=BLUE,stroke=BLUE,rx=0); s.text(gx+14,ly,"attend",18,anchor="start")
    s.rect(gx+90,ly-18,26,24,fill=LGREY,stroke=GREY,rx=0); s.text(gx+124,ly,"hidden",18,anchor="start")
    s.write(OUT / "q18-causal.svg")

if __name__ == "__main__":
    q18_transformer()
    q18_mlm()
    q18_causal()
