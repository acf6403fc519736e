// Helpers shared by the scripts: run steps, record the wire requests, describe errors.
"use strict";

// The method, protocol headers and content type of every request a client sends.
function recordRequests(client) {
  const seen = [];
  client.middlewareStack.add((next) => async (args) => {
    const h = args.request.headers || {};
    seen.push({target: h["x-amz-target"] || null, contentType: h["content-type"] || null,
               queryMode: h["x-amzn-query-mode"] || null, path: args.request.path});
    return next(args);
  }, {step: "finalizeRequest", name: "recordRequests"});
  return seen;
}

// An SDK error as plain values: its class, code, HTTP status and message.
function describeError(err) {
  return {name: err.name, ctor: err.constructor.name, status: err.$metadata && err.$metadata.httpStatusCode,
          fault: err.$fault, message: err.message, requestId: Boolean(err.$metadata && err.$metadata.requestId)};
}

async function expectError(promise) {
  try {
    await promise;
  } catch (err) {
    if (!err.$metadata) throw err;
    return describeError(err);
  }
  throw new Error("expected an error");
}

async function collect(paginator, pick) {
  const pages = [];
  for await (const page of paginator) pages.push(pick(page));
  return pages;
}

function main(fn) {
  fn().then((out) => console.log(JSON.stringify(out)), (err) => { console.error(err); process.exit(1); });
}

module.exports = {recordRequests, describeError, expectError, collect, main};
