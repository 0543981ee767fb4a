// A server for the HTTP benchmark, one per child process:
//   hello            bare Hono hello-world (the same framework and adapter, nothing else)
//   off|stdout|file  the decision app with audit off, to stdout, or to a file
//   s3-down          audit to an S3 sink whose endpoint refuses every connection (a failing sink, deny mode)
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createApp, createEngine, loadBundle } from "../../dist/index.js";
import { auditLogFromConfig } from "../../dist/node.js";
import { readFileSync } from "node:fs";

const [mode, port, auditFile] = process.argv.slice(2);
let app;
let audit;
if (mode === "hello") {
  app = new Hono();
  app.post("/v1/check", (c) => c.json({ hello: "world" }));
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
// The load generator asks for the server's memory at the end of a run (the failing-sink row's queue).
process.on("message", (m) => {
  if (m === "rss") process.send?.({ rss: process.memoryUsage().rss, queued: audit?.undeliveredCount ?? 0 });
});
