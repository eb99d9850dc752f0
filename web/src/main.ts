import "./style.css";
import { getJSON, getText, stream, token, whenUnauthorized, Unauthorized } from "./api";
import { graphView, kindStyle, type GraphView } from "./graph";
import { openPanel, openDetail, closePanel } from "./panel";
import { h, $, clear, errorBox, fmtTime } from "./dom";
import {
  ranges, sliderWindow, sliderPos, timelineSpan, windowQuery, diffStates, withRemoved, statsSideBySide, latencyMs,
  bars, fmtUSD, fmtMs, type TimeWindow, diffColor, outcomeClass,
} from "./shape";
import type { Graph, ServiceMap, FunctionStats, Deployment, DiffAnswer, CostAnswer, Experiment } from "./types";

declare global {
  interface Window {
    stacklab: Record<string, unknown>;
  }
}

interface State {
  graph: Graph | null; // the graph drawn now (current, or a diff)
  current: Graph | null; // the deployed stack
  collapsed: boolean;
  range: string;
  custom: TimeWindow | null;
  live: boolean;
  slider: number;
  stats: FunctionStats[];
  lastMap: ServiceMap | null;
  deployments: Deployment[];
  picked: number[];
  tab: string;
  liveAbort: AbortController | null;
  statsTimer: number | undefined;
}

const state: State = {
  graph: null, current: null, collapsed: false, range: "15m", custom: null, live: true, slider: 1000, stats: [], lastMap: null,
  deployments: [], picked: [], tab: "architecture", liveAbort: null, statsTimer: undefined,
};

let view: GraphView;

function rangeMs(): number {
  if (state.range === "custom" && state.custom) return state.custom.until.getTime() - state.custom.since.getTime();
  return ranges[state.range] ?? ranges["15m"];
}

// theWindow is the time window the page shows now.
function theWindow(): TimeWindow {
  if (state.range === "custom" && state.custom) return state.custom;
  return sliderWindow(Date.now(), rangeMs(), state.live ? 1000 : state.slider);
}

function setStatus(s: string) {
  const el = $("#status");
  el.textContent = s;
  el.dataset.state = s;
}

function nodeOf(id: string) {
  return state.graph?.nodes.find((n) => n.id === id) ?? state.current?.nodes.find((n) => n.id === id);
}

function onSelect(id: string | null, kind: string) {
  if (!id) {
    closePanel();
    return;
  }
  if (kind === "group") {
    // A collapsed group opens into its resources.
    state.collapsed = false;
    $("#lod").textContent = "resources";
    redraw();
    return;
  }
  if (offline) openDetail(nodeOf(id), id, kind);
  else openPanel(nodeOf(id), id, kind, theWindow());
}

function redraw() {
  if (state.graph) view.draw(state.graph, state.collapsed);
  view.setTraffic(state.lastMap, state.stats);
}

function legend() {
  const kinds = new Set((state.graph?.nodes ?? []).map((n) => n.kind));
  clear(
    $("#legend"),
    ...[...kinds].map((k) => h("span", { class: "key" }, h("i", { style: `border-color:${(kindStyle[k] ?? kindStyle.other).stroke};background:${(kindStyle[k] ?? kindStyle.other).fill}` }), k)),
    ...(offline ? [] : [h("span", { class: "key" }, h("i", { class: "ring", style: "border-color:#16a34a" }), "no errors"), h("span", { class: "key" }, h("i", { class: "ring", style: "border-color:#dc2626" }), "errors"), h("span", { class: "key" }, "❄ cold starts · ⚠ throttles")]),
  );
}

// ---------- offline graph mode ----------

const embedded = document.getElementById("stacklab-graph");
const offline = !!embedded;

function debugObject() {
  window.stacklab = {
    nodes: () => view.nodes(),
    edgeTraffic: () => view.edgeTraffic(),
    badges: () => view.badges(),
    select: (id: string) => view.select(id),
    state: () => ({ live: state.live, range: state.range, window: theWindow(), collapsed: state.collapsed, picked: [...state.picked], tab: state.tab }),
    cy: () => view.cy,
    offline,
  };
}

