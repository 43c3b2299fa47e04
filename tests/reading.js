// The EPUB's content files read the way reading systems show them, measured in Debian's chromium.
//
//   node tests/reading.js JOB.json   (tests/reading.py writes the job and reads the answer)
//
// One browser, one tab per width. Each content file (XHTML, from the unzipped EPUB, by file://)
// is loaded once per tab and read in each mode, switched in place:
//
//   publisher       the book's own styles only
//   readium-day     Readium CSS as Readium-based reading systems (Thorium) inject it:
//                   ReadiumCSS-before.css first in <head>, ReadiumCSS-after.css last, user
//                   settings as custom properties in <html style>; scrolled view
//   readium-night   the same with Readium's night theme (background #000, text #FEFEFE, links
//                   #63caff); Readium CSS 2 applies a theme through --USER__backgroundColor and
//                   --USER__textColor (1.x read --USER__appearance: readium-night-on, set too)
//   readium-sepia   the same with the sepia theme (#faf4e8, #121212)
//   forced-night    a theme that only colours the body, as epub.js and others do it:
//                   body { background: #000; color: #ddd !important }, put last in <head>
//                   of the page already shown
//   forced-grey     the same on a dark grey page (#333)
//   dark-os         the book's own styles on a white page under prefers-color-scheme: dark
//
// In each mode, on each page:
//   overflows  every element whose box sticks out of the page's text column (the body's
//              content box) on the left or right, every element whose own text does, the page
//              itself when it scrolls sideways, and every box that clips or scrolls content
//              (the real book must fit; a reader cuts off what sticks out)
//   noterefs   every noteref (a[epub:type~=noteref], role doc-noteref) and how far its
//              baseline sits above the line's (empty inline-blocks mark both baselines)
//   codeSize   the smallest text in code (pre, code) as a fraction of the size of the text
//              around the code
//   contrast   every element with text of its own: its text colour against the background it is
//              drawn on, the backgrounds of it and its ancestors composited (alpha included)
//              over the page's canvas; WCAG's contrast ratio. SVG and images are skipped.
// Screenshots (PNG) on request: a file, a width, a mode and optionally an element to scroll to.
"use strict";

const fs = require("fs");
const path = require("path");
const os = require("os");
const {pathToFileURL} = require("url");

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf-8"));
const puppeteer = require(path.join(job.tools, "node_modules", "puppeteer-core"));

const READIUM_DAY = "--USER__view: readium-scroll-on;";
const MODES = {
  "publisher": {},
  "readium-day": {readium: READIUM_DAY},
  "readium-night": {readium: READIUM_DAY + " --USER__appearance: readium-night-on;" +
    " --USER__backgroundColor: #000000; --USER__textColor: #FEFEFE;" +
    " --USER__linkColor: #63caff; --USER__visitedColor: #0099E5;"},
  "readium-sepia": {readium: READIUM_DAY + " --USER__appearance: readium-sepia-on;" +
    " --USER__backgroundColor: #faf4e8; --USER__textColor: #121212;" +
    " --USER__linkColor: #0000EE; --USER__visitedColor: #551A8B;"},
  "forced-night": {forced: "body { background: #000; color: #ddd !important }"},
  "forced-grey": {forced: "body { background: #333; color: #ddd !important }"},
  "dark-os": {dark: true},
};

// Runs in the page: put Readium CSS in (switched off until a Readium mode), wait for it.
async function prepare(before, after) {
  const XHTML = "http://www.w3.org/1999/xhtml";
  const head = document.head || document.querySelector("head");
  const sheet = (href, first) => new Promise((resolve) => {
    const link = document.createElementNS(XHTML, "link");
    link.setAttribute("rel", "stylesheet");
    link.setAttribute("href", href);
    link.setAttribute("data-reading", "readium");
    link.addEventListener("load", resolve);
    link.addEventListener("error", resolve);
    if (first) head.insertBefore(link, head.firstChild); else head.appendChild(link);
  });
  await Promise.all([sheet(before, true), sheet(after, false)]);
  window.__readingStyle = document.documentElement.getAttribute("style");
}

// Runs in the page: switch to a mode. Readium CSS and the OS setting are there when a page is
// laid out (Readium puts its CSS into the page's source), so the page is restyled from scratch
// (hidden and shown: chromium does not recompute color-mix(currentColor) in `color` when an
// ancestor's colour changes in place). A theme that a reader injects into the page it shows
// (forced: epub.js's themes) is then added to that page as it is, and chromium updates what
// it updates.
function switchTo(readium, forced) {
  const root = document.documentElement;
  for (const el of document.querySelectorAll("[data-reading]")) {
    if (el.getAttribute("data-reading") === "forced") el.remove();
    else el.sheet.disabled = !readium;
  }
  const own = window.__readingStyle;
  const style = readium ? (own ? own + ";" : "") + readium : own;
  root.setAttribute("style", (style ? style + ";" : "") + "display: none");
  void root.offsetHeight;
  if (style === null || style === undefined) root.removeAttribute("style");
  else root.setAttribute("style", style);
  void root.offsetHeight;
  if (forced) {
    const theme = document.createElementNS("http://www.w3.org/1999/xhtml", "style");
    theme.setAttribute("data-reading", "forced");
    theme.textContent = forced;
    (document.head || document.querySelector("head")).appendChild(theme);
  }
}

