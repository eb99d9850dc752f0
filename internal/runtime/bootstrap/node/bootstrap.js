// stacklab's runtime for Node.js AWS Lambda handlers (CommonJS, Node 18 or newer).
//
// Run as `node bootstrap.js` with:
//
//   AWS_LAMBDA_RUNTIME_API  host:port of the Lambda Runtime API (2018-06-01)
//   _HANDLER                file.function; the file may be a path: src/app.handler
//   LAMBDA_TASK_ROOT        the function's code; the working directory
//
// It loads the handler once (CommonJS with require, ES modules with import()),
// then loops: GET the next invocation, call handler(event, context, callback),
// POST the JSON result or the error. Async handlers, callbacks,
// context.succeed/fail/done and callbackWaitsForEmptyEventLoop behave as in AWS's
// Node.js runtime, so handlers written for AWS Lambda run unmodified. Failures to
// load the handler go to /runtime/init/error and end the process with status 1.
// Standard library only.

'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
const XRAY_CAUSE_HEADER = 'Lambda-Runtime-Function-XRay-Error-Cause';
const XRAY_CAUSE_LIMIT = 1024 * 1024; // bytes; a larger cause is left out

// Errors the runtime itself reports carry AWS's "Runtime.X" names.
function runtimeErrorClass(name) {
  const cls = class extends Error {};
  Object.defineProperty(cls, 'name', { value: name });
  cls.prototype.name = `Runtime.${name}`;
  return cls;
}
const ImportModuleError = runtimeErrorClass('ImportModuleError');
const HandlerNotFound = runtimeErrorClass('HandlerNotFound');
const MalformedHandlerName = runtimeErrorClass('MalformedHandlerName');
const UserCodeSyntaxError = runtimeErrorClass('UserCodeSyntaxError');
const UnhandledPromiseRejection = runtimeErrorClass('UnhandledPromiseRejection');
const MarshalError = runtimeErrorClass('MarshalError');
const NodeJsExit = runtimeErrorClass('NodeJsExit');

// ---- the Runtime API client ----------------------------------------------------

function splitAddress(address) {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) || /^([^:]+):(\d+)$/.exec(address);
  if (!m) {
    throw new Error(`AWS_LAMBDA_RUNTIME_API must be host:port, got ${JSON.stringify(address)}`);
  }
  return { hostname: m[1], port: Number(m[2]) };
}

// One keep-alive connection, as AWS's runtime uses. Idle sockets of a keep-alive
// agent are unref'd, so they do not keep the event loop alive: 'beforeExit' still
// tells when the user's work is done.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let api = null;

function call(method, urlPath, body, headers, retried) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: api.hostname, port: api.port, path: urlPath, method, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      // A reused connection the server closed while idle: try once on a new one.
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') {
        call(method, urlPath, body, headers, true).then(resolve, reject);
        return;
      }
      reject(new Error(`${method} ${urlPath}: ${err.message}`));
    });
    req.end(body);
  });
}

async function nextInvocation() {
  const res = await call('GET', `${API_PREFIX}/invocation/next`, undefined, {});
  if (res.status !== 200) {
    throw new Error(`GET next invocation: HTTP ${res.status}: ${clip(res.body)}`);
  }
  return res;
}

async function post(urlPath, body, headers) {
  const buf = Buffer.from(body, 'utf8');
  const res = await call(
    'POST',
    urlPath,
    buf,
    Object.assign({ 'Content-Type': 'application/json', 'Content-Length': buf.length }, headers),
  );
  if (res.status === 500) {
    // The API's documented "container error": not recoverable.
    throw new Error(`POST ${urlPath}: HTTP 500: ${clip(res.body)}`);
  }
  if (res.status < 200 || res.status > 299) {
    // 400, 403, 413: this result was refused; the next one may be fine.
    process.stderr.write(`stacklab runtime: POST ${urlPath}: HTTP ${res.status}: ${clip(res.body)}\n`);
  }
}

function postResponse(id, json) {
  return post(`${API_PREFIX}/invocation/${encodeURIComponent(id)}/response`, json, {});
}

function postError(id, err) {
  const doc = toErrorDocument(err);
  const headers = { [ERROR_TYPE_HEADER]: headerValue(doc.errorType) };
  const cause = xrayCause(err, doc);
  if (cause.length < XRAY_CAUSE_LIMIT) {
    headers[XRAY_CAUSE_HEADER] = cause;
  }
  return post(`${API_PREFIX}/invocation/${encodeURIComponent(id)}/error`, JSON.stringify(doc), headers);
}

function postInitError(err) {
  const doc = toErrorDocument(err);
  return post(`${API_PREFIX}/init/error`, JSON.stringify(doc), {
    [ERROR_TYPE_HEADER]: headerValue(doc.errorType),
  });
}

