// Package gateway is stacklab's HTTP front door: an http.Handler that
// serves the AWS Lambda Invoke API (so the AWS CLI and SDKs can invoke
// functions) and the routes of a stack's APIs the way API Gateway's Lambda
// proxy integration does (REST APIs with payload format 1.0, HTTP APIs with
// 2.0).
//
// Where things are served:
//
//	POST /2015-03-31/functions/{FunctionName}/invocations   the Invoke API
//	/_api/{ApiId}[/{stage}]/path                            one API; the stage unless it is $default
//	/path                                                   the routes of all APIs together
//	/_s3/{bucket}/{key}                                     objects over plain HTTP (Config.Objects)
//	POST / with X-Amz-Target                                SQS and DynamoDB, AWS JSON protocol (Config.AWS)
//
// Under /_api/{ApiId} the path is the one the API would have on its
// execute-api host. At the root the stage is left out (as with sam local)
// and the APIs' routes are merged; when two APIs define the same route the
// implicit ServerlessHttpApi wins, then ServerlessRestApi, then the others
// in the order given, and the conflict is logged. The Invoke API takes its
// prefix before any route.
//
// The pure parts are exported so they can be tested with tables: Router
// matches requests to routes (literal segments before {param} before
// {greedy+}, a method before ANY, $default last), EventV1 and EventV2 build
// the events, ParseResponse turns a function's result into the HTTP
// response.
//
// With Config.Telemetry every API route and Invoke API request is a Server
// span (named by its route key, or "Invoke"; resource the API's logical id,
// or "lambda"), continuing the client's traceparent or X-Amzn-Trace-Id, and
// the answer carries both headers naming it; the invocation continues the
// span through invoke.Request.TraceID.
//
// The package knows nothing of how functions run: it hands invoke.Requests
// to an invoke.Invoker and maps invoke.Errors to what AWS answers. It does
// not check SigV4 signatures, run authorizers or answer CORS yet.
package gateway
