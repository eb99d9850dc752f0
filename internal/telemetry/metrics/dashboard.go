package metrics

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// DashboardQuery is one PromQL expression of a Grafana dashboard.
type DashboardQuery struct {
	Panel string // the panel's title
	Expr  string
}

// DashboardQueries lists the PromQL expressions of a Grafana dashboard's
// panels (panels inside collapsed rows included) and of its query
// variables, so that a test can check them against Families and a real
// Prometheus (docs/grafana-dashboard.json).
func DashboardQueries(dashboard []byte) ([]DashboardQuery, error) {
	type panel struct {
		Title   string  `json:"title"`
		Panels  []panel `json:"panels"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	}
	var d struct {
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(dashboard, &d); err != nil {
		return nil, fmt.Errorf("reading the Grafana dashboard: %w", err)
	}
	var out []DashboardQuery
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				out = append(out, DashboardQuery{Panel: p.Title, Expr: t.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &q.Query); err != nil {
				return nil, fmt.Errorf("reading the Grafana dashboard: variable %s: query is neither an object nor a string", v.Name)
			}
		}
		out = append(out, DashboardQuery{Panel: "variable " + v.Name, Expr: q.Query})
	}
	return out, nil
}

var metricName = regexp.MustCompile(`stacklab_[a-z_]+`)

// MetricNames returns the stacklab_* series names an expression reads,
// histogram suffixes (_bucket, _sum, _count) included.
func MetricNames(expr string) []string {
	return metricName.FindAllString(expr, -1)
}

// FamilyOf is the family a series name belongs to ("" when none): the name
// itself, or a histogram's family for its _bucket, _sum and _count series.
func FamilyOf(series string) string {
	for _, f := range families {
		if series == f.Name {
			return f.Name
		}
		if f.Kind == Histogram {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if series == f.Name+suffix {
					return f.Name
				}
			}
		}
	}
	return ""
}

// grafanaVariables are the dashboard's variables and Grafana's own, with
// values that make an expression valid PromQL for Prometheus's API.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "15s", "$__range", "1h",
	"$function", ".*", "$version", ".*", "$queue", ".*")

// PromQL returns a dashboard expression as Prometheus would get it from
// Grafana with every variable set to All. A variable's
// label_values(SELECTOR, LABEL) becomes its SELECTOR, the series Grafana
// reads the label values from.
func (q DashboardQuery) PromQL() string {
	expr := q.Expr
	if inner, ok := strings.CutPrefix(expr, "label_values("); ok {
		if i := strings.LastIndex(inner, ","); i > 0 {
			expr = inner[:i]
		}
	}
	return grafanaVariables.Replace(expr)
}
