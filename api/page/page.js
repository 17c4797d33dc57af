/* footcast's matchday page: reads the public JSON endpoints and draws plain HTML and SVG.
   No framework and no build step; every text from the API goes in through textContent. */
"use strict";

const API = document.querySelector('meta[name="footcast-api"]')?.content || "";
const TIMEOUT_MS = 20000;
const REGISTRY_TIMEOUT_MS = 60000; // an API process's first registry read loads MLflow
const EDGE_PTS = 5; // model minus market, in percentage points, that counts as an edge
const OUTCOMES = [["home", "H", "Home win"], ["draw", "D", "Draw"], ["away", "A", "Away win"]];
const COMPETITIONS = {
  E0: "Premier League", E1: "Championship", E2: "League One", E3: "League Two",
  SP1: "La Liga", SP2: "Segunda", D1: "Bundesliga", D2: "2. Bundesliga", I1: "Serie A",
  I2: "Serie B", F1: "Ligue 1", F2: "Ligue 2", N1: "Eredivisie", P1: "Primeira Liga",
  B1: "Pro League", T1: "Süper Lig", G1: "Super League", SC0: "Scottish Premiership",
};
const DEPENDENCIES = {
  postgres: "PostgreSQL", rabbitmq: "RabbitMQ", redis_results: "Redis (results)", redis_cache: "Redis (cache)",
};
const COMPONENTS = {
  store: "the match database", broker: "the message bus (RabbitMQ)",
  results: "the results store (Redis)", postgres: "PostgreSQL", rabbitmq: "RabbitMQ",
  redis_results: "the results Redis", redis_cache: "the cache Redis",
};

/* ---------- small helpers ---------- */

