// Package platform puts a stack on its feet on one node: it reads the
// template, prepares every function (builds, bootstraps), deploys them to the
// runtime and builds the gateway's routes. It is the only package that knows
// both the typed model (package stack) and the running pieces (runtime,
// gateway); the CLI's "up" command drives it.
package platform
