package awsapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/stacklab/stacklab/internal/services/table"
)

const ddbNamespace = "com.amazonaws.dynamodb.v20120810"

// ddbError maps an error of the table service to the DynamoDB error a
// client expects.
func ddbError(err error) error {
	switch {
	case errors.Is(err, table.ErrNoTable):
		return &apiError{http.StatusBadRequest, ddbNamespace, "ResourceNotFoundException", err.Error()}
	case errors.Is(err, table.ErrInvalid):
		return &apiError{http.StatusBadRequest, ddbNamespace, "ValidationException", err.Error()}
	}
	return err
}

func ddbInvalid(msg string) error {
	return &apiError{http.StatusBadRequest, ddbNamespace, "ValidationException", msg}
}

// itemInput is the part of the DynamoDB requests served here that names a
// table and an item or key. Fields for features not served are decoded so
// that a request using them is refused rather than half done.
type itemInput struct {
	TableName                 string
	Item                      table.Item
	Key                       table.Item
	ReturnValues              string
	ConditionExpression       string
	KeyConditionExpression    string
	FilterExpression          string
	ProjectionExpression      string
	IndexName                 string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues table.Item
	ScanIndexForward          *bool
	Limit                     int
	ExclusiveStartKey         table.Item
}

// refuse names the first feature of a request that is not served.
// ExclusiveStartKey and Limit are served by page.
func (in *itemInput) refuse(op string) error {
	for _, f := range []struct{ name, value string }{
		{"ConditionExpression", in.ConditionExpression},
		{"FilterExpression", in.FilterExpression},
		{"ProjectionExpression", in.ProjectionExpression},
		{"IndexName", in.IndexName},
	} {
		if f.value != "" {
			return ddbInvalid(fmt.Sprintf("%s: %s is not supported by stacklab yet; leave it out and filter in the function", op, f.name))
		}
	}
	return nil
}

// dynamodb runs one DynamoDB operation.
func (h *Handler) dynamodb(r *http.Request, op string) (any, error) {
	if h.Tables == nil {
		return nil, &apiError{http.StatusBadRequest, ddbNamespace, "UnknownOperationException", "this endpoint serves no tables"}
	}
	var in itemInput
	switch op {
	case "PutItem", "GetItem", "DeleteItem", "Query", "Scan":
		if err := decode(r, &in, ddbInvalid); err != nil {
			return nil, err
		}
		if in.TableName == "" {
			return nil, ddbInvalid(op + ": TableName is required")
		}
		if err := in.refuse(op); err != nil {
			return nil, err
		}
		h.tableResource(r.Context(), in.TableName)
	default:
		return nil, &apiError{http.StatusBadRequest, ddbNamespace, "UnknownOperationException",
			fmt.Sprintf("DynamoDB %s is not served by stacklab; it serves PutItem, GetItem, DeleteItem, Query and Scan", op)}
	}
	ctx := r.Context()
	switch op {
	case "PutItem", "DeleteItem":
		if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
			return nil, ddbInvalid(fmt.Sprintf("%s: ReturnValues %s is not supported; use NONE or ALL_OLD", op, in.ReturnValues))
		}
		var old table.Item
		var err error
		if op == "PutItem" {
			old, err = h.Tables.Put(ctx, in.TableName, in.Item)
		} else {
			old, err = h.Tables.Delete(ctx, in.TableName, in.Key)
		}
		if err != nil {
			return nil, ddbError(err)
		}
		if in.ReturnValues == "ALL_OLD" && old != nil {
			return map[string]table.Item{"Attributes": old}, nil
		}
		return struct{}{}, nil
	case "GetItem":
		it, err := h.Tables.Get(ctx, in.TableName, in.Key)
		if err != nil {
			return nil, ddbError(err)
		}
		if it == nil {
			return struct{}{}, nil
		}
		return map[string]table.Item{"Item": it}, nil
	case "Scan":
		cfg, err := h.config(in.TableName)
		if err != nil {
			return nil, err
		}
		items, err := h.Tables.Scan(ctx, in.TableName, 0)
		if err != nil {
			return nil, ddbError(err)
		}
		return page(cfg, items, &in)
	}
	return h.query(r, &in)
}

type itemsOutput struct {
	Items            []table.Item
	Count            int
	ScannedCount     int
	LastEvaluatedKey table.Item `json:",omitempty"`
}

// config is the table's configuration, by name or logical id.
func (h *Handler) config(name string) (table.Config, error) {
	for _, c := range h.Tables.Tables() {
		if c.Name == name || c.ID == name {
			return c, nil
		}
	}
	return table.Config{}, ddbError(fmt.Errorf("%w: %s", table.ErrNoTable, name))
}