function h(tag, attrs, ...children) {
  const el = document.createElementNS(
    ["svg", "line", "polyline", "circle", "rect", "text", "path", "g", "title", "polygon"].includes(tag)
      ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (sel, root = document) => root.querySelector(sel);
const num = (v) => typeof v === "number" && Number.isFinite(v);
const pct = (p, digits = 0) => (num(p) ? `${(100 * p).toFixed(digits)}%` : "–");
const fixed = (v, digits = 3) => (num(v) ? v.toFixed(digits) : "–");
const competitionName = (code) => (COMPETITIONS[code] ? `${COMPETITIONS[code]} (${code})` : code || "–");

function dateText(iso, withTime = false) {
  if (!iso) return "–";
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  const opts = { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  if (withTime) Object.assign(opts, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  return d.toLocaleString("en-GB", opts);
}

/* ---------- the API and its errors, in sentences ---------- */

class ApiProblem extends Error {
  constructor(sentence, status) { super(sentence); this.status = status; }
}

function sentence(status, error, what) {
  const code = error?.code || "";
  const message = error?.message || "";
  if (code === "no_model") return `No worker has loaded a model yet, so there is no ${what} to show. Start a worker (footcast worker) or wait a moment and reload.`;
  if (code.endsWith("_unavailable")) {
    const part = COMPONENTS[code.replace(/_unavailable$/, "")] || code.replace(/_unavailable$/, "").replace(/_/g, " ");
    return `footcast cannot show the ${what} right now because ${part} is unavailable. It usually comes back within a minute; reload to try again.`;
  }
  if (status === 503) return `footcast is temporarily unavailable, so the ${what} cannot be shown. Try again in a moment.`;
  if (status === 504) return `The ${what} took too long to arrive: the workers are busy or stopped. Try again in a moment.`;
  if (status === 502) return `A worker failed while preparing the ${what}${message ? ` (${message})` : ""}.`;
  if (status === 404) return `This footcast server does not offer the ${what} (it may be an older version).`;
  if (status === 422 || status === 400) return `The request for the ${what} was not understood: ${message || "check the filters"}.`;
  return `Something went wrong while loading the ${what} (HTTP ${status}).`;
}

async function getJson(path, what, timeoutMs = TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let resp;
  try {
    resp = await fetch(API + path, { headers: { Accept: "application/json" }, signal: controller.signal });
  } catch (err) {
    throw new ApiProblem(err.name === "AbortError"
      ? `The ${what} did not arrive within ${timeoutMs / 1000} seconds. Try again in a moment.`
      : `The footcast API cannot be reached, so the ${what} cannot be shown. Check that it is running, then reload.`, 0);
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try { body = await resp.json(); } catch (_) { /* not JSON: the status says enough */ }
  if (!resp.ok) {
    if (resp.status === 503 && body?.checks) return body; // readiness answers 503 with its checks
    throw new ApiProblem(sentence(resp.status, body?.error, what), resp.status);
  }
  return body;
}

function notice(panel, problem, retry) {
  const box = $(".notice", panel);
  box.replaceChildren();
  if (!problem) { box.hidden = true; return; }
  box.hidden = false;
  box.append(h("p", { text: problem.message || String(problem) }));
  if (retry) box.append(h("button", { type: "button", onclick: retry, text: "Try again" }));
}

/* ---------- matchday ---------- */

const state = { fixtures: [], byId: new Map() };

function filters() {
  const q = new URLSearchParams(location.search);
  return { competition: q.get("competition") || "", from: q.get("from") || "", to: q.get("to") || "" };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

function fillSelect(select, codes, chosen) {
  const known = new Set([...select.options].map((o) => o.value));
  for (const code of [...codes].sort()) {
    if (!known.has(code)) select.append(h("option", { value: code, text: competitionName(code) }));
  }
  select.value = chosen;
}

const WARNINGS = { // [on a card, in a fixture's detail]
  stale_data: ["Data may be stale.", "The latest result the model knows is more than three weeks before kickoff: the forecast may be stale."],
  unpriced: ["No market prices: the model alone.", "No market prices were read, so this forecast comes from the model's weaker unpriced path."],
};

function inputsOf(fixture) {
  return fixture.prediction?.inputs || fixture.inputs || {};
}

function warningsOf(fixture, long = false) {
  return (fixture.prediction?.warnings || fixture.warnings || [])
    .map((w) => (typeof w === "string" ? (WARNINGS[w] || [w, w])[long ? 1 : 0] : w.message || JSON.stringify(w)));
}

function market(fixture) {
  const m = inputsOf(fixture).market;
  return m && OUTCOMES.every(([k]) => num(m[k])) ? m : null;
}

function bar(label, probs, cls) {
  const text = OUTCOMES.map(([k, , name]) => `${name} ${pct(probs[k])}`).join(", ");
  return h("div", { class: `bar-row ${cls}` },
    h("span", { class: "bar-label", text: label }),
    h("div", { class: "bar", role: "img", "aria-label": `${label}: ${text}` },
      OUTCOMES.map(([k, short]) => h("span", {
        class: `seg ${k}`, style: `flex-grow:${Math.max(probs[k], 0.001)}`, title: `${label} ${short} ${pct(probs[k], 1)}`,
      }, probs[k] >= 0.14 ? `${short} ${pct(probs[k])}` : ""))));
}

function probsLine(model, prices) {
  return h("p", { class: "probs" }, OUTCOMES.map(([k, , name]) => h("span", {},
    `${name} `, h("b", { text: pct(model[k]) }), prices ? ` (market ${pct(prices[k])})` : "")));
}

function probabilities(forecast) {
  return { home: forecast.p_home, draw: forecast.p_draw, away: forecast.p_away };
}

function edges(model, prices) {
  if (!prices) return [];
  return OUTCOMES.map(([k, , name]) => ({ k, name, pts: 100 * (model[k] - prices[k]) }))
    .filter((e) => Math.abs(e.pts) >= EDGE_PTS)
    .sort((a, b) => Math.abs(b.pts) - Math.abs(a.pts));
}

function edgeText(e) {
  return `${e.name}: model ${e.pts > 0 ? "+" : "−"}${Math.abs(e.pts).toFixed(1)} pts vs market`;
}

function fixtureCard(fixture) {
  const pred = fixture.prediction;
  const card = h("article", { class: "fixture", "data-match": fixture.match_id });
  const title = `${fixture.home_team} v ${fixture.away_team}`;
  card.append(h("h3", { class: "teams" },
    h("a", { href: `#fixture/${fixture.match_id}`, "aria-label": `${title}: details` },
      h("span", { class: "home-team", text: fixture.home_team }), h("span", { class: "v", text: " v " }),
      h("span", { class: "away-team", text: fixture.away_team }))));
  if (!pred) {
    card.classList.add("unforecast");
    card.append(h("p", { class: "muted", text: `No forecast: ${fixture.error?.message || "the model could not forecast this fixture"}.` }));
    return card;
  }
  const f = pred.forecast;
  const model = probabilities(f);
  const prices = market(fixture);
  card.append(bar("Model", model, "model"));
  if (prices) card.append(bar("Market", prices, "market"));
  card.append(probsLine(model, prices));
  const big = edges(model, prices);
  if (big.length) {
    card.classList.add("has-edge");
    card.append(h("p", { class: "edge" }, h("b", { text: "▲ Edge " }), big.map(edgeText).join("; ")));
  }
  const top = (f.top_scores || []).slice(0, 3).map((s) => `${s.home}–${s.away} ${pct(s.p)}`).join(", ");
  card.append(h("dl", { class: "facts" },
    h("div", {}, h("dt", { text: "xG" }), h("dd", { text: `${fixed(f.xg_home, 2)} – ${fixed(f.xg_away, 2)}` })),
    h("div", {}, h("dt", { text: "Over 2.5" }), h("dd", { text: pct(f.p_over_2_5) })),
    h("div", {}, h("dt", { text: "Both score" }), h("dd", { text: pct(f.p_btts) })),
    h("div", { class: "wide" }, h("dt", { text: "Likeliest" }), h("dd", { text: top || "–" }))));
  const warnings = warningsOf(fixture);
  if (!prices && !(fixture.prediction?.warnings || []).includes("unpriced")) card.append(h("p", { class: "muted small", text: "No market prices known for this fixture." }));
  for (const w of warnings) card.append(h("p", { class: "warning small", text: `⚠ ${w}` }));
  return card;
}

function renderFixtures(body) {
  const list = $("#fixtures");
  list.replaceChildren();
  const fixtures = body.fixtures || [];
  state.fixtures = fixtures;
  state.byId = new Map(fixtures.map((f) => [String(f.match_id), f]));
  const range = `${dateText(body.from)} to ${dateText(body.to)}`;
  if (!fixtures.length) {
    list.append(h("p", { class: "empty", text: `No scheduled fixtures from ${range}. Choose other dates or another competition.` }));
    return;
  }
  const forecast = fixtures.filter((f) => f.prediction).length;
  list.append(h("p", { class: "summary", text: `${fixtures.length} fixture${fixtures.length === 1 ? "" : "s"} from ${range}; ${forecast} forecast.` }));
  const groups = new Map();
  for (const f of fixtures) {
    if (!groups.has(f.competition)) groups.set(f.competition, new Map());
    const days = groups.get(f.competition);
    if (!days.has(f.kickoff)) days.set(f.kickoff, []);
    days.get(f.kickoff).push(f);
  }
  for (const [competition, days] of groups) {
    const section = h("section", { class: "competition" }, h("h2", { text: competitionName(competition) }));
    for (const [day, items] of days) {
      section.append(h("h4", { class: "day", text: dateText(day) }), h("div", { class: "cards" }, items.map(fixtureCard)));
    }
    list.append(section);
  }
}

async function loadFixtures() {
  const panel = $("#matchday");
  const list = $("#fixtures");
  const f = filters();
  const form = $("#filters");
  form.from.value = f.from; form.to.value = f.to;
  list.setAttribute("aria-busy", "true");
  try {
    const body = await getJson(`/v1/fixtures${query({ ...f, limit: 100 })}`, "fixtures");
    notice(panel, null);
    renderFixtures(body);
    fillSelect(form.competition, new Set(body.fixtures.map((x) => x.competition)), f.competition);
    if (!f.from) form.from.value = body.from;
    if (!f.to) form.to.value = body.to;
  } catch (problem) {
    list.replaceChildren();
    notice(panel, problem, loadFixtures);
  } finally {
    list.setAttribute("aria-busy", "false");
    document.body.dataset.fixtures = "loaded";
    document.body.dataset.loadedMs = Math.round(performance.now()); // since navigation start
    if (location.hash.startsWith("#fixture/")) route();
  }
}

/* ---------- one fixture ---------- */

function poisson(lambda, k) {
  let p = Math.exp(-lambda);
  for (let i = 1; i <= k; i += 1) p *= lambda / i;
  return p;
}

function scoreGrid(f) {
  if (Array.isArray(f.score_grid) && f.score_grid.length) {
    return { grid: f.score_grid, source: "the model's score grid" };
  }
  const size = 6;
  const grid = [];
  for (let i = 0; i < size; i += 1) {
    grid.push([]);
    for (let j = 0; j < size; j += 1) grid[i].push(poisson(f.xg_home, i) * poisson(f.xg_away, j));
  }
  return { grid, source: "independent Poisson goals at the model's expected goals; outlined cells are the model's own likeliest scores" };
}

function heatMap(fixture, f) {
  const { grid, source } = scoreGrid(f);
  const size = Math.min(grid.length, 6);
  const max = Math.max(...grid.slice(0, size).flatMap((r) => r.slice(0, size)));
  const top = new Map((f.top_scores || []).map((s) => [`${s.home}-${s.away}`, s.p]));
  const table = h("table", { class: "heatmap" },
    h("caption", {}, `Probability of each final score (${fixture.home_team} goals down, ${fixture.away_team} goals across); from ${source}.`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "H \\ A" }),
      Array.from({ length: size }, (_, j) => h("th", { scope: "col", text: j })))));
  const tbody = h("tbody");
  for (let i = 0; i < size; i += 1) {
    tbody.append(h("tr", {}, h("th", { scope: "row", text: i }), Array.from({ length: size }, (_, j) => {
      const modelP = top.get(`${i}-${j}`);
      const p = modelP ?? grid[i][j];
      const level = max > 0 ? grid[i][j] / max : 0;
      return h("td", {
        class: `cell${modelP !== undefined ? " likeliest" : ""}${level > 0.55 ? " dark" : ""}`,
        style: `--level:${level.toFixed(3)}`,
        title: `${fixture.home_team} ${i}–${j} ${fixture.away_team}: ${pct(p, 1)}`,
      }, pct(p, p < 0.1 ? 1 : 0));
    })));
  }
  table.append(tbody);
  return table;
}

function inputsList(fixture, pred) {
  const inputs = inputsOf(fixture);
  const odds = inputs.odds && OUTCOMES.every(([k]) => num(inputs.odds[k])) ? inputs.odds : null;
  const prices = market(fixture);
  const source = { store: "the latest stored prices", request: "prices sent with the request" }[inputs.prices]
    || (inputs.prices === null || inputs.prices === undefined ? "none (the model alone)" : String(inputs.prices));
  const rows = [
    ["Prices used", source],
    ["Bookmaker", inputs.bookmaker || "–"],
    ["Priced at", inputs.priced_at ? dateText(inputs.priced_at, true) : "–"],
    ["Decimal prices", odds ? OUTCOMES.map(([k, s]) => `${s} ${odds[k].toFixed(2)}`).join(" · ") : "–"],
    ["Market (no margin)", prices ? OUTCOMES.map(([k, s]) => `${s} ${pct(prices[k], 1)}`).join(" · ") : "–"],
    ["Data through", inputs.data_through ? dateText(inputs.data_through) : "–"],
    ["Model", `${pred.model?.name || "–"} version ${pred.model?.version || "–"}`],
    ["Data version", pred.data_version || "–"],
    ["Answered from cache", pred.cached ? "yes" : "no"],
  ];
  return h("dl", { class: "inputs" }, rows.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { text: v }))));
}

