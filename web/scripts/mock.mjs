// A mock control API for working on the page without a platform:
//   node scripts/mock.mjs [port]   (token: "secret")
// It serves the build (../internal/dashboard/dist) and fixture answers for
// every endpoint the page reads, with a live stream of made-up traffic.
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { join, dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";

const port = +(process.argv[2] || 8787);
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "internal", "dashboard", "dist");
const TOKEN = "secret";

const fn = (id, x, y, extra = {}) => ({
  id, type: "AWS::Serverless::Function", kind: "function", label: id, runs: true, group: "functions", x, y, w: 150, h: 56,
  detail: { functionName: "stack-" + id, runtime: "python3.12", memorySize: 128, timeout: 3, handler: "app.handler", triggers: ["Api GET /items"], policies: ["S3CrudPolicy: Bucket"], environment: { TABLE: "Items", LOG_LEVEL: "info" }, ...extra },
});
const graph = (version) => {
  const nodes = [
    { id: "Api", type: "AWS::Serverless::HttpApi", kind: "api", label: "Api", runs: true, group: "apis", x: 120, y: 60, w: 150, h: 50 },
    { id: "Nightly", type: "AWS::Events::Rule", kind: "schedule", label: "rate(1 day)", runs: true, group: "schedules", x: 420, y: 60, w: 130, h: 50 },
    fn("GetItem", 120, 200),
    fn("Worker", 420, 200),
    { id: "Jobs", type: "AWS::SQS::Queue", kind: "queue", label: "Jobs", runs: true, group: "queues", x: 270, y: 330, w: 130, h: 50 },
    { id: "Items", type: "AWS::DynamoDB::Table", kind: "table", label: "Items", runs: true, group: "tables", x: 120, y: 460, w: 130, h: 56 },
    { id: "Uploads", type: "AWS::S3::Bucket", kind: "bucket", label: "Uploads", runs: true, group: "buckets", x: 420, y: 460, w: 130, h: 56 },
  ];
  const edges = [
    { id: "e1", from: "Api", to: "GetItem", kind: "trigger", label: "GET /items" },
    { id: "e2", from: "Nightly", to: "Worker", kind: "trigger", label: "schedule" },
    { id: "e3", from: "GetItem", to: "Items", kind: "data", label: "read" },
    { id: "e4", from: "GetItem", to: "Jobs", kind: "data", label: "send" },
    { id: "e5", from: "Jobs", to: "Worker", kind: "trigger", label: "batch 10" },
    { id: "e6", from: "Worker", to: "Uploads", kind: "data", label: "write" },
  ];
  if (version === 1) {
    nodes.push({ id: "OldTopic", type: "AWS::SNS::Topic", kind: "topic", label: "OldTopic", runs: true, group: "topics", x: 620, y: 330, w: 130, h: 50 });
    edges.push({ id: "e7", from: "Worker", to: "OldTopic", kind: "data", label: "publish" });
  }
  const kinds = [...new Set(nodes.map((n) => n.group))];
  return { version: version ?? 2, width: 800, height: 560, nodes, edges, groups: kinds.map((g) => ({ id: g, label: g[0].toUpperCase() + g.slice(1), kinds: [g.replace(/s$/, "")] })) };
};

const ms = (x) => Math.round(x * 1e6);
const lat = (p50) => ({ P50: ms(p50), P95: ms(p50 * 2.5), P99: ms(p50 * 4), Max: ms(p50 * 6) });
const serviceMap = (since, until) => {
  const secs = (until - since) / 1000;
  const j = () => 0.8 + Math.random() * 0.4;
  const calls = (r) => Math.round(r * secs * j());
  const api = calls(5), get = api, jobs = calls(1.2), items = calls(5);
  const werr = Math.round(jobs * 0.3);
  return {
    Since: new Date(since).toISOString(), Until: new Date(until).toISOString(),
    Nodes: [
      { Resource: "Api", Calls: api, Errors: 0, Rate: api / secs, ErrorRate: 0, Latency: lat(30) },
      { Resource: "stack-GetItem", Calls: get, Errors: Math.round(get * 0.02), Rate: get / secs, ErrorRate: 0.02, Latency: lat(22) },
      { Resource: "Items", Calls: items, Errors: 0, Rate: items / secs, ErrorRate: 0, Latency: lat(3) },
      { Resource: "Jobs", Calls: jobs, Errors: 0, Rate: jobs / secs, ErrorRate: 0, Latency: lat(2) },
      { Resource: "stack-Worker", Calls: jobs, Errors: werr, Rate: jobs / secs, ErrorRate: werr / Math.max(1, jobs), Latency: lat(180) },
    ],
    Edges: [
      { From: "Api", To: "stack-GetItem", Calls: get, Links: 0, Errors: 0, ErrorRate: 0, Latency: lat(22) },
      { From: "stack-GetItem", To: "Items", Calls: items, Links: 0, Errors: 0, ErrorRate: 0, Latency: lat(3) },
      { From: "stack-GetItem", To: "Jobs", Calls: jobs, Links: 0, Errors: 0, ErrorRate: 0, Latency: lat(2) },
      { From: "Jobs", To: "stack-Worker", Calls: jobs, Links: jobs, Errors: werr, ErrorRate: werr / Math.max(1, jobs), Latency: lat(180) },
      { From: "stack-Worker", To: "Items", Calls: 3, Links: 0, Errors: 0, ErrorRate: 0, Latency: lat(3) },
    ],
    Bottleneck: [],
  };
};

