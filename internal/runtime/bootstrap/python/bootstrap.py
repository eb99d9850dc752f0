"""stacklab's runtime for Python AWS Lambda handlers.

Run as `python3 bootstrap.py` with:

  AWS_LAMBDA_RUNTIME_API  host:port of the Lambda Runtime API (2018-06-01)
  _HANDLER                module.function; the module may be a path: pkg/app.handler
  LAMBDA_TASK_ROOT        the function's code; the working directory and sys.path[0]

It imports the handler once, then loops: GET the next invocation, call
handler(event, context), POST the JSON result or the error. Failures to load the
handler go to /runtime/init/error and end the process with status 1. Error types,
messages and the context object follow AWS's Python runtime, so handlers written
for AWS Lambda run unmodified. Standard library only; Python 3.9 or newer.
"""

import decimal
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback
import urllib.parse

API_PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
XRAY_CAUSE_LIMIT = 1024 * 1024  # bytes; a larger cause is left out

# Error types AWS's Python runtime reports for problems it finds itself.
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
MARSHAL_ERROR = "Runtime.MarshalError"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

# Frames of this file are cut from the head of a handler's traceback.
_SELF = __file__


class Fault(Exception):
    """A problem the runtime found (bad handler name, undecodable event...)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class RuntimeAPIError(Exception):
    """The Runtime API cannot be used any more; the process should end."""


# --- the Runtime API client ---------------------------------------------------


class RuntimeClient:
    """Talks to the Runtime API over one keep-alive HTTP/1.1 connection."""

    def __init__(self, address):
        # HTTPConnection parses "host:port" and "[::1]:port" itself.
        self.address = address
        self.conn = http.client.HTTPConnection(address)

    def _do(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (http.client.HTTPException, ConnectionError) as e:
                # The first try may meet a connection the server closed while idle.
                self.conn.close()
                if attempt == 2:
                    raise RuntimeAPIError(
                        "%s %s on %s: %s" % (method, path, self.address, e)
                    ) from e
            except OSError as e:
                self.conn.close()
                raise RuntimeAPIError(
                    "%s %s on %s: %s" % (method, path, self.address, e)
                ) from e

    def next(self):
        status, headers, body = self._do("GET", API_PREFIX + "/invocation/next")
        if status != 200:
            raise RuntimeAPIError(
                "GET next invocation: HTTP %d: %s" % (status, _clip(body))
            )
        return body, headers

    def post_response(self, request_id, body, content_type):
        path = "%s/invocation/%s/response" % (API_PREFIX, _quote(request_id))
        self._post(path, body, {"Content-Type": content_type})

    def post_error(self, request_id, error, xray_cause=None):
        path = "%s/invocation/%s/error" % (API_PREFIX, _quote(request_id))
        headers = {
            "Content-Type": "application/json",
            ERROR_TYPE_HEADER: _header_value(error["errorType"]),
        }
        if xray_cause is not None:
            cause = json.dumps(xray_cause, ensure_ascii=True, default=str)
            if len(cause) < XRAY_CAUSE_LIMIT:
                headers[XRAY_CAUSE_HEADER] = cause
        self._post(path, _to_json(error), headers)

    def post_init_error(self, error):
        headers = {
            "Content-Type": "application/json",
            ERROR_TYPE_HEADER: _header_value(error["errorType"]),
        }
        self._post(API_PREFIX + "/init/error", _to_json(error), headers)

    def _post(self, path, body, headers):
        status, _, data = self._do("POST", path, body, headers)
        if status == 500:
            # The API's documented "container error": not recoverable.
            raise RuntimeAPIError("POST %s: HTTP 500: %s" % (path, _clip(data)))
        if not 200 <= status < 300:
            # 400, 403, 413: this result was refused; the next one may be fine.
            _write_err("stacklab runtime: POST %s: HTTP %d: %s" % (path, status, _clip(data)))


def _quote(request_id):
    return urllib.parse.quote(request_id, safe="")


def _header_value(value):
    # http.client refuses CR/LF in a header; anything outside Latin-1 cannot be sent.
    value = str(value).replace("\r", " ").replace("\n", " ")
    return value.encode("latin-1", "replace").decode("latin-1")


def _clip(data, limit=200):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return text if len(text) <= limit else text[:limit] + "..."


# --- the context object ---------------------------------------------------------


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = [
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    ]

    def __repr__(self):
        return "Client([%s])" % ",".join(
            "%s=%s" % (k, getattr(self, k)) for k in self.__slots__
        )


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (
            self.custom,
            self.env,
            self.client,
        )


def _from_dict(cls, d):
    if d is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, d.get(field) if isinstance(d, dict) else None)
    return obj


class LambdaContext:
    """The context argument, with the fields and methods of AWS's LambdaContext.

    As on AWS, memory_limit_in_mb is the string from AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
    """

    def __init__(self, request_id, headers):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.tenant_id = headers.get("Lambda-Runtime-Aws-Tenant-Id")

        client_context = _json_header(headers, "Lambda-Runtime-Client-Context", "Client Context")
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)

        identity = _json_header(headers, "Lambda-Runtime-Cognito-Identity", "Cognito Identity")
        self.identity = _from_dict(CognitoIdentity, {})
        if isinstance(identity, dict):
            self.identity.cognito_identity_id = identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")

        try:
            self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        except ValueError:
            self._deadline_ms = 0

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
            "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
            "invoked_function_arn=%s,client_context=%s,identity=%s,tenant_id=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


def _json_header(headers, name, what):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as e:
        raise Fault(CONTEXT_UNMARSHAL_ERROR, "Unable to parse %s JSON: %s" % (what, e))


# --- events and results -----------------------------------------------------------


class _Encoder(json.JSONEncoder):
    """json with Decimal (as boto3's DynamoDB types hand them out) as numbers."""

    def default(self, o):
        if isinstance(o, decimal.Decimal):
            if o.is_finite() and o == o.to_integral_value():
                return int(o)
            return float(o)
        return super().default(o)


def _to_json(obj):
    return json.dumps(obj, cls=_Encoder, ensure_ascii=False).encode("utf-8")


def decode_event(body, content_type):
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        return body  # not JSON: the handler gets the bytes, as on AWS
    try:
        return json.loads(body)
    except ValueError as e:
        raise Fault(UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % e)


def encode_result(result):
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), "application/unknown"
    try:
        return _to_json(result), "application/json"
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        raise Fault(MARSHAL_ERROR, "Unable to marshal response: %s" % e)