function renderFixture(id) {
  const panel = $("#fixture");
  const body = $("#fixture-body");
  body.replaceChildren();
  const fixture = state.byId.get(id);
  if (!fixture) {
    $("#fixture-title").textContent = "Fixture";
    notice(panel, document.body.dataset.fixtures === "loaded"
      ? new Error("This fixture is not in the current list; go back to the matchday and pick it there.") : null);
    return;
  }
  notice(panel, null);
  $("#fixture-title").textContent = `${fixture.home_team} v ${fixture.away_team}`;
  body.append(h("p", { class: "meta", text: `${competitionName(fixture.competition)} · ${dateText(fixture.kickoff)} · season ${fixture.season || "–"}` }));
  const pred = fixture.prediction;
  if (!pred) {
    body.append(h("p", { text: `No forecast: ${fixture.error?.message || "the model could not forecast this fixture"}.` }));
    return;
  }
  const f = pred.forecast;
  const model = probabilities(f);
  const prices = market(fixture);
  const big = edges(model, prices);
  const summary = h("div", { class: "detail-summary" });
  const scores = h("div", { class: "detail-scores" });
  const used = h("div", { class: "detail-inputs" });
  body.append(h("div", { class: "detail" }, summary, scores, used));
  summary.append(h("div", { class: "detail-bars" }, bar("Model", model, "model"), prices ? bar("Market", prices, "market") : null));
  const table = h("table", { class: "compare" },
    h("thead", {}, h("tr", {}, h("th", { text: "" }), OUTCOMES.map(([, , name]) => h("th", { scope: "col", text: name })))),
    h("tbody", {},
      h("tr", {}, h("th", { scope: "row", text: "Model" }), OUTCOMES.map(([k]) => h("td", { text: pct(model[k], 1) }))),
      prices ? h("tr", {}, h("th", { scope: "row", text: "Market" }), OUTCOMES.map(([k]) => h("td", { text: pct(prices[k], 1) }))) : null,
      prices ? h("tr", {}, h("th", { scope: "row", text: "Edge" }), OUTCOMES.map(([k]) => {
        const pts = 100 * (model[k] - prices[k]);
        return h("td", { class: Math.abs(pts) >= EDGE_PTS ? "edge-cell" : "" }, `${Math.abs(pts) >= EDGE_PTS ? "▲ " : ""}${pts >= 0 ? "+" : "−"}${Math.abs(pts).toFixed(1)} pts`);
      })) : null));
  summary.append(table);
  if (big.length) summary.append(h("p", { class: "edge" }, h("b", { text: "▲ Edge " }), big.map(edgeText).join("; ")));
  summary.append(h("dl", { class: "facts" },
    h("div", {}, h("dt", { text: "Expected goals" }), h("dd", { text: `${fixed(f.xg_home, 2)} – ${fixed(f.xg_away, 2)}` })),
    h("div", {}, h("dt", { text: "Over 2.5 goals" }), h("dd", { text: pct(f.p_over_2_5, 1) })),
    h("div", {}, h("dt", { text: "Both teams score" }), h("dd", { text: pct(f.p_btts, 1) }))));
  scores.append(h("h2", { text: "Scores" }), h("div", { class: "scroll" }, heatMap(fixture, f)));
  used.append(h("h2", { text: "Inputs" }), inputsList(fixture, pred));
  for (const w of warningsOf(fixture, true)) used.append(h("p", { class: "warning", text: `⚠ ${w}` }));
}

