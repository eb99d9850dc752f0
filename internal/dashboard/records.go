package dashboard

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/stacklab/stacklab/internal/telemetry/model"
	"github.com/stacklab/stacklab/internal/telemetry/store"
)

// Invocation is one invocation record as the page lists it (GET
// /v1/invocations). Function is the function's name, Resource its logical
// id (the graph's node id); Version is the deployment number that ran it.
type Invocation struct {
	Function         string    `json:"function"`
	Resource         string    `json:"resource"`
	Version          string    `json:"version"`
	FunctionVersion  string    `json:"functionVersion,omitempty"`
	RequestID        string    `json:"requestId"`
	TraceID          string    `json:"traceId,omitempty"`
	Trigger          string    `json:"trigger,omitempty"`
	Start            time.Time `json:"start"`
	QueueWaitMS      float64   `json:"queueWaitMs"`
	DurationMS       float64   `json:"durationMs"`
	BilledDurationMS float64   `json:"billedDurationMs"`
	InitDurationMS   float64   `json:"initDurationMs"`
	Cold             bool      `json:"cold"`
	Outcome          string    `json:"outcome"`
	Retries          int       `json:"retries"`
	MemorySizeMB     int       `json:"memorySizeMB"`
	MaxMemoryMB      int       `json:"maxMemoryMB"`
	Cost             float64   `json:"cost"`
}

// Invocations turns records into the page's shape, in their order; never
// nil. ids maps a function's name to its logical id; a name it lacks is
// its own id.
func Invocations(records []model.Invocation, ids map[string]string) []Invocation {
	out := make([]Invocation, 0, len(records))
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, r := range records {
		out = append(out, Invocation{Function: r.Function, Resource: cmp.Or(ids[r.Function], r.Function), Version: r.Deployment, FunctionVersion: r.Version, RequestID: r.RequestID,
			TraceID: r.TraceID, Trigger: r.Trigger, Start: r.Start.UTC(), QueueWaitMS: msOf(r.QueueWait), DurationMS: msOf(r.Duration),
			BilledDurationMS: msOf(r.BilledDuration), InitDurationMS: msOf(r.InitDuration), Cold: r.Cold, Outcome: string(r.Outcome),
			Retries: r.Retries, MemorySizeMB: r.MemorySizeMB, MaxMemoryMB: r.MaxMemoryMB, Cost: r.Cost})
	}
	return out
}

// Cost is where the money went over a window (GET /v1/cost), in USD.
type Cost struct {
	Since     time.Time      `json:"since"`
	Until     time.Time      `json:"until"`
	Resources []ResourceCost `json:"resources"`
	Versions  []VersionCost  `json:"versions"`
	Total     float64        `json:"total"`
}

// ResourceCost is one function's share, most expensive first: Resource
// is its logical id (the graph's node id), Function its name.
type ResourceCost struct {
	Resource    string  `json:"resource"`
	Function    string  `json:"function"`
	Invocations int     `json:"invocations"`
	GBSeconds   float64 `json:"gbSeconds"`
	Cost        float64 `json:"cost"`
}

// VersionCost is one deployment's share, oldest first.
type VersionCost struct {
	Version     int     `json:"version"`
	Invocations int     `json:"invocations"`
	GBSeconds   float64 `json:"gbSeconds"`
	Cost        float64 `json:"cost"`
}

// CostOf sums stats by function (byFunction, one line a function) and by
// deployment (byVersion, lines whose Version is the deployment number;
// other lines are skipped). ids maps a function's name to its logical id.
func CostOf(since, until time.Time, byFunction, byVersion []store.FunctionStats, ids map[string]string) Cost {
	c := Cost{Since: since.UTC(), Until: until.UTC(), Resources: []ResourceCost{}, Versions: []VersionCost{}}
	for _, s := range byFunction {
		c.Resources = append(c.Resources, ResourceCost{Resource: cmp.Or(ids[s.Function], s.Function), Function: s.Function, Invocations: s.Invocations, GBSeconds: s.GBSeconds, Cost: s.Cost})
		c.Total += s.Cost
	}
	slices.SortFunc(c.Resources, func(a, b ResourceCost) int {
		return cmp.Or(cmp.Compare(b.Cost, a.Cost), cmp.Compare(a.Resource, b.Resource))
	})
	at := map[int]int{}
	for _, s := range byVersion {
		v, err := strconv.Atoi(s.Version)
		if err != nil {
			continue
		}
		i, ok := at[v]
		if !ok {
			i = len(c.Versions)
			at[v] = i
			c.Versions = append(c.Versions, VersionCost{Version: v})
		}
		c.Versions[i].Invocations += s.Invocations
		c.Versions[i].GBSeconds += s.GBSeconds
		c.Versions[i].Cost += s.Cost
	}
	slices.SortFunc(c.Versions, func(a, b VersionCost) int { return cmp.Compare(a.Version, b.Version) })
	return c
}
