// The request path without the network: the Node adapter's own listener
// (@hono/node-server's getRequestListener) fed IncomingMessage objects from
// memory and answering into ServerResponse objects with no socket, 32 requests
// in flight at a time. What is left out (sockets, the kernel, the HTTP parser)
// is the same for every app, so the differences between apps are the app's own
// CPU per request, with far less noise than a loopback run on a shared machine.
//   node test/bench/http-app.mjs [dist dir, default ./dist]   (APPS=hello-json,off,audit  N=20000)
// `audit` chains and serializes every record (a line sink that only counts the
// bytes; group commit as the Node server does it) with the build's Node SHA-256 when it has one.
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { readFileSync } from "node:fs";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dist = pathToFileURL(resolve(process.argv[2] ?? new URL("../../dist", import.meta.url).pathname) + "/").href;
const { createApp, createEngine, loadBundle, AuditLog, createLineSink } = await import(dist + "index.js");
const nodeSha256 = await import(dist + "runtime/node/audit-config.js").then((m) => m.nodeSha256);
const { policy } = await loadBundle(JSON.parse(readFileSync(new URL("../../build/policy-bundle.json", import.meta.url), "utf8")));
const bodies = [
  { action: "file.read", path: "/app/src/index.js" },
  { action: "network.request", url: "http://0xa9fea9fe/latest/" },
  { action: "env.read", key: "FLY_API_TOKEN" },
  { action: "file.write", path: "/tmp/out.json" },
].map((b) => Buffer.from(JSON.stringify(b)));
const info = { digest: policy.digest, rules: policy.rules.length, defaultAction: "deny", sources: [] };

const apps = {
  "hello-json": () => {
    const a = new Hono();
    a.post("/v1/check", async (c) => {
      const body = await c.req.json();
      return c.json({ hello: "world", action: body.action });
    });
    return a;
  },
  off: () => createApp({ engine: createEngine(policy), policy: info }),
  audit: () => {
    let bytes = 0;
    const audit = new AuditLog({
      sink: createLineSink((l) => void (bytes += l.length), "json", { joined: true }),
      chainId: "bench",
      policy: policy.digest,
      groupCommit: true,
      defer: (fn) => void setImmediate(fn),
      ...(nodeSha256 ? { sha256: nodeSha256 } : {}),
    });
    return createApp({ engine: createEngine(policy), policy: info, audit });
  },
};

const socket = new Socket();
function one(listener, i) {
  const body = bodies[i & 3];
  const req = new IncomingMessage(socket);
  req.method = "POST";
  req.url = "/v1/check";
  req.httpVersionMajor = req.httpVersionMinor = 1;
  req.httpVersion = "1.1";
  req.rawHeaders = ["Host", "127.0.0.1:19800", "content-type", "application/json", "content-length", String(body.length)];
  req.headers = { host: "127.0.0.1:19800", "content-type": "application/json", "content-length": String(body.length) };
  req.push(body);
  req.push(null);
  const res = new ServerResponse(req);
  return new Promise((done) => {
    const end = res.end;
    res.end = function (...args) {
      end.apply(this, args);
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      done();
    };
    listener(req, res);
  });
}

const N = Number(process.env.N ?? 20000);
const IN_FLIGHT = 32;
for (const name of (process.env.APPS ?? "hello-json,off,audit").split(",")) {
  const listener = getRequestListener(apps[name]().fetch);
  const perRequest = [];
  for (let rep = 0; rep < 7; rep++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i += IN_FLIGHT) await Promise.all(Array.from({ length: IN_FLIGHT }, (_, k) => one(listener, i + k)));
    const t = process.cpuUsage(t0);
    perRequest.push((t.user + t.system) / N);
  }
  perRequest.sort((a, b) => a - b);
  console.log(`${name.padEnd(11)} CPU per request (7 runs of ${N}): min ${perRequest[0].toFixed(2)} µs, median ${perRequest[3].toFixed(2)} µs`);
}