/* ---------- charts (plain SVG) ---------- */

const CHART = { w: 560, h: 280, left: 70, right: 112, top: 16, bottom: 40 };

function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

function niceTicks(lo, hi, count = 4) {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

/* series: [{name, points: [[xIndex, y]], dash, marker}]; labels: x labels. */
function lineChart({ title, labels, series, yLabel, digits = 3, zero = false }) {
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(num);
  if (!ys.length) return h("p", { class: "muted", text: `${title}: no data yet.` });
  let lo = Math.min(...ys); let hi = Math.max(...ys);
  if (zero) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 0.01;
  lo -= pad; hi += pad;
  const { w, h: ht, left, right, top, bottom } = CHART;
  const x = scale(0, Math.max(labels.length - 1, 1), left, w - right);
  const y = scale(lo, hi, ht - bottom, top);
  const svg = h("svg", { viewBox: `0 0 ${w} ${ht}`, class: "chart", role: "img", "aria-label": title }, h("title", { text: title }));
  for (const t of niceTicks(lo, hi)) {
    svg.append(h("line", { x1: left, x2: w - right, y1: y(t), y2: y(t), class: "grid" }),
      h("text", { x: left - 6, y: y(t) + 4, class: "tick", "text-anchor": "end", text: t.toFixed(digits) }));
  }
  if (zero) svg.append(h("line", { x1: left, x2: w - right, y1: y(0), y2: y(0), class: "zero" }));
  const every = Math.ceil(labels.length / 8);
  labels.forEach((l, i) => {
    if (i % every === 0) svg.append(h("text", { x: x(i), y: ht - bottom + 18, class: "tick", "text-anchor": "middle", text: l }));
  });
  svg.append(h("text", { x: 14, y: top + (ht - top - bottom) / 2, class: "axis", transform: `rotate(-90 14 ${top + (ht - top - bottom) / 2})`, "text-anchor": "middle", text: yLabel }));
  const ends = [];
  series.forEach((s, si) => {
    const pts = s.points.filter((p) => num(p[1]));
    if (!pts.length) return;
    svg.append(h("polyline", { points: pts.map((p) => `${x(p[0])},${y(p[1])}`).join(" "), class: `line s${si}`, "stroke-dasharray": s.dash || null }));
    for (const p of pts) svg.append(marker(s.marker || "circle", x(p[0]), y(p[1]), `s${si}`, `${s.name}, ${labels[p[0]]}: ${p[1].toFixed(digits)}`));
    const last = pts[pts.length - 1];
    ends.push({ y: y(last[1]), name: s.name, si });
  });
  ends.sort((a, b) => a.y - b.y);
  for (let i = 1; i < ends.length; i += 1) ends[i].y = Math.max(ends[i].y, ends[i - 1].y + 14);
  for (const e of ends) svg.append(h("text", { x: w - right + 8, y: e.y + 4, class: `end s${e.si}`, text: e.name }));
  return h("figure", { class: "figure" }, svg, h("figcaption", { text: title }));
}

function marker(kind, cx, cy, cls, label) {
  const r = 4;
  const shape = kind === "square"
    ? h("rect", { x: cx - r, y: cy - r, width: 2 * r, height: 2 * r, class: `mark ${cls}` })
    : kind === "triangle"
      ? h("polygon", { points: `${cx},${cy - r - 1} ${cx + r + 1},${cy + r} ${cx - r - 1},${cy + r}`, class: `mark ${cls}` })
      : h("circle", { cx, cy, r, class: `mark ${cls}` });
  shape.append(h("title", { text: label }));
  return shape;
}

function reliabilityChart(bins, outcome, name) {
  const rows = bins.filter((b) => b.outcome === outcome && num(b.predicted) && num(b.observed));
  const size = 300; const pad = 44;
  const s = scale(0, 1, pad, size - 22);
  const sy = scale(0, 1, size - pad, 10);
  const title = `Reliability of ${name.toLowerCase()} forecasts`;
  const svg = h("svg", { viewBox: `0 0 ${size} ${size}`, class: "chart square", role: "img", "aria-label": title }, h("title", { text: title }));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(h("line", { x1: s(0), x2: s(1), y1: sy(t), y2: sy(t), class: "grid" }),
      h("text", { x: pad - 4, y: sy(t) + 4, class: "tick", "text-anchor": "end", text: pct(t) }),
      h("text", { x: s(t), y: size - pad + 16, class: "tick", "text-anchor": "middle", text: pct(t) }));
  }
  svg.append(h("line", { x1: s(0), y1: sy(0), x2: s(1), y2: sy(1), class: "diagonal", "stroke-dasharray": "4 4" }));
  if (rows.length) {
    svg.append(h("polyline", { points: rows.map((b) => `${s(b.predicted)},${sy(b.observed)}`).join(" "), class: "line s0" }));
    for (const b of rows) svg.append(marker("circle", s(b.predicted), sy(b.observed), "s0", `forecast ${pct(b.predicted, 1)}, happened ${pct(b.observed, 1)} of ${b.matches} matches`));
  } else {
    svg.append(h("text", { x: size / 2, y: size / 2, class: "tick", "text-anchor": "middle", text: "no data" }));
  }
  return h("figure", { class: "figure small" }, svg, h("figcaption", { text: `${name}: forecast (across) vs observed (up); on the dashed line is perfect` }));
}

