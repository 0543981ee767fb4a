// A server for the HTTP benchmark, one per child process:
//   hello            bare Hono hello-world (the same framework and adapter, nothing else)
//   hello-json       Hono hello-world that reads and parses the same JSON body (c.req.json()), then says hello
//   off|stdout|file  the decision app with audit off, to stdout, or to a file
//   s3-down          audit to an S3 sink whose endpoint refuses every connection (a failing sink, deny mode)
// The load generator talks to it over IPC: "start" and "stop" bracket the timed
// window (the server's own CPU time over it, process.cpuUsage), "rss" asks for
// memory and the audit queue at the end.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// The 4th argument: another build of the project to serve (a before/after comparison in one run); default this one's dist/.
const [mode, port, auditFile, distDir] = process.argv.slice(2);
const dist = distDir ? pathToFileURL(distDir.replace(/\/?$/, "/")).href : new URL("../../dist/", import.meta.url).href;
const { createApp, createEngine, loadBundle } = await import(dist + "index.js");
const { auditLogFromConfig } = await import(dist + "node.js");
let app;
let audit;
if (mode === "hello") {
  app = new Hono();
  app.post("/v1/check", (c) => c.json({ hello: "world" }));
} else if (mode === "hello-json") {
  app = new Hono();
  // The parsed body is used (its action goes in the answer), so the parse is part of the work.
  app.post("/v1/check", async (c) => {
    const body = await c.req.json();
    return c.json({ hello: "world", action: body.action });
  });
} else {
  const { policy } = await loadBundle(JSON.parse(readFileSync(new URL("../../build/policy-bundle.json", import.meta.url), "utf8")));
  const engine = createEngine(policy);
  // Exactly the audit set-up `safeclaw serve` uses (group commit, one write per batch).
  if (mode === "stdout" || mode === "file" || mode === "s3-down") {
    audit = await auditLogFromConfig({
      sink: mode === "stdout" ? "stdout" : mode === "file" ? auditFile : "s3://bench-audit/down",
      env: mode === "s3-down" ? { AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x" } : {},
      policy,
      instance: { runtime: "bench" },
      chainParts: ["bench"],
      log: console.error,
      groupCommit: true,
    });
  }
  app = createApp({ engine, policy: { digest: policy.digest, rules: policy.rules.length, defaultAction: "deny", sources: [] }, ...(audit ? { audit } : {}) });
}
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(port) }, () => process.send?.("ready"));
process.on("SIGINT", () => process.exit(0));
let cpu0;
let t0;
process.on("message", (m) => {
  if (m === "start") {
    cpu0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    process.send?.("started");
  } else if (m === "stop") {
    const cpu = process.cpuUsage(cpu0);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    process.send?.({ cpuUserUs: cpu.user, cpuSystemUs: cpu.system, wallUs, rss: process.memoryUsage().rss, queued: audit?.undeliveredCount ?? 0 });
  }
});
