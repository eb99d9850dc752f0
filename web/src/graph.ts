// The architecture view: the server's layout drawn with Cytoscape (preset
// layout), with the traffic overlay and deployment diff on top.
import cytoscape from "cytoscape";
import type { Core, ElementDefinition, StylesheetJson } from "cytoscape";
import type { Graph } from "./types";
import {
  expanded, collapsed, rollUp, overlay as join, errorColor, edgeWidth, dashSpeed, nodeLabel, badges, edgeKey,
  type Drawn, type Overlay, type DiffState, diffColor,
} from "./shape";
import type { ServiceMap, FunctionStats } from "./types";

export const kindStyle: Record<string, { stroke: string; fill: string; shape: string }> = {
  api: { stroke: "#7c3aed", fill: "#f3edff", shape: "rhomboid" },
  schedule: { stroke: "#4b6584", fill: "#edf1f7", shape: "ellipse" },
  eventbus: { stroke: "#b5179e", fill: "#fbe9f7", shape: "octagon" },
  rule: { stroke: "#a16207", fill: "#fdf6e3", shape: "diamond" },
  topic: { stroke: "#0f766e", fill: "#e3f5f3", shape: "hexagon" },
  queue: { stroke: "#c2185b", fill: "#fce8f0", shape: "cut-rectangle" },
  stream: { stroke: "#0284c7", fill: "#e3f3fb", shape: "tag" },
  mapping: { stroke: "#6b5b3e", fill: "#f4efe6", shape: "round-trapezoid" },
  function: { stroke: "#d9480f", fill: "#fff1e6", shape: "round-rectangle" },
  statemachine: { stroke: "#c92a2a", fill: "#fdecec", shape: "round-tag" },
  bucket: { stroke: "#2f7d1f", fill: "#eaf5e4", shape: "barrel" },
  table: { stroke: "#1d5fa8", fill: "#e6effa", shape: "barrel" },
  other: { stroke: "#5f6b7a", fill: "#f1f3f5", shape: "rectangle" },
  group: { stroke: "#5f6b7a", fill: "#f8fafc", shape: "round-rectangle" },
};

const style = (): StylesheetJson => [
  {
    selector: "node",
    style: {
      shape: "data(shape)" as any,
      width: "data(w)",
      height: "data(h)",
      "background-color": "data(fill)",
      "border-color": "data(stroke)",
      "border-width": 2,
      label: "data(text)",
      "text-wrap": "wrap",
      "text-max-width": "data(tw)" as any,
      "text-valign": "center",
      "text-halign": "center",
      "font-size": 11,
      "font-family": "system-ui, sans-serif",
      color: "#1f2937",
    },
  },
  {
    selector: "node[?compound]",
    style: {
      shape: "round-rectangle",
      "background-color": "#f8fafc",
      "background-opacity": 0.6,
      "border-color": "#cbd5e1",
      "border-style": "dashed",
      "border-width": 1,
      label: "data(text)",
      "text-valign": "top",
      "text-halign": "center",
      "font-size": 12,
      "font-weight": "bold",
      color: "#64748b",
      padding: "18px",
    },
  },
  { selector: "node.notrun", style: { "background-color": "#f5f6f7", "border-color": "#a8afb8", color: "#7b848f" } },
  { selector: "node.traffic", style: { "border-width": 5, "border-color": "data(ring)" } },
  { selector: "node.badged", style: { "outline-width": 3, "outline-color": "#0ea5e9", "outline-offset": 3, "outline-opacity": 0.8 } as any },
  { selector: "node.diff-added", style: { "border-width": 6, "border-color": diffColor.added, "background-color": "#dcfce7" } },
  { selector: "node.diff-modified", style: { "border-width": 6, "border-color": diffColor.modified, "background-color": "#fef3c7" } },
  { selector: "node.diff-removed", style: { "border-width": 6, "border-color": diffColor.removed, "border-style": "dashed", "background-color": "#fee2e2", opacity: 0.75 } },
  { selector: "node:selected", style: { "overlay-color": "#2563eb", "overlay-opacity": 0.15, "overlay-padding": 6 } },
  {
    selector: "edge",
    style: {
      width: 1.5,
      "curve-style": "bezier",
      "line-color": "#94a3b8",
      "target-arrow-color": "#94a3b8",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.9,
      label: "data(label)",
      "font-size": 9,
      color: "#475569",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      "text-rotation": "autorotate",
    },
  },
  { selector: "edge[kind = 'dependency']", style: { "line-style": "dotted" } },
  { selector: "edge.observed", style: { "line-color": "#0ea5e9", "target-arrow-color": "#0ea5e9", "curve-style": "unbundled-bezier" } },
  {
    selector: "edge.traffic",
    style: {
      width: "data(width)",
      "line-color": "data(ring)",
      "target-arrow-color": "data(ring)",
      "line-style": "dashed",
      "line-dash-pattern": [10, 6],
    },
  },
];