/* ---------- track record ---------- */

function metricsTable(rows, first) {
  const cols = [["model", "Model"], ["closing", "Closing market"], ["opening", "Opening market"]];
  return h("table", { class: "metrics" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: first }), h("th", { scope: "col", text: "Matches" }),
      cols.map(([, n]) => h("th", { scope: "col", text: `${n} RPS` })), h("th", { scope: "col", text: "Beat closing line" }))),
    h("tbody", {}, rows.map(([label, r]) => h("tr", {},
      h("th", { scope: "row", text: label }), h("td", { text: r.matches ?? "–" }),
      cols.map(([k]) => h("td", { text: fixed(r[k]?.rps, 4) })),
      h("td", { text: r.clv && num(r.clv.share) ? `${pct(r.clv.share)} of ${r.clv.matches}` : "–" })))));
}

function renderRecord(board) {
  const body = $("#record-body");
  body.replaceChildren();
  const overall = board.overall || {};
  if (!overall.matches) {
    body.append(h("p", { class: "empty", text: "No served forecast has been scored yet: the track record fills in as results arrive." }));
    return;
  }
  const m = overall.model || {}; const c = overall.closing || {};
  const better = num(m.rps) && num(c.rps) ? (m.rps < c.rps ? "better than" : m.rps > c.rps ? "worse than" : "level with") : null;
  body.append(h("p", { class: "summary" },
    `${overall.matches} scored forecast${overall.matches === 1 ? "" : "s"}${board.since ? ` since ${dateText(board.since)}` : ""}. `,
    better ? `The model's RPS ${fixed(m.rps, 4)} is ${better} the closing market's ${fixed(c.rps, 4)} (lower is better).` : "",
    overall.clv && num(overall.clv.share) ? ` Its forecasts beat the closing line in ${pct(overall.clv.share)} of ${overall.clv.matches} priced matches.` : ""));
  const months = board.by_month || [];
  const labels = months.map((r) => r.month);
  body.append(h("div", { class: "charts" },
    lineChart({
      title: "RPS by month: model against the market (lower is better)", labels, yLabel: "RPS", digits: 3,
      series: [
        { name: "Model", points: months.map((r, i) => [i, r.model?.rps]), marker: "circle" },
        { name: "Closing", points: months.map((r, i) => [i, r.closing?.rps]), dash: "6 4", marker: "square" },
        { name: "Opening", points: months.map((r, i) => [i, r.opening?.rps]), dash: "2 3", marker: "triangle" },
      ],
    }),
    lineChart({
      title: "Cumulative log-loss, model minus closing market (below zero: model ahead)", labels, yLabel: "log-loss difference", digits: 1, zero: true,
      series: [{ name: "vs closing", marker: "circle", points: (() => {
        let total = 0;
        return months.map((r, i) => {
          if (num(r.model?.log_loss) && num(r.closing?.log_loss) && num(r.matches)) total += r.matches * (r.model.log_loss - r.closing.log_loss);
          return [i, total];
        });
      })() }],
    })));
  const bins = board.reliability || [];
  body.append(h("h2", { text: "Reliability of served forecasts" }),
    h("div", { class: "charts three" }, OUTCOMES.map(([k, , name]) => reliabilityChart(bins, k, name))));
  body.append(h("h2", { text: "By competition" }), h("div", { class: "scroll" },
    metricsTable([["All", overall], ...(board.by_competition || []).map((r) => [competitionName(r.competition), r])], "Competition")));
  if ((board.by_model || []).length) {
    body.append(h("h2", { text: "By model version" }), h("div", { class: "scroll" },
      metricsTable(board.by_model.map((r) => [`version ${r.model_version}`, r]), "Model")));
  }
}

