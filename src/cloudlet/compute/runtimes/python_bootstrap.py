"""Built-in Python runtime: runs inside the sandbox as /var/runtime/bootstrap.py.

It speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API and implements Lambda's Python
handler contract (module.function, the context object, init and invocation error documents).
Standard library only, and only cheap imports, because its start-up is every cold start.

`--zygote` runs it as a template: it pre-imports the runtime and common modules (boto3), then
forks one child per environment on request (see compute/zygote.py for the other side).
"""

import json
import os
import socket
import sys
import time
import traceback

_RUNTIME_PATH = b"/2018-06-01/runtime/"


class RuntimeClient:
    """A minimal HTTP/1.1 keep-alive client for the Runtime API (no http.client: it imports slowly)."""

    def __init__(self, address):
        hostport, _, token = address.partition("/")
        host, _, port = hostport.rpartition(":")
        self.addr = (host, int(port))
        self.prefix = (b"/" + token.encode() if token else b"") + _RUNTIME_PATH
        self.host = hostport.encode()
        self.sock = None

    def _connect(self):
        self.sock = socket.create_connection(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method, path, body=b"", headers=b""):
        if self.sock is None:
            self._connect()
        head = b"%s %s%s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n" % (
            method, self.prefix, path, self.host, headers, len(body))
        self.sock.sendall(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.sock.sendall(body)
        return self._read_response()

    def answer_and_next(self, path, body, headers=b""):
        """POST an invocation's answer and ask for the next invocation in one write (pipelined).

        Saves the Runtime API a wake-up per invocation; returns the /next response."""
        if self.sock is None:
            self._connect()
        head = b"%s%s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n" % (
            self.prefix, path, self.host, headers, len(body))
        following = b"GET %sinvocation/next HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n" % (
            self.prefix, self.host)
        if len(body) < 65536:
            self.sock.sendall(b"POST " + head + body + following)
        else:
            self.sock.sendall(b"POST " + head)
            self.sock.sendall(body + following)
        self._read_response()
        return self._read_response()

    def _read_response(self):
        buf = self.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Runtime API closed the connection")
            buf += chunk
        lines = buf[:end].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        length = int(headers.get("content-length", "0"))
        body = buf[end + 4:]
        while len(body) < length:
            chunk = self.sock.recv(max(65536, length - len(body)))
            if not chunk:
                raise ConnectionError("Runtime API closed the connection")
            body += chunk
        self.buf = body[length:]
        return status, headers, body[:length]


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, doc):
        self.cognito_identity_id = doc.get("cognitoIdentityId")
        self.cognito_identity_pool_id = doc.get("cognitoIdentityPoolId")

    def __repr__(self):
        return (f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
                f"cognito_identity_pool_id={self.cognito_identity_pool_id}])")


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, doc):
        self.installation_id = doc.get("installation_id")
        self.app_title = doc.get("app_title")
        self.app_version_name = doc.get("app_version_name")
        self.app_version_code = doc.get("app_version_code")
        self.app_package_name = doc.get("app_package_name")

    def __repr__(self):
        return (f"Client([installation_id={self.installation_id},app_title={self.app_title},"
                f"app_version_name={self.app_version_name},app_version_code={self.app_version_code},"
                f"app_package_name={self.app_package_name}])")


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, doc):
        self.client = Client(doc["client"]) if isinstance(doc.get("client"), dict) else None
        self.custom = doc.get("custom")
        self.env = doc.get("env")

    def __repr__(self):
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    """The context object a handler receives, as Lambda's Python runtime defines it."""

    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = ClientContext(json.loads(client_context)) if client_context else None
        self.identity = CognitoIdentity(json.loads(identity) if identity else {})
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def log(self, msg):
        sys.stdout.write(str(msg))

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
                f"identity={self.identity},tenant_id={self.tenant_id}])")


class FaultError(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def load_handler(spec):
    """Import the handler `module.function` (module may be a path: dir/file.function)."""
    import importlib

    try:
        modname, fname = spec.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {e}") from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultError("Runtime.BuiltInModuleConflict",
                             f"Cannot use built-in module {modname} as a handler module")
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}") from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise FaultError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {e}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'") from None


def error_document(exc, request_id=""):
    if isinstance(exc, FaultError):
        return {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id,
                "stackTrace": exc.trace}
    frames = traceback.extract_tb(exc.__traceback__)
    # hide this bootstrap's own frames: the user sees their code only
    frames = [f for f in frames if f.filename != __file__]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(frames)}


def _nbsp_indent(line):
    """Lambda indents the traceback lines of an error log event with no-break spaces."""
    stripped = line.lstrip(" ")
    return "\u00a0" * (len(line) - len(stripped)) + stripped


def write_event(text):
    """Write one log event; one holding line breaks goes as a framed line (see compute/environment.py)."""
    if "\n" in text:
        text = "\x1e" + text.replace("\n", "\x1f")
    sys.stdout.write(text + "\n")


