// Package cli is the stacklab command line: one file per command, each a
// thin layer that reads flags, calls the packages that do the work and
// prints their result as text or JSON. It holds no logic of its own beyond
// flags, output and exit codes: 0 success, 1 the input is invalid or the
// work failed, 2 the command was used wrongly.
package cli