const now = () => Date.now();
const deployments = () => [
  { version: 1, time: new Date(now() - 20 * 3600e3).toISOString(), outcome: "deployed", summary: "first" },
  { version: 2, time: new Date(now() - 3 * 3600e3).toISOString(), outcome: "deployed", summary: "worker memory" },
];
const stats = (byVersion) => [
  { Function: "stack-GetItem", Version: byVersion ? "1" : "", Invocations: 900, Errors: 9, Throttles: 0, ColdStarts: 3, ColdStartRate: 0.003, ErrorRate: 0.01, Duration: lat(25), Init: lat(120), GBSeconds: 2.5, Cost: 0.00021 },
  ...(byVersion ? [{ Function: "stack-GetItem", Version: "2", Invocations: 1200, Errors: 24, Throttles: 0, ColdStarts: 2, ColdStartRate: 0.002, ErrorRate: 0.02, Duration: lat(21), GBSeconds: 3, Cost: 0.00026 }] : []),
  { Function: "stack-Worker", Version: byVersion ? "2" : "", Invocations: 300, Errors: 90, Throttles: 4, ColdStarts: 7, ColdStartRate: 0.02, ErrorRate: 0.3, Duration: lat(180), GBSeconds: 9, Cost: 0.0009 },
];
const series = (resource, since, until, step) => {
  const t = [];
  for (let s = Math.floor(since / 1000 / step) * step; s < until / 1000; s += step) t.push(s);
  const w = (f) => t.map((x, i) => (i % 17 === 5 ? null : f(x, i)));
  return {
    resource, step: `${step}s`, t,
    rate: w((x) => 4 + 2 * Math.sin(x / 600)), errors: w((_, i) => (i % 9 === 0 ? 2 : 0)),
    p50: w((x) => 20 + 5 * Math.sin(x / 300)), p95: w((x) => 50 + 15 * Math.sin(x / 300)), p99: w((x) => 90 + 30 * Math.sin(x / 200)),
    cold: w((_, i) => (i % 23 === 0 ? 1 : 0)), throttles: w(() => 0), concurrency: w((x) => 1 + Math.round(Math.abs(Math.sin(x / 900)) * 3)), cost: w(() => 0.000002),
  };
};
const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const iso = (t, extraNs = 0) => new Date(t).toISOString().replace("Z", "") + String(extraNs).padStart(6, "0") + "Z";
const invocations = (f) => Array.from({ length: 12 }, (_, i) => ({
  function: "stack-" + f, version: i < 6 ? 2 : 1, requestId: `req-${f}-${i}`, traceId: i % 3 === 2 ? "" : traceId, trigger: f === "Worker" ? "sqs" : "http",
  start: new Date(now() - i * 45e3).toISOString(), durationMs: 20 + i * 3.3, initDurationMs: i === 4 ? 150 : 0, cold: i === 4, outcome: i === 1 ? "error" : "success", memorySizeMB: 128, maxMemoryMB: 60, cost: 0.0000004,
}));
const trace = () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const sp = (id, parent, res, name, a, b, status = "ok") => ({ TraceID: traceId, SpanID: id, ParentID: parent, Name: name, Kind: "server", Resource: res, Function: "", Start: iso(t0 + a, 123), End: iso(t0 + b, 456), Status: status, StatusMessage: status === "error" ? "boom" : "" });
  return {
    Spans: [
      sp("a000000000000001", "", "Api", "GET /items", 0, 60),
      sp("a000000000000002", "a000000000000001", "GetItem", "invoke", 2, 58),
      sp("a000000000000003", "a000000000000002", "Items", "GetItem", 5, 12),
      sp("a000000000000004", "a000000000000002", "Jobs", "SendMessage", 14, 40),
      sp("a000000000000005", "a000000000000004", "Worker", "process", 45, 230, "error"),
      sp("a000000000000006", "a000000000000005", "Uploads", "PutObject", 60, 200),
    ],
    Path: { TraceID: traceId, Steps: [{ SpanID: "a000000000000001" }, { SpanID: "a000000000000002" }, { SpanID: "a000000000000004" }, { SpanID: "a000000000000005" }, { SpanID: "a000000000000006" }], Segments: [] },
  };
};

