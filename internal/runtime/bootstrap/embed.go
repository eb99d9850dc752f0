// Package bootstrap holds the programs that stacklab starts to run python3.x and
// nodejs functions: small runtimes of our own, standard library only, that load
// the function's handler from LAMBDA_TASK_ROOT and speak the AWS Lambda Runtime
// API (2018-06-01) with the endpoint named by AWS_LAMBDA_RUNTIME_API, exactly as
// AWS's own runtimes do: the same context object, the same error documents and
// error types, init errors for handlers that cannot be loaded.
//
// The package only carries the files; it knows nothing of instances, pools or
// the Runtime API server. Whoever starts a function writes the bytes to a file
// and runs `python3 bootstrap.py` or `node bootstrap.js` with _HANDLER,
// LAMBDA_TASK_ROOT and AWS_LAMBDA_RUNTIME_API in the environment.
package bootstrap

import _ "embed"

// Python is python/bootstrap.py, the runtime for python3.x functions (Python 3.9
// or newer). Run it as `python3 bootstrap.py`.
//
//go:embed python/bootstrap.py
var Python []byte

// Node is node/bootstrap.js, the runtime for nodejs functions (Node.js 18 or
// newer), a CommonJS file. Run it as `node bootstrap.js`.
//
//go:embed node/bootstrap.js
var Node []byte
