import { describe, it, expect } from "vitest";
import { SSEParser } from "../sse";
import {
  overlay, errorColor, edgeWidth, nodeLabel, badges, expanded, collapsed, rollUp, diffStates, withRemoved,
  seriesData, sliderWindow, sliderPos, timelineSpan, parseTime, waterfall, ndjson, statsSideBySide, resolver, bars, fmtMs,
  outcomeClass,
} from "../shape";
import type { Graph, ServiceMap, TraceView, FunctionStats } from "../types";

const graph: Graph = {
  version: 2,
  nodes: [
    { id: "Api", kind: "api", label: "Api", group: "apis", x: 100, y: 50 },
    { id: "Fn", kind: "function", label: "stack-Fn", group: "fns", x: 100, y: 150, detail: { runtime: "go" } },
    { id: "Worker", kind: "function", label: "stack-Worker", group: "fns", x: 300, y: 150 },
    { id: "Bucket", kind: "bucket", label: "Bucket", group: "data", x: 100, y: 250 },
    { id: "Loose", kind: "other", label: "Loose", x: 400, y: 250 },
  ],
  edges: [
    { id: "e1", from: "Api", to: "Fn", kind: "trigger", label: "GET /" },
    { id: "e2", from: "Fn", to: "Bucket", kind: "data", label: "write" },
    { id: "e3", from: "Worker", to: "Bucket", kind: "data", label: "read" },
  ],
  groups: [
    { id: "apis", label: "APIs", kinds: ["api"] },
    { id: "fns", label: "Functions", kinds: ["function"] },
    { id: "data", label: "Buckets", kinds: ["bucket"] },
  ],
};

const lat = (ms: number) => ({ P50: ms * 5e5, P95: ms * 1e6, P99: ms * 2e6 });

const map: ServiceMap = {
  Since: "2026-01-01T00:00:00Z",
  Until: "2026-01-01T00:01:00Z",
  Nodes: [
    { Resource: "Api", Calls: 120, Errors: 0, Rate: 2, ErrorRate: 0, Latency: lat(12) },
    { Resource: "stack-Fn", Calls: 120, Errors: 30, Rate: 2, ErrorRate: 0.25, Latency: lat(40) },
    { Resource: "Unknown", Calls: 5, Errors: 0, Rate: 0.1, ErrorRate: 0, Latency: lat(1) },
  ],
  Edges: [
    { From: "Api", To: "stack-Fn", Calls: 120, Errors: 30, ErrorRate: 0.25, Latency: lat(40) },
    { From: "stack-Fn", To: "Bucket", Calls: 60, Errors: 0, ErrorRate: 0, Latency: lat(3) },
    { From: "stack-Worker", To: "Api", Calls: 6, Errors: 0, ErrorRate: 0, Latency: lat(3) },
    { From: "Nope", To: "Api", Calls: 6, Errors: 0, ErrorRate: 0, Latency: lat(3) },
  ],
};