function boot() {
  view = graphView($("#graph"), onSelect);
  debugObject();
  $("#fit").addEventListener("click", () => view.fit());
  $("#lod").addEventListener("click", () => {
    state.collapsed = !state.collapsed;
    $("#lod").textContent = state.collapsed ? "stack" : "resources";
    redraw();
  });
  if (offline) {
    document.body.classList.add("offline");
    $("#app").hidden = false;
    $("#panel-close").addEventListener("click", () => closePanel());
    for (const sel of ["#tabs", "#versions-card", "#timeline", "#range", "label[for=range]", "#live", "#status"]) {
      const el = document.querySelector<HTMLElement>(sel);
      if (el) el.hidden = true;
    }
    try {
      state.graph = JSON.parse(embedded!.textContent || "{}") as Graph;
      state.graph.nodes ??= [];
      state.graph.edges ??= [];
      redraw();
      legend();
    } catch (e) {
      $("#graph-wrap").prepend(errorBox(e));
    }
    return;
  }
  wireTime();
  wireTabs();
  $("#panel-close").addEventListener("click", () => closePanel());
  $("#diff-clear").addEventListener("click", () => clearDiff());
  whenUnauthorized(() => askToken(true));
  $("#token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $<HTMLInputElement>("#token-input").value.trim();
    if (!t) return;
    token.set(t);
    start();
  });
  if (token.get()) start();
  else askToken(false);
}

function askToken(wrong: boolean) {
  stopLive();
  $("#app").hidden = true;
  $("#login").hidden = false;
  $("#token-error").hidden = !wrong;
  const input = $<HTMLInputElement>("#token-input");
  input.value = "";
  input.focus();
  setStatus(wrong ? "wrong token" : "");
}

async function start() {
  try {
    const g = await getJSON<Graph>("/v1/graph");
    $("#login").hidden = true;
    $("#token-error").hidden = true;
    $("#app").hidden = false;
    state.current = g;
    state.graph = g;
    redraw();
    legend();
    await Promise.all([loadDeployments(), state.live ? goLive() : replay()]);
  } catch (e) {
    if (e instanceof Unauthorized) return;
    $("#login").hidden = true;
    $("#app").hidden = false;
    setStatus("error");
    $("#graph-wrap").prepend(errorBox(e));
  }
}

// ---------- time ----------

function wireTime() {
  const range = $<HTMLSelectElement>("#range");
  range.addEventListener("change", () => {
    state.range = range.value;
    $("#custom").hidden = range.value !== "custom";
    if (range.value === "custom") {
      const w = theWindow();
      $<HTMLInputElement>("#custom-since").value = localInput(w.since);
      $<HTMLInputElement>("#custom-until").value = localInput(w.until);
      return;
    }
    state.custom = null;
    placeMarkers();
    windowChanged();
  });
  $("#custom-apply").addEventListener("click", () => {
    const since = new Date($<HTMLInputElement>("#custom-since").value);
    const until = new Date($<HTMLInputElement>("#custom-until").value);
    if (isNaN(since.getTime()) || isNaN(until.getTime()) || until <= since) {
      setStatus("custom window: until must come after since");
      return;
    }
    state.custom = { since, until };
    state.live = false;
    windowChanged();
  });
  const slider = $<HTMLInputElement>("#slider");
  slider.addEventListener("input", () => {
    state.slider = +slider.value;
    updateWindowLabel(state.slider < 1000);
  });
  slider.addEventListener("change", () => {
    state.slider = +slider.value;
    state.live = state.slider >= 1000 && state.range !== "custom";
    windowChanged();
  });
  $("#live").addEventListener("click", () => {
    state.slider = 1000;
    slider.value = "1000";
    if (state.range === "custom") {
      state.range = "15m";
      range.value = "15m";
      $("#custom").hidden = true;
      state.custom = null;
    }
    state.live = true;
    windowChanged();
  });
}

function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function updateWindowLabel(replaying: boolean) {
  const w = state.range === "custom" && state.custom ? state.custom : sliderWindow(Date.now(), rangeMs(), replaying ? state.slider : 1000);
  $("#window-label").textContent = !replaying && state.live ? `live · stats over the last ${state.range}` : `${fmtTime(w.since)} – ${fmtTime(w.until)}`;
  $("#live").classList.toggle("on", state.live);
  document.body.dataset.mode = state.live ? "live" : "replay";
}

function windowChanged() {
  updateWindowLabel(!state.live);
  placeMarkers();
  if (state.live) goLive();
  else replay();
  const panel = $("#panel");
  if (!panel.hidden && panel.dataset.resource) {
    const id = panel.dataset.resource;
    const n = nodeOf(id);
    openPanel(n, id, n?.kind ?? "", theWindow());
  }
  if (state.tab === "cost") loadCost();
}