_JSON_LOGS = False  # the function's LoggingConfig says JSON (AWS_LAMBDA_LOG_FORMAT)
_JSON_TIME = "%Y-%m-%dT%H:%M:%SZ"  # the Python runtime's timestamps in JSON logs (whole seconds)


def log_error(doc):
    if _JSON_LOGS:
        record = {"timestamp": time.strftime(_JSON_TIME, time.gmtime()), "level": "ERROR", **doc}
        write_event(json.dumps(record, ensure_ascii=False))
        sys.stdout.flush()
        return
    text = "[ERROR] " + doc["errorType"] + (": " + doc["errorMessage"] if doc["errorMessage"] else "")
    lines = [text]
    if doc.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in doc["stackTrace"]:  # one frame holds two lines: each is its own line of the event
            lines.extend([_nbsp_indent(line) for line in element.splitlines()] if element else [""])
    write_event("\n".join(lines))
    sys.stdout.flush()


_request_id = None  # of the invocation being handled, for log records
UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare "
    "cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, "
    "runtime updates can be triggered by a function change, or can be applied automatically. To determine if the "
    "runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with a "
    "change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the previous "
    "runtime version. For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html")


# attributes every LogRecord has: the others were passed as `extra` and become keys of a JSON record
_RECORD_FIELDS = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "taskName", "aws_request_id", "message", "asctime"))


