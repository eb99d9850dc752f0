// Package awsapi serves the subsets of the Amazon SQS, Amazon DynamoDB and
// Amazon EventBridge APIs that functions need to reach the stack's queues,
// tables and event buses with unmodified AWS SDKs: the AWS JSON protocol (a
// POST whose X-Amz-Target header names the operation), answered by the
// queue, table and events services.
//
// SQS: SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage,
// DeleteMessageBatch, ChangeMessageVisibility,
// ChangeMessageVisibilityBatch, GetQueueUrl, GetQueueAttributes,
// PurgeQueue. Its errors carry the X-Amzn-Query-Error header SQS sends
// (AWS.SimpleQueueService.NonExistentQueue;Sender ...), from which the
// SDKs take the error code. A receipt handle of an earlier receive of a
// message received again since is ReceiptHandleIsInvalid (see the queue
// package). Batch entry ids are checked as SQS does.
// DynamoDB: PutItem, GetItem, DeleteItem, Query (partition key equality),
// Scan; Query and Scan page with Limit, LastEvaluatedKey and
// ExclusiveStartKey.
// EventBridge: PutEvents.
//
// The gateway routes such requests here; the platform tells functions the
// address with AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_EVENTBRIDGE.
// Requests are not checked against SigV4 signatures: the endpoint is for
// the functions of one node. This package knows nothing about HTTP APIs,
// the runtime or templates.
package awsapi