function stopLive() {
  state.liveAbort?.abort();
  state.liveAbort = null;
  if (state.statsTimer) clearInterval(state.statsTimer);
  state.statsTimer = undefined;
}

async function loadStats(w: TimeWindow) {
  try {
    state.stats = (await getJSON<FunctionStats[] | null>(`/v1/stats?${windowQuery(w)}`)) ?? [];
  } catch (e) {
    if (e instanceof Unauthorized) throw e;
    state.stats = [];
  }
}

async function goLive() {
  stopLive();
  state.live = true;
  updateWindowLabel(false);
  const ac = new AbortController();
  state.liveAbort = ac;
  setStatus("connecting");
  await loadStats(theWindow()).catch(() => {});
  state.statsTimer = window.setInterval(() => {
    loadStats(theWindow()).then(() => view.setTraffic(state.lastMap, state.stats), () => {});
  }, 15000);
  stream(
    "/v1/live",
    ac.signal,
    (ev) => {
      if (ev.event === "map") {
        try {
          state.lastMap = JSON.parse(ev.data) as ServiceMap;
        } catch {
          return;
        }
        if (state.picked.length < 2) view.setTraffic(state.lastMap, state.stats);
        $("#graph").dataset.updated = String(Date.now());
      } else if (ev.event === "deployment") {
        reloadGraph();
        loadDeployments();
      }
    },
    setStatus,
  );
}

async function replay() {
  stopLive();
  state.live = false;
  updateWindowLabel(true);
  const w = theWindow();
  setStatus("replay");
  try {
    const [m] = await Promise.all([getJSON<ServiceMap>(`/v1/map?${windowQuery(w)}`), loadStats(w)]);
    state.lastMap = m;
    view.setTraffic(m, state.stats);
    $("#graph").dataset.updated = String(Date.now());
  } catch (e) {
    if (!(e instanceof Unauthorized)) setStatus("replay failed: " + (e as Error).message);
  }
}

async function reloadGraph() {
  try {
    const g = await getJSON<Graph>("/v1/graph");
    state.current = g;
    if (state.picked.length < 2) {
      state.graph = g;
      redraw();
      legend();
    }
  } catch {
    /* keep the old one */
  }
}

// ---------- deployments and diffs ----------

async function loadDeployments() {
  try {
    state.deployments = ((await getJSON<Deployment[] | null>("/v1/deployments")) ?? []).sort((a, b) => a.version - b.version);
  } catch (e) {
    if (e instanceof Unauthorized) return;
    clear($("#versions"), h("li", {}, errorBox(e)));
    return;
  }
  renderVersions();
  placeMarkers();
}

function renderVersions() {
  const ul = $("#versions");
  clear(
    ul,
    ...[...state.deployments].reverse().map((d) =>
      h(
        "li",
        { class: `version ${outcomeClass(d.outcome)}`, "data-version": d.version },
        h("label", {},
          h("input", { type: "checkbox", "data-version": d.version, checked: state.picked.includes(d.version), onchange: () => pick(d.version) }),
          h("b", {}, `v${d.version}`), " ", h("span", { class: "hint" }, fmtTime(d.time)), " ", h("span", { class: "outcome" }, d.outcome + (d.rollbackOf ? ` (rollback to v${d.rollbackOf})` : ""))),
      ),
    ),
  );
  if (state.deployments.length === 0) ul.append(h("li", { class: "hint" }, "no deployments recorded"));
}

function placeMarkers() {
  const box = $("#markers");
  const now = Date.now();
  const r = rangeMs();
  const span = timelineSpan(r);
  clear(
    box,
    ...state.deployments
      .filter((d) => now - Date.parse(d.time) <= span)
      .map((d) =>
        h("button", {
          class: `marker ${state.picked.includes(d.version) ? "picked" : ""} ${outcomeClass(d.outcome)}`,
          "data-version": d.version,
          style: `left:${sliderPos(now, r, Date.parse(d.time)) / 10}%`,
          title: `v${d.version} ${fmtTime(d.time)} ${d.outcome}`,
          onclick: () => pick(d.version),
        }, `v${d.version}`),
      ),
  );
}

function pick(v: number) {
  if (state.picked.includes(v)) state.picked = state.picked.filter((x) => x !== v);
  else state.picked = [...state.picked, v].slice(-2);
  renderVersions();
  placeMarkers();
  if (state.picked.length === 2) compare();
  else if (document.body.dataset.diff) clearDiff(false);
}

