/*
 * graphmatch explorer: plain JavaScript, no libraries, nothing loaded from elsewhere.
 *
 * Every person shown comes from one documented API answer (search, suggestions, mutual friends,
 * introductions, top pairs, attendees), so people the API hides (blocked either way, opted out)
 * never appear. Names are looked up per id with GET /v1/people/{id}, for ids those answers gave.
 *
 * The mutual-friends picture is SVG drawn here: the two people at the sides and the friends they
 * share between them, in the API's order (strongest tie first) row by row. A fixed fan layout
 * needs no graph library or force simulation, stays readable at 40+ shared friends, and is
 * deterministic, so a test can read each node's data-id back out of the SVG.
 */
"use strict";

(function () {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const KEY = "graphmatch.key";
  const KEY_MODE = "graphmatch.keyMode";
  const PAGE = 20;

  const state = {
    me: null,            // the person acting: {id, name}
    searchQ: "",
    searchCursor: null,
    event: null,         // the open event: {id, name, attendees}
    eventsCursor: null,
    attendeesCursor: null,
  };
  const names = new Map(); // id -> name (or the id when the person has none)

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  // -- the API ------------------------------------------------------------------------------
  function authHeaders() {
    const key = sessionStorage.getItem(KEY);
    if (!key) return {};
    if (sessionStorage.getItem(KEY_MODE) === "bearer") return { Authorization: "Bearer " + key };
    return { "X-API-Key": key };
  }

  /** The person a viewer token acts for (its unverified "sub" claim), or null for an app key. */
  function tokenPerson() {
    const key = sessionStorage.getItem(KEY) || "";
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(key)) return null;
    try {
      const part = key.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const claims = JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
      return typeof claims.sub === "string" && claims.sub ? claims.sub : null;
    } catch (_) {
      return null;
    }
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: "application/json" }, authHeaders());
    let body;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const response = await fetch(path, {
      method: opts.method || "GET",
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
    });
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (_) {
        data = null;
      }
    }
    if (!response.ok) {
      const message = (data && data.message) || response.statusText || "request failed";
      throw new ApiError(response.status, data && data.code, message);
    }
    return data;
  }

  function query(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== "") parts.push(enc(k) + "=" + enc(v));
    }
    return parts.length ? "?" + parts.join("&") : "";
  }

  function showError(err) {
    const box = $("error");
    if (!err) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    let text = err.message || String(err);
    if (err.status === 401) text += " - enter an API key (top right).";
    if (err.status === 403) text += " - this key may not do that.";
    box.textContent = text;
    box.hidden = false;
  }

  // data-busy on <body> counts the actions in flight (tests wait for "0").
  let busy = 0;
  function setBusy(delta) {
    busy += delta;
    document.body.dataset.busy = String(busy);
  }

  async function guarded(fn) {
    setBusy(1);
    try {
      showError(null);
      await fn();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(-1);
    }
  }

  // -- names ----------------------------------------------------------------------------------
  async function loadNames(ids) {
    const missing = [...new Set(ids)].filter((id) => !names.has(id));
    let next = 0;
    async function worker() {
      while (next < missing.length) {
        const id = missing[next++];
        try {
          const person = await api("/v1/people/" + enc(id));
          const name = person.attributes && person.attributes.name;
          names.set(id, typeof name === "string" && name ? name : id);
        } catch (_) {
          names.set(id, id);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(6, missing.length) }, worker));
  }

  const nameOf = (id) => names.get(id) || id;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function personLabel(id, name) {
    const frag = document.createDocumentFragment();
    if (name && name !== id) {
      frag.append(el("span", { class: "name", text: name }), " ");
    }
    frag.append(el("span", { class: "id", text: "#" + id }));
    return frag;
  }

  function listOfNames(ids, total) {
    const shown = ids.map(nameOf).join(", ");
    const rest = total - ids.length;
    return rest > 0 ? shown + " and " + rest + " more" : shown;
  }

  // -- 1. search and pick a person ------------------------------------------------------------
  async function search(q, append) {
    if (!append) {
      state.searchQ = q;
      state.searchCursor = null;
      $("search-results").replaceChildren();
    }
    const params = { q: state.searchQ, limit: PAGE, cursor: state.searchCursor };
    if (state.me) params.viewer = state.me.id;
    const page = await api("/v1/people" + query(params));
    const list = $("search-results");
    for (const p of page.people) {
      if (p.name) names.set(p.id, p.name);
      const button = el(
        "button",
        { type: "button", class: "person", "data-id": p.id },
        personLabel(p.id, p.name),
        el("span", { class: "stats", text: p.friend_count + " friends" })
      );
      button.addEventListener("click", () => guarded(() => selectMe(p.id)));
      list.append(el("li", {}, button));
    }
    if (!page.people.length && !append) {
      list.append(el("li", { class: "muted", text: "Nobody matches " + JSON.stringify(q) + "." }));
    }
    state.searchCursor = page.next_cursor;
    $("search-more").hidden = !page.next_cursor;
  }

  async function selectMe(id) {
    await loadNames([id]);
    state.me = { id, name: nameOf(id) };
    $("me-name").textContent = state.me.name;
    $("me-id").textContent = "#" + id;
    $("me-line").hidden = false;
    $("search-results").replaceChildren();
    $("search-more").hidden = true;
    $("view-graph").hidden = true;
    $("suggestions-status").textContent = "";
    await showSuggestions();
    if (state.event) await openEvent(state.event.id);
    $("suggestions-title").focus();
  }

  // -- 2. suggestions -------------------------------------------------------------------------
  async function showSuggestions() {
    const me = state.me;
    const score = $("score").value;
    const found = await api(
      "/v1/people/" + enc(me.id) + "/suggestions" + query({ limit: 10, score, explain: 5 })
    );
    const items = found.suggestions;
    await loadNames(items.flatMap((s) => [s.id, ...s.mutual]));
    $("suggestions-title").textContent = "2. People " + me.name + " may know";
    const list = $("suggestions");
    list.replaceChildren();
    for (const s of items) {
      const button = el(
        "button",
        { type: "button", class: "suggestion", "data-id": s.id },
        personLabel(s.id, nameOf(s.id)),
        el("span", {
          class: "stats",
          text: "score " + s.score.toFixed(3) + " · " + s.mutual_count + " friends in common",
        }),
        s.mutual.length
          ? el("span", { class: "why", text: "You both know " + listOfNames(s.mutual, s.mutual_count) })
          : null
      );
      button.addEventListener("click", () => guarded(() => showMutual(me.id, s.id)));
      const dismiss = el("button", {
        type: "button",
        class: "dismiss",
        "data-id": s.id,
        "aria-label": "Not interested in " + nameOf(s.id) + " (never suggest again)",
        text: "Not interested",
      });
      dismiss.addEventListener("click", () => guarded(() => dismissSuggestion(me, s.id)));
      list.append(el("li", { class: "with-dismiss" }, button, dismiss));
    }
    if (!items.length) list.append(el("li", { class: "muted", text: "No suggestions: nobody is two steps away." }));
    $("view-suggestions").hidden = false;
  }

  /** "Not interested": dismiss (PUT /dismissals, a write key or the person's own token), refresh. */
  async function dismissSuggestion(me, other) {
    const before = [...document.querySelectorAll("#suggestions button.dismiss")].map((b) => b.dataset.id);
    const at = before.indexOf(other);
    await api("/v1/people/" + enc(me.id) + "/dismissals/" + enc(other), { method: "PUT" });
    await showSuggestions();
    $("suggestions-status").textContent = nameOf(other) + " will not be suggested to " + me.name + " again.";
    // Keep the keyboard where it was: on the suggestion that took the dismissed one's place.
    const after = document.querySelectorAll("#suggestions button.dismiss");
    const next = after[Math.min(at, after.length - 1)];
    if (next) next.focus();
    else $("suggestions-title").focus();
  }

  // -- 3. the picture -------------------------------------------------------------------------
  async function showMutual(a, b) {
    const m = await api("/v1/people/" + enc(a) + "/mutual/" + enc(b));
    await drawPicture(a, b, m.people, m.count, m.hidden);
  }

  async function showPair(pair) {
    await drawPicture(pair.a, pair.b, pair.mutual, pair.mutual_count, null);
  }

  async function drawPicture(a, b, people, count, hidden) {
    await loadNames([a, b, ...people]);
    const you = state.me && state.me.id === a ? "you" : nameOf(a);
    const caption = $("graph-caption");
    caption.replaceChildren(
      el("strong", { text: nameOf(b) }),
      " knows " + count + " of " + (you === "you" ? "your" : nameOf(a) + "'s") + " friends."
    );
    if (count > people.length) {
      const note = hidden ? hidden + " chose not to be shown" : "the strongest " + people.length + " are shown";
      caption.append(el("span", { class: "muted", text: " (" + note + ")" }));
    }
    $("graph-title").textContent = "3. " + nameOf(a) + " and " + nameOf(b);
    $("view-graph").hidden = false; // shown first: the layout reads the width it has
    renderSvg($("mutual-graph"), a, b, people);
    const list = $("mutual-list");
    list.replaceChildren(
      ...people.map((id) => el("li", { "data-id": id }, personLabel(id, nameOf(id))))
    );
    $("graph-title").focus();
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function short(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  /** Draw a and b at the sides and their shared friends between them, row by row. */
  function renderSvg(root, a, b, people) {
    // A narrow screen gets a narrow drawing (three columns), so labels stay readable.
    const narrow = (root.parentElement ? root.parentElement.clientWidth : 900) < 600;
    const W = narrow ? 420 : 900;
    const n = people.length;
    const cols = Math.max(1, Math.min(narrow ? 3 : 6, Math.ceil(n / 8)));
    const rows = Math.max(1, Math.ceil(n / cols));
    const rowH = narrow ? 40 : 46;
    const H = Math.max(narrow ? 200 : 260, rows * rowH + 70);
    const left = narrow ? 34 : 80;
    const right = W - left;
    const x0 = narrow ? 125 : 210;
    const x1 = W - x0;
    const cy = H / 2;
    const labelChars = narrow ? 12 : 16;
    root.setAttribute("viewBox", "0 0 " + W + " " + H);
    root.replaceChildren();
    const edges = svg("g", { class: "edges" });
    const nodes = svg("g", { class: "nodes" });
    root.append(svg("title", {}, nameOf(b) + " shares " + n + " named friends with " + nameOf(a)), edges, nodes);

    people.forEach((id, i) => {
      const r = Math.floor(i / cols);
      const c = i % cols;
      const x = cols === 1 ? W / 2 : x0 + (c * (x1 - x0)) / (cols - 1);
      const y = 45 + r * rowH + (rows === 1 ? cy - 45 : 0);
      const strength = n > 1 ? 1 - i / (n - 1) : 1; // strongest tie first
      const opacity = (0.25 + 0.65 * strength).toFixed(2);
      edges.append(svg("line", { class: "edge", x1: left, y1: cy, x2: x, y2: y, "stroke-opacity": opacity, "stroke-width": 1 + strength }));
      edges.append(svg("line", { class: "edge", x1: right, y1: cy, x2: x, y2: y, "stroke-opacity": opacity, "stroke-width": 1 + strength }));
      const g = svg("g", { class: "node mutual", "data-id": id, "data-rank": i + 1, transform: "translate(" + x + "," + y + ")" });
      const radius = 8 + 6 * strength;
      g.append(svg("title", {}, (i + 1) + ". " + nameOf(id) + " (#" + id + ")"));
      g.append(svg("circle", { r: radius.toFixed(1) }));
      g.append(svg("text", { class: "rank", "text-anchor": "middle", dy: "3" }, String(i + 1)));
      g.append(svg("text", { class: "label", "text-anchor": "middle", y: (radius + 13).toFixed(1) }, short(nameOf(id), labelChars)));
      nodes.append(g);
    });

    for (const [id, x, cls] of [[a, left, "you"], [b, right, "them"]]) {
      const g = svg("g", { class: "node " + cls, "data-id": id, transform: "translate(" + x + "," + cy + ")" });
      g.append(svg("title", {}, nameOf(id) + " (#" + id + ")"));
      g.append(svg("circle", { r: narrow ? 16 : 24 }));
      const first = narrow ? nameOf(id).split(" ")[0] : nameOf(id);
      g.append(svg("text", { class: "label", "text-anchor": "middle", y: narrow ? 34 : 44 }, short(first, labelChars)));
      nodes.append(g);
    }
  }

  // -- 4. the event room ----------------------------------------------------------------------
  async function loadEvents(append) {
    if (tokenPerson()) return openTokenRoom();
    if (!append) {
      state.eventsCursor = null;
      $("events").replaceChildren();
    }
    const page = await api("/v1/events" + query({ limit: PAGE, cursor: state.eventsCursor }));
    for (const e of page.events) {
      const button = el(
        "button",
        { type: "button", class: "event", "data-id": e.id },
        el("span", { class: "name", text: e.name || e.id }),
        " ",
        el("span", { class: "id", text: "#" + e.id }),
        el("span", { class: "stats", text: e.attendees + " checked in now" })
      );
      button.addEventListener("click", () => guarded(() => openEvent(e.id)));
      $("events").append(el("li", {}, button));
    }
    if (!page.events.length && !append) $("events").append(el("li", { class: "muted", text: "No events yet." }));
    state.eventsCursor = page.next_cursor;
    $("events-more").hidden = !page.next_cursor;
  }

  /** With a viewer token: the event room of the event its person is checked in at, if any. */
  async function openTokenRoom() {
    const me = tokenPerson();
    $("events").replaceChildren();
    $("events-more").hidden = true;
    let here;
    try {
      here = await api("/v1/people/" + enc(me) + "/presence");
    } catch (err) {
      if (err.status !== 404) throw err;
      here = null;
    }
    if (!here || !here.event_id) {
      $("events").append(el("li", { class: "muted", text: "Not checked in at an event." }));
      $("event-room").hidden = true;
      return;
    }
    state.event = { id: here.event_id, name: here.event_id };
    $("event-room").hidden = false;
    $("event-title").textContent = "4. The event room: " + here.event_id;
    $("event-line").textContent = "Checked in at " + here.event_id + ".";
    $("pairs").replaceChildren(
      el("li", { class: "muted", text: "The organiser's pairs need an app key, not a viewer token." })
    );
    $("attendees-title").textContent = "Everyone here";
    $("attendees").replaceChildren(
      el("li", { class: "muted", text: "The attendee list needs an app key." })
    );
    $("attendees-more").hidden = true;
    await showHere();
  }

  async function openEvent(id) {
    if (tokenPerson()) return openTokenRoom();
    const e = await api("/v1/events/" + enc(id));
    state.event = e;
    $("event-room").hidden = false;
    $("event-title").textContent = "4. The event room: " + (e.name || e.id);
    $("event-line").textContent = e.attendees + " people are checked in at " + (e.name || e.id) + " now.";
    await Promise.all([showHere(), showPairs(), showAttendees(false)]);
    $("event-title").focus();
  }

  function suggestionItem(s, onClick) {
    const button = el(
      "button",
      { type: "button", class: "suggestion", "data-id": s.id },
      personLabel(s.id, nameOf(s.id)),
      el("span", { class: "stats", text: s.mutual_count + " friends in common · score " + s.score.toFixed(3) }),
      s.mutual.length ? el("span", { class: "why", text: "You both know " + listOfNames(s.mutual, s.mutual_count) }) : null
    );
    button.addEventListener("click", onClick);
    return el("li", {}, button);
  }

  async function showHere() {
    const list = $("here");
    list.replaceChildren();
    const note = $("here-note");
    if (!state.me) {
      note.textContent = "Pick who you are (step 1) to see whom to meet here.";
      return;
    }
    const me = state.me.id;
    const eid = state.event.id;
    let items;
    try {
      const found = await api(
        "/v1/events/" + enc(eid) + "/introductions/" + enc(me) + query({ limit: 10, explain: 3 })
      );
      items = found.suggestions;
      note.textContent = "Ranked for " + state.me.name + " among the people checked in here.";
    } catch (err) {
      if (err.code !== "not_checked_in") throw err;
      // Not here: rank the attendees this person may see, exactly as POST /rank does.
      const page = await api(
        "/v1/events/" + enc(eid) + "/attendees" + query({ viewer: me, limit: 1000 })
      );
      const candidates = page.attendees.map((p) => p.id).filter((p) => p !== me);
      items = candidates.length
        ? (await api("/v1/people/" + enc(me) + "/rank", {
            method: "POST",
            body: { candidates, limit: 10, explain: 3 },
          })).suggestions
        : [];
      note.textContent = state.me.name + " is not checked in here; the attendees ranked for them anyway.";
    }
    await loadNames(items.flatMap((s) => [s.id, ...s.mutual]));
    for (const s of items) list.append(suggestionItem(s, () => guarded(() => showMutual(me, s.id))));
    if (!items.length) list.append(el("li", { class: "muted", text: "Nobody here to suggest." }));
  }

  async function showPairs() {
    const params = { limit: 10, explain: 100 };
    if (state.me) params.viewer = state.me.id;
    const found = await api("/v1/events/" + enc(state.event.id) + "/top-pairs" + query(params));
    await loadNames(found.pairs.flatMap((p) => [p.a, p.b, ...p.mutual.slice(0, 3)]));
    const list = $("pairs");
    list.replaceChildren();
    for (const p of found.pairs) {
      const button = el(
        "button",
        { type: "button", class: "pair", "data-a": p.a, "data-b": p.b },
        el("span", { class: "name", text: nameOf(p.a) + " & " + nameOf(p.b) }),
        el("span", { class: "stats", text: p.mutual_count + " friends in common" }),
        el("span", { class: "why", text: "Both know " + listOfNames(p.mutual.slice(0, 3), p.mutual_count) })
      );
      button.addEventListener("click", () => guarded(() => showPair(p)));
      list.append(el("li", {}, button));
    }
    if (!found.pairs.length) list.append(el("li", { class: "muted", text: "No pairs to introduce yet." }));
  }

  async function showAttendees(append) {
    if (!append) {
      state.attendeesCursor = null;
      $("attendees").replaceChildren();
    }
    const params = { limit: 50, cursor: state.attendeesCursor };
    if (state.me) params.viewer = state.me.id;
    const page = await api("/v1/events/" + enc(state.event.id) + "/attendees" + query(params));
    $("attendees-title").textContent = "Everyone here (" + page.total + ")";
    for (const p of page.attendees) {
      if (p.name) names.set(p.id, p.name);
      const button = el("button", { type: "button", class: "person", "data-id": p.id }, personLabel(p.id, p.name));
      button.title = "Be " + (p.name || p.id);
      button.addEventListener("click", () => guarded(() => selectMe(p.id)));
      $("attendees").append(el("li", {}, button));
    }
    state.attendeesCursor = page.next_cursor;
    $("attendees-more").hidden = !page.next_cursor;
  }

  // -- wiring ---------------------------------------------------------------------------------
  function keyStatus() {
    const has = !!sessionStorage.getItem(KEY);
    const person = tokenPerson();
    $("key-status").textContent = person
      ? "A viewer token for #" + person + " is set for this tab."
      : has
        ? "A key is set for this tab."
        : "No key set (fine on an open server).";
  }

  function init() {
    $("key-mode").value = sessionStorage.getItem(KEY_MODE) || "x-api-key";
    $("key-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const key = $("key-input").value.trim();
      if (key) sessionStorage.setItem(KEY, key);
      else sessionStorage.removeItem(KEY);
      sessionStorage.setItem(KEY_MODE, $("key-mode").value);
      $("key-input").value = "";
      start();
    });
    $("key-forget").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      sessionStorage.removeItem(KEY_MODE);
      start();
    });
    $("search-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      guarded(() => search($("search-q").value.trim(), false));
    });
    $("search-more").addEventListener("click", () => guarded(() => search(state.searchQ, true)));
    $("me-change").addEventListener("click", () => {
      state.me = null;
      $("me-line").hidden = true;
      $("view-suggestions").hidden = true;
      $("view-graph").hidden = true;
      $("search-q").focus();
      if (state.event) guarded(() => openEvent(state.event.id));
    });
    $("score-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (state.me) guarded(showSuggestions);
    });
    $("events-more").addEventListener("click", () => guarded(() => loadEvents(true)));
    $("attendees-more").addEventListener("click", () => guarded(() => showAttendees(true)));
    guarded(loadScores).then(start);
  }

  const SCORE_LABELS = {
    common_neighbors: "friends in common",
    adamic_adar: "Adamic-Adar",
    resource_allocation: "resource allocation",
    jaccard: "Jaccard",
    cn_ra: "count × resource allocation",
    learned: "learned model",
  };

  /**
   * Offer the scores this server answers, its default selected (GET /v1/scores, public):
   * `learned` only where the server was started with a model (elsewhere it is a 422).
   */
  async function loadScores() {
    const doc = await api("/v1/scores");
    if (!doc || !Array.isArray(doc.scores)) return;
    const select = $("score");
    const scores = doc.scores.filter((s) => s.available).map((s) => s.name);
    select.replaceChildren(
      ...scores.map((name) => el("option", { value: name, text: SCORE_LABELS[name] || name }))
    );
    if (doc.default) select.value = doc.default;
  }

  /** Begin with the key in this tab: a viewer token acts for its person, an app key for anyone. */
  function start() {
    const person = tokenPerson();
    if (person) {
      sessionStorage.setItem(KEY_MODE, "bearer"); // tokens only travel as Bearer
      $("key-mode").value = "bearer";
    }
    keyStatus();
    $("search-form").hidden = !!person;
    $("me-change").hidden = !!person;
    guarded(async () => {
      if (person) await selectMe(person);
      await loadEvents(false);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
