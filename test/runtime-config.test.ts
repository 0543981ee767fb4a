import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeBundle } from "../src/engine/bundle.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import { parsePolicy } from "../src/policy/parse-policy.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { ConfigError, parseTokens, runtimeConfig } from "../src/runtime/runtime-config.js";
import { createWorker } from "../src/runtime/workers/create-worker.js";

/**
 * Every runtime reads its settings through one function, so a setting means the
 * same thing, and a bad one fails the same way, on Node, Lambda and Workers.
 */
const EXAMPLE = readFileSync(new URL("../examples/safeclaw.config.yaml", import.meta.url), "utf8");

async function policy(text = EXAMPLE) {
  const r = await loadPolicy([{ name: "p.yaml", text }]);
  if (!r.ok) throw new Error("policy");
  return r.policy;
}

async function bundle() {
  const p = parsePolicy([{ name: "safeclaw.config.yaml", text: EXAMPLE }]);
  if (!p.ok) throw new Error("example policy");
  return makeBundle(p.ir, "2026-12-01T00:00:00.000Z");
}

describe("runtimeConfig", () => {
  it("parses tokens, ignoring blanks", () => {
    expect(parseTokens(" a , ,b,")).toEqual([{ token: "a" }, { token: "b" }]); // names: test/identity.test.ts
    expect(parseTokens(undefined)).toEqual([]);
  });

  it("takes the explicit sink, then the environment, then the policy, then the fallback", async () => {
    const p = await policy(`version: 1\naudit:\n  sink: file\n  path: /var/log/x.log\nrules: []\n`);
    expect(runtimeConfig({}, p, { sink: "stdout" }).audit?.sink).toEqual({ kind: "stdout" });
    expect(runtimeConfig({ SAFECLAW_AUDIT_SINK: "s3://bucket-a/p" }, p).audit?.sink).toEqual({ kind: "s3", bucket: "bucket-a", prefix: "p" });
    expect(runtimeConfig({}, p).audit?.sink).toEqual({ kind: "file", path: "/var/log/x.log" });
    const none = await policy(`version: 1\nrules: []\n`);
    expect(runtimeConfig({}, none).audit).toBeUndefined();
    expect(runtimeConfig({}, none, { fallbackSink: "stdout" }).audit).toMatchObject({ sink: { kind: "stdout" }, format: "json", onAuditFailure: "deny" });
  });

  it("maxBytes: the environment beats the policy's audit.maxBytes; absent, no rotation", async () => {
    const p = await policy(`version: 1\naudit:\n  sink: file\n  path: /var/log/x.log\n  maxBytes: 10485760\nrules: []\n`);
    expect(runtimeConfig({}, p).audit?.maxBytes).toBe(10485760);
    expect(runtimeConfig({ SAFECLAW_AUDIT_MAX_BYTES: "65536" }, p).audit?.maxBytes).toBe(65536);
    expect(runtimeConfig({ SAFECLAW_AUDIT_MAX_BYTES: "" }, p).audit?.maxBytes).toBe(10485760);
    expect(runtimeConfig({}, await policy(`version: 1\naudit:\n  sink: file\n  path: /x.log\nrules: []\n`)).audit?.maxBytes).toBeUndefined();
  });

  it.each([
    [{ SAFECLAW_AUDIT_FORMAT: "xml" }, "SAFECLAW_AUDIT_FORMAT", /is not json, ndjson or ocsf/],
    [{ SAFECLAW_ON_AUDIT_FAILURE: "maybe" }, "SAFECLAW_ON_AUDIT_FAILURE", /is not deny or allow/],
    [{ SAFECLAW_AUDIT_SINK: "s3://Bad_Bucket/x" }, "SAFECLAW_AUDIT_SINK", /not a valid S3 bucket name/],
    [{ SAFECLAW_AUDIT_SIGNING_KEY: "not-base64-key" }, "SAFECLAW_AUDIT_SIGNING_KEY", /SAFECLAW_AUDIT_SIGNING_KEY/],
    [{ SAFECLAW_AUDIT_MAX_BYTES: "10MiB" }, "SAFECLAW_AUDIT_MAX_BYTES", /`10MiB` is not a whole number of bytes of at least 4096/],
    [{ SAFECLAW_AUDIT_MAX_BYTES: "1024" }, "SAFECLAW_AUDIT_MAX_BYTES", /at least 4096/],
    [{ SAFECLAW_AUDIT_MAX_BYTES: "-5000" }, "SAFECLAW_AUDIT_MAX_BYTES", /not a whole number/],
    [{ SAFECLAW_AUDIT_MAX_BYTES: "99999999999999999999" }, "SAFECLAW_AUDIT_MAX_BYTES", /not a whole number/],
    [{ SAFECLAW_AUDIT_RETRY_MAX_MS: "0" }, "SAFECLAW_AUDIT_RETRY_MAX_MS", /is not an integer from 1 to 600000/],
    [{ SAFECLAW_AUDIT_RETRY_MAX_MS: "5e3" }, "SAFECLAW_AUDIT_RETRY_MAX_MS", /is not an integer/],
  ])("refuses %j naming the setting", async (env, setting, message) => {
    const p = await policy();
    let err: unknown;
    try {
      runtimeConfig(env, p, { fallbackSink: "stdout" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).setting).toBe(setting);
    expect((err as Error).message).toMatch(message);
  });

  it("reads the delivery bounds: deadline, queue, retry backoff cap", async () => {
    const env = { SAFECLAW_AUDIT_TIMEOUT_MS: "500", SAFECLAW_AUDIT_QUEUE_RECORDS: "10", SAFECLAW_AUDIT_RETRY_MAX_MS: "200" };
    expect(runtimeConfig(env, await policy(), { fallbackSink: "stdout" }).audit?.delivery).toEqual({ writeTimeoutMs: 500, maxPending: 10, retryMaxMs: 200 });
  });

  it("ignores bindings that are not strings (a Worker's R2 bucket)", async () => {
    expect(runtimeConfig({ SAFECLAW_AUDIT_SINK: { put() {} } }, await policy(), { fallbackSink: "stdout" }).audit?.sink).toEqual({ kind: "stdout" });
  });
});

describe("a misconfigured runtime answers deny, the same way everywhere", () => {
  it("the Worker refuses a bad SAFECLAW_AUDIT_FORMAT (it used to fall back to json silently)", async () => {
    const worker = createWorker(await bundle());
    const res = await worker.fetch(
      new Request("http://x/v1/check", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
      { SAFECLAW_AUDIT_FORMAT: "xml" },
      { waitUntil() {} },
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({
      decision: "deny",
      allowed: false,
      error: "misconfigured",
      reason: expect.stringContaining("SAFECLAW_AUDIT_FORMAT"),
    });
  });

  it("the Lambda handler answers a direct invocation with a deny and an HTTP event with a 500, and retries the start on the next invocation", async () => {
    const env: Record<string, string | undefined> = { SAFECLAW_AUDIT_FORMAT: "xml" };
    const handler = createLambdaHandler({ bundle: await bundle(), env, log: () => undefined });
    expect(await handler({ action: "file.read", path: "/app/x" })).toMatchObject({ decision: "deny", error: "misconfigured" });
    expect(
      await handler([
        { action: "file.read", path: "/app/x" },
        { action: "file.read", path: "/app/y" },
      ]),
    ).toHaveLength(2);
    const event = JSON.parse(readFileSync(new URL("./fixtures/lambda/apigw-http-v2.json", import.meta.url), "utf8"));
    const http = (await handler(event)) as { statusCode: number; body: string };
    expect(http.statusCode).toBe(500);
    expect(JSON.parse(http.body)).toMatchObject({ decision: "deny", error: "misconfigured" });
    // The failed start is not cached: once the setting is fixed, the same handler works.
    env.SAFECLAW_AUDIT_FORMAT = "json";
    env.SAFECLAW_AUDIT_SINK = "stdout";
    const write = process.stdout.write;
    // The stdout sink resolves on the write callback; swallow the lines but call it back.
    process.stdout.write = (_chunk: unknown, ...rest: unknown[]) => {
      const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      cb?.();
      return true;
    };
    try {
      const d = (await handler({ action: "network.request", url: "http://2852039166/" })) as { decision: string; rule: string | null; error?: string };
      expect(d.decision).toBe("deny");
      expect(d.rule).not.toBeNull(); // the metadata rule decided, not a misconfiguration
      expect(d.error).toBeUndefined();
    } finally {
      process.stdout.write = write;
    }
  });
});
