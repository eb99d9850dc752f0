// Pure data shaping: control API answers -> what the page draws.
import type { Graph, GraphNode, ServiceMap, Series, Change, Span, TraceView, FunctionStats, Latency } from "./types";

// ---------- matching service-map resources to graph nodes ----------

// resolver maps a resource name of the service map (a logical id for most
// resources, a function's name for functions) to a graph node id.
export function resolver(graph: Graph): (resource: string) => string | undefined {
  const byId = new Map<string, string>();
  const byOther = new Map<string, string>();
  for (const n of graph.nodes) {
    byId.set(n.id, n.id);
    for (const alias of aliases(n)) if (!byOther.has(alias)) byOther.set(alias, n.id);
  }
  return (r: string) => byId.get(r) ?? byOther.get(r);
}

function aliases(n: GraphNode): string[] {
  const out: string[] = [];
  if (n.label) out.push(n.label);
  const d = n.detail ?? {};
  for (const k of ["functionName", "FunctionName", "name", "Name", "physicalId"]) {
    const v = d[k];
    if (typeof v === "string" && v) out.push(v);
  }
  return out;
}

// ---------- traffic overlay ----------

export interface NodeTraffic {
  calls: number;
  errors: number;
  rate: number; // per second
  errorShare: number; // 0..1
  p95ms: number;
  cold: number;
  throttles: number;
}

export interface EdgeTraffic {
  from: string; // graph node ids
  to: string;
  calls: number;
  errors: number;
  rate: number; // per second over the window
  errorShare: number;
  matched: boolean; // false: the edge is seen in traffic but not declared in the graph
}

export interface Overlay {
  nodes: Map<string, NodeTraffic>;
  edges: Map<string, EdgeTraffic>; // key "from->to"
  seconds: number;
}

export const edgeKey = (from: string, to: string) => `${from}->${to}`;

export function windowSeconds(m: ServiceMap, fallback = 60): number {
  if (m.Since && m.Until) {
    const s = (Date.parse(m.Until) - Date.parse(m.Since)) / 1000;
    if (s > 0 && isFinite(s)) return s;
  }
  return fallback;
}

// overlay joins a service map onto a graph by node id. Resources that are no
// node are left out; edges between nodes that the graph does not declare come
// back with matched=false.
export function overlay(graph: Graph, m: ServiceMap, stats: FunctionStats[] = [], fallbackSeconds = 60): Overlay {
  const resolve = resolver(graph);
  const seconds = windowSeconds(m, fallbackSeconds);
  const nodes = new Map<string, NodeTraffic>();
  for (const n of m.Nodes ?? []) {
    const id = resolve(n.Resource);
    if (!id) continue;
    const prev = nodes.get(id);
    const calls = (prev?.calls ?? 0) + n.Calls;
    const errors = (prev?.errors ?? 0) + n.Errors;
    nodes.set(id, {
      calls,
      errors,
      rate: (prev?.rate ?? 0) + (n.Rate || n.Calls / seconds),
      errorShare: calls > 0 ? errors / calls : 0,
      p95ms: Math.max(prev?.p95ms ?? 0, nsToMs(n.Latency?.P95 ?? 0)),
      cold: 0,
      throttles: 0,
    });
  }
  for (const s of stats) {
    const id = resolve(s.Function);
    if (!id) continue;
    const t = nodes.get(id) ?? { calls: 0, errors: 0, rate: 0, errorShare: 0, p95ms: 0, cold: 0, throttles: 0 };
    t.cold += s.ColdStarts || 0;
    t.throttles += s.Throttles || 0;
    nodes.set(id, t);
  }
  const declared = new Set(graph.edges.map((e) => edgeKey(e.from, e.to)));
  const edges = new Map<string, EdgeTraffic>();
  for (const e of m.Edges ?? []) {
    const from = resolve(e.From);
    const to = resolve(e.To);
    if (!from || !to || from === to) continue;
    const key = edgeKey(from, to);
    const prev = edges.get(key);
    const calls = (prev?.calls ?? 0) + e.Calls;
    const errors = (prev?.errors ?? 0) + e.Errors;
    edges.set(key, { from, to, calls, errors, rate: calls / seconds, errorShare: calls > 0 ? errors / calls : 0, matched: declared.has(key) });
  }
  return { nodes, edges, seconds };
}

