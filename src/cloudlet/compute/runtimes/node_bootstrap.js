// Built-in Node.js runtime: runs inside the sandbox as /var/runtime/bootstrap.js.
// Speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API and implements Lambda's Node.js
// handler contract: file.export handlers, async or callback style, the context object, and
// Runtime.ImportModuleError / Runtime.HandlerNotFound / Runtime.UserCodeSyntaxError at init.
"use strict";
const net = require("net");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const address = process.env.AWS_LAMBDA_RUNTIME_API;
const slash = address.indexOf("/");
const hostport = slash < 0 ? address : address.slice(0, slash);
const prefix = (slash < 0 ? "" : address.slice(slash)) + "/2018-06-01/runtime/";
const [host, port] = [hostport.slice(0, hostport.lastIndexOf(":")), Number(hostport.slice(hostport.lastIndexOf(":") + 1))];

// One keep-alive connection to the Runtime API, spoken directly so that an invocation's answer
// and the next /next leave in one write (pipelined) and the Runtime API wakes once per invocation.
// Its responses always carry Content-Length; they arrive in the order the requests were sent.
let socket = null;
let buffer = Buffer.alloc(0);
const waiting = [];

function connect() {
  socket = net.connect({ host, port });
  socket.setNoDelay(true);
  socket.on("data", (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0 || waiting.length === 0) return;
      const lines = buffer.toString("latin1", 0, end).split("\r\n");
      const headers = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] || 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length);
      buffer = buffer.subarray(end + 4 + length);
      waiting.shift().resolve({ status: Number(lines[0].split(" ")[1]), headers, body });
    }
  });
  const fail = (err) => {
    socket = null;
    while (waiting.length) waiting.shift().reject(err || new Error("Runtime API closed the connection"));
  };
  socket.on("error", fail);
  socket.on("close", () => fail());
}

function request(method, route, body, headers) {
  if (socket === null) connect();
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  let head = `${method} ${prefix}${route} HTTP/1.1\r\nHost: ${hostport}\r\n`;
  for (const [name, value] of Object.entries(headers || {})) head += `${name}: ${value}\r\n`;
  socket.write(head + `Content-Length: ${payload.length}\r\n\r\n`);
  if (payload.length) socket.write(payload);
  return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
}

// Sends `method route` and GET invocation/next in one write; resolves with the /next response.
async function answerAndNext(method, route, body, headers) {
  if (socket === null) connect();
  socket.cork();
  const answered = request(method, route, body, headers);
  const next = request("GET", "invocation/next");
  process.nextTick(() => socket && socket.uncork());
  await answered;
  return next;
}

// What the runtime answers for a failure: an Error gives its name, message and stack lines; any
// other thrown value gives its type and text, with no trace.
function errorDoc(err) {
  const errorLike = err && typeof err.name === "string" && err.name && typeof err.message === "string" &&
    err.message && typeof err.stack === "string" && err.stack;
  if (require("util").types.isNativeError(err) || errorLike) {
    return { errorType: err.name, errorMessage: err.message, trace: err.stack.split("\n") };
  }
  if (err === null || err === undefined) {
    return { errorType: "handled", errorMessage: "callback called with Error argument, but there was a problem while " +
      "retrieving one or more of its message, name, and stack" };
  }
  return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
}

// The form the error takes in the log line: Lambda logs the error's own properties and its stack.
function loggedError(err) {
  if (!(err instanceof Error)) return JSON.stringify(err === undefined ? null : err);
  const { name, message, stack, ...rest } = err;
  return JSON.stringify({ errorType: name, errorMessage: message, code: err.code, ...rest,
    stack: typeof stack === "string" ? stack.split("\n") : undefined });
}

// A runtime error (Runtime.ImportModuleError ...): named by its type, its stack follows the cause's.
function fault(type, message, cause) {
  const e = new Error(message);
  e.name = type;
  const frames = cause && cause.stack ? cause.stack.split("\n").filter((l) => l.startsWith("    at ")) : [];
  e.stack = [`${type}: ${message}`, ...frames].join("\n");
  return e;
}

