// The drill-down panel: a node's detail, its metrics over time, recent
// invocations, their logs and trace waterfall.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { getJSON, getText } from "./api";
import { h, $, clear, errorBox, fmtTime } from "./dom";
import { seriesData, waterfall, ndjson, fmtMs, fmtUSD, windowQuery, type TimeWindow, type UData } from "./shape";
import type { GraphNode, Series, Invocation, LogLine, TraceView } from "./types";

let charts: uPlot[] = [];
let seq = 0;

export function closePanel() {
  $("#panel").hidden = true;
  charts.forEach((c) => c.destroy());
  charts = [];
}

// openDetail shows a node's detail alone (offline graph mode: no data calls).
export function openDetail(node: GraphNode | undefined, id: string, kind: string) {
  const panel = $("#panel");
  panel.hidden = false;
  panel.classList.add("detail-only");
  panel.dataset.resource = id;
  $("#panel-title").textContent = `${node?.label || id}`;
  renderDetail(node, kind);
}

export async function openPanel(node: GraphNode | undefined, id: string, kind: string, w: TimeWindow) {
  const panel = $("#panel");
  panel.hidden = false;
  panel.classList.remove("detail-only");
  panel.dataset.resource = id;
  const mine = ++seq;
  $("#panel-title").textContent = `${node?.label || id}`;
  $("#panel-title").title = `${kind} ${id}`;
  renderDetail(node, kind);
  $("#trace").hidden = true;
  $("#logs").hidden = true;
  const tbody = $("#invocations").querySelector("tbody")!;
  clear(tbody);
  charts.forEach((c) => c.destroy());
  charts = [];
  const chartBox = $("#series-chart");
  clear(chartBox, h("p", { class: "hint" }, "loading…"));
  const q = windowQuery(w);
  const step = stepFor(w);
  const series = getJSON<Series>(`/v1/series?resource=${encodeURIComponent(id)}&${q}&step=${step}`)
    .then((s) => {
      if (mine !== seq) return;
      drawSeries(chartBox, s);
    })
    .catch((e) => mine === seq && clear(chartBox, errorBox(e)));
  const invs = kind === "function" || kind === "group" ? loadInvocations(id, q, mine) : Promise.resolve(clear(tbody, h("tr", {}, h("td", { colspan: 5, class: "hint" }, "invocations are kept for functions")) ));
  await Promise.all([series, invs]);
}

function stepFor(w: TimeWindow): string {
  const s = (w.until.getTime() - w.since.getTime()) / 1000;
  const step = Math.max(10, Math.ceil(s / 120 / 10) * 10);
  return `${step}s`;
}

function renderDetail(node: GraphNode | undefined, kind: string) {
  const box = $("#panel-detail");
  clear(box);
  if (!node) return;
  const d = (node.detail ?? {}) as Record<string, unknown>;
  const kv = h("dl", { class: "kv" });
  const add = (k: string, v: unknown) => {
    if (v === undefined || v === null || v === "") return;
    kv.append(h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)));
  };
  add("kind", kind);
  add("type", node.type);
  if (node.runs === false) add("runs", "no (accepted, not run)");
  for (const k of ["runtime", "handler", "memorySize", "timeout"]) add(k, d[k]);
  for (const [k, v] of Object.entries(d)) if (!["runtime", "handler", "memorySize", "timeout", "triggers", "policies", "environment"].includes(k)) add(k, v);
  box.append(kv);
  const list = (title: string, items: unknown) => {
    if (!Array.isArray(items) || items.length === 0) return;
    box.append(h("h4", {}, title), h("ul", { class: "plain", id: `detail-${title.toLowerCase()}` }, ...items.map((x) => h("li", {}, typeof x === "string" ? x : JSON.stringify(x)))));
  };
  list("Triggers", d.triggers);
  list("Policies", d.policies);
  const env = d.environment as Record<string, unknown> | undefined;
  if (env && typeof env === "object" && Object.keys(env).length) {
    box.append(h("h4", {}, "Environment"), h("dl", { class: "kv", id: "detail-environment" }, ...Object.entries(env).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])));
  }
}

function drawSeries(box: HTMLElement, s: Series) {
  clear(box);
  if (!s.t || s.t.length === 0) {
    box.append(h("p", { class: "hint" }, "no data in this window"));
    return;
  }
  const d = seriesData(s);
  const width = Math.max(240, box.clientWidth - 4);
  const mk = (title: string, data: UData, series: { label: string; stroke: string; fmt?: (v: number) => string }[], axis?: (v: number) => string) => {
    if (data.slice(1).every((col) => col.every((v) => v === null || v === 0)) && title !== "Latency (ms)" && title !== "Requests") return;
    const el = h("div", { class: "chart", "data-chart": title });
    box.append(el);
    const opts: uPlot.Options = {
      title,
      width,
      height: 140,
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [{ stroke: "#64748b", size: 30 }, { stroke: "#64748b", size: axis ? 64 : 48, values: axis ? (_u: uPlot, splits: number[]) => splits.map(axis) : undefined }],
      series: [{}, ...series.map((x) => ({ label: x.label, stroke: x.stroke, width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? "–" : x.fmt ? x.fmt(v) : String(+v.toFixed(3))) }))],
    };
    charts.push(new uPlot(opts, data as uPlot.AlignedData, el));
  };
  mk("Latency (ms)", d.latency, [
    { label: "p50", stroke: "#16a34a", fmt: fmtMs },
    { label: "p95", stroke: "#f59e0b", fmt: fmtMs },
    { label: "p99", stroke: "#dc2626", fmt: fmtMs },
  ]);
  mk("Requests", d.traffic, [
    { label: "rate /s", stroke: "#2563eb" },
    { label: "errors", stroke: "#dc2626" },
  ]);
  mk("Cold starts, throttles, concurrency", d.capacity, [
    { label: "cold", stroke: "#0ea5e9" },
    { label: "throttles", stroke: "#7c3aed" },
    { label: "concurrency", stroke: "#64748b" },
  ]);
  mk("Cost (USD)", d.cost, [{ label: "cost", stroke: "#a16207", fmt: fmtUSD }], (v) => (v === 0 ? "0" : v.toPrecision(2)));
}