function window(q) {
  const p = (s, def) => {
    if (!s) return def;
    const m = /^(\d+)(s|m|h)$/.exec(s);
    if (m) return now() - +m[1] * { s: 1e3, m: 60e3, h: 3600e3 }[m[2]];
    return Date.parse(s);
  };
  const until = p(q.get("until"), now());
  return [p(q.get("since"), until - 15 * 60e3), until];
}

const json = (res, v, code = 200) => {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify(v));
};

createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  const p = u.pathname;
  if (p === "/offline.html") {
    // The page as `stacklab graph --format html` would give it: the graph
    // embedded, no token, no fetches.
    const html = readFileSync(join(dist, "index.html"), "utf8").replace("</body>", `<script type="application/json" id="stacklab-graph">${JSON.stringify(graph()).replace(/</g, "\\u003c")}</script></body>`);
    res.writeHead(200, { "Content-Type": "text/html" });
    return res.end(html);
  }
  if (!p.startsWith("/v1/")) {
    const f = join(dist, p === "/" ? "index.html" : p);
    if (!f.startsWith(dist) || !existsSync(f)) {
      res.writeHead(404);
      return res.end("not found");
    }
    const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
    res.writeHead(200, { "Content-Type": types[extname(f)] || "application/octet-stream" });
    return res.end(readFileSync(f));
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, { message: "give the control token" }, 401);
  const q = u.searchParams;
  const [since, until] = window(q);
  if (p === "/v1/graph") return json(res, graph(q.get("version") ? +q.get("version") : undefined));
  if (p === "/v1/map") return json(res, serviceMap(since, until));
  if (p === "/v1/stats") return json(res, stats(q.get("by") === "version"));
  if (p === "/v1/series") return json(res, series(q.get("resource"), since, until, parseInt(q.get("step") || "10", 10) || 10));
  if (p === "/v1/invocations") return json(res, invocations(q.get("function")));
  if (p === "/v1/logs") {
    res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    return res.end([0, 1, 2].map((i) => JSON.stringify({ time: new Date(now() - i * 1000).toISOString(), function: q.get("function"), requestId: q.get("request"), stream: "i1", text: `line ${i} of ${q.get("request")}` })).join("\n") + "\n");
  }
  if (p.startsWith("/v1/traces/")) return json(res, trace());
  if (p === "/v1/deployments") return json(res, deployments());
  if (p === "/v1/deployments/diff") return json(res, { from: +q.get("from"), to: +q.get("to"), changes: [{ id: "Worker", type: "AWS::Serverless::Function", action: "modify", properties: ["MemorySize"] }, { id: "OldTopic", type: "AWS::SNS::Topic", action: "remove" }, { id: "Uploads", type: "AWS::S3::Bucket", action: "add" }] });
  if (p === "/v1/cost") return json(res, { resources: [{ resource: "stack-GetItem", invocations: 2100, gbSeconds: 5.5, cost: 0.00047 }, { resource: "stack-Worker", invocations: 300, gbSeconds: 9, cost: 0.0009 }], versions: [{ version: 1, cost: 0.0003, invocations: 900 }, { version: 2, cost: 0.00107, invocations: 1500 }], total: 0.00137 });
  if (p === "/v1/experiments") return json(res, [{ id: "2026-01-01-memory", name: "memory sweep", started: new Date(now() - 86400e3).toISOString(), verdicts: [{ text: "512 MB halves p95", verdict: "supported" }, { text: "cost stays flat", verdict: "rejected" }] }]);
  if (/^\/v1\/experiments\/[^/]+\/report\.html$/.test(p)) {
    res.writeHead(200, { "Content-Type": "text/html" });
    return res.end("<!doctype html><h1>Memory sweep</h1><p>512 MB halves p95.</p>");
  }
  if (p === "/v1/live") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    res.write(": hello\n\n");
    const send = () => res.write(`event: map\ndata: ${JSON.stringify(serviceMap(now() - 60e3, now()))}\n\n`);
    send();
    const t = setInterval(send, 1000);
    req.on("close", () => clearInterval(t));
    return;
  }
  json(res, { message: `no mock for ${p}` }, 404);
}).listen(port, "127.0.0.1", () => console.log(`mock control API on http://127.0.0.1:${port}/ (token: ${TOKEN})`));
