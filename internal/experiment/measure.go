package experiment

import (
	"strings"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// result is what one request caused, read from its trace and the traces
// linked to it (an SQS batch that mixes messages of several requests is
// its own trace, linked to each message's).
type result struct {
	*sent
	// latency is from due to the end of the last span caused, in ms.
	latency float64
	failed  bool
	reason  string
	cold    bool
	// cost, invocations and per-function time are shared out: an
	// invocation that served k requests counts 1/k for each.
	cost        float64
	invocations float64
	fn          map[string]*fnUse // by base logical id
	// attrs holds the numeric span attributes the hypothesis names, by
	// attrKey.
	attrs  map[string][]float64
	traces []string
}

type fnUse struct {
	ms, cost, n float64
}

// traceIndex finds what a trace caused.
type traceIndex struct {
	spans   map[string][]model.Span
	linkers map[string][]string // trace -> the traces with spans linking into it
	invs    map[string][]model.Invocation
}

func newTraceIndex(spans [][]model.Span, invs []model.Invocation) *traceIndex {
	ix := &traceIndex{spans: map[string][]model.Span{}, linkers: map[string][]string{}, invs: map[string][]model.Invocation{}}
	for _, tr := range spans {
		for _, sp := range tr {
			ix.spans[sp.TraceID] = append(ix.spans[sp.TraceID], sp)
			for _, l := range sp.Links {
				if l.TraceID != sp.TraceID {
					ix.linkers[l.TraceID] = append(ix.linkers[l.TraceID], sp.TraceID)
				}
			}
		}
	}
	for _, inv := range invs {
		id := strings.ToLower(inv.TraceID)
		if len(id) == 35 && strings.HasPrefix(id, "1-") {
			id = id[2:10] + id[11:]
		}
		ix.invs[id] = append(ix.invs[id], inv)
	}
	return ix
}

// closure is the trace and every trace that links into it, transitively.
func (ix *traceIndex) closure(trace string) []string {
	seen := map[string]bool{trace: true}
	out := []string{trace}
	for i := 0; i < len(out); i++ {
		for _, t := range ix.linkers[out[i]] {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// measure reads the results of every request of the blocks.
func measure(plan *Plan, blocks []*block, ix *traceIndex, timeout time.Duration) map[*sent]*result {
	var attrClauses []Clause
	for _, c := range plan.Spec.Hypothesis {
		if c.Metric == "attribute" {
			attrClauses = append(attrClauses, c)
		}
	}
	out := map[*sent]*result{}
	shares := map[string]int{} // trace -> requests whose closure has it
	for _, b := range blocks {
		for _, x := range b.sent {
			r := &result{sent: x, fn: map[string]*fnUse{}}
			r.traces = ix.closure(x.trace)
			for _, t := range r.traces {
				shares[t]++
			}
			out[x] = r
		}
	}
	for _, b := range blocks {
		tg := plan.Targets[b.variant]
		for _, x := range b.sent {
			r := out[x]
			end := x.done
			errSpan := ""
			for _, t := range r.traces {
				share := 1 / float64(shares[t])
				for _, sp := range ix.spans[t] {
					if sp.End.After(end) {
						end = sp.End
					}
					if sp.Status == model.StatusError && errSpan == "" {
						errSpan = sp.Name + ": " + sp.StatusMessage
					}
					for _, c := range attrClauses {
						if c.Span != "" && sp.Name != c.Span {
							continue
						}
						if v, ok := numeric(sp.Attributes[c.Attribute]); ok {
							if r.attrs == nil {
								r.attrs = map[string][]float64{}
							}
							r.attrs[attrKey(c)] = append(r.attrs[attrKey(c)], v)
						}
					}
				}
				for _, inv := range ix.invs[t] {
					base := tg.Functions[inv.Function]
					if base == "" {
						base = inv.Function
					}
					u := r.fn[base]
					if u == nil {
						u = &fnUse{}
						r.fn[base] = u
					}
					ms := float64(inv.Duration) / float64(time.Millisecond)
					u.ms += ms * share
					u.cost += inv.Cost * share
					u.n += share
					r.cost += inv.Cost * share
					r.invocations += share
					if inv.Cold {
						r.cold = true
					}
					if inv.Outcome.IsError() && errSpan == "" {
						errSpan = inv.Function + ": " + string(inv.Outcome)
					}
				}
			}
			if end.IsZero() {
				end = x.due
			}
			r.latency = float64(end.Sub(x.due)) / float64(time.Millisecond)
			switch {
			case x.err != "":
				r.failed, r.reason = true, x.err
			case errSpan != "":
				r.failed, r.reason = true, errSpan
			case end.Sub(x.due) > timeout:
				r.failed, r.reason = true, "did not end within the timeout"
			case len(r.traces) == 1 && len(ix.spans[x.trace]) == 0:
				r.failed, r.reason = true, "no trace: the platform recorded nothing for it"
			}
		}
	}
	return out
}

// invocationsOf lists the invocations of a block's requests, each once.
func invocationsOf(b *block, res map[*sent]*result, ix *traceIndex) []model.Invocation {
	seen := map[string]bool{}
	var out []model.Invocation
	for _, x := range b.sent {
		for _, t := range res[x].traces {
			if seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, ix.invs[t]...)
		}
	}
	return out
}

// attrKey names the span attribute a clause measures.
func attrKey(c Clause) string { return c.Span + "\x00" + c.Attribute }

// numeric reads a span attribute as a number.
func numeric(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	}
	return 0, false
}
