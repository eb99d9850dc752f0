// Package diag holds what every checker of a template reports: positions in a
// file and diagnostics (errors and warnings) that name the place, the resource,
// the property and the fix. It is a small neutral package so that the template
// parser, the stack model and the CLI can share it without import cycles.
package diag