describe("SSE parser", () => {
  it("parses events split across chunks", () => {
    const p = new SSEParser();
    expect(p.push("event: map\ndata: {\"a\"")).toEqual([]);
    expect(p.push(":1}\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ event: "map", data: '{"a":1}' }]);
  });
  it("joins data lines, handles CRLF, comments, default event name and ids", () => {
    const p = new SSEParser();
    const ev = p.push(": keep-alive\r\n\r\nid: 7\r\ndata: a\r\ndata:b\r\n\r\nevent: deployment\ndata: {}\n\n");
    expect(ev).toEqual([
      { event: "message", data: "a\nb", id: "7" },
      { event: "deployment", data: "{}", id: "7" },
    ]);
  });
  it("waits for the \\n of a \\r\\n cut between chunks", () => {
    const p = new SSEParser();
    expect(p.push("data: x\r")).toEqual([]);
    expect(p.push("\n\r\n")).toEqual([{ event: "message", data: "x" }]);
  });
});

describe("overlay", () => {
  it("matches resources by id or label and edges between nodes", () => {
    const stats = [{ Function: "stack-Fn", Version: "", Invocations: 120, Errors: 30, Throttles: 2, ColdStarts: 3, ErrorRate: 0.25, Duration: lat(40), Cost: 0 }] as FunctionStats[];
    const o = overlay(graph, map, stats);
    expect([...o.nodes.keys()].sort()).toEqual(["Api", "Fn"]);
    const fn = o.nodes.get("Fn")!;
    expect(fn.errorShare).toBe(0.25);
    expect(fn.p95ms).toBe(40);
    expect(fn.rate).toBe(2);
    expect(fn.cold).toBe(3);
    expect(fn.throttles).toBe(2);
    expect(o.seconds).toBe(60);
    expect(o.edges.get("Api->Fn")).toMatchObject({ calls: 120, matched: true, rate: 2 });
    expect(o.edges.get("Fn->Bucket")).toMatchObject({ calls: 60, matched: true });
    expect(o.edges.get("Worker->Api")).toMatchObject({ calls: 6, matched: false });
    expect(o.edges.size).toBe(3);
  });
  it("takes a null map", () => {
    const o = overlay(graph, { Nodes: null, Edges: null });
    expect(o.nodes.size).toBe(0);
    expect(o.edges.size).toBe(0);
  });
  it("resolver prefers ids over labels", () => {
    const g: Graph = { nodes: [{ id: "A", kind: "x", label: "B", x: 0, y: 0 }, { id: "B", kind: "x", label: "C", x: 0, y: 0 }], edges: [] };
    const r = resolver(g);
    expect(r("B")).toBe("B");
    expect(r("C")).toBe("B");
    expect(r("Z")).toBeUndefined();
  });
});

describe("styles", () => {
  it("colours errors green to red", () => {
    expect(errorColor(0)).toBe("#16a34a");
    expect(errorColor(0.25)).toBe("#f59e0b");
    expect(errorColor(0.5)).toBe("#dc2626");
    expect(errorColor(1)).toBe("#dc2626");
  });
  it("widens edges with rate", () => {
    expect(edgeWidth(0)).toBe(1.5);
    expect(edgeWidth(1)).toBeGreaterThan(edgeWidth(0.1));
    expect(edgeWidth(1e9)).toBe(12);
  });
  it("labels and badges", () => {
    const t = { calls: 10, errors: 0, rate: 2.5, errorShare: 0, p95ms: 12.34, cold: 2, throttles: 1 };
    expect(nodeLabel("Fn", t)).toBe("Fn\n2.50 req/s · p95 12.3ms");
    expect(nodeLabel("Fn")).toBe("Fn");
    expect(badges(t)).toBe("❄2 ⚠1");
    expect(badges({ ...t, cold: 0, throttles: 0 })).toBe("");
    expect(fmtMs(1234)).toBe("1234ms");
  });
});

describe("levels of detail", () => {
  it("expanded puts nodes in group compounds", () => {
    const d = expanded(graph);
    expect(d.nodes.filter((n) => n.group).map((n) => n.id).sort()).toEqual(["group:apis", "group:data", "group:fns"]);
    expect(d.nodes.find((n) => n.id === "Fn")!.parent).toBe("group:fns");
    expect(d.nodes.find((n) => n.id === "Loose")!.parent).toBeUndefined();
    expect(d.edges).toHaveLength(3);
  });
  it("collapsed draws one node per group and counts edges", () => {
    const d = collapsed(graph);
    expect(d.nodes.map((n) => n.id).sort()).toEqual(["Loose", "group:apis", "group:data", "group:fns"]);
    const fns = d.nodes.find((n) => n.id === "group:fns")!;
    expect(fns.x).toBe(200);
    expect(fns.label).toBe("Functions (2)");
    expect(fns.kind).toBe("function");
    const e = d.edges.find((x) => x.from === "group:fns" && x.to === "group:data")!;
    expect(e.label).toBe("2");
    const o = rollUp(d, overlay(graph, map));
    expect(o.nodes.get("group:fns")!.calls).toBe(120);
    expect(o.edges.get("group:fns->group:data")!.calls).toBe(60);
  });
});

describe("diff", () => {
  it("maps actions to states and keeps removed nodes", () => {
    const s = diffStates([
      { id: "Fn", action: "modify" },
      { id: "New", action: "add" },
      { id: "Old", action: "remove" },
      { id: "Rep", action: "replace" },
    ]);
    expect(Object.fromEntries(s)).toEqual({ Fn: "modified", New: "added", Old: "removed", Rep: "modified" });
    const older: Graph = { ...graph, nodes: [...graph.nodes, { id: "Old", kind: "queue", label: "Old", x: 9, y: 9, group: "q" }], edges: [...graph.edges, { from: "Old", to: "Fn" }], groups: [...graph.groups!, { id: "q", label: "Queues" }] };
    const g = withRemoved(graph, older, s);
    expect(g.nodes.map((n) => n.id)).toContain("Old");
    expect(g.edges.some((e) => e.from === "Old")).toBe(true);
    expect(g.groups!.some((x) => x.id === "q")).toBe(true);
    expect(g.nodes).toHaveLength(6);
  });
  it("pairs stats by version", () => {
    const st = (fn: string, v: string) => ({ Function: fn, Version: v }) as FunctionStats;
    const rows = statsSideBySide([st("b", "1"), st("b", "2"), st("a", "2"), st("a", "3")], "1", "2");
    expect(rows.map((r) => [r.fn, r.a?.Version, r.b?.Version])).toEqual([["a", undefined, "2"], ["b", "1", "2"]]);
  });
});

describe("series and time", () => {
  it("shapes series for uPlot, filling gaps with null", () => {
    const d = seriesData({ resource: "Fn", step: "10s", t: [10, 20, 30], p50: [1, null, 3], p95: [2, null, 4], p99: [3, null, 5], rate: [1, 0, 2] });
    expect(d.latency).toEqual([[10, 20, 30], [1, null, 3], [2, null, 4], [3, null, 5]]);
    expect(d.traffic).toEqual([[10, 20, 30], [1, 0, 2], [null, null, null]]);
    expect(d.cost[0]).toEqual([10, 20, 30]);
  });
  it("slider windows", () => {
    const now = Date.parse("2026-01-02T00:00:00Z");
    const w = sliderWindow(now, 15 * 60e3, 1000);
    expect(w.until.getTime()).toBe(now);
    expect(w.since.getTime()).toBe(now - 15 * 60e3);
    const half = sliderWindow(now, 15 * 60e3, 500);
    expect(half.until.getTime()).toBe(now - 12 * 3600e3);
    expect(timelineSpan(24 * 3600e3)).toBe(4 * 24 * 3600e3);
    expect(sliderPos(now, 15 * 60e3, now - 12 * 3600e3)).toBe(500);
    expect(sliderPos(now, 15 * 60e3, now - 48 * 3600e3)).toBe(0);
  });
  it("parses nanosecond times", () => {
    expect(parseTime("2026-01-01T00:00:00.0015Z") - Date.parse("2026-01-01T00:00:00Z")).toBeCloseTo(1.5, 6);
    expect(parseTime("2026-01-01T01:00:00+01:00")).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });
});

describe("trace waterfall", () => {
  const sp = (id: string, parent: string, s: number, e: number, status = "ok") => ({
    TraceID: "t", SpanID: id, ParentID: parent, Name: id, Resource: "R" + id, Start: `2026-01-01T00:00:00.${String(s).padStart(3, "0")}Z`, End: `2026-01-01T00:00:00.${String(e).padStart(3, "0")}Z`, Status: status,
  });
  it("orders as a tree and marks the critical path", () => {
    const t: TraceView = { Spans: [sp("c", "a", 50, 100, "error"), sp("a", "", 0, 200), sp("b", "a", 10, 40), sp("d", "missing", 20, 30)], Path: { Steps: [{ SpanID: "a" }, { SpanID: "c" }] } };
    const { rows, totalMs } = waterfall(t);
    expect(totalMs).toBe(200);
    expect(rows.map((r) => [r.span.SpanID, r.depth])).toEqual([["a", 0], ["b", 1], ["c", 1], ["d", 0]]);
    expect(rows.map((r) => r.critical)).toEqual([true, false, true, false]);
    expect(rows[2].left).toBe(25);
    expect(rows[2].width).toBe(25);
    expect(rows[2].error).toBe(true);
  });
  it("takes an empty trace", () => {
    expect(waterfall({ Spans: [] }).rows).toEqual([]);
  });
});

describe("misc", () => {
  it("reads ndjson, skipping a cut line", () => {
    expect(ndjson<{ a: number }>('{"a":1}\n\n{"a":2}\n{"a":')).toEqual([{ a: 1 }, { a: 2 }]);
  });
  it("bars scale to the largest", () => {
    expect(bars([{ v: 1 }, { v: 4 }], (x) => x.v).map((b) => b.pct)).toEqual([100, 25]);
  });
});

describe("outcomeClass", () => {
  it("marks a deployment under way apart from a failed one", () => {
    expect(outcomeClass("deployed")).toBe("");
    expect(outcomeClass("deploying")).toBe("deploying");
    expect(outcomeClass("failed: interrupted: the platform stopped while deploying it; deploy again")).toBe("failed");
    expect(outcomeClass("failed: template invalid")).toBe("failed");
  });
});
