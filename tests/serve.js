// `qabook serve` in Debian's chromium, headless: open a question's preview, edit its source
// file, and time (or just wait for) what the page shows.
//
//   node tests/serve.js JOB.json   (tests/test_serve.py and scripts/serve_bench.py write the job)
//
// The job: {tools, chromium, url (the question page), file (its source file), steps: [...],
// shots: folder or null, timeout (ms per step)}. Each step writes `content` into the file and
// then waits, polling the page's DOM every 10 ms, until:
//   "text"    the `expect` text is in every frame of the first card's back (all four modes),
//             in the EPUB frame, and the first printed page's image is new and every page
//             image loaded; the time of each (cards, epub, print) is taken from the write
//   "broken"  the diagnostics overlay is shown and holds `expect` (file:line:col)
//   "fixed"   the overlay is gone and `expect` is in the EPUB frame
// The answer (JSON on stdout): each step's times or its failure, every URL the page asked for
// that is not on the server's origin, the page errors, and screenshots written on request.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf-8"));
const puppeteer = require(path.join(job.tools, "node_modules", "puppeteer-core"));

// Runs in the page: what it shows now.
function look() {
  const text = (frame) => {
    try {
      const doc = frame.contentDocument;
      return doc && doc.body && doc.readyState === "complete" ? doc.body.textContent : "";
    } catch (e) { return ""; }
  };
  const overlay = document.getElementById("overlay");
  return {
    backs: [...document.querySelectorAll("#cards .card:first-child .side:nth-child(3) iframe")].map(text),
    fronts: [...document.querySelectorAll("#cards .card:first-child .side:nth-child(2) iframe")].map(text),
    cards: document.querySelectorAll("#cards iframe").length,
    epub: text(document.getElementById("epub")),
    pages: [...document.querySelectorAll("#pages img")].map((img) =>
      [img.getAttribute("src"), img.complete && img.naturalWidth > 0]),
    overlay: overlay && !overlay.hidden ? overlay.textContent : null,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(page, test, timeout) {
  const began = Date.now();
  for (;;) {
    const seen = await page.evaluate(look);
    if (test(seen)) return seen;
    if (Date.now() - began > timeout) return null;
    await sleep(10);
  }
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "serve-"));
  const browser = await puppeteer.launch({
    executablePath: job.chromium, headless: true, userDataDir: profile,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           "--force-device-scale-factor=1"],
  });
  const answer = {steps: [], outside: [], errors: [], failed: null};
  try {
    const page = await browser.newPage();
    const origin = new URL(job.url).origin;
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(origin + "/") && !url.startsWith("data:") && url !== "about:blank") {
        answer.outside.push(url);
      }
    });
    page.on("pageerror", (e) => answer.errors.push(String(e)));
    await page.setViewport({width: job.width || 1900, height: 1200, deviceScaleFactor: 1});
    await page.goto(job.url, {waitUntil: "load"});
    const first = await until(page, (s) => s.backs.length > 0 && s.backs.every((t) => t) &&
      s.epub && s.pages.length > 0 && s.pages.every((p) => p[1]), job.timeout);
    if (!first) throw new Error("the preview never showed the question: " +
                                JSON.stringify(await page.evaluate(look)).slice(0, 2000));
    answer.opened = {cards: first.cards, pages: first.pages.length};
    if (job.shots) await page.screenshot({path: path.join(job.shots, "opened.png"), fullPage: true});
    for (const [index, step] of job.steps.entries()) {
      const before = await page.evaluate(look);
      const began = Date.now();
      fs.writeFileSync(job.file, step.content);
      const result = {kind: step.kind};
      const timeout = job.timeout;
      if (step.kind === "text") {
        const has = (s) => s.backs.length > 0 && s.backs.every((t) => t.includes(step.expect));
        const done = {};
        const seen = await until(page, (s) => {
          const now = Date.now() - began;
          if (done.cards === undefined && has(s)) done.cards = now;
          if (done.epub === undefined && s.epub.includes(step.expect)) done.epub = now;
          if (done.print === undefined && s.pages.length > 0 && s.pages[0][0] !== before.pages[0][0] &&
              s.pages.every((p) => p[1])) done.print = now;
          return done.cards !== undefined && done.epub !== undefined && done.print !== undefined;
        }, timeout);
        Object.assign(result, done, {ok: seen !== null});
      } else if (step.kind === "broken") {
        const seen = await until(page, (s) => s.overlay !== null && s.overlay.includes(step.expect), timeout);
        result.ok = seen !== null;
        result.overlay = seen ? seen.overlay : (await page.evaluate(look)).overlay;
        result.ms = Date.now() - began;
      } else if (step.kind === "fixed") {
        const seen = await until(page, (s) => s.overlay === null && s.epub.includes(step.expect), timeout);
        result.ok = seen !== null;
        result.ms = Date.now() - began;
      }
      if (!result.ok) result.seen = JSON.stringify(await page.evaluate(look)).slice(0, 3000);
      answer.steps.push(result);
      if (job.shots && step.shot) {
        await sleep(300);  // the frames' heights follow their load
        await page.screenshot({path: path.join(job.shots, step.shot), fullPage: true});
      }
      if (!result.ok) break;
      await sleep(job.pause || 300);
    }
  } catch (e) {
    answer.failed = String(e.stack || e);
  } finally {
    await browser.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
  process.stdout.write(JSON.stringify(answer));
}

main();