export const nsToMs = (ns: number) => ns / 1e6;

// errorColor goes from green (no errors) through amber to red (half or more
// of the calls failed).
export function errorColor(share: number): string {
  const s = Math.max(0, Math.min(1, share * 2));
  const green = [22, 163, 74];
  const amber = [245, 158, 11];
  const red = [220, 38, 38];
  const [a, b, f] = s < 0.5 ? [green, amber, s * 2] : [amber, red, (s - 0.5) * 2];
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * f));
  return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
}

// edgeWidth grows with the log of the request rate: 1.5 px idle, 12 px max.
export function edgeWidth(rate: number): number {
  if (!(rate > 0)) return 1.5;
  return Math.min(12, 2 + 2.2 * Math.log10(1 + rate * 10));
}

// dashSpeed is how many px per second the dash moves along an edge.
export function dashSpeed(rate: number): number {
  if (!(rate > 0)) return 0;
  return Math.min(120, 10 + 25 * Math.log10(1 + rate * 10));
}

export function fmtRate(r: number): string {
  if (r >= 100) return r.toFixed(0);
  if (r >= 10) return r.toFixed(1);
  if (r >= 0.01) return r.toFixed(2);
  return r > 0 ? "<0.01" : "0";
}

export function fmtMs(ms: number): string {
  if (ms >= 10000) return (ms / 1000).toFixed(1) + "s";
  if (ms >= 100) return ms.toFixed(0) + "ms";
  if (ms >= 1) return ms.toFixed(1) + "ms";
  return ms > 0 ? ms.toFixed(2) + "ms" : "0ms";
}

export function fmtUSD(c: number): string {
  if (c === 0) return "$0";
  if (c < 0.0001) return "$" + c.toExponential(2);
  if (c < 1) return "$" + c.toFixed(6).replace(/0+$/, "");
  return "$" + c.toFixed(2);
}

// nodeLabel is the label drawn under a node: its name, and with traffic its
// rate and p95.
export function nodeLabel(label: string, t?: NodeTraffic): string {
  if (!t || t.calls === 0) return label;
  return `${label}\n${fmtRate(t.rate)} req/s · p95 ${fmtMs(t.p95ms)}`;
}

export function badges(t?: NodeTraffic): string {
  if (!t) return "";
  const parts: string[] = [];
  if (t.cold > 0) parts.push(`❄${t.cold}`);
  if (t.throttles > 0) parts.push(`⚠${t.throttles}`);
  return parts.join(" ");
}

// ---------- levels of detail ----------

export interface Drawn {
  nodes: { id: string; label: string; kind: string; x: number; y: number; w: number; h: number; parent?: string; members?: string[]; group?: boolean; removed?: boolean }[];
  edges: { id: string; from: string; to: string; label: string; kind: string; observed?: boolean }[];
}

const defaultW = 140;
const defaultH = 56;

// expanded draws every resource at its position, inside a compound node per
// group (when the graph has groups).
export function expanded(g: Graph): Drawn {
  const groups = new Map((g.groups ?? []).map((x) => [x.id, x]));
  const used = new Set(g.nodes.map((n) => n.group).filter((x): x is string => !!x && groups.has(x)));
  const nodes: Drawn["nodes"] = [];
  for (const gid of used) {
    const gr = groups.get(gid)!;
    nodes.push({ id: groupNodeId(gid), label: gr.label, kind: "group", x: 0, y: 0, w: 0, h: 0, group: true });
  }
  for (const n of g.nodes) {
    nodes.push({
      id: n.id,
      label: n.label || n.id,
      kind: n.kind || "other",
      x: n.x ?? 0,
      y: n.y ?? 0,
      w: n.w || defaultW,
      h: n.h || defaultH,
      parent: n.group && used.has(n.group) ? groupNodeId(n.group) : undefined,
    });
  }
  const edges = g.edges.map((e, i) => ({ id: e.id || `e${i}:${e.from}->${e.to}`, from: e.from, to: e.to, label: e.label ?? "", kind: e.kind ?? "" }));
  return { nodes, edges };
}