// page cuts one page out of items in their order, as DynamoDB pages: from
// after ExclusiveStartKey, at most Limit items, and LastEvaluatedKey (the
// key of the last item given) when more remain.
func page(cfg table.Config, items []table.Item, in *itemInput) (itemsOutput, error) {
	keys := []table.Key{cfg.HashKey}
	if cfg.RangeKey != nil {
		keys = append(keys, *cfg.RangeKey)
	}
	sameKey := func(it, key table.Item) bool {
		for _, k := range keys {
			if !equalValue(it[k.Name], key[k.Name]) {
				return false
			}
		}
		return true
	}
	if in.ExclusiveStartKey != nil {
		i := slices.IndexFunc(items, func(it table.Item) bool { return sameKey(it, in.ExclusiveStartKey) })
		if i < 0 {
			return itemsOutput{}, ddbInvalid("ExclusiveStartKey is not the key of an item of this table (was it deleted? start again without it)")
		}
		items = items[i+1:]
	}
	out := itemsOutput{Items: items}
	if in.Limit > 0 && len(items) > in.Limit {
		out.Items = items[:in.Limit]
		last := out.Items[len(out.Items)-1]
		out.LastEvaluatedKey = table.Item{}
		for _, k := range keys {
			out.LastEvaluatedKey[k.Name] = last[k.Name]
		}
	}
	out.Count, out.ScannedCount = len(out.Items), len(out.Items)
	return out, nil
}

// keyCondition is the one KeyConditionExpression served: equality of the
// partition key, "pk = :v" or "#name = :v".
var keyCondition = regexp.MustCompile(`^\s*(#?[A-Za-z0-9_.-]+)\s*=\s*(:[A-Za-z0-9_]+)\s*$`)

// query answers a Query on the partition key: the items with that key,
// ordered by their sort key. The table service keeps no index by
// partition, so it reads the table's items; fit for the small tables of
// one node.
func (h *Handler) query(r *http.Request, in *itemInput) (any, error) {
	m := keyCondition.FindStringSubmatch(in.KeyConditionExpression)
	if m == nil {
		return nil, ddbInvalid(fmt.Sprintf("Query: KeyConditionExpression %q is not supported; stacklab serves the partition key's equality, like \"pk = :pk\"", in.KeyConditionExpression))
	}
	name := m[1]
	if name[0] == '#' {
		n, ok := in.ExpressionAttributeNames[name]
		if !ok {
			return nil, ddbInvalid(fmt.Sprintf("Query: %s is not in ExpressionAttributeNames", name))
		}
		name = n
	}
	want, ok := in.ExpressionAttributeValues[m[2]]
	if !ok {
		return nil, ddbInvalid(fmt.Sprintf("Query: %s is not in ExpressionAttributeValues", m[2]))
	}
	cfg, err := h.config(in.TableName)
	if err != nil {
		return nil, err
	}
	if name != cfg.HashKey.Name {
		return nil, ddbInvalid(fmt.Sprintf("Query: the key condition is on %q, but the partition key of table %s is %q", name, cfg.Name, cfg.HashKey.Name))
	}
	all, err := h.Tables.Scan(r.Context(), in.TableName, 0)
	if err != nil {
		return nil, ddbError(err)
	}
	items := []table.Item{}
	for _, it := range all {
		if equalValue(it[name], want) {
			items = append(items, it)
		}
	}
	if rk := cfg.RangeKey; rk != nil {
		sort.SliceStable(items, func(i, j int) bool { return lessValue(items[i][rk.Name], items[j][rk.Name], rk.Type) })
	}
	if in.ScanIndexForward != nil && !*in.ScanIndexForward {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	return page(cfg, items, in)
}

// equalValue compares two scalar attribute values (S, N or B).
func equalValue(a, b map[string]any) bool {
	for typ, av := range a {
		bv, ok := b[typ]
		if !ok {
			return false
		}
		as, _ := av.(string)
		bs, _ := bv.(string)
		if typ == "N" {
			x, err1 := strconv.ParseFloat(as, 64)
			y, err2 := strconv.ParseFloat(bs, 64)
			return err1 == nil && err2 == nil && x == y
		}
		return as == bs
	}
	return false
}

// lessValue orders sort key values as DynamoDB does: numbers by value,
// strings by their bytes (binaries by their base64 text).
func lessValue(a, b map[string]any, typ string) bool {
	as, _ := a[typ].(string)
	bs, _ := b[typ].(string)
	if typ == "N" {
		x, _ := strconv.ParseFloat(as, 64)
		y, _ := strconv.ParseFloat(bs, 64)
		return x < y
	}
	return as < bs
}