// The runtime's entry module as Lambda's Node.js runtime names it in require stacks
const ENTRY = "/var/runtime/index.mjs";

// Whether the nearest package.json above `folder` says "type": "module" (.js files are then ES modules)
function typeModule(folder) {
  if (folder.endsWith("/node_modules")) return false;
  const manifest = path.join(folder, "package.json");
  if (fs.existsSync(manifest)) {
    try {
      return JSON.parse(fs.readFileSync(manifest, "utf8")).type === "module";
    } catch (e) {
      return false;
    }
  }
  return folder === "/" ? false : typeModule(path.resolve(folder, ".."));
}

// ES modules do not search NODE_PATH; Lambda's runtime still lets them import the SDK v3 it bundles
// in /var/runtime/node_modules. A resolve hook, registered before the first ES module loads, tries
// there when the import's own resolution found nothing (the function's own packages come first).
const RUNTIME_MODULES = "/var/runtime/node_modules";
const SDK_HOOK = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err.code !== "ERR_MODULE_NOT_FOUND" || /^(\\.|\\/|[a-z][a-z0-9+.-]*:)/i.test(specifier)) throw err;
    try {
      return await next(specifier, {...context, parentURL: "file://${RUNTIME_MODULES}/index.mjs"});
    } catch (_) {
      throw err;
    }
  }
}`;
let sdkHook = false;
function esmImport(file) {
  const { register } = require("module");  // Node.js 18.19 / 20.6 and later
  if (!sdkHook && typeof register === "function" && fs.existsSync(RUNTIME_MODULES)) {
    sdkHook = true;
    register("data:text/javascript," + encodeURIComponent(SDK_HOOK));
  }
  return import(pathToFileURL(file).href);
}

// Loads the module of a handler as Lambda's Node.js runtime does: the extensionless file, .js
// (CommonJS unless package.json says module), .mjs, .cjs, then Node's resolution from the task root.
async function loadModule(root, moduleRoot, name) {
  const base = path.resolve(root, moduleRoot, name);
  const isFile = (p) => fs.existsSync(p) && fs.statSync(p).isFile();
  const esm = typeModule(path.dirname(base));
  if (isFile(base)) return require(base);
  if (!esm && isFile(base + ".js")) return require(base + ".js");
  if (esm && isFile(base + ".js")) return esmImport(base + ".js");
  if (isFile(base + ".mjs")) return esmImport(base + ".mjs");
  if (isFile(base + ".cjs")) return require(base + ".cjs");
  return require(require.resolve(name, { paths: [root, moduleRoot] }));
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  if (spec.includes("..")) {
    throw fault("Runtime.MalformedHandlerName",
      `'${spec}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const file = path.basename(spec);
  const moduleRoot = spec.slice(0, spec.length - file.length);
  const match = file.match(/^([^.]*)\.(.*)$/);
  if (!match) throw fault("Runtime.MalformedHandlerName", "Bad handler");
  const [, name, handlerPath] = match;
  const root = process.env.LAMBDA_TASK_ROOT || "/var/task";
  let mod;
  try {
    mod = await loadModule(root, moduleRoot, name);
  } catch (e) {
    if (e instanceof SyntaxError) throw fault("Runtime.UserCodeSyntaxError", `${e.name}: ${e.message}`, e);
    if (e && e.code === "MODULE_NOT_FOUND") {
      throw fault("Runtime.ImportModuleError", `Error: ${e.message.split(__filename).join(ENTRY)}`, e);
    }
    throw e;
  }
  const handler = handlerPath.split(".").reduce((nested, key) => nested && nested[key], mod);
  if (!handler) throw fault("Runtime.HandlerNotFound", `${spec} is undefined or not exported`, new Error());
  if (typeof handler !== "function") throw fault("Runtime.HandlerNotFound", `${spec} is not a function`, new Error());
  return handler;
}