// Runs in the page: everything the mode is measured for.
function measure() {
  const root = document.documentElement;
  const body = document.body;
  const EPUB = "http://www.idpf.org/2007/ops";
  const SVG = "http://www.w3.org/2000/svg";
  const out = {overflows: [], noterefs: [], contrast: [], texts: 0, unknownColours: []};

  const describe = (el) => {
    const text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 50);
    const cls = el.getAttribute("class");
    const id = el.closest("[id]");
    return el.localName + (cls ? "." + cls.trim().split(/\s+/).join(".") : "") +
      (id ? " in #" + id.id : "") + " " + JSON.stringify(text);
  };

  // the text column: the body's content box
  const bodyRect = body.getBoundingClientRect();
  const bodyStyle = getComputedStyle(body);
  const left = bodyRect.left + parseFloat(bodyStyle.borderLeftWidth) + parseFloat(bodyStyle.paddingLeft);
  const right = bodyRect.right - parseFloat(bodyStyle.borderRightWidth) - parseFloat(bodyStyle.paddingRight);
  const width = root.clientWidth;
  out.column = {left: Math.round(left), right: Math.round(right), viewport: width};
  if (root.scrollWidth > width + 1) {
    out.overflows.push({el: "the page scrolls sideways", right: root.scrollWidth, limit: width});
  }
  const inSvg = (el) => el.namespaceURI === SVG && el.localName !== "svg" || !!el.closest("svg *");
  const ownText = (el) => [...el.childNodes].filter((n) => n.nodeType === 3 && n.data.trim());
  // a character of a text node drawn outside the column (white space may hang past the end
  // of a line in pre-wrap text: it draws nothing, so only the other characters count)
  const outside = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || (r.right <= right + 1 && r.left >= left - 1)) return null;
    for (let i = 0; i < node.data.length; i++) {
      if (/\s/.test(node.data[i])) continue;
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      for (const g of range.getClientRects()) {
        if (g.width > 0 && (g.right > right + 1 || g.left < left - 1)) return g;
      }
    }
    return null;
  };
  const all = [...body.querySelectorAll("*")];
  for (const el of all) {
    if (inSvg(el)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.display === "none") continue;
    if (rect.right > right + 1 || rect.left < left - 1) {
      out.overflows.push({el: describe(el), left: Math.round(rect.left), right: Math.round(rect.right),
                          column: [Math.round(left), Math.round(right)], kind: "box"});
      continue;
    }
    const clips = style.overflowX !== "visible";
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      out.overflows.push({el: describe(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
                          kind: "scroll box (" + style.overflowX + ")"});
      continue;
    }
    if (el.scrollWidth > el.clientWidth + 1 || style.display.startsWith("inline")) {
      // its own text may stick out
      for (const node of ownText(el)) {
        const glyph = outside(node);
        if (glyph) {
          out.overflows.push({el: describe(el), left: Math.round(glyph.left), right: Math.round(glyph.right),
                              column: [Math.round(left), Math.round(right)], kind: "text"});
          break;
        }
      }
    }
  }

  // noterefs: baseline of the reference against the line's
  const noterefs = [...body.querySelectorAll("a")].filter((a) =>
    (a.getAttributeNS(EPUB, "type") || "").split(/\s+/).includes("noteref") ||
    (a.getAttribute("role") || "").split(/\s+/).includes("doc-noteref"));
  const marker = () => {
    const m = document.createElementNS("http://www.w3.org/1999/xhtml", "span");
    m.setAttribute("style", "display:inline-block;width:0;height:0;margin:0;padding:0;border:0");
    return m;
  };
  for (const a of noterefs) {
    // the outermost inline ancestor on the line, and the innermost element holding the text
    let outer = a;
    while (outer.parentElement && getComputedStyle(outer.parentElement).display.startsWith("inline")) {
      outer = outer.parentElement;
    }
    let inner = a;
    for (;;) {
      const child = [...inner.children].find((c) => (c.textContent || "").trim());
      if (!child) break;
      inner = child;
    }
    const line = marker(), ref = marker();
    outer.parentNode.insertBefore(line, outer);
    inner.insertBefore(ref, inner.firstChild);
    const base = line.getBoundingClientRect().bottom, raised = ref.getBoundingClientRect().bottom;
    const em = parseFloat(getComputedStyle(outer.parentElement).fontSize);
    line.remove();
    ref.remove();
    const refStyle = getComputedStyle(inner);
    out.noterefs.push({el: describe(a), raise: (base - raised) / em,
                       sizeRatio: parseFloat(refStyle.fontSize) / em});
  }

  // code: its size against the text around it (the smallest, as a ratio)
  out.codeSize = null;
  for (const el of body.querySelectorAll("pre, pre *, code, code *")) {
    if (!ownText(el).length) continue;
    const around = el.parentElement.closest(":not(pre):not(code):not(pre *):not(code *)") || body;
    const ratio = parseFloat(getComputedStyle(el).fontSize) / parseFloat(getComputedStyle(around).fontSize);
    if (out.codeSize === null || ratio < out.codeSize) out.codeSize = Math.round(ratio * 1000) / 1000;
  }

  // contrast
  const parse = (value) => {
    let m = value.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
    if (m) return [+m[1] / 255, +m[2] / 255, +m[3] / 255, m[4] === undefined ? 1 : +m[4]];
    m = value.match(/^color\(srgb ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)(?: \/ ([\d.e]+))?\)$/);
    if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]].map((x) => Math.min(1, Math.max(0, x)));
    return null;
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const luminance = (c) => {
    const lin = (x) => (x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  };
  const backgrounds = new Map();
  const background = (el) => {
    // what el's text is drawn on: its and its ancestors' backgrounds over the canvas (white)
    if (!el) return [1, 1, 1, 1];
    if (backgrounds.has(el)) return backgrounds.get(el);
    const style = getComputedStyle(el);
    const own = parse(style.backgroundColor);
    if (!own) out.unknownColours.push(style.backgroundColor);
    const below = own && own[3] >= 1 ? [1, 1, 1, 1] : background(el.parentElement);
    const result = own ? over(own, below) : below;
    backgrounds.set(el, result);
    return result;
  };
  for (const el of all) {
    if (inSvg(el) || el.localName === "svg") continue;
    const texts = ownText(el);
    if (!texts.length) continue;
    const range = document.createRange();
    range.selectNodeContents(texts[0]);
    if (!range.getClientRects().length) continue;  // not shown
    const style = getComputedStyle(el);
    if (style.visibility !== "visible") continue;
    out.texts++;
    const painted = style.webkitTextFillColor || style.color;  // what the glyphs are filled with
    const colour = parse(painted);
    if (!colour) { out.unknownColours.push(painted); continue; }
    const ground = background(el);
    const fore = colour[3] < 1 ? over(colour, ground) : colour;
    const [l1, l2] = [luminance(fore), luminance(ground)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) {
      const hex = (c) => "#" + c.slice(0, 3).map((x) => Math.round(x * 255).toString(16).padStart(2, "0")).join("");
      out.contrast.push({el: describe(el), ratio: Math.round(ratio * 100) / 100,
                         colour: hex(fore), background: hex(ground)});
    }
  }
  return out;
}