export const groupNodeId = (gid: string) => `group:${gid}`;

// collapsed draws one node per group (at the centre of its members) and one
// edge per pair of groups that has edges between them, labelled with their
// count. Nodes without a group stay as they are.
export function collapsed(g: Graph): Drawn {
  const groups = new Map((g.groups ?? []).map((x) => [x.id, x]));
  const owner = new Map<string, string>();
  const members = new Map<string, GraphNode[]>();
  for (const n of g.nodes) {
    const key = n.group && groups.has(n.group) ? groupNodeId(n.group) : n.id;
    owner.set(n.id, key);
    if (!members.has(key)) members.set(key, []);
    members.get(key)!.push(n);
  }
  const nodes: Drawn["nodes"] = [];
  for (const [key, ns] of members) {
    if (key.startsWith("group:")) {
      const gr = groups.get(key.slice(6))!;
      const x = ns.reduce((a, n) => a + (n.x ?? 0), 0) / ns.length;
      const y = ns.reduce((a, n) => a + (n.y ?? 0), 0) / ns.length;
      const kinds = new Set(ns.map((n) => n.kind));
      nodes.push({ id: key, label: `${gr.label} (${ns.length})`, kind: kinds.size === 1 ? [...kinds][0] : "group", x, y, w: defaultW + 20, h: defaultH + 10, members: ns.map((n) => n.id) });
    } else {
      const n = ns[0];
      nodes.push({ id: n.id, label: n.label || n.id, kind: n.kind || "other", x: n.x ?? 0, y: n.y ?? 0, w: n.w || defaultW, h: n.h || defaultH });
    }
  }
  const count = new Map<string, { from: string; to: string; n: number }>();
  for (const e of g.edges) {
    const from = owner.get(e.from);
    const to = owner.get(e.to);
    if (!from || !to || from === to) continue;
    const k = edgeKey(from, to);
    const c = count.get(k) ?? { from, to, n: 0 };
    c.n++;
    count.set(k, c);
  }
  const edges = [...count.values()].map((c) => ({ id: `c:${c.from}->${c.to}`, from: c.from, to: c.to, label: c.n > 1 ? `${c.n}` : "", kind: "group" }));
  return { nodes, edges };
}

// rollUp sums the traffic of an overlay onto collapsed group nodes.
export function rollUp(d: Drawn, o: Overlay): Overlay {
  const owner = new Map<string, string>();
  for (const n of d.nodes) for (const m of n.members ?? []) owner.set(m, n.id);
  const nodes = new Map<string, NodeTraffic>();
  for (const [id, t] of o.nodes) {
    const key = owner.get(id) ?? id;
    const p = nodes.get(key);
    if (!p) {
      nodes.set(key, { ...t });
      continue;
    }
    p.calls += t.calls;
    p.errors += t.errors;
    p.rate += t.rate;
    p.errorShare = p.calls > 0 ? p.errors / p.calls : 0;
    p.p95ms = Math.max(p.p95ms, t.p95ms);
    p.cold += t.cold;
    p.throttles += t.throttles;
  }
  const edges = new Map<string, EdgeTraffic>();
  for (const e of o.edges.values()) {
    const from = owner.get(e.from) ?? e.from;
    const to = owner.get(e.to) ?? e.to;
    if (from === to) continue;
    const k = edgeKey(from, to);
    const p = edges.get(k);
    if (!p) {
      edges.set(k, { ...e, from, to, matched: d.edges.some((x) => x.from === from && x.to === to) });
      continue;
    }
    p.calls += e.calls;
    p.errors += e.errors;
    p.rate += e.rate;
    p.errorShare = p.calls > 0 ? p.errors / p.calls : 0;
  }
  return { nodes, edges, seconds: o.seconds };
}

// ---------- deployment diffs ----------

