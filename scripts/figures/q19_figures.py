"""Writes the figures of Q19 into source/figures/ (q19-three-methods.svg, q19-peft.svg, q19-adapters.svg, q19-lora.svg).
Diagrams drawn with a few helpers; standard library only, deterministic output."""
from svgkit import GREEN, GREY, INK, LBLUE, LGREEN, LGREY, LORANGE, ORANGE, OUT, SVG, BLUE, esc  # noqa: F401

def q19_three():
    s=SVG("q19-three-methods",920,580,"Feature-based use, fine-tuning I and fine-tuning II",
     "Three columns compare which parts are trained: a separate classifier on frozen embeddings, new output layers on a frozen LLM, or all layers.")
    cols=[(160,"Feature-based","train a separate model"),(460,"Fine-tuning I","train output layers only"),(760,"Fine-tuning II","train all layers")]
    bw=230
    for k,(cx,t,sub) in enumerate(cols):
        x=cx-bw/2
        s.text(cx,36,t,22,weight="bold"); s.text(cx,62,sub,18,fill=INK)
        s.text(cx,100,"class label",18)
        s.rect(x-10,264,bw+20,180,fill="none",stroke=GREY,sw=1.8,rx=10,dash="7 5")
        train = (k==2)
        for i in range(4):
            y=274+i*42
            s.box(x,y,bw,34,"transformer block",fill=LORANGE if train else LGREY,stroke=ORANGE if train else GREY,size=26)
        s.line([(cx,494),(cx,448)]); s.text(cx,514,"input text",18)
        if k==0:
            s.box(x,200,bw,40,"embeddings",fill=LBLUE)
            s.line([(cx,264),(cx,243)])
            s.box(x+10,124,bw-20,44,"classifier",fill=LORANGE,stroke=ORANGE,weight="bold")
            s.line([(cx,200),(cx,171)])
            s.line([(cx,124),(cx,110)])
        else:
            s.box(x,200,bw,40,"output layers",fill=LORANGE,stroke=ORANGE,weight="bold")
            s.line([(cx,264),(cx,243)])
            s.line([(cx,200),(cx,110)])
    ly=560
    s.rect(150,ly-20,30,26,fill=LGREY,stroke=GREY); s.text(190,ly,"frozen",18,anchor="start")
    s.rect(320,ly-20,30,26,fill=LORANGE,stroke=ORANGE); s.text(360,ly,"trained",18,anchor="start")
    s.rect(500,ly-20,30,26,fill="none",stroke=GREY,sw=1.8,dash="5 4"); s.text(540,ly,"pretrained LLM",18,anchor="start")
    s.write(OUT / "q19-three-methods.svg")

def q19_peft():
    s=SVG("q19-peft",940,470,"Main families of parameter-efficient fine-tuning methods",
     "A tree from parameter-efficient fine-tuning to four families (additive, selective, reparameterization-based, hybrid), each with example methods.")
    # root
    s.rect(12,184,190,106,fill=LBLUE,stroke=INK,rx=10)
    for k,t in enumerate(["Parameter-","efficient","fine-tuning"]): s.text(107,218+k*28,t,18,weight="bold")
    rows=[(125,"Additive","add new trainable parameters",["adapters","soft prompt tuning","prefix tuning"]),
          (262,"Selective","train a subset of the weights",["BitFit (biases only)"]),
          (344,"Reparameterization-based","learn a compact weight update",["LoRA"]),
          (426,"Hybrid","combine the ideas above",["MAM adapter, UniPELT"])]
    cx0,cw=236,390
    for yc,name,desc,ex in rows:
        s.line([(202,237),(218,237),(218,yc),(cx0-2,yc)],color=INK,sw=1.6)
        s.rect(cx0,yc-34,cw,68,fill=LGREY,stroke=INK,rx=8)
        s.text(cx0+cw/2,yc-6,name,19,weight="bold"); s.text(cx0+cw/2,yc+20,desc,16)
        n=len(ex); ex0=yc-(n*44-8)/2
        for i,e in enumerate(ex):
            ey=ex0+i*44
            s.line([(cx0+cw,yc),(644,yc),(644,ey+18),(658,ey+18)],color=GREY,sw=1.6,arrow=False)
            s.box(660,ey,268,36,e,fill=LORANGE,stroke=ORANGE,size=25)
    s.text(431,40,"Families (after Lialin et al.)",18,fill=GREY)
    s.text(794,40,"Examples",18,fill=GREY)
    s.write(OUT / "q19-peft.svg")