async function loadRecord() {
  const panel = $("#record");
  const form = $("#record-filters");
  const q = new URLSearchParams(location.search);
  const params = { competition: q.get("record_competition") || "", since: q.get("since") || "" };
  form.since.value = params.since;
  try {
    const board = await getJson(`/v1/scoreboard${query(params)}`, "track record");
    notice(panel, null);
    fillSelect(form.competition, new Set((board.by_competition || []).map((r) => r.competition)), params.competition);
    renderRecord(board);
  } catch (problem) {
    $("#record-body").replaceChildren();
    notice(panel, problem, loadRecord);
  } finally {
    document.body.dataset.record = "loaded";
  }
}

/* ---------- model ---------- */

function definitionList(rows) {
  return h("dl", { class: "inputs" }, rows.filter(Boolean).map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { text: v ?? "–" }))));
}

function metricRows(metrics) {
  return Object.entries(metrics || {}).filter(([, v]) => num(v)).sort(([a], [b]) => a.localeCompare(b));
}

/* [label, metrics] for every object holding numbers, however deep (priced, unpriced, ...). */
function metricSets(value, label = "") {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  const own = metricRows(value);
  const nested = Object.entries(value).flatMap(([k, v]) => metricSets(v, label ? `${label} · ${k}` : k));
  return own.length ? [[label || "all", Object.fromEntries(own)], ...nested] : nested;
}