// The function's LoggingConfig: JSON records instead of text lines, and the least level console.* writes
const LOG_JSON = (process.env.AWS_LAMBDA_LOG_FORMAT || "").toUpperCase() === "JSON";
const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
const MIN_LEVEL = Math.max(0, LEVELS.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL || "").toUpperCase()));

// An Error inside a JSON log record: its type, message and stack lines, then its own properties
function errorReplacer(key, value) {
  if (!(value instanceof Error)) return value;
  return Object.assign({ errorType: value.constructor ? value.constructor.name : "UnknownError",
    errorMessage: value.message, stackTrace: typeof value.stack === "string" ? value.stack.split("\n") : value.stack },
  value);
}

// One JSON log record: a lone argument is the message as it is (an object stays an object), several are
// formatted into a string, and the first Error among them adds errorType, errorMessage and stackTrace
function jsonRecord(level, args) {
  const doc = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (args.length <= 1) {
    doc.message = args[0];
    try {
      return JSON.stringify(doc, errorReplacer);
    } catch (e) {
      doc.message = util.format(args[0]);
      return JSON.stringify(doc);
    }
  }
  doc.message = util.format(...args);
  const err = args.slice(1).find((a) => a instanceof Error);
  if (err) {
    doc.errorType = err.constructor ? err.constructor.name : "UnknownError";
    doc.errorMessage = err.message;
    doc.stackTrace = typeof err.stack === "string" ? err.stack.split("\n") : [];
  }
  return JSON.stringify(doc);
}

// Lambda's log line for a failure: "Invoke Error" during an invocation, "Uncaught Exception" at init
// (in JSON logs, an ERROR record whose message is the error)
function logError(requestId, label, err) {
  if (LOG_JSON) {
    process.stdout.write(jsonRecord("ERROR", [err instanceof Error ? err : new Error(err)]) + "\n");
    return;
  }
  process.stdout.write(`${new Date().toISOString()}\t${requestId}\tERROR\t${label} \t${loggedError(err)}\n`);
}

// What runs when the event loop has nothing left to do during an invocation (Lambda's runtime
// keeps one such listener: the callback's delayed answer, else the default below). The Runtime
// API socket is unref'd while the handler runs so that it does not count as pending work.
let onEmpty = null;
process.on("beforeExit", () => {
  const run = onEmpty;
  onEmpty = null;
  if (run) {
    if (socket) socket.ref();
    run();
  }
});

function nodeJsExit() {
  const e = new Error("The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly " +
    "caused by a Promise that was never settled. For more information, see " +
    "https://nodejs.org/docs/latest/api/process.html#exit-codes");
  e.name = "Runtime.NodeJsExit";
  return e;
}

// Resolves with {result} or {error}: a promise rejected with any value (undefined too) fails the invocation
function runHandler(handler, event, context) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      onEmpty = null;
      if (socket) socket.ref();
      resolve(outcome);
    };
    const answer = (err, result) => {
      if (err !== null && err !== undefined) finish({ error: err }); else finish({ result });
    };
    // the callback answers once nothing else is pending (timers, sockets ...) unless the function
    // turned callbackWaitsForEmptyEventLoop off; done / succeed / fail and promises answer at once
    const callback = (err, result) => {
      if ((err !== null && err !== undefined) || !context.callbackWaitsForEmptyEventLoop) {
        answer(err, result);
        return;
      }
      onEmpty = () => setImmediate(() => answer(null, result));
    };
    context.done = answer;
    context.succeed = (r) => answer(null, r);
    context.fail = (e) => answer(e === null || e === undefined ? "handled" : e);
    // nothing left to run and no answer: an async handler's promise can never settle (an error);
    // any other handler never called its callback (a null result)
    const isAsync = handler.constructor && handler.constructor.name === "AsyncFunction";
    onEmpty = isAsync ? () => finish({ error: nodeJsExit() }) : () => finish({ result: null });
    if (socket) socket.unref();
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") out.then((result) => finish({ result }), (error) => finish({ error }));
    } catch (error) {
      finish({ error });
    }
  });
}