export type DiffState = "added" | "modified" | "removed";

export function diffStates(changes: Change[] | null | undefined): Map<string, DiffState> {
  const out = new Map<string, DiffState>();
  for (const c of changes ?? []) {
    switch (c.action) {
      case "add":
        out.set(c.id, "added");
        break;
      case "modify":
      case "replace":
        out.set(c.id, "modified");
        break;
      case "remove":
        out.set(c.id, "removed");
        break;
    }
  }
  return out;
}

export const diffColor: Record<DiffState, string> = { added: "#16a34a", modified: "#f59e0b", removed: "#dc2626" };

// withRemoved is the newer graph plus the nodes (and their edges) that the
// older one had and the diff removes, at their old positions.
export function withRemoved(newer: Graph, older: Graph, states: Map<string, DiffState>): Graph {
  const have = new Set(newer.nodes.map((n) => n.id));
  void states;
  const removed = older.nodes.filter((n) => !have.has(n.id));
  const ids = new Set([...have, ...removed.map((n) => n.id)]);
  const gone = new Set(removed.map((n) => n.id));
  const edges = older.edges.filter((e) => (gone.has(e.from) || gone.has(e.to)) && ids.has(e.from) && ids.has(e.to));
  const groups = [...(newer.groups ?? [])];
  for (const gr of older.groups ?? []) if (!groups.some((x) => x.id === gr.id)) groups.push(gr);
  return { ...newer, nodes: [...newer.nodes, ...removed], edges: [...newer.edges, ...edges], groups };
}

// statsSideBySide pairs the per-version stats of each function for versions a and b.
export function statsSideBySide(stats: FunctionStats[], a: string, b: string): { fn: string; a?: FunctionStats; b?: FunctionStats }[] {
  const rows = new Map<string, { fn: string; a?: FunctionStats; b?: FunctionStats }>();
  for (const s of stats) {
    const v = String(s.Version);
    if (v !== a && v !== b) continue;
    const r = rows.get(s.Function) ?? { fn: s.Function };
    if (v === a) r.a = s;
    else r.b = s;
    rows.set(s.Function, r);
  }
  return [...rows.values()].sort((x, y) => x.fn.localeCompare(y.fn));
}

export function latencyMs(l: Latency | undefined, p: "P50" | "P95" | "P99"): number {
  return l ? nsToMs(l[p] || 0) : 0;
}

// ---------- series -> uPlot ----------

export type UData = (number | null)[][];

export interface SeriesCharts {
  latency: UData; // t, p50, p95, p99 (ms)
  traffic: UData; // t, rate, errors
  capacity: UData; // t, cold, throttles, concurrency
  cost: UData; // t, cost
}

export function seriesData(s: Series): SeriesCharts {
  const t = s.t ?? [];
  const col = (v?: (number | null)[]) => t.map((_, i) => (v && v[i] !== undefined ? v[i] : null));
  return {
    latency: [t, col(s.p50), col(s.p95), col(s.p99)],
    traffic: [t, col(s.rate), col(s.errors)],
    capacity: [t, col(s.cold), col(s.throttles), col(s.concurrency)],
    cost: [t, col(s.cost)],
  };
}

// ---------- time windows ----------

export const ranges: Record<string, number> = { "5m": 5 * 60e3, "15m": 15 * 60e3, "1h": 3600e3, "6h": 6 * 3600e3, "24h": 24 * 3600e3 };

export interface TimeWindow {
  since: Date;
  until: Date;
}

// timelineSpan is how far back the slider reaches for a range: at least a
// day, and at least four ranges.
export function timelineSpan(rangeMs: number): number {
  return Math.max(24 * 3600e3, 4 * rangeMs);
}

// sliderWindow is the window of length rangeMs that ends at slider position
// pos (0..max: max is now).
export function sliderWindow(now: number, rangeMs: number, pos: number, max = 1000): TimeWindow {
  const span = timelineSpan(rangeMs);
  const until = now - (1 - Math.max(0, Math.min(max, pos)) / max) * span;
  return { since: new Date(until - rangeMs), until: new Date(until) };
}

