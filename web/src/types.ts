// Shapes of the control API answers the page reads (docs/design/0019-dashboard.md).

export interface GraphNode {
  id: string;
  type?: string;
  kind: string;
  label: string;
  runs?: boolean;
  group?: string;
  x: number;
  y: number;
  w?: number;
  h?: number;
  detail?: Record<string, unknown>;
}

export interface GraphEdge {
  id?: string;
  from: string;
  to: string;
  kind?: string;
  label?: string;
}

export interface GraphGroup {
  id: string;
  label: string;
  kinds?: string[];
}

export interface Graph {
  version?: number;
  width?: number;
  height?: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups?: GraphGroup[];
}

export interface Latency {
  P50: number;
  P95: number;
  P99: number;
  Max?: number;
}

export interface MapNode {
  Resource: string;
  Calls: number;
  Errors: number;
  Rate: number;
  ErrorRate: number;
  Latency: Latency;
}

export interface MapEdge {
  From: string;
  To: string;
  Calls: number;
  Links?: number;
  Errors: number;
  ErrorRate: number;
  Latency: Latency;
}

export interface ServiceMap {
  Since?: string;
  Until?: string;
  Nodes: MapNode[] | null;
  Edges: MapEdge[] | null;
  Bottleneck?: { Resource: string; Time: number; Share: number; Traces: number }[] | null;
}

export interface Series {
  resource: string;
  step: string | number;
  t: number[];
  rate?: (number | null)[];
  errors?: (number | null)[];
  p50?: (number | null)[];
  p95?: (number | null)[];
  p99?: (number | null)[];
  cold?: (number | null)[];
  throttles?: (number | null)[];
  concurrency?: (number | null)[];
  cost?: (number | null)[];
}

export interface Invocation {
  function: string;
  version?: string | number;
  requestId: string;
  traceId?: string;
  trigger?: string;
  start: string;
  durationMs: number;
  initDurationMs?: number;
  cold?: boolean;
  outcome: string;
  memorySizeMB?: number;
  maxMemoryMB?: number;
  cost?: number;
}

export interface LogLine {
  time: string;
  function: string;
  requestId?: string;
  stream?: string;
  text: string;
}

export interface Span {
  TraceID: string;
  SpanID: string;
  ParentID: string;
  Name: string;
  Kind?: string;
  Resource: string;
  Function?: string;
  Start: string;
  End: string;
  Status: string;
  StatusMessage?: string;
}

export interface TraceView {
  Spans: Span[];
  Path?: { TraceID?: string; Start?: string; End?: string; Steps?: { SpanID: string; Name?: string; Resource?: string; Self?: number }[] | null; Segments?: unknown[] | null };
}

export interface Deployment {
  version: number;
  time: string;
  outcome: string;
  summary?: string;
  rollbackOf?: number;
}

export interface Change {
  id: string;
  type?: string;
  action: string;
  properties?: unknown[];
}

export interface DiffAnswer {
  from: number;
  to: number;
  changes: Change[] | null;
}

export interface FunctionStats {
  Function: string;
  Version: string;
  Invocations: number;
  Errors: number;
  Throttles: number;
  ColdStarts: number;
  ColdStartRate?: number;
  ErrorRate: number;
  Duration: Latency;
  Init?: Latency;
  GBSeconds?: number;
  Cost: number;
}

export interface CostAnswer {
  resources: { resource: string; invocations: number; gbSeconds: number; cost: number }[] | null;
  versions: { version: number | string; cost: number; invocations: number }[] | null;
  total: number;
}

export interface Experiment {
  id: string;
  name: string;
  started: string;
  verdicts: { text: string; verdict: string }[] | null;
}
