package events

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestInputPath(t *testing.T) {
	event := map[string]any{}
	if err := json.Unmarshal([]byte(order), &event); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"$", ""}, // the whole event, checked below
		{"$.detail.currency", `"EUR"`},
		{"$.detail.items[1].sku", `"b"`},
		{"$['detail-type']", `"Order Placed"`},
		{"$.detail['customer'].address", `{"country":"DE"}`},
		{"$.detail.items[9]", "null"},
		{"$.detail.nothing.deeper", "null"},
	} {
		in, err := compileInput(Target{InputPath: c.path})
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		got := string(in.payload([]byte(order), event, &rule{}, ""))
		if c.want == "" {
			var back map[string]any
			if json.Unmarshal([]byte(got), &back) != nil || back["source"] != "shop.orders" {
				t.Errorf("%s gave %s, want the event", c.path, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s gave %s, want %s", c.path, got, c.want)
		}
	}
	for _, bad := range []string{"detail", "$.", "$.a[*]", "$.a[x]", "$['a", "$.a[1", "$..a", "$?"} {
		if _, err := compileInput(Target{InputPath: bad}); err == nil || !strings.Contains(err.Error(), "InputPath") {
			t.Errorf("InputPath %q: %v, want an error", bad, err)
		}
	}
}

func TestInputTransformer(t *testing.T) {
	event := map[string]any{}
	if err := json.Unmarshal([]byte(order), &event); err != nil {
		t.Fatal(err)
	}
	r := &rule{cfg: Rule{Name: "R"}, arn: "arn:aws:events:us-east-1:1:rule/R"}
	paths := map[string]string{"state": "$.detail.state", "tags": "$.detail.tags", "q": "$.detail.note", "cur": "$.detail.currency"}
	for _, c := range []struct{ template, want string }{
		{`{"state": <state>, "tags": <tags>}`, `{"state": "placed", "tags": ["red","big"]}`},
		{`"order is <state> in <cur>"`, `"order is placed in EUR"`},
		{`{"text": "tags <tags>", "n": <q>, "gone": <gone>}`, `{"text": "tags [\"red\",\"big\"]", "n": null, "gone": <gone>}`},
		{`{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}`, `{"rule": "R", "arn": "arn:aws:events:us-east-1:1:rule/R"}`},
		{`{"quote": "a \"<state>\" b", "after": <cur>}`, `{"quote": "a \"placed\" b", "after": "EUR"}`},
		{`{"ingested": "<aws.events.event.ingestion-time>"}`, `{"ingested": "2026-11-22T10:00:01Z"}`},
		{`<not closed`, `<not closed`},
	} {
		in, err := compileInput(Target{Transformer: &Transformer{PathsMap: paths, Template: c.template}})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(in.payload([]byte(order), event, r, "2026-11-22T10:00:01Z")); got != c.want {
			t.Errorf("template %s gave\n%s\nwant\n%s", c.template, got, c.want)
		}
	}
	in, _ := compileInput(Target{Transformer: &Transformer{Template: `{"e": <aws.events.event>}`}})
	var out struct{ E map[string]any }
	if err := json.Unmarshal(in.payload([]byte(order), event, r, ""), &out); err != nil || out.E["source"] != "shop.orders" {
		t.Errorf("<aws.events.event> gave %v, %v; want the event", out.E, err)
	}
	for _, c := range []struct {
		tr   Transformer
		want string
	}{
		{Transformer{}, "needs an InputTemplate"},
		{Transformer{PathsMap: map[string]string{"aws.x": "$"}, Template: "1"}, "starts with aws."},
		{Transformer{PathsMap: map[string]string{"x": "detail"}, Template: "1"}, "InputPathsMap x"},
	} {
		if _, err := compileInput(Target{Transformer: &c.tr}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.tr, err, c.want)
		}
	}
}

// FuzzInput compiles arbitrary InputPaths and InputTemplates and makes
// payloads with them: nothing panics.
func FuzzInput(f *testing.F) {
	f.Add("$.detail.items[1].sku", `{"a": <a>, "b": "<a> and <aws.events.rule-name>"}`, order)
	f.Add("$['detail-type']", `"<a>\"<a>"`, `{"detail": [1, {"x": null}]}`)
	f.Fuzz(func(t *testing.T, path, template, event string) {
		var ev map[string]any
		json.Unmarshal([]byte(event), &ev)
		r := &rule{cfg: Rule{Name: "R"}}
		if in, err := compileInput(Target{InputPath: path}); err == nil {
			in.payload([]byte(event), ev, r, "")
		}
		if in, err := compileInput(Target{Transformer: &Transformer{PathsMap: map[string]string{"a": path}, Template: template}}); err == nil {
			in.payload([]byte(event), ev, r, "")
		}
	})
}