function backtestTable(backtests) {
  const sets = metricSets(backtests).map(([label, m]) => [label.replace(/^backtests? · /, "").replace(/ · metrics$/, ""), m]);
  if (!sets.length) return null;
  const names = [...new Set(sets.flatMap(([, m]) => Object.keys(m)))];
  return h("div", { class: "scroll" }, h("table", { class: "metrics" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Backtest" }), names.map((n) => h("th", { scope: "col", text: n })))),
    h("tbody", {}, sets.map(([label, m]) => h("tr", {}, h("th", { scope: "row", text: label }),
      names.map((n) => h("td", { text: fixed(m[n], 4) })))))));
}

function modelCard(title, info, champion) {
  const card = h("article", { class: "card" }, h("h2", { text: title }));
  if (!info) { card.append(h("p", { class: "muted", text: "None registered." })); return card; }
  if (champion && info.version === champion.version) {
    card.append(h("p", { class: "muted", text: `The newest version, ${info.version}, is the champion: no challenger is waiting.` }));
    return card;
  }
  const tags = info.tags || {};
  card.append(definitionList([
    ["Version", info.version],
    info.name ? ["Name", info.name] : null,
    ["Registered", info.created_at ? dateText(info.created_at, true) : null],
    ["Promoted", info.promoted_at ? dateText(info.promoted_at, true) : "not promoted"],
    info.loaded_at ? ["Served since", dateText(info.loaded_at, true)] : null,
    info.data_version ? ["Data version", info.data_version] : null,
    ["Why", info.reasons || tags["footcast.promotion.reasons"] || "not recorded (registered by hand)"],
  ]));
  const rows = metricRows(info.metrics);
  if (rows.length) {
    card.append(h("h3", { class: "minor", text: "Backtest" }), h("table", { class: "metrics compact" }, 
      h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row", text: k }), h("td", { text: fixed(v, 4) }))))));
  }
  return card;
}

async function loadModel() {
  const panel = $("#model");
  const body = $("#model-body");
  body.replaceChildren(h("p", { class: "loading", text: "Reading the model registry…" }));
  const [champion, models] = await Promise.allSettled([
    getJson("/v1/models/champion", "model"), getJson("/v1/models", "model registry", REGISTRY_TIMEOUT_MS)]);
  body.replaceChildren();
  notice(panel, champion.status === "rejected" ? champion.reason : null, loadModel);
  const registry = models.status === "fulfilled" ? models.value : null;
  const served = champion.status === "fulfilled" ? champion.value : null;
  if (!served && !registry) { document.body.dataset.model = "loaded"; return; }
  const cards = h("div", { class: "cards two" });
  const champ = served ? { ...(registry?.champion || {}), ...served } : registry?.champion;
  cards.append(modelCard("Champion", champ));
  if (registry) cards.append(modelCard("Challenger", registry.challenger, champ));
  body.append(cards);
  const backtests = served && Object.fromEntries(Object.entries(served).filter(([k, v]) => k.startsWith("backtest") && v && typeof v === "object"));
  const table = backtests ? backtestTable(backtests) : null;
  if (table) body.append(h("h2", { text: "Backtest: priced and unpriced paths" }), table);
  if (models.status === "rejected") body.append(h("p", { class: "muted", text: models.reason.message }));
  if (registry?.decisions?.length) {
    body.append(h("h2", { text: "Last promotion decisions" }), h("div", { class: "scroll" }, h("table", { class: "metrics text" },
      h("thead", {}, h("tr", {}, ["Version", "Decision", "When", "Why"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, registry.decisions.map((d) => h("tr", {},
        h("th", { scope: "row", text: d.version }), h("td", { text: { promote: "promoted", keep_champion: "kept the champion" }[d.decision] || d.decision || "–" }),
        h("td", { text: d.at ? dateText(d.at, true) : "–" }), h("td", { text: d.reasons || "–" })))))));
  }
  document.body.dataset.model = "loaded";
}

/* ---------- health ---------- */

async function loadHealth() {
  const panel = $("#health");
  const body = $("#health-body");
  body.replaceChildren(h("p", { class: "loading", text: "Asking every dependency…" }));
  let r;
  try {
    r = await getJson("/health/ready", "health report");
    notice(panel, null);
  } catch (problem) {
    body.replaceChildren();
    notice(panel, problem, loadHealth);
    document.body.dataset.health = "loaded";
    return;
  }
  body.replaceChildren();
  const checks = Object.entries(r.checks || {});
  const down = checks.filter(([, c]) => c.status === "down").map(([n]) => COMPONENTS[n] || n);
  const degraded = checks.filter(([, c]) => c.status === "degraded").map(([n]) => COMPONENTS[n] || n);
  body.append(h("p", { class: `summary status-${r.status}` },
    r.status === "ready"
      ? (degraded.length ? `footcast is serving, more slowly: ${degraded.join(", ")} is not answering, so nothing is cached.` : "footcast is serving: everything it needs is answering.")
      : `footcast cannot serve forecasts: ${down.join(", ") || "a dependency"} is down.`));
  body.append(h("table", { class: "metrics text" },
    h("thead", {}, h("tr", {}, ["Dependency", "State", "Answered in"].map((t) => h("th", { scope: "col", text: t })))),
    h("tbody", {}, checks.map(([name, c]) => h("tr", {}, h("th", { scope: "row", text: DEPENDENCIES[name] || name }),
      h("td", { text: { up: "✓ up", down: "✗ down", degraded: "! degraded" }[c.status] || c.status }),
      h("td", { text: num(c.latency_ms) ? `${c.latency_ms} ms` : "–" }))))));
  body.append(h("h2", { text: "Queues" }));
  if (!r.queues) {
    body.append(h("p", { class: "muted", text: r.queues === null
      ? "RabbitMQ did not say how its queues stand (it may be down)."
      : "This footcast server's readiness report does not list its queues (it may be an older version)." }));
  } else {
    const queues = Object.entries(r.queues);
    const parked = queues.filter(([, q]) => q.dead_letters > 0);
    const idle = queues.filter(([, q]) => q.consumers === 0).map(([name]) => name);
    body.append(h("p", { class: "summary" },
      parked.length
        ? `${parked.map(([name, q]) => `${q.dead_letters} message${q.dead_letters === 1 ? "" : "s"} in ${name}'s dead-letter queue`).join("; ")}: list them with “footcast dlq list”. `
        : "No dead letters: no message has failed for good. ",
      idle.length ? `No worker consumes ${idle.join(", ")}.` : "Every queue has a worker."),
    h("table", { class: "metrics" },
      h("thead", {}, h("tr", {}, ["Queue", "Waiting", "Workers", "Dead letters"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, queues.map(([name, q]) => h("tr", {}, h("th", { scope: "row", text: name }), h("td", { text: q.messages ?? "–" }),
        h("td", { text: q.consumers === 0 ? "✗ none" : q.consumers ?? "–" }), h("td", { text: q.dead_letters ?? "–" }))))));
  }
  document.body.dataset.health = "loaded";
}

/* ---------- routing ---------- */

const loaded = {};

function route() {
  const hash = location.hash.slice(1) || "matchday";
  const [panelId, arg] = hash.split("/");
  const panel = document.getElementById(panelId) ? panelId : "matchday";
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== panel;
  for (const a of document.querySelectorAll("nav a")) {
    const on = a.dataset.tab === panel || (panel === "fixture" && a.dataset.tab === "matchday");
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  if (panel === "fixture") renderFixture(decodeURIComponent(arg || ""));
  const loaders = { record: loadRecord, model: loadModel, health: loadHealth };
  if (loaders[panel] && !loaded[panel]) { loaded[panel] = true; loaders[panel](); }
  if (panel !== "matchday") window.scrollTo(0, 0);
}

function submitTo(form, names) {
  return (event) => {
    event.preventDefault();
    const q = new URLSearchParams(location.search);
    for (const [name, param] of names) {
      if (form[name].value) q.set(param, form[name].value); else q.delete(param);
    }
    history.replaceState(null, "", `${location.pathname}?${q}${location.hash}`);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const form = $("#filters");
  form.addEventListener("submit", submitTo(form, [["competition", "competition"], ["from", "from"], ["to", "to"]]));
  form.addEventListener("submit", loadFixtures);
  const record = $("#record-filters");
  record.addEventListener("submit", submitTo(record, [["competition", "record_competition"], ["since", "since"]]));
  record.addEventListener("submit", loadRecord);
  window.addEventListener("hashchange", route);
  route();
  loadFixtures();
});