def json_formatter(logging):
    """Lambda's JSON records of `logging`: timestamp, level, message (a dict message stays an object),
    logger, requestId, the exception's location, errorType, errorMessage and stackTrace, then the extras."""
    class JsonFormatter(logging.Formatter):
        def format(self, record):
            level = min(50, max(0, record.levelno)) // 10 * 10
            message = record.msg if isinstance(record.msg, dict) and not record.args else record.getMessage()
            doc = {"timestamp": time.strftime(_JSON_TIME, time.gmtime(record.created)),
                   "level": logging.getLevelName(level), "message": message, "logger": record.name,
                   "requestId": getattr(record, "aws_request_id", None)}
            if record.exc_info and record.exc_info[0] is not None:
                kind, exc, trace = record.exc_info
                doc["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
                doc["errorType"], doc["errorMessage"] = kind.__name__, str(exc)
                doc["stackTrace"] = traceback.format_tb(trace)
            for key, value in record.__dict__.items():
                if key not in _RECORD_FIELDS and key not in doc:
                    doc[key] = value
            return json.dumps({k: v for k, v in doc.items() if v is not None}, ensure_ascii=False, default=str)

    return JsonFormatter()


def install_logging():
    """The root logger writes like Lambda's: [LEVEL]\t<UTC time>\t<request id>\t<message>, or one JSON
    record per line when the function logs JSON; AWS_LAMBDA_LOG_LEVEL sets its level (TRACE is DEBUG)."""
    import logging

    global _JSON_LOGS
    _JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"

    class RequestId(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id or ""
            return True

    class LambdaHandler(logging.Handler):
        def emit(self, record):
            try:
                write_event(self.format(record))
            except Exception:
                self.handleError(record)

    if _JSON_LOGS:
        formatter = json_formatter(logging)
    else:
        formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                      "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
    handler = LambdaHandler()
    handler.setFormatter(formatter)
    handler.addFilter(RequestId())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = "DEBUG" if level == "TRACE" else level
    if level in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL"):
        root.setLevel(level)


def set_paths():
    task = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    version = "python{}.{}".format(*sys.version_info[:2])
    for path in reversed((task, f"/opt/python/lib/{version}/site-packages", "/opt/python")):
        if path not in sys.path:
            sys.path.insert(0, path)
    site_packages = os.path.join(sys.prefix, "lib", version, "site-packages")
    if site_packages not in sys.path:
        sys.path.append(site_packages)
    os.chdir(task)


_DECIMAL_MARK = "\x00decimal:"


def _encode_decimal(obj):
    """Decimals (DynamoDB's numbers) become JSON numbers with all their digits, as on Lambda."""
    import decimal

    if isinstance(obj, decimal.Decimal):
        return float("nan") if obj.is_nan() else _DECIMAL_MARK + str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _contains_decimal(obj):
    import decimal

    if isinstance(obj, decimal.Decimal):
        return True
    if isinstance(obj, dict):
        return any(_contains_decimal(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_contains_decimal(v) for v in obj)
    return False


def make_marshal():
    """The result encoder of Lambda's Python runtime: JSON with Decimal numbers (python3.12 keeps
    non-ASCII characters as they are); bytes results are returned as they are by the caller."""
    ensure_ascii = os.environ.get("AWS_EXECUTION_ENV") != "AWS_Lambda_python3.12"
    dumps = json.dumps
    mark = json.dumps(_DECIMAL_MARK)[:-1]  # how the mark looks inside an encoded string

    def marshal(result):
        text = dumps(result, default=_encode_decimal, ensure_ascii=ensure_ascii)
        if mark in text and _contains_decimal(result):
            import re

            text = re.sub(re.escape(mark) + r'([-+.\w]*)"', r"\1", text)
        return text.encode("utf-8", "surrogatepass")

    return marshal


def serve():
    """Init (import the handler), then loop over invocations until the environment is destroyed."""
    env = os.environ
    global _request_id
    client = RuntimeClient(env["AWS_LAMBDA_RUNTIME_API"])
    time.tzset()  # a forked environment's TZ (the function may set its own) replaces the template's
    set_paths()
    # every line reaches the log when it is written, as on Lambda: output before a timeout or a crash is kept
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    install_logging()
    try:
        handler = load_handler(env["_HANDLER"])
    except Exception as exc:
        doc = error_document(exc)
        import logging

        logging.warning(UNHANDLED_WARNING)
        log_error(doc)
        client.request(b"POST", b"init/error", json.dumps(doc).encode(),
                       b"Lambda-Runtime-Function-Error-Type: %s\r\n" % doc["errorType"].encode())
        sys.exit(1)
    sys.stdout.flush()  # init output belongs before the first START line
    sys.stderr.flush()
    dumps = json.dumps
    loads = json.loads
    marshal = make_marshal()
    flush_out, flush_err = sys.stdout.flush, sys.stderr.flush
    _, headers, body = client.request(b"GET", b"invocation/next")
    while True:
        request_id = _request_id = headers["lambda-runtime-aws-request-id"]
        trace = headers.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            # inside the try, as in Lambda's runtime: a client context it cannot read fails the invocation only
            context = LambdaContext(request_id, int(headers["lambda-runtime-deadline-ms"]),
                                    headers.get("lambda-runtime-invoked-function-arn"),
                                    headers.get("lambda-runtime-client-context"),
                                    headers.get("lambda-runtime-cognito-identity"))
            try:
                event = loads(body) if body else None
            except ValueError as exc:
                raise FaultError("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None
            result = handler(event, context)
            try:
                out = result if isinstance(result, bytes) else marshal(result)
            except (TypeError, ValueError) as exc:
                raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None
        except MemoryError:
            doc = {"errorMessage": "Runtime exited with error: out of memory", "errorType": "Runtime.OutOfMemory",
                   "requestId": request_id, "stackTrace": []}
            flush_out()
            flush_err()
            client.request(b"POST", b"invocation/" + request_id.encode() + b"/error", dumps(doc).encode(),
                           b"Lambda-Runtime-Function-Error-Type: Runtime.OutOfMemory\r\n")
            os._exit(137)
        except Exception as exc:
            doc = error_document(exc, request_id)
            write_event(UNHANDLED_WARNING)  # Lambda's runtime writes it as is (a warning frame) before the error
            log_error(doc)
            flush_err()
            _, headers, body = client.answer_and_next(
                b"invocation/" + request_id.encode() + b"/error", dumps(doc).encode(),
                b"Lambda-Runtime-Function-Error-Type: %s\r\n" % doc["errorType"].encode())
            continue
        flush_out()
        flush_err()
        _, headers, body = client.answer_and_next(b"invocation/" + request_id.encode() + b"/response", out)


def private_namespaces(tmp_mb):
    """In a forked environment: a user and mount namespace of its own with a fresh /tmp, then no
    capabilities left (no_new_privs stays set from the sandbox, so none can be regained)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(0x10000000 | 0x00020000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    if libc.mount(b"none", b"/", None, 0x4000 | (1 << 18), None) != 0:  # MS_REC | MS_PRIVATE
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    options = f"size={tmp_mb}m,mode=1777".encode()
    if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 2 | 4, options) != 0:  # MS_NOSUID | MS_NODEV
        raise OSError(ctypes.get_errno(), "mount /tmp")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    if libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def zygote(control_fd):
    """Pre-import, then fork one environment per request read from the control socket."""
    import array
    import ctypes  # noqa: F401  used by private_namespaces in every child

    try:
        import boto3  # noqa: F401  the point of the template: children start with it imported
    except ImportError:
        pass
    import importlib  # noqa: F401
    import logging  # noqa: F401
    sock = socket.socket(fileno=control_fd)
    import signal

    def tell(doc):
        try:
            sock.sendall(json.dumps(doc).encode())
        except OSError:  # the pool closed its end (it is stopping this template): end quietly
            os._exit(0)

    def reap(signum, frame):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            tell({"exit": pid, "code": os.waitstatus_to_exitcode(status)})

    signal.signal(signal.SIGCHLD, reap)
    tell({"ready": 1})
    while True:
        fds = array.array("i")
        try:
            msg, ancdata, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
        except OSError:
            msg = b""
        if not msg:
            os._exit(0)
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        request = json.loads(msg)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            sock.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()
            os.dup2(fds[0], 1)
            os.dup2(fds[0], 2)
            os.close(fds[0])
            os.environ.clear()
            os.environ.update(request["env"])
            try:
                private_namespaces(request["tmp"])
                serve()
            finally:
                os._exit(1)
        os.close(fds[0])
        tell({"pid": pid})


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--zygote":
        zygote(int(sys.argv[2]))
    else:
        serve()