export interface GraphView {
  cy: Core;
  draw(g: Graph, collapsedView: boolean): void;
  setTraffic(m: ServiceMap | null, stats: FunctionStats[]): void;
  setDiff(states: Map<string, DiffState> | null): void;
  nodes(): string[];
  edgeTraffic(): Record<string, number>;
  badges(): Record<string, string>;
  select(id: string): void;
  fit(): void;
}

export function graphView(container: HTMLElement, onSelect: (id: string | null, kind: string) => void): GraphView {
  const cy = cytoscape({
    container,
    style: style(),
    layout: { name: "preset" },
    minZoom: 0.1,
    maxZoom: 4,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: false,
    selectionType: "single",
  });
  let graph: Graph = { nodes: [], edges: [] };
  let drawn: Drawn = { nodes: [], edges: [] };
  let isCollapsed = false;
  let lastMap: ServiceMap | null = null;
  let lastStats: FunctionStats[] = [];
  let traffic: Overlay = { nodes: new Map(), edges: new Map(), seconds: 60 };
  let diff: Map<string, DiffState> | null = null;
  const speeds = new Map<string, number>();

  // The container changes size when panels open or the window turns.
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => cy.resize()).observe(container);
  cy.on("tap", "node", (ev) => {
    const n = ev.target;
    if (n.data("compound")) return;
    onSelect(n.id(), n.data("kind"));
  });
  cy.on("tap", (ev) => {
    if (ev.target === cy) onSelect(null, "");
  });

  function draw(g: Graph, c: boolean) {
    graph = g;
    isCollapsed = c;
    drawn = c ? collapsed(g) : expanded(g);
    const runs = new Map(g.nodes.map((n) => [n.id, n.runs !== false]));
    const els: ElementDefinition[] = [];
    for (const n of drawn.nodes) {
      const ks = kindStyle[n.kind] ?? kindStyle.other;
      const classes: string[] = [];
      if (runs.get(n.id) === false) classes.push("notrun");
      els.push({
        group: "nodes",
        data: {
          id: n.id, parent: n.parent, kind: n.kind, name: n.label, text: n.label, shape: ks.shape, fill: ks.fill, stroke: ks.stroke, ring: ks.stroke,
          w: n.w, h: n.h, tw: Math.max(60, n.w - 12), compound: !!n.group,
        },
        position: n.group ? undefined : { x: n.x, y: n.y },
        classes: classes.join(" "),
      });
    }
    for (const e of drawn.edges) {
      els.push({ group: "edges", data: { id: "edge:" + e.id, source: e.from, target: e.to, label: e.label, kind: e.kind, width: 1.5, ring: "#94a3b8" } });
    }
    cy.batch(() => {
      cy.elements().remove();
      cy.add(els);
    });
    cy.resize(); // the container may have been hidden when cy was made
    cy.layout({ name: "preset", fit: true, padding: 30 } as any).run();
    // data-nodes: the nodes drawn (groups are nodes in the stack view);
    // data-resources: the graph's resources.
    container.dataset.nodes = String(drawn.nodes.filter((n) => !n.group).length);
    container.dataset.resources = String(g.nodes.length);
    container.dataset.view = c ? "stack" : "resources";
    applyTraffic();
    applyDiff();
  }

  function applyTraffic() {
    // A diff shows the change set alone: no traffic colours on top.
    let o = lastMap && !diff ? join(graph, lastMap, lastStats) : { nodes: new Map(), edges: new Map(), seconds: 60 } as Overlay;
    if (isCollapsed) o = rollUp(drawn, o);
    traffic = o;
    speeds.clear();
    cy.batch(() => {
      cy.remove("edge.observed");
      cy.nodes().forEach((n) => {
        if (n.data("compound")) return;
        const t = o.nodes.get(n.id());
        const b = badges(t);
        n.data("text", nodeLabel(n.data("name"), t) + (b ? "\n" + b : ""));
        n.data("badge", b);
        if (t && t.calls > 0) {
          n.addClass("traffic");
          n.data("ring", errorColor(t.errorShare));
        } else n.removeClass("traffic");
        n.toggleClass("badged", !!b);
      });
      const seen = new Set<string>();
      cy.edges().forEach((e) => {
        const k = edgeKey(e.data("source"), e.data("target"));
        const t = o.edges.get(k);
        if (t && t.calls > 0 && !seen.has(k)) {
          seen.add(k);
          e.addClass("traffic");
          e.data({ width: edgeWidth(t.rate), ring: errorColor(t.errorShare), calls: t.calls });
          speeds.set(e.id(), dashSpeed(t.rate));
        } else {
          e.removeClass("traffic");
          e.data("calls", 0);
        }
      });
      for (const [k, t] of o.edges) {
        if (seen.has(k) || t.calls === 0) continue;
        if (cy.getElementById(t.from).empty() || cy.getElementById(t.to).empty()) continue;
        const id = "observed:" + k;
        cy.add({ group: "edges", data: { id, source: t.from, target: t.to, label: "", kind: "observed", width: edgeWidth(t.rate), ring: errorColor(t.errorShare), calls: t.calls }, classes: "observed traffic" });
        speeds.set(id, dashSpeed(t.rate));
      }
    });
  }

  function applyDiff() {
    applyTraffic();
    cy.batch(() => {
      cy.nodes().removeClass("diff-added diff-modified diff-removed");
      if (!diff) return;
      for (const [id, s] of diff) cy.getElementById(id).addClass("diff-" + s);
    });
    container.dataset.diff = diff ? String(diff.size) : "";
  }

  // The dash moves along each busy edge at a speed that follows its rate.
  const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
  let offset = 0;
  let last = performance.now();
  const tick = (now: number) => {
    const dt = Math.min(0.2, (now - last) / 1000);
    if (dt >= 0.05 && speeds.size > 0 && !document.hidden) {
      last = now;
      offset += dt;
      cy.batch(() => {
        for (const [id, v] of speeds) {
          const e = cy.getElementById(id);
          if (e.nonempty()) e.style("line-dash-offset", -((offset * v) % 1000));
        }
      });
    } else if (dt >= 0.05) last = now;
    requestAnimationFrame(tick);
  };
  if (!reduced) requestAnimationFrame(tick);

  return {
    cy,
    draw(g, c) {
      draw(g, c);
    },
    setTraffic(m, stats) {
      lastMap = m;
      lastStats = stats;
      applyTraffic();
    },
    setDiff(states) {
      diff = states;
      applyDiff();
    },
    nodes: () => cy.nodes().filter((n) => !n.data("compound")).map((n) => n.id()),
    edgeTraffic() {
      const out: Record<string, number> = {};
      for (const [k, t] of traffic.edges) out[k] = t.calls;
      return out;
    },
    badges() {
      const out: Record<string, string> = {};
      cy.nodes().forEach((n) => {
        if (n.data("badge")) out[n.id()] = n.data("badge");
      });
      return out;
    },
    select(id) {
      const n = cy.getElementById(id);
      if (n.empty()) return;
      cy.elements().unselect();
      n.select();
      onSelect(id, n.data("kind"));
    },
    fit: () => cy.fit(undefined, 30),
  };
}
