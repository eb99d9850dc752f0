// Package awsapi serves the subsets of the Amazon SQS, Amazon DynamoDB and
// Amazon EventBridge APIs that functions need to reach the stack's queues,
// tables and event buses with unmodified AWS SDKs: the AWS JSON protocol (a
// POST whose X-Amz-Target header names the operation), answered by the
// queue, table and events services.
//
// SQS: SendMessage, SendMessageBatch, GetQueueUrl.
// DynamoDB: PutItem, GetItem, DeleteItem, Query (partition key equality),
// Scan; Query and Scan page with Limit, LastEvaluatedKey and
// ExclusiveStartKey.
//
// The gateway routes such requests here; the platform tells functions the
// address with AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_EVENTBRIDGE.
// Requests are not checked against SigV4 signatures: the endpoint is for
// the functions of one node. This package knows nothing about HTTP APIs,
// the runtime or templates.
package awsapi
