// qabook serve: the preview page. It listens to the server's events (/events) and, on each,
// fetches the state (/api/state) and updates what changed. Everything from the book is put
// into the page as text (textContent), never as markup; the previews are frames of files the
// server generated.
"use strict";
(function () {
  const page = document.body.dataset.page;
  const asked = page === "question" ? decodeURIComponent(location.pathname.split("/").pop()) : "";
  const query = asked ? "?q=" + encodeURIComponent(asked) : "";
  const MODES = {"phone-light": [390, false], "phone-night": [390, true],
                 "desktop-light": [1024, false], "desktop-night": [1024, true]};
  let shown = -1;
  let last = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  function diagnostic(d) {
    const item = el("li", {"class": "diagnostic " + d.severity});
    item.append(el("span", {"class": "where"}, d.where), ": ",
                el("span", {"class": d.severity}, d.severity), ": ", d.message, " [" + d.code + "]");
    if (d.excerpt) item.append(el("div", {"class": "excerpt"}, d.excerpt));
    if (d.hint) item.append(el("div", {"class": "hint"}, "hint: " + d.hint));
    return item;
  }

  function showDiagnostics(state) {
    const overlay = document.getElementById("overlay");
    const list = document.getElementById("overlay-list");
    list.replaceChildren(...state.diagnostics.filter((d) => d.severity === "error").map(diagnostic));
    overlay.hidden = !state.failed;
    const all = document.getElementById("diagnostics");
    if (all) {
      all.replaceChildren(...(state.diagnostics.length ? state.diagnostics.map(diagnostic) :
        [el("li", {}, state.checked ? "None: the book checks clean." : "Checking the book…")]));
    }
  }

  function showOverview(state) {
    const chapters = document.getElementById("chapters");
    chapters.replaceChildren(...state.chapters.map((ch) => {
      const list = el("ol", {"start": String(ch.questions.length ? ch.questions[0].number : 1)});
      for (const q of ch.questions) {
        list.append(el("li", {}, el("a", {"href": "/q/" + q.number}, q.label + " · " + q.title),
                       " ", el("span", {"class": "note"}, q.path)));
      }
      return el("div", {}, el("h3", {}, "Chapter " + ch.number + ": " + ch.title), list);
    }));
  }

  function fitHeight(frame, scale) {
    try {
      const doc = frame.contentDocument;
      if (!doc || !doc.documentElement) return;
      const height = Math.max(doc.documentElement.scrollHeight, 80);
      frame.style.height = height + "px";
      if (scale !== 1) frame.parentElement.style.height = Math.ceil(height * scale) + "px";
    } catch (e) { /* not ours */ }
  }

  function frameFor(url, mode, name) {
    const [width, night] = MODES[mode];
    const scale = width > 600 ? 0.5 : 1;
    const frame = el("iframe", {"src": url, "width": String(width), "height": "300",
                                "title": name + " (" + mode + ")", "data-mode": mode});
    frame.addEventListener("load", () => fitHeight(frame, scale));
    const box = el("div", {"class": "frame " + (width > 600 ? "desktop" : "phone")},
                   el("div", {"class": "label"}, mode.replace("-", " · ") + (night ? "" : "")));
    box.append(scale === 1 ? frame : el("div", {"class": "scaler"}, frame));
    return box;
  }

  function modes() {
    return [...document.querySelectorAll("#modes input")].filter((i) => i.checked).map((i) => i.value);
  }

  function showCards(q) {
    const cards = document.getElementById("cards");
    const key = JSON.stringify([q.cards, modes()]);
    if (cards.dataset.key === key) return;
    const frames = [...cards.querySelectorAll("iframe")];
    const chosen = modes();
    // same layout: point the frames at the new files (no flicker); else build it again
    const layout = JSON.stringify([q.cards.map((c) => [c.name, Object.keys(c.sides)]), chosen]);
    if (cards.dataset.layout === layout && frames.length) {
      let index = 0;
      for (const card of q.cards) for (const side of Object.keys(card.sides)) for (const mode of chosen) {
        const [, night] = MODES[mode];
        const frame = frames[index++];
        const url = card.sides[side][night ? "night" : "light"];
        if (frame.getAttribute("src") !== url) frame.setAttribute("src", url);  // else unchanged
      }
    } else {
      cards.replaceChildren(...q.cards.map((card) => {
        const box = el("div", {"class": "card"}, el("div", {"class": "card-name"}, card.name));
        for (const side of Object.keys(card.sides)) {
          const strip = el("div", {"class": "frames"});
          for (const mode of chosen) {
            const [, night] = MODES[mode];
            strip.append(frameFor(card.sides[side][night ? "night" : "light"], mode, card.name + " " + side));
          }
          box.append(el("div", {"class": "side"}, el("div", {"class": "side-name"}, side), strip));
        }
        return box;
      }));
    }
    cards.dataset.key = key;
    cards.dataset.layout = layout;
  }

  function showQuestion(state) {
    const q = state.question;
    if (!q) {
      document.getElementById("heading").textContent = state.checked ?
        "No such question in the book" : "Checking the book…";
      return;
    }
    document.title = q.label + " · " + q.title + " — qabook preview";
    document.getElementById("heading").textContent = q.label + " · " + q.title;
    document.getElementById("source").textContent = q.path;
    if (q.cards.length) showCards(q);
    const epub = document.getElementById("epub");
    if (q.epub && epub.getAttribute("src") !== q.epub) {
      epub.onload = () => fitHeight(epub, 1);
      epub.setAttribute("src", q.epub);
    }
    const pages = document.getElementById("pages");
    const key = JSON.stringify(q.pages);
    if (q.pages.length && pages.dataset.key !== key) {
      const images = [...pages.querySelectorAll("img")];
      if (images.length === q.pages.length) {  // only the pages that changed load again
        q.pages.forEach((src, index) => {
          if (images[index].getAttribute("src") !== src) images[index].setAttribute("src", src);
        });
      } else {
        pages.replaceChildren(...q.pages.map((src, index) =>
          el("img", {"src": src, "alt": "printed page " + (index + 1) + " of " + q.label})));
      }
      pages.dataset.key = key;
      document.getElementById("print-note").textContent = "The question laid out by the print " +
        "renderer (A4), starting on page " + q.first + " (the page numbers of the last build).";
    }
  }

  function render(state) {
    last = state;
    document.getElementById("title").textContent = state.title;
    document.getElementById("status").textContent = state.busy ? state.busy + "…" : "";
    showDiagnostics(state);
    if (page === "overview") showOverview(state); else showQuestion(state);
  }

  async function refresh() {
    try {
      const response = await fetch("/api/state" + query, {cache: "no-store"});
      const state = await response.json();
      if (state.version < shown) return;
      shown = state.version;
      render(state);
    } catch (e) {
      document.getElementById("status").textContent = "the server stopped";
    }
  }

  for (const box of document.querySelectorAll("#modes input")) {
    box.addEventListener("change", () => { if (last) render(last); });
  }
  const events = new EventSource("/events" + query);
  events.onmessage = refresh;
  events.onerror = () => { document.getElementById("status").textContent = "reconnecting…"; };
  refresh();
})();