function clearDiff(unpick = true) {
  if (unpick) state.picked = [];
  document.body.dataset.diff = "";
  $("#diff").hidden = true;
  $("#diff-clear").hidden = true;
  view.setDiff(null);
  state.graph = state.current;
  redraw();
  legend();
  renderVersions();
  placeMarkers();
}

async function compare() {
  const [a, b] = [...state.picked].sort((x, y) => x - y);
  const box = $("#diff");
  box.hidden = false;
  $("#diff-clear").hidden = false;
  clear(box, h("p", { class: "hint" }, `comparing v${a} → v${b}…`));
  const latest = state.deployments.length ? state.deployments[state.deployments.length - 1].version : undefined;
  const from = state.deployments.find((d) => d.version === a);
  const since = from ? new Date(from.time) : new Date(Date.now() - 24 * 3600e3);
  try {
    const [diff, older, newer, stats] = await Promise.all([
      getJSON<DiffAnswer>(`/v1/deployments/diff?from=${a}&to=${b}`),
      getJSON<Graph>(`/v1/graph?version=${a}`),
      b === latest && state.current ? Promise.resolve(state.current) : getJSON<Graph>(`/v1/graph?version=${b}`),
      getJSON<FunctionStats[] | null>(`/v1/stats?by=version&since=${encodeURIComponent(since.toISOString())}`).catch((e) => {
        if (e instanceof Unauthorized) throw e;
        return [] as FunctionStats[];
      }),
    ]);
    const states = diffStates(diff.changes);
    state.graph = withRemoved(newer, older, states);
    redraw();
    legend();
    view.setDiff(states);
    document.body.dataset.diff = `${a}-${b}`;
    const count = (s: string) => [...states.values()].filter((x) => x === s).length;
    const rows = statsSideBySide(stats ?? [], String(a), String(b));
    const cell = (s?: FunctionStats) =>
      s
        ? [h("td", { class: "num" }, String(s.Invocations)), h("td", { class: "num" }, ((s.ErrorRate || 0) * 100).toFixed(1) + "%"), h("td", { class: "num" }, fmtMs(latencyMs(s.Duration, "P95"))), h("td", { class: "num" }, String(s.ColdStarts)), h("td", { class: "num" }, fmtUSD(s.Cost || 0))]
        : [h("td", { colspan: 5, class: "hint" }, "–")];
    clear(
      box,
      h("p", { id: "diff-summary" },
        h("span", { class: "chip", style: `background:${diffColor.added}` }, `${count("added")} added`), " ",
        h("span", { class: "chip", style: `background:${diffColor.modified}` }, `${count("modified")} modified`), " ",
        h("span", { class: "chip", style: `background:${diffColor.removed}` }, `${count("removed")} removed`)),
      h("ul", { class: "plain changes" }, ...(diff.changes ?? []).map((c) => h("li", { "data-change": c.action }, h("b", {}, c.action), " ", c.id, c.type ? h("span", { class: "hint" }, " " + c.type) : ""))),
      h("div", { class: "scroll" },
        h("table", { id: "diff-stats" },
          h("thead", {},
            h("tr", {}, h("th", {}), h("th", { colspan: 5 }, `v${a}`), h("th", { colspan: 5 }, `v${b}`)),
            h("tr", {}, h("th", {}, "function"), ...["calls", "err", "p95", "cold", "cost", "calls", "err", "p95", "cold", "cost"].map((x) => h("th", {}, x)))),
          h("tbody", {}, ...(rows.length ? rows.map((r) => h("tr", {}, h("td", {}, r.fn), ...cell(r.a), ...cell(r.b))) : [h("tr", {}, h("td", { colspan: 11, class: "hint" }, "no invocations by these versions"))])))),
    );
  } catch (e) {
    if (!(e instanceof Unauthorized)) clear(box, errorBox(e));
  }
}

// ---------- tabs ----------

function wireTabs() {
  document.querySelectorAll<HTMLButtonElement>("#tabs .tab").forEach((b) =>
    b.addEventListener("click", () => {
      state.tab = b.dataset.tab!;
      document.querySelectorAll("#tabs .tab").forEach((x) => x.classList.toggle("active", x === b));
      document.querySelectorAll<HTMLElement>(".view").forEach((v) => (v.hidden = v.id !== `view-${state.tab}`));
      if (state.tab === "experiments") loadExperiments();
      if (state.tab === "cost") loadCost();
      if (state.tab === "architecture") view.cy.resize();
    }),
  );
}