async function loadInvocations(fn: string, q: string, mine: number) {
  const tbody = $("#invocations").querySelector("tbody")!;
  try {
    const list = await getJSON<Invocation[] | null>(`/v1/invocations?function=${encodeURIComponent(fn)}&${q}&limit=50`);
    if (mine !== seq) return;
    if (!list || list.length === 0) {
      clear(tbody, h("tr", {}, h("td", { colspan: 5, class: "hint" }, "no invocations in this window")));
      return;
    }
    clear(
      tbody,
      ...list.map((inv) =>
        h(
          "tr",
          {
            class: `inv ${inv.outcome !== "success" && inv.outcome !== "ok" ? "bad" : ""}`,
            "data-request": inv.requestId,
            "data-trace": inv.traceId || "",
            "data-function": inv.function,
            tabindex: 0,
            onclick: (e: Event) => {
              const tr = e.currentTarget as HTMLElement;
              tbody.querySelectorAll("tr.sel").forEach((x) => x.classList.remove("sel"));
              tr.classList.add("sel");
              openInvocation(inv.function || fn, inv);
            },
          },
          h("td", {}, fmtTime(inv.start)),
          h("td", { class: "num" }, inv.durationMs.toFixed(1) + (inv.cold ? " ❄" : "")),
          h("td", {}, inv.outcome),
          h("td", {}, String(inv.version ?? "")),
          h("td", {}, inv.trigger ?? "", inv.traceId ? h("span", { class: "tr-tag" }, "trace") : ""),
        ),
      ),
    );
  } catch (e) {
    if (mine === seq) clear(tbody, h("tr", {}, h("td", { colspan: 5 }, errorBox(e))));
  }
}

export async function openInvocation(fn: string, inv: Invocation) {
  const logs = $("#logs");
  logs.hidden = false;
  clear(logs, h("h3", {}, `Logs of ${inv.requestId}`), h("p", { class: "hint" }, "loading…"));
  const traceBox = $("#trace");
  traceBox.hidden = !inv.traceId;
  const jobs: Promise<unknown>[] = [
    getText(`/v1/logs?function=${encodeURIComponent(fn)}&request=${encodeURIComponent(inv.requestId)}`)
      .then((t) => {
        const lines = ndjson<LogLine>(t);
        clear(logs, h("h3", {}, `Logs of ${inv.requestId}`), lines.length ? h("pre", { class: "log" }, ...lines.map((l) => h("div", { class: "line" }, h("span", { class: "t" }, fmtTime(l.time) + " "), l.text))) : h("p", { class: "hint" }, "no log lines"));
      })
      .catch((e) => clear(logs, errorBox(e))),
  ];
  if (inv.traceId) jobs.push(openTrace(inv.traceId));
  await Promise.all(jobs);
}

export async function openTrace(id: string) {
  const box = $("#trace");
  box.hidden = false;
  box.dataset.trace = id;
  clear(box, h("h3", {}, "Trace"), h("p", { class: "hint" }, "loading…"));
  try {
    const t = await getJSON<TraceView>(`/v1/traces/${encodeURIComponent(id)}`);
    drawTrace(box, id, t);
  } catch (e) {
    clear(box, h("h3", {}, "Trace"), errorBox(e));
  }
}

export function drawTrace(box: HTMLElement, id: string, t: TraceView) {
  const { rows, totalMs } = waterfall(t);
  const head = h("div", { class: "trace-head" }, h("h3", {}, `Trace ${id.slice(0, 12)}…`), h("span", {}, `${rows.length} spans · ${fmtMs(totalMs)} · `), h("span", { class: "crit-key" }, "critical path"));
  const ticks = h("div", { class: "ticks" }, ...[0, 25, 50, 75, 100].map((p) => h("span", { style: `left:${p}%` }, fmtMs((totalMs * p) / 100))));
  const list = h(
    "div",
    { class: "waterfall" },
    h("div", { class: "wf-row wf-axis" }, h("div", { class: "wf-name" }), h("div", { class: "wf-bar" }, ticks)),
    ...rows.map((r) =>
      h(
        "div",
        {
          class: `span wf-row${r.critical ? " critical" : ""}${r.error ? " error" : ""}`,
          "data-span": r.span.SpanID,
          "data-critical": r.critical ? "true" : "false",
          title: `${r.span.Resource} · ${r.span.Name}\nstart +${fmtMs(r.startMs)}, ${fmtMs(r.durMs)}${r.span.StatusMessage ? "\n" + r.span.StatusMessage : ""}`,
        },
        h("div", { class: "wf-name", style: `padding-left:${r.depth * 12 + 4}px` }, h("b", {}, r.span.Resource || "?"), " ", r.span.Name),
        h("div", { class: "wf-bar" }, h("div", { class: "bar", style: `left:${r.left}%;width:${r.width}%` }), h("span", { class: "dur", style: `left:${Math.min(r.left + r.width, 85)}%` }, fmtMs(r.durMs))),
      ),
    ),
  );
  clear(box, head, list);
}
