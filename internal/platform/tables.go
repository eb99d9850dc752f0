package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/table"
	"github.com/stacklab/stacklab/internal/stack"
)

var _ server.Tables = (*Platform)(nil)

// tableConfigs are the stack's tables as the table service runs them.
func tableConfigs(st *stack.Stack) []table.Config {
	var out []table.Config
	for _, t := range st.Tables {
		c := table.Config{ID: t.ID, Name: t.Name, HashKey: table.Key{Name: t.HashKey.Name, Type: t.HashKey.Type}, StreamViewType: t.StreamViewType}
		if t.RangeKey != nil {
			c.RangeKey = &table.Key{Name: t.RangeKey.Name, Type: t.RangeKey.Type}
		}
		out = append(out, c)
	}
	return out
}

// tableMappings are the enabled DynamoDB events of functions whose stream
// is a table of the stack.
func tableMappings(st *stack.Stack) []table.Mapping {
	var out []table.Mapping
	for _, f := range st.Functions {
		for _, e := range f.Events {
			if e.Type != stack.EventDynamoDB || !e.Runs || !e.Enabled {
				continue
			}
			src := e.Source.Ref
			if src == "" {
				src = e.Source.Literal
			}
			for _, t := range st.Tables {
				name := t.Name
				if name == "" {
					name = t.ID
				}
				if src == t.ID || strings.Contains(src, ":table/"+name+"/stream/") {
					out = append(out, table.Mapping{ID: f.ID + "." + e.ID, Table: t.ID, Function: f.Name, BatchSize: e.BatchSize, StartingPosition: e.StartingPosition})
				}
			}
		}
	}
	return out
}

// applyTables creates the buckets and streams of the stack's tables and
// runs the pollers of their streams.
func (p *Platform) applyTables(ctx context.Context, st *stack.Stack) error {
	return p.tables.Apply(ctx, tableConfigs(st))
}

// startTablePollers runs the stack's DynamoDB stream mappings, replacing
// those of the stack deployed before.
func (p *Platform) startTablePollers(ctx context.Context, st *stack.Stack) {
	if err := p.tables.StartPollers(ctx, p.rt, tableMappings(st)); err != nil {
		p.log.Error("starting the table stream pollers", "err", err)
	}
}

// Tables is the platform's table service.
func (p *Platform) Tables() *table.Service { return p.tables }

// ControlTable serves the control API's table endpoints (server.Tables).
// As DynamoDB's GetItem and DeleteItem, get and delete of a key no item
// has are not errors: they answer null. An unknown table is (404), and
// its error names the tables there are.
func (p *Platform) ControlTable(ctx context.Context, method, name, action string, query url.Values, body []byte) (any, int, error) {
	v, err := p.controlTable(ctx, method, name, action, query, body)
	if errors.Is(err, table.ErrNoTable) {
		err = fmt.Errorf("%w; %s", err, p.tableNames())
	}
	return answer(v, err, table.ErrNoTable, table.ErrInvalid)
}

// tableNames says which tables the stack has, for an unknown table's error.
func (p *Platform) tableNames() string {
	var names []string
	for _, c := range p.tables.Tables() {
		n := c.ID
		if c.Name != "" && c.Name != c.ID {
			n += " (" + c.Name + ")"
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return "the deployed stack has no tables"
	}
	return "the stack's tables are " + strings.Join(names, ", ")
}

func (p *Platform) controlTable(ctx context.Context, method, name, action string, query url.Values, body []byte) (any, error) {
	ts := p.tables
	item := func() (table.Item, error) {
		var it table.Item
		if err := json.Unmarshal(body, &it); err != nil {
			return nil, fmt.Errorf("%w: the body must be DynamoDB JSON like {\"id\": {\"S\": \"a\"}}: %v", table.ErrInvalid, err)
		}
		return it, nil
	}
	switch {
	case method == http.MethodGet && name == "":
		out := []table.Config{}
		return append(out, ts.Tables()...), nil
	case method == http.MethodGet && action == "items":
		limit := 0
		if s := query.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: limit must be a number of items", table.ErrInvalid)
			}
			limit = n
		}
		return ts.Scan(ctx, name, limit)
	case method != http.MethodPost || name == "":
	case action == "put":
		it, err := item()
		if err != nil {
			return nil, err
		}
		if _, err := ts.Put(ctx, name, it); err != nil {
			return nil, err
		}
		return map[string]bool{"put": true}, nil
	case action == "get" || action == "delete":
		key, err := item()
		if err != nil {
			return nil, err
		}
		var it table.Item
		if action == "get" {
			it, err = ts.Get(ctx, name, key)
		} else {
			it, err = ts.Delete(ctx, name, key)
		}
		if err != nil {
			return nil, err
		}
		return it, nil // nil: no item has the key
	}
	return nil, fmt.Errorf("%w: %s /v1/tables/%s/%s is not a table operation", table.ErrInvalid, method, name, action)
}