function clip(buf) {
  const s = buf.toString('utf8');
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

// Node refuses header values with control or non-Latin-1 characters.
function headerValue(v) {
  return String(v).replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

// ---- errors -------------------------------------------------------------------------

function isErrorLike(e) {
  return (
    e &&
    typeof e.name === 'string' &&
    typeof e.message === 'string' &&
    typeof e.stack === 'string'
  );
}

// The error document AWS's Node.js runtime posts: errorType, errorMessage, trace.
function toErrorDocument(err) {
  try {
    if (util.types.isNativeError(err) || isErrorLike(err)) {
      return {
        errorType: String(err.name),
        errorMessage: String(err.message),
        trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
      };
    }
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function xrayCause(err, doc) {
  const stack = [];
  const paths = new Set();
  for (const line of doc.trace.slice(1)) {
    const m = /^\s*at (?:(.*?) \()?(.*?):(\d+):\d+\)?$/.exec(line);
    if (m) {
      stack.push({ label: m[1] || 'anonymous', path: m[2], line: Number(m[3]) });
      paths.add(m[2]);
    }
  }
  const cause = {
    working_directory: process.cwd(),
    exceptions: [{ type: doc.errorType, message: doc.errorMessage, stack }],
    paths: [...paths],
  };
  return JSON.stringify(cause).replace(/[^\x20-\x7e]/g, (c) =>
    `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function logInvokeError(id, err) {
  const doc = toErrorDocument(err);
  const line = JSON.stringify({ errorType: doc.errorType, errorMessage: doc.errorMessage, stack: doc.trace });
  process.stderr.write(`${new Date().toISOString()}\t${id || 'undefined'}\tERROR\tInvoke Error \t${line}\n`);
}

// ---- loading the handler -----------------------------------------------------------

function tryRequire(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function tryImport(file) {
  return fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined;
}

// Whether the nearest package.json above dir says "type": "module".
function typeModule(dir) {
  for (;;) {
    if (dir.endsWith(`${path.sep}node_modules`)) {
      return false;
    }
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return false;
    }
    dir = parent;
  }
}

// Load the module the way AWS's runtime does: the file as named, then .js
// (require, or import() under "type": "module"), .mjs (import()), .cjs (require),
// then Node's own resolution from the task root (node_modules).
async function loadModule(taskRoot, moduleRoot, name) {
  const base = path.resolve(taskRoot, moduleRoot, name);
  let mod = tryRequire(base);
  if (mod !== undefined) {
    return mod;
  }
  const esm = typeModule(path.dirname(base));
  if (!esm) {
    mod = tryRequire(`${base}.js`);
    if (mod !== undefined) {
      return mod;
    }
  }
  mod =
    (esm ? await tryImport(`${base}.js`) : undefined) ||
    (await tryImport(`${base}.mjs`)) ||
    tryRequire(`${base}.cjs`);
  if (mod !== undefined) {
    return mod;
  }
  return require(require.resolve(name, { paths: [taskRoot, path.resolve(taskRoot, moduleRoot)] }));
}

async function loadHandler(taskRoot, spec) {
  if (spec.includes('..')) {
    throw new MalformedHandlerName(
      `'${spec}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const file = path.basename(spec);
  const moduleRoot = spec.slice(0, spec.length - file.length);
  const m = /^([^.]*)\.(.*)$/.exec(file);
  if (!m || !m[1] || !m[2]) {
    throw new MalformedHandlerName('Bad handler');
  }
  const [, name, fnPath] = m;

  let mod;
  try {
    mod = await loadModule(taskRoot, moduleRoot, name);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new UserCodeSyntaxError(String(e));
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new ImportModuleError(String(e));
    }
    throw e;
  }

  const fn = fnPath.split('.').reduce((o, key) => (o == null ? undefined : o[key]), mod);
  if (!fn) {
    throw new HandlerNotFound(`${spec} is undefined or not exported`);
  }
  if (typeof fn !== 'function') {
    throw new HandlerNotFound(`${spec} is not a function`);
  }
  return fn;
}

// ---- the context object --------------------------------------------------------------

function parseJSONHeader(value, what) {
  if (value === undefined || value === '') {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${what} as json: ${err.toString()}`);
  }
}

function environmentData() {
  return {
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
}

function headerData(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return {
    clientContext: parseJSONHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseJSONHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis() {
      return deadline - Date.now();
    },
  };
}

// ---- the loop ---------------------------------------------------------------------------

let handler = null;
let handlerIsAsync = false;
let initialized = false;
let current = null; // the invocation being handled: { id, reported }

// 'beforeExit' fires when the event loop has nothing left to do. A callback
// handler's result waits for it (callbackWaitsForEmptyEventLoop), and a handler
// that never answers is answered here, as AWS does.
let beforeExit = null;
process.on('beforeExit', () => {
  const action = beforeExit;
  beforeExit = null;
  if (action) {
    action();
  }
});

function scheduleNext() {
  setImmediate(() => {
    handleOnce().catch(fatal);
  });
}

// report posts the outcome of an invocation once; later outcomes are ignored.
function report(inv, err, result) {
  if (inv.reported) {
    return;
  }
  inv.reported = true;
  beforeExit = null;
  let sent;
  if (err !== undefined && err !== null) {
    logInvokeError(inv.id, err);
    sent = postError(inv.id, err);
  } else {
    let json;
    try {
      json = JSON.stringify(result === undefined ? null : result);
    } catch (e) {
      const me = new MarshalError(`Unable to stringify response body: ${e.message}`);
      logInvokeError(inv.id, me);
      sent = postError(inv.id, me);
    }
    if (json !== undefined) {
      sent = postResponse(inv.id, json);
    }
  }
  sent.then(() => {
    if (current === inv) {
      current = null;
    }
    scheduleNext();
  }, fatal);
}

async function handleOnce() {
  const res = await nextInvocation();
  const headers = res.headers;
  const id = headers['lambda-runtime-aws-request-id'];
  if (!id) {
    throw new Error('next invocation without a Lambda-Runtime-Aws-Request-Id');
  }
  const inv = { id, reported: false };
  current = inv;

  const trace = headers['lambda-runtime-trace-id'];
  if (trace) {
    process.env._X_AMZN_TRACE_ID = trace;
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }

  let waitForEmptyEventLoop = true;
  let finished = false; // only the first of callback/succeed/fail/done counts
  const once = (fn) =>
    function (...args) {
      if (!finished) {
        finished = true;
        fn(...args);
      }
    };

  const callback = once((err, result) => {
    if ((err !== undefined && err !== null) || !waitForEmptyEventLoop) {
      report(inv, err, result);
      return;
    }
    // The result is serialized when the event loop is empty, as on AWS.
    beforeExit = () => setImmediate(() => report(inv, null, result));
  });
  const done = once((err, result) => report(inv, err, result));
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once((result) => report(inv, null, result)),
    fail: once((err) => report(inv, err === undefined || err === null ? 'handled' : err)),
    done,
  };

  // A handler that neither returns a promise nor calls back is answered when the
  // event loop empties: null for a plain function, an error for an async one
  // whose promise never settled.
  beforeExit = () => {
    if (handlerIsAsync) {
      report(
        inv,
        new NodeJsExit(
          'The event loop emptied before the async handler finished: a Promise was never settled.',
        ),
      );
    } else {
      report(inv, null, null);
    }
  };

  try {
    Object.assign(context, environmentData(), headerData(headers));
    const event = JSON.parse(res.body.toString('utf8'));
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      result.then(
        (value) => context.succeed(value),
        (err) => context.fail(err),
      );
    }
  } catch (err) {
    callback(err);
  }
}

// An error nobody caught: report it for the invocation in flight (or as the
// init error), then end the process, as AWS's runtime does.
function crash(err, code) {
  logInvokeError(current && current.id, err);
  let sent = Promise.resolve();
  if (!initialized) {
    sent = postInitError(err);
  } else if (current && !current.reported) {
    current.reported = true;
    sent = postError(current.id, err);
  }
  sent.then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

function fatal(err) {
  process.stderr.write(`stacklab runtime: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
}

async function main() {
  try {
    api = splitAddress(process.env.AWS_LAMBDA_RUNTIME_API || '');
  } catch (err) {
    fatal(err);
    return;
  }
  const taskRoot = path.resolve(process.env.LAMBDA_TASK_ROOT || process.cwd());
  try {
    process.chdir(taskRoot);
  } catch (err) {
    process.stderr.write(`stacklab runtime: LAMBDA_TASK_ROOT ${taskRoot}: ${err.message}\n`);
  }

  process.on('uncaughtException', (err) => crash(err, 129));
  process.on('unhandledRejection', (reason) => {
    const msg = reason && reason.stack ? reason.stack : String(reason);
    const err = new UnhandledPromiseRejection(msg);
    err.reason = reason;
    crash(err, 128);
  });

  try {
    handler = await loadHandler(taskRoot, process.env._HANDLER || '');
    handlerIsAsync = handler.constructor && handler.constructor.name === 'AsyncFunction';
  } catch (err) {
    initialized = true; // the error is posted here, not by crash()
    logInvokeError(undefined, err);
    try {
      await postInitError(err);
    } catch (e) {
      process.stderr.write(`stacklab runtime: ${e.message}\n`);
    }
    process.exit(1);
  }
  initialized = true;
  scheduleNext();
}

main();