# --- errors -----------------------------------------------------------------------


def make_error(message, error_type, stack_trace, request_id=""):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": stack_trace or [],
    }


def _frames(tb):
    """The traceback as (file, line, function, text), without this file's frames."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if frame[0] != _SELF:
            return frames[i:]
    return frames


def error_from_exception(exc, request_id=""):
    """The error document and the X-Ray cause for an exception raised by user code."""
    frames = _frames(exc.__traceback__)
    error_type = type(exc).__name__
    error = make_error(str(exc), error_type, traceback.format_list(frames), request_id)
    return error, _xray_cause(error_type, str(exc), frames)


def _xray_cause(error_type, message, frames):
    return {
        "working_directory": os.getcwd(),
        "exceptions": [
            {
                "type": error_type,
                "message": message,
                "stack": [{"label": f[2], "path": f[0], "line": f[1]} for f in frames],
            }
        ],
        "paths": sorted({f[0] for f in frames}),
    }


def log_error(error):
    """Print an error the way AWS's Python runtime logs it."""
    line = "[ERROR]"
    if error.get("errorType"):
        line += " " + error["errorType"]
    if error.get("errorMessage"):
        line += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [line]
    trace = error.get("stackTrace") or []
    if trace:
        lines.append("Traceback (most recent call last):")
        for entry in trace:
            lines.extend(entry.rstrip("\n").splitlines())
    _write_err("\n".join(lines))


def _write_err(text):
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


# --- loading the handler ----------------------------------------------------------


def load_handler(spec):
    """Import the module of a "module.function" handler and return the function."""
    try:
        modname, fname = spec.rsplit(".", 1)
    except ValueError as e:
        raise Fault(MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (spec, e))
    if not modname or not fname:
        raise Fault(MALFORMED_HANDLER_NAME, "Bad handler '%s': empty module or function name" % spec)
    if modname.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            BUILT_IN_MODULE_CONFLICT,
            "Cannot use built-in module %s as a handler module" % modname,
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise Fault(IMPORT_MODULE_ERROR, "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise Fault(
            USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '%s': %s" % (modname, e),
            trace,
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise Fault(HANDLER_NOT_FOUND, "Handler '%s' missing on module '%s'" % (fname, modname))


# --- logging ------------------------------------------------------------------------


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = _RequestIdFilter.request_id
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def setup_logging():
    """Give the root logger the handler and line format AWS's runtime installs."""
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL"):
        root.setLevel("WARNING" if level == "WARN" else level)


# --- the loop -------------------------------------------------------------------------


def handle(client, handler, body, headers):
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
    if not request_id:
        raise RuntimeAPIError("next invocation without a Lambda-Runtime-Aws-Request-Id")
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    _RequestIdFilter.request_id = request_id

    error = xray = None
    try:
        context = LambdaContext(request_id, headers)
        event = decode_event(body, headers.get("Content-Type"))
        result = handler(event, context)
        payload, content_type = encode_result(result)
    except Fault as f:
        error = make_error(f.message, f.error_type, f.trace, request_id)
        xray = _xray_cause(f.error_type, f.message, [])
    except Exception as e:
        error, xray = error_from_exception(e, request_id)

    # Everything the handler printed belongs to this invocation: flush it first.
    _flush()
    if error is not None:
        log_error(error)
        client.post_error(request_id, error, xray)
    else:
        client.post_response(request_id, payload, content_type)


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _line_buffered():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError):
            pass


def main():
    _line_buffered()
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        _write_err("stacklab runtime: AWS_LAMBDA_RUNTIME_API is not set")
        return 1
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    try:
        os.chdir(task_root)
    except OSError as e:
        _write_err("stacklab runtime: LAMBDA_TASK_ROOT %s: %s" % (task_root, e))
    # sys.path[0] is this script's folder; the function's code takes its place.
    if sys.path and sys.path[0] == os.path.dirname(_SELF):
        sys.path[0] = task_root
    else:
        sys.path.insert(0, task_root)

    client = RuntimeClient(address)
    setup_logging()
    try:
        try:
            handler = load_handler(os.environ.get("_HANDLER", ""))
        except Fault as f:
            error = make_error(f.message, f.error_type, f.trace)
        except Exception as e:
            error, _ = error_from_exception(e)
        else:
            error = None
        if error is not None:
            _flush()
            log_error(error)
            client.post_init_error(error)
            return 1

        while True:
            body, headers = client.next()
            handle(client, handler, body, headers)
    except RuntimeAPIError as e:
        _write_err("stacklab runtime: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
