import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { makeBundle } from "../src/engine/bundle.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { APPROVAL_ENV, approvalConformance, type Send } from "./approval-conformance.js";
import { portFromOutput } from "./moto.js";

/**
 * The approval round trip, one table (test/approval-conformance.ts), on each
 * runtime through its own front door.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const POLICY_FILE = join(ROOT, "examples/approvals-policy.yaml");

async function approvalsBundle(): Promise<unknown> {
  const r = await loadPolicy([{ name: POLICY_FILE, text: readFileSync(POLICY_FILE, "utf8") }]);
  if (!r.ok) throw new Error("examples/approvals-policy.yaml is invalid");
  return makeBundle(r.policy.ir, "2026-12-02T00:00:00.000Z");
}

describe("approvals on the Node server (a real process)", () => {
  let server: ChildProcess | undefined;
  let base = "";
  beforeAll(async () => {
    server = spawn(process.execPath, [join(ROOT, "bin/safeclaw.js"), "serve", "--policy", POLICY_FILE, "--port", "0", "--audit", "stdout"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...APPROVAL_ENV },
    });
    base = `http://127.0.0.1:${await portFromOutput(server, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve")}`;
  }, 60_000);
  afterAll(() => void server?.kill("SIGTERM"));
  approvalConformance(() => overFetch((path, init) => fetch(base + path, init)));
});

describe("approvals on the Lambda handler (API Gateway HTTP API events), state in memory", () => {
  let handler: ReturnType<typeof createLambdaHandler>;
  beforeAll(async () => {
    handler = createLambdaHandler({ bundle: await approvalsBundle(), env: { ...APPROVAL_ENV, SAFECLAW_AUDIT_SINK: "stdout" }, log: () => undefined });
  });
  approvalConformance(() => overLambda((e) => handler(e)));
});

/** A Send over anything that takes a fetch-style call. */
export function overFetch(f: (path: string, init: RequestInit) => Promise<Response>): Send {
  return async (method, path, token, body) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await f(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, never> };
  };
}

/** A Send as API Gateway's HTTP API (payload 2.0) calls a Lambda function. */
export function overLambda(invoke: (event: unknown) => Promise<unknown>): Send {
  return async (method, path, token, body) => {
    const [rawPath, rawQueryString = ""] = path.split("?");
    const headers: Record<string, string> = { "content-type": "application/json", host: "api.example.test" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath,
      rawQueryString,
      headers,
      requestContext: { http: { method, path: rawPath, sourceIp: "198.51.100.7", protocol: "HTTP/1.1", userAgent: "test" }, requestId: "r", stage: "$default" },
      isBase64Encoded: false,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    };
    const res = (await invoke(event)) as { statusCode: number; body: string };
    return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, never> };
  };
}