async function loadExperiments() {
  const ul = $("#experiments");
  clear(ul, h("li", { class: "hint" }, "loading…"));
  try {
    const list = (await getJSON<Experiment[] | null>("/v1/experiments")) ?? [];
    list.sort((a, b) => (b.started || "").localeCompare(a.started || ""));
    clear(ul, ...list.map((x) => h("li", { class: "experiment", "data-id": x.id, tabindex: 0, onclick: () => openExperiment(x) }, h("b", {}, x.name || x.id), " ", h("span", { class: "hint" }, fmtTime(x.started)), " ", ...verdictChips(x))));
    if (list.length === 0) ul.append(h("li", { class: "hint" }, "no experiments in the state folder"));
  } catch (e) {
    if (!(e instanceof Unauthorized)) clear(ul, h("li", {}, errorBox(e)));
  }
}

function verdictChips(x: Experiment): HTMLElement[] {
  const vs = x.verdicts ?? [];
  const pass = vs.filter((v) => /^(supported|pass|passed|ok|confirmed|yes)$/i.test(v.verdict)).length;
  return vs.length ? [h("span", { class: "chip small" }, `${pass}/${vs.length}`)] : [];
}

async function openExperiment(x: Experiment) {
  const box = $("#experiment");
  box.dataset.id = x.id;
  document.querySelectorAll("#experiments li").forEach((li) => li.classList.toggle("sel", (li as HTMLElement).dataset.id === x.id));
  const frame = h("iframe", { id: "report", sandbox: "allow-scripts allow-popups", title: "experiment report" }) as HTMLIFrameElement;
  clear(
    box,
    h("h2", {}, x.name || x.id),
    h("ul", { class: "plain", id: "verdicts" }, ...(x.verdicts ?? []).map((v) => h("li", { class: `verdict v-${v.verdict.toLowerCase().replace(/[^a-z]+/g, "-")}` }, h("b", {}, v.verdict), " ", v.text))),
    frame,
  );
  try {
    frame.srcdoc = await getText(`/v1/experiments/${encodeURIComponent(x.id)}/report.html`);
  } catch (e) {
    if (!(e instanceof Unauthorized)) frame.replaceWith(errorBox(e));
  }
}

async function loadCost() {
  const box = $("#cost");
  const w = theWindow();
  clear(box, h("p", { class: "hint" }, "loading…"));
  try {
    const c = await getJSON<CostAnswer>(`/v1/cost?${windowQuery(w)}`);
    const res = bars(c.resources ?? [], (r) => r.cost);
    const ver = bars(c.versions ?? [], (v) => v.cost);
    const bar = (label: string, pct: number, value: string, extra: string, attrs: Record<string, string>) =>
      h("div", { class: "bar-row", ...attrs }, h("span", { class: "bar-label" }, label), h("span", { class: "bar-track" }, h("span", { class: "bar-fill", style: `width:${pct}%` })), h("span", { class: "bar-value" }, value), h("span", { class: "hint" }, extra));
    clear(
      box,
      h("h2", {}, "Cost ", h("span", { class: "hint" }, `${fmtTime(w.since)} – ${fmtTime(w.until)}`)),
      h("p", { id: "cost-total" }, "total ", h("b", {}, fmtUSD(c.total || 0))),
      h("h3", {}, "By resource"),
      h("div", { id: "cost-resources", class: "bars" }, ...(res.length ? res.map((b) => bar(b.item.resource, b.pct, fmtUSD(b.value), `${b.item.invocations} calls · ${(b.item.gbSeconds ?? 0).toFixed(2)} GB·s`, { "data-resource": b.item.resource })) : [h("p", { class: "hint" }, "nothing billed in this window")])),
      h("h3", {}, "By deployment version"),
      h("div", { id: "cost-versions", class: "bars" }, ...ver.map((b) => bar(`v${b.item.version}`, b.pct, fmtUSD(b.value), `${b.item.invocations} calls`, { "data-version": String(b.item.version) }))),
    );
  } catch (e) {
    if (!(e instanceof Unauthorized)) clear(box, errorBox(e));
  }
}

let resizeTimer: number | undefined;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    view?.cy.resize();
    view?.fit();
  }, 150);
});
boot();