// A result JSON cannot represent (a cycle, a BigInt) fails the invocation as Lambda's runtime does
function serialize(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch (err) {
    throw new Error("Unable to stringify response body");
  }
}

// console.* writes Lambda's text log lines: <ISO time>\t<request id>\t<LEVEL>\t<message>, one log
// event per call: a message with line breaks goes as one framed line (see compute/environment.py);
// in JSON logs one record per call. Calls below AWS_LAMBDA_LOG_LEVEL write nothing.
let currentRequestId;
const util = require("util");
for (const [name, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"],
                             ["debug", "DEBUG"], ["trace", "TRACE"], ["fatal", "FATAL"]]) {
  if (LEVELS.indexOf(level) < MIN_LEVEL) {
    console[name] = () => {};
    continue;
  }
  console[name] = (...args) => {
    if (LOG_JSON) {
      process.stdout.write(jsonRecord(level, args) + "\n");
      return;
    }
    const message = util.format(...args);
    const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}`;
    process.stdout.write(message.includes("\n") ? `\x1e${line.replace(/\n/g, "\x1f")}\n` : `${line}\n`);
  };
}

function errorAnswer(requestId, err) {
  const doc = errorDoc(err);
  return ["POST", `invocation/${requestId}/error`, JSON.stringify(doc),
    { "Lambda-Runtime-Function-Error-Type": doc.errorType }];
}

// An exception nobody catches, or a rejection nobody handles, ends the runtime as Lambda's does: it is
// logged, reported for the invocation running (or as the init error), and the process exits.
let inInvocation = false;
function fatal(label, err, code) {
  onEmpty = null;
  if (socket) socket.ref();
  logError(currentRequestId, label, err);
  const done = () => process.exit(code);
  const sent = inInvocation ? request(...errorAnswer(currentRequestId, err))
    : request("POST", "init/error", JSON.stringify(errorDoc(err)),
      { "Lambda-Runtime-Function-Error-Type": errorDoc(err).errorType });
  sent.then(done, done);
}
process.on("uncaughtException", (err) => fatal("Uncaught Exception", err, 129));
process.on("unhandledRejection", (reason) => {
  const err = new Error(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  err.name = "Runtime.UnhandledPromiseRejection";
  err.reason = reason;
  fatal("Unhandled Promise Rejection", err, 128);
});

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const doc = errorDoc(e);
    logError(undefined, "Uncaught Exception", e);
    await request("POST", "init/error", JSON.stringify(doc), { "Lambda-Runtime-Function-Error-Type": doc.errorType });
    process.exit(129);
  }
  const env = process.env;
  let next = await request("GET", "invocation/next");
  for (;;) {
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    inInvocation = true;
    const deadline = Number(h["lambda-runtime-deadline-ms"]);
    if (h["lambda-runtime-trace-id"]) env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"];
    else delete env._X_AMZN_TRACE_ID;
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: h["lambda-runtime-client-context"] ? JSON.parse(h["lambda-runtime-client-context"]) : undefined,
      identity: h["lambda-runtime-cognito-identity"] ? JSON.parse(h["lambda-runtime-cognito-identity"]) : undefined,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
    } catch (e) {
      event = next.body.toString("utf8");
    }
    let answer;
    const outcome = await runHandler(handler, event, context);
    let failure = outcome.error;
    if (!("error" in outcome)) {
      try {
        answer = ["POST", `invocation/${requestId}/response`, serialize(outcome.result)];
      } catch (e) {
        failure = e;
      }
    }
    if (answer === undefined) {
      logError(requestId, "Invoke Error", failure);
      answer = errorAnswer(requestId, failure);
    }
    inInvocation = false;
    next = await answerAndNext(...answer);
  }
}

main().catch((e) => {
  process.stderr.write(`bootstrap failed: ${e && e.stack}\n`);
  process.exit(1);
});
