package diagram

import (
	"bytes"
	"encoding/json"

	"github.com/stacklab/stacklab/internal/stack"
)

// renderJSON writes g itself, indented: {"nodes":[...],"edges":[...]} with the
// logical ids as node ids. g is normalized, so nodes come sorted by id and
// edges by (from, to, kind, label), and empty lists are [] rather than null.
func renderJSON(b *bytes.Buffer, g stack.Graph) error {
	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(g)
}
