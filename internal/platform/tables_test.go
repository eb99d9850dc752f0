package platform

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/table"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

func TestTableConfigsAndMappings(t *testing.T) {
	file, _ := filepath.Abs("testdata/table/template.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, diags := template.Load(file, src, template.Options{})
	if tmpl == nil || diags.HasErrors() {
		t.Fatalf("template: %v", diags)
	}
	st, diags := stack.Build(tmpl)
	if diags.HasErrors() {
		t.Fatalf("stack: %v", diags)
	}
	gotC := tableConfigs(st)
	wantC := []table.Config{
		{ID: "Users", Name: "users", HashKey: table.Key{Name: "id", Type: "S"}, StreamViewType: "NEW_AND_OLD_IMAGES"},
		{ID: "Notes", HashKey: table.Key{Name: "id", Type: "S"}},
	}
	if !reflect.DeepEqual(gotC, wantC) {
		t.Errorf("tables:\n got %+v\nwant %+v", gotC, wantC)
	}
	gotM := tableMappings(st)
	if len(gotM) != 1 || gotM[0].ID != "Watcher.Changes" || gotM[0].Table != "Users" || gotM[0].BatchSize != 10 || gotM[0].StartingPosition != "TRIM_HORIZON" {
		t.Errorf("mappings: got %+v", gotM)
	}
}

// TestTableStreamToFunction deploys a table with a stream and a function
// reading it, writes through the control API, and finds INSERT, MODIFY and
// REMOVE in the function's log, in that order.
func TestTableStreamToFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs functions")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/table/template.yaml")
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	call := func(method, action, body string, want int) any {
		t.Helper()
		v, status, err := p.ControlTable(ctx, method, "users", action, url.Values{}, []byte(body))
		if status != want {
			t.Fatalf("%s %s %s: got status %d (%v), want %d", method, action, body, status, err, want)
		}
		return v
	}
	call(http.MethodPost, "put", `{"id":{"S":"u1"},"v":{"N":"1"}}`, http.StatusOK)
	call(http.MethodPost, "put", `{"id":{"S":"u1"},"v":{"N":"2"}}`, http.StatusOK)
	if got := call(http.MethodPost, "get", `{"id":{"S":"u1"}}`, http.StatusOK).(table.Item); got["v"]["N"] != "2" {
		t.Errorf("get: got %v, want v 2", got)
	}
	call(http.MethodPost, "put", `{"v":{"N":"2"}}`, http.StatusBadRequest)
	// No item with the key is not an error, as in DynamoDB's GetItem: the
	// answer is null. An unknown table is, naming the tables there are.
	if got := call(http.MethodPost, "get", `{"id":{"S":"nobody"}}`, http.StatusOK); got.(table.Item) != nil {
		t.Errorf("get of a missing item: got %v, want no item", got)
	}
	if _, status, err := p.ControlTable(ctx, http.MethodPost, "nope", "get", url.Values{}, []byte(`{"id":{"S":"u1"}}`)); status != http.StatusNotFound ||
		!errors.Is(err, table.ErrNoTable) || !strings.HasSuffix(err.Error(), "table does not exist: nope; the stack's tables are Notes, Users (users)") {
		t.Errorf("get of a missing table: %d %v, want 404 naming the tables", status, err)
	}
	if got := call(http.MethodGet, "items", "", http.StatusOK).([]table.Item); len(got) != 1 {
		t.Errorf("scan: got %v, want one item", got)
	}
	call(http.MethodPost, "delete", `{"id":{"S":"u1"}}`, http.StatusOK)
	if got := call(http.MethodPost, "delete", `{"id":{"S":"u1"}}`, http.StatusOK); got.(table.Item) != nil {
		t.Errorf("delete of a missing item: got %v, want no item", got)
	}

	want := []string{"dynamodb record: INSERT", "dynamodb record: MODIFY", "dynamodb record: REMOVE"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		log := logText(p, "Watcher")
		var got []string
		for _, l := range strings.Split(log, "\n") {
			if strings.HasPrefix(l, "dynamodb record: ") {
				got = append(got, l[:strings.LastIndex(l, " ")])
			}
		}
		if len(got) >= 3 {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("records: got %q, want %q", got, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function did not get three records; its log:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
