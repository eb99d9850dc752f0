// Package invoke defines what an invocation is, independent of who asks
// (the Invoke API, an HTTP route, an event source, the CLI) and of who runs
// it (package runtime): the request, the result, the Invoker interface, and
// the service errors with the types and HTTP statuses the AWS Lambda Invoke
// API documents.
package invoke