// Switch the page to a mode and measure it, in one call into the page.
async function read(page, name, state) {
  const mode = MODES[name];
  const scheme = mode.dark ? "dark" : "light";
  if (state.scheme !== scheme) {
    await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: scheme}]);
    state.scheme = scheme;
  }
  return page.evaluate((readium, forced) => {
    switchTo(readium, forced);
    return measure();
  }, mode.readium || null, mode.forced || null);
}

// what each page is given to run: the mode switch and the measurements
const PAGE_CODE = switchTo.toString() + "\n" + measure.toString();

async function main() {
  const started = Date.now();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "reading-"));
  const browser = await puppeteer.launch({
    executablePath: job.chromium,
    headless: true,
    userDataDir: profile,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--allow-file-access-from-files"],
  });
  const results = [];
  const errors = [];
  try {
    const before = pathToFileURL(job.readium.before).href;
    const after = pathToFileURL(job.readium.after).href;
    const shotsFor = (file, width) => (job.shots || []).filter((s) => s.file === file && s.width === width);
    await Promise.all(job.widths.map(async (width) => {
      const page = await browser.newPage();
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.setViewport({width, height: job.heights[String(width)] || 800, deviceScaleFactor: 1});
      const state = {scheme: null};
      for (const file of job.files) {
        const url = pathToFileURL(path.join(job.root, file)).href;
        if (state.scheme !== "light") {
          await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: "light"}]);
          state.scheme = "light";
        }
        await page.goto(url, {waitUntil: "load"});
        await page.evaluate(prepare, before, after);
        await page.addScriptTag({content: PAGE_CODE});
        for (const name of job.modes) {
          const result = await read(page, name, state);
          results.push({file, width, mode: name, ...result});
          for (const shot of shotsFor(file, width).filter((s) => s.mode === name)) {
            await page.evaluate((target) => {
              const el = target && document.getElementById(target);
              if (el) el.scrollIntoView({block: "start"}); else window.scrollTo(0, 0);
            }, shot.target || null);
            await page.screenshot({path: shot.png, fullPage: !!shot.full});
            await page.evaluate(() => window.scrollTo(0, 0));
          }
        }
      }
      await page.close();
    }));
  } finally {
    await browser.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
  process.stdout.write(JSON.stringify({results, errors, seconds: (Date.now() - started) / 1000}));
}

main().catch((e) => { process.stderr.write(String(e.stack || e) + "\n"); process.exit(1); });
