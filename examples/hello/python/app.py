"""The Python function of examples/hello.

Behind an API Gateway HTTP API (payload format 2.0) it answers GET /hello/python
with a JSON greeting for the query string's name, and POST /echo/python with the
same greeting and the body it was sent.
"""

import base64
import json
import os


def lambda_handler(event, context):
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or "world"
    http = event.get("requestContext", {}).get("http", {})
    greeting = {
        "message": "%s, %s!" % (os.environ.get("GREETING", "Hello"), name),
        "language": "python",
        "method": http.get("method"),
        "path": event.get("rawPath"),
        "requestId": context.aws_request_id,
    }
    if http.get("method") == "POST":
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(body, validate=True).decode("utf-8")
            except ValueError:
                return reply(400, {"message": "the body is not valid base64"})
        greeting["echo"] = body
    return reply(200, greeting)


def reply(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
