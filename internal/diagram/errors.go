package diagram

import "errors"

// Sentinel errors, to be checked with errors.Is.
var (
	// ErrUnknownFormat is returned by ParseFormat and Render for a format name
	// that is not one of Formats().
	ErrUnknownFormat = errors.New("unknown diagram format")

	// ErrInvalidGraph is returned by Render for a graph that cannot be drawn:
	// a node without an id, two nodes with the same id, or an edge whose end is
	// not a node of the graph.
	ErrInvalidGraph = errors.New("invalid stack graph")
)
