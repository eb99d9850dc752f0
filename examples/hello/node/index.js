// The Node.js function of examples/hello (CommonJS, an async handler).
//
// Behind an API Gateway HTTP API (payload format 2.0) it answers GET /hello/node
// with a JSON greeting for the query string's name, and POST /echo/node with the
// same greeting and the body it was sent.

'use strict';

exports.handler = async (event, context) => {
  const name = event.queryStringParameters?.name || 'world';
  const method = event.requestContext?.http?.method;
  const greeting = {
    message: `${process.env.GREETING || 'Hello'}, ${name}!`,
    language: 'node',
    method,
    path: event.rawPath,
    requestId: context.awsRequestId,
  };
  if (method === 'POST') {
    let body = event.body ?? '';
    if (event.isBase64Encoded) {
      body = Buffer.from(body, 'base64').toString('utf8');
    }
    greeting.echo = body;
  }
  return reply(200, greeting);
};

function reply(statusCode, body) {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
}