// sliderPos is the slider position at which time t sits (clamped).
export function sliderPos(now: number, rangeMs: number, t: number, max = 1000): number {
  const span = timelineSpan(rangeMs);
  return Math.max(0, Math.min(max, Math.round(max - ((now - t) / span) * max)));
}

export function windowQuery(w: TimeWindow): string {
  return `since=${encodeURIComponent(w.since.toISOString())}&until=${encodeURIComponent(w.until.toISOString())}`;
}

// ---------- traces ----------

// parseTime reads an RFC 3339 time with up to nanosecond digits into
// milliseconds since the epoch, keeping the sub-millisecond part.
export function parseTime(s: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return Date.parse(s);
  const base = Date.parse(m[1] + m[3]);
  const frac = m[2] ? parseFloat("0" + m[2]) * 1000 : 0;
  return base + frac;
}

export interface WaterfallRow {
  span: Span;
  depth: number;
  startMs: number; // from the trace start
  durMs: number;
  left: number; // 0..100 %
  width: number; // 0..100 %
  critical: boolean;
  error: boolean;
}

// waterfall orders the spans of a trace as a tree (children after their
// parent, by start time) and places each on the trace's time axis.
export function waterfall(t: TraceView): { rows: WaterfallRow[]; totalMs: number } {
  const spans = t.Spans ?? [];
  if (spans.length === 0) return { rows: [], totalMs: 0 };
  const start = new Map(spans.map((s) => [s.SpanID, parseTime(s.Start)]));
  const end = new Map(spans.map((s) => [s.SpanID, parseTime(s.End)]));
  const t0 = Math.min(...start.values());
  const t1 = Math.max(...end.values());
  const total = Math.max(t1 - t0, 1e-6);
  const ids = new Set(spans.map((s) => s.SpanID));
  const kids = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.ParentID && ids.has(s.ParentID) && s.ParentID !== s.SpanID) {
      if (!kids.has(s.ParentID)) kids.set(s.ParentID, []);
      kids.get(s.ParentID)!.push(s);
    } else roots.push(s);
  }
  const byStart = (a: Span, b: Span) => start.get(a.SpanID)! - start.get(b.SpanID)! || a.SpanID.localeCompare(b.SpanID);
  const critical = new Set((t.Path?.Steps ?? []).map((s) => s.SpanID));
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const walk = (s: Span, depth: number) => {
    if (seen.has(s.SpanID)) return;
    seen.add(s.SpanID);
    const st = start.get(s.SpanID)! - t0;
    const du = Math.max(0, end.get(s.SpanID)! - start.get(s.SpanID)!);
    rows.push({
      span: s,
      depth,
      startMs: st,
      durMs: du,
      left: (st / total) * 100,
      width: Math.max((du / total) * 100, 0.3),
      critical: critical.has(s.SpanID),
      error: s.Status === "error",
    });
    for (const k of (kids.get(s.SpanID) ?? []).sort(byStart)) walk(k, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  for (const s of spans) walk(s, 0); // cycles: whatever is left
  return { rows, totalMs: t1 - t0 };
}

// ---------- NDJSON ----------

export function ndjson<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split("\n")) {
    const l = line.trim();
    if (!l) continue;
    try {
      out.push(JSON.parse(l) as T);
    } catch {
      /* a cut line */
    }
  }
  return out;
}

// ---------- bars ----------

export function bars<T>(items: T[], value: (x: T) => number): { item: T; value: number; pct: number }[] {
  const max = Math.max(0, ...items.map(value));
  return items
    .map((item) => ({ item, value: value(item), pct: max > 0 ? (value(item) / max) * 100 : 0 }))
    .sort((a, b) => b.value - a.value);
}

/**
 * outcomeClass is the CSS class of a deployment by its outcome: "" when it
 * went live, "deploying" while it runs (or was left so by a platform that
 * stopped during it, until the next start records it), "failed" otherwise.
 */
export function outcomeClass(outcome: string): string {
  if (outcome === "deployed") return "";
  if (outcome === "deploying") return "deploying";
  return "failed";
}
