// Package server is the control API of a running stacklab: the JSON API the
// CLI (and later the dashboard) uses to list functions, invoke them and read
// their logs, guarded by the control token. It also owns the state
// directory's small files: the token and where the platform listens, so
// that a second terminal finds a running platform.
package server
