package metrics

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const (
	dashboardFile = "../../../docs/grafana-dashboard.json"
	docsFile      = "../../../docs/metrics.md"
)

// TestDashboardUsesOnlyOurMetrics: every series the Grafana dashboard
// queries is one we export, and every family is on the dashboard, so the
// two cannot drift apart.
func TestDashboardUsesOnlyOurMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := DashboardQueries(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) < len(families) {
		t.Fatalf("the dashboard has %d queries, fewer than the %d families", len(queries), len(families))
	}
	used := map[string]bool{}
	for _, q := range queries {
		names := MetricNames(q.Expr)
		if len(names) == 0 {
			t.Errorf("panel %q: %q reads no stacklab metric", q.Panel, q.Expr)
		}
		for _, n := range names {
			f := FamilyOf(n)
			if f == "" {
				t.Errorf("panel %q queries %s, which stacklab does not export (see Families)", q.Panel, n)
			}
			used[f] = true
		}
	}
	for _, f := range families {
		if !used[f.Name] {
			t.Errorf("family %s is on no panel of %s", f.Name, dashboardFile)
		}
	}
}

// TestDashboardShape checks what Grafana needs to import the dashboard:
// a uid and title, a Prometheus datasource variable every panel uses,
// unique panel ids and a place on the grid for each.
func TestDashboardShape(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type ds struct{ Type, UID string }
	type panel struct {
		ID         int
		Type       string
		Title      string
		Datasource *ds
		GridPos    *struct{ H, W, X, Y int }
		Targets    []struct {
			RefID      string
			Datasource *ds
		}
	}
	var d struct {
		UID           string
		Title         string
		SchemaVersion int
		Panels        []panel
		Templating    struct {
			List []struct {
				Name, Type string
				Query      json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want both set and schemaVersion 36 or newer", d.UID, d.Title, d.SchemaVersion)
	}
	hasDS := false
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"` {
			hasDS = true
		}
	}
	if !hasDS {
		t.Error("no datasource variable of type prometheus named datasource")
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or not unique", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit Grafana's 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d targets; want ${datasource} and at least one", p.Title, p.Datasource, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.RefID == "" || tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: a target without refId or the ${datasource} datasource", p.Title)
			}
		}
	}
}

// TestDocsListEveryFamily: docs/metrics.md names every family.
func TestDocsListEveryFamily(t *testing.T) {
	b, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if !strings.Contains(string(b), "`"+f.Name+"`") {
			t.Errorf("%s does not document %s", docsFile, f.Name)
		}
	}
}

func TestPromQLOfVariables(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`label_values(stacklab_invocations_total{function=~"$function"}, version)`, `stacklab_invocations_total{function=~".*"}`},
		{`sum(rate(stacklab_throttles_total{function=~"$function"}[$__rate_interval]))`, `sum(rate(stacklab_throttles_total{function=~".*"}[1m]))`},
	}
	for _, tt := range tests {
		if got := (DashboardQuery{Expr: tt.expr}).PromQL(); got != tt.want {
			t.Errorf("PromQL(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}