def q19_adapters():
    s=SVG("q19-adapters",940,560,"A transformer block without and with adapters",
     "A regular post-norm transformer block, the same block with adapters after the attention and feed-forward sublayers, and the inside of an adapter.")
    def col(cx, boxes, skipx, skips):
        bw=220; x=cx-bw/2
        for y,t,kind in boxes:
            if kind=="a": s.box(x,y,bw,40,t,fill=LORANGE,stroke=ORANGE,weight="bold")
            elif kind=="n": s.box(x,y,bw,40,t,fill=LGREY,stroke=GREY)
            else: s.box(x,y,bw,40,t,fill=LGREY,stroke=GREY)
        ys=sorted(b[0] for b in boxes)
        for a,b in zip(ys[1:],ys[:-1]): s.line([(cx,a),(cx,b+42)])
        s.line([(cx,520),(cx,ys[-1]+42)]); s.text(cx,542,"input",18)
        s.line([(cx,ys[0]),(cx,96)]); s.text(cx,84,"output",18)
        for fy,ty in skips: s.line([(cx,fy),(skipx,fy),(skipx,ty),(x-2,ty)],color=GREY,sw=1.6)
    s.text(150,36,"Regular block",20,weight="bold")
    s.text(470,36,"Block with adapters",20,weight="bold")
    s.text(785,36,"Inside an adapter",20,weight="bold")
    col(150,[(450,"Multi-head attention","f"),(330,"Add &amp; norm","n"),(250,"Feed-forward","f"),(140,"Add &amp; norm","n")],26,[(506,350),(310,160)])
    col(470,[(450,"Multi-head attention","f"),(390,"Adapter","a"),(330,"Add &amp; norm","n"),(250,"Feed-forward","f"),(190,"Adapter","a"),(140,"Add &amp; norm","n")],346,[(506,350),(310,160)])
    # inset
    s.rect(640,110,290,410,fill="none",stroke=GREY,sw=1.6,rx=10,dash="7 5")
    s.line([(582,410),(640,440)],color=GREY,sw=1.6,arrow=False,dash="5 4")
    cx=785
    s.add(f'<polygon points="685,430 885,430 825,370 745,370" fill="{LORANGE}" stroke="{ORANGE}" stroke-width="1.8"/>')
    s.text(cx,410,"FC down",18)
    s.box(715,318,140,34,"nonlinearity",fill=LORANGE,stroke=ORANGE,size=26)
    s.add(f'<polygon points="745,300 825,300 885,240 685,240" fill="{LORANGE}" stroke="{ORANGE}" stroke-width="1.8"/>')
    s.text(cx,280,"FC up",18)
    s.line([(cx,370),(cx,354)]); s.line([(cx,318),(cx,302)])
    s.line([(cx,500),(cx,432)]); s.text(700,496,"from sublayer",16,anchor="middle",fill=INK)
    s.add(f'<circle cx="{cx}" cy="192" r="15" fill="#ffffff" stroke="{INK}" stroke-width="1.8"/>')
    s.text(cx,199,"+",22)
    s.line([(cx,240),(cx,209)])
    s.line([(cx,462),(908,462),(908,192),(802,192)],color=GREY,sw=1.6)
    s.line([(cx,177),(cx,126)])
    s.text(700,150,"to add &amp; norm",16,fill=INK)
    s.write(OUT / "q19-adapters.svg")

def q19_lora():
    s=SVG("q19-lora",900,500,"LoRA: frozen weights plus a scaled low-rank update",
     "The input x passes through the frozen 25 by 50 matrix W and, in parallel, through the trainable matrices W_A (25 by 5) and W_B (5 by 50); the scaled low-rank path is added to give y.")
    def W(sub=None):
        t='<tspan font-style="italic">W</tspan>'
        if sub: t+=f'<tspan font-style="italic" font-size="25" baseline-shift="sub">{sub}</tspan>'
        return t
    # output and sum
    s.text(450,36,'<tspan font-style="italic">y</tspan>',26)
    s.add(f'<circle cx="450" cy="100" r="16" fill="#ffffff" stroke="{INK}" stroke-width="1.8"/>'); s.text(450,108,"+",24)
    s.line([(450,84),(450,48)])
    # W frozen
    s.rect(90,170,240,120,fill=LGREY,stroke=GREY,rx=4)
    s.text(210,210,W(),31); s.text(210,246,"25 × 50 = 1,250",18); s.text(210,274,"frozen",18,fill=GREY)
    s.line([(210,170),(210,100),(432,100)])
    # W_A and W_B
    s.rect(470,170,40,120,fill=LORANGE,stroke=ORANGE,rx=4); s.text(490,158,W("A"),31)
    s.text(520,300,"25 × 5 = 125",18,anchor="start")
    s.rect(580,214,240,32,fill=LORANGE,stroke=ORANGE,rx=4); s.text(700,202,W("B"),31)
    s.text(700,272,"5 × 50 = 250",18)
    s.line([(512,230),(576,230)])
    s.line([(822,230),(860,230),(860,100),(468,100)])
    s.text(660,90,'scale by <tspan font-style="italic">s</tspan>',18)
    # input
    s.text(450,482,'<tspan font-style="italic">x</tspan>',26)
    s.line([(450,460),(450,400),(210,400),(210,294)])
    s.line([(450,400),(490,400),(490,294)])
    s.text(700,400,"trained: 125 + 250 = 375 values",18,fill=ORANGE,weight="bold")
    s.text(700,426,"(30% of the 1,250 in a full update)",18,fill=ORANGE)
    s.write(OUT / "q19-lora.svg")

if __name__ == "__main__":
    q19_three()
    q19_peft()
    q19_adapters()
    q19_lora()
