package store

import (
	"strings"

	"github.com/stacklab/stacklab/internal/telemetry/model"
)

// Literals instead of bound values. The driver binds each value of a row
// with C calls that take the connection's mutex, and a string also with a
// copy into C memory that is freed and unbound after the statement: about
// a tenth of a microsecond a value, and a record has forty. Most of a
// record's values are their column's default (no queue wait, not cold, no
// retries, no status message ...) or one of a few words (the outcome
// "ok", the trigger "http", the version "$LATEST", a span's kind and
// status), so the writer writes those into the statement as literals: a
// row's shape says which of its values are which literal; the writer
// gathers a batch's rows by shape and executes each shape's rows together
// (write.go), and keeps the statements of each shape it has seen. It
// admits at most maxShapes shapes of an insert; rows of another shape are
// all bound, so a workload of many shapes costs no more than binding did.

// maxShapes bounds the shapes of one insert, maxStmts the statements a
// writer keeps prepared (six sizes of each shape of three inserts, and the
// look-ups').
const (
	maxShapes = 8
	maxStmts  = 6*3*maxShapes + 16
)

// maxCols is the most values a row of an insert has.
const maxCols = 48

// shape says, for each value of a row, whether it is bound (0) or which
// literal it is written as (an index into literals).
type shape [maxCols]byte

// shapeKey names an admitted shape of an insert.
type shapeKey struct {
	in *insert
	sh shape
}

// The literals: NULL (which INSERT OR REPLACE stores as the column's
// default), the empty string, zero, and the words.
const (
	litNull = iota + 1
	litEmpty
	litZero
	litWords
)

// words are the strings written as literals: a record's and a span's
// values that take few values.
var words = []string{
	string(model.OutcomeOK), string(model.OutcomeHandledError), string(model.OutcomeUnhandled),
	string(model.OutcomeTimeout), string(model.OutcomeThrottled), string(model.OutcomeOOM),
	string(model.KindInternal), string(model.KindServer), string(model.KindClient),
	string(model.KindProducer), string(model.KindConsumer),
	string(model.StatusUnset), string(model.StatusOK), string(model.StatusError),
	"$LATEST", "http", "pubsub", "datasource", "timer", "other", "{}", "[]",
}

// wordIndex is the index of each word in words.
var wordIndex = func() map[string]byte {
	m := make(map[string]byte, len(words))
	for i, w := range words {
		if _, twice := m[w]; !twice {
			m[w] = byte(i)
		}
	}
	return m
}()

// literalOf is the literal a value is written as, 0 when it is bound.
func literalOf(v any) byte {
	switch x := v.(type) {
	case nil:
		return litNull
	case string:
		if x == "" {
			return litEmpty
		}
		if len(x) <= 13 { // the longest word
			if i, ok := wordIndex[x]; ok {
				return litWords + i
			}
		}
	case int64:
		if x == 0 {
			return litZero
		}
	case bool:
		if !x {
			return litZero
		}
	case float64:
		if x == 0 {
			return litZero
		}
	}
	return 0
}

// pendingOf returns the rows gathered of in in the shape of vals: its
// literals if the shape is admitted (or can be), else none.
func (w *writer) pendingOf(in *insert, vals []any) *pending {
	k := shapeKey{in: in}
	for i, v := range vals {
		k.sh[i] = literalOf(v)
	}
	if p := w.pend[k]; p != nil {
		return p
	}
	if w.nshapes[in] >= maxShapes {
		k.sh = shape{}
		if p := w.pend[k]; p != nil {
			return p
		}
	} else {
		w.nshapes[in]++
	}
	p := &pending{key: k}
	w.pend[k] = p
	w.order = append(w.order, p)
	return p
}

// text is the statement's text of value i: "?" or its literal.
func (sh *shape) text(i int) string {
	switch l := sh[i]; {
	case l == 0:
		return "?"
	case l == litNull:
		return "NULL"
	case l == litEmpty:
		return "''"
	case l == litZero:
		return "0"
	default:
		return "'" + strings.ReplaceAll(words[l-litWords], "'", "''") + "'"
	}
}
