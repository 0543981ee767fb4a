import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle } from "../src/engine/bundle.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { dynamoDbConfig } from "../src/runtime/lambda/lambda-state.js";
import { AGENT, APPROVAL_ENV, approvalConformance, type Send } from "./approval-conformance.js";
import { MOTO_AVAILABLE, portFromOutput, useMoto } from "./moto.js";
import { workerScript } from "./worker-script.js";

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

/** 61 calls to the rate-limited host, alternating between two instances: the 61st in the window is denied. */
async function sixtyFirstDenied(instances: readonly Send[]): Promise<void> {
  const answers: string[] = [];
  for (let i = 0; i < 61; i++) {
    const a = await instances[i % instances.length]!("POST", "/v1/check", AGENT, { action: "network:request", url: "https://api.anthropic.com/v1/messages" });
    answers.push(`${a.body.decision}:${a.body.rule}`);
  }
  expect(answers.slice(0, 60)).toEqual(Array(60).fill("allow:anthropic-api"));
  expect(answers[60]).toBe("deny:anthropic-api");
}

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("approvals on the Lambda handler (API Gateway HTTP API events), state in DynamoDB (moto_server)", () => {
  const moto = useMoto(["approvals-trail"]);
  let bundle: unknown;
  let env: Record<string, string>;
  const handlers: Array<ReturnType<typeof createLambdaHandler>> = [];
  beforeAll(async () => {
    bundle = await approvalsBundle();
    const TableName = `safeclaw-conformance-${process.pid}`;
    const admin = new DynamoDBClient(dynamoDbConfig(moto.env()));
    await admin.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    await admin.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true } }));
    env = {
      ...moto.env(),
      ...APPROVAL_ENV,
      SAFECLAW_STATE_TABLE: TableName,
      SAFECLAW_AUDIT_SINK: "s3://approvals-trail/lambda",
    };
    // Two handlers = two execution environments of one function: they share only the table.
    for (let i = 0; i < 2; i++)
      handlers.push(createLambdaHandler({ bundle, env: { ...env, AWS_LAMBDA_LOG_STREAM_NAME: `stream-${i}` }, log: (m) => console.error(m) }));
  }, 60_000);
  approvalConformance(() => overLambda((e) => handlers[0]!(e)));

  it("an approval made through one environment is used through the other, once", async () => {
    const [a, b] = handlers.map((h) => overLambda((e) => h(e)));
    const req = { action: "shell:execute", command: "terraform apply -target=cross" };
    const id = (await a!("POST", "/v1/check", AGENT, req)).body.approval.id;
    expect((await b!("POST", "/v1/check", AGENT, req)).body.approval.id).toBe(id);
    await b!("POST", `/v1/approvals/${id}`, "approver-token-1", { decision: "approve" });
    const uses = await Promise.all([a!("POST", "/v1/check", AGENT, { ...req, approval: id }), b!("POST", "/v1/check", AGENT, { ...req, approval: id })]);
    expect(uses.map((u) => u.body.decision).sort()).toEqual(["allow", "deny"]);
  });

  it("a rate limit holds across both environments: the 61st request in the window is denied", async () => {
    await sixtyFirstDenied(handlers.map((h) => overLambda((e) => h(e))));
  });
});

describe("approvals on the Worker in workerd (Miniflare), state in Durable Objects", () => {
  let mf: Miniflare | undefined;
  const workers: Send[] = [];
  beforeAll(async () => {
    const script = await workerScript("test/fixtures/approvals-worker.ts", { __APPROVALS_BUNDLE__: JSON.stringify(await approvalsBundle()) });
    const bindings = { ...APPROVAL_ENV, SAFECLAW_AUDIT_SINK: "r2://trail" };
    // Two Worker scripts = two isolates; the objects live in the first and are shared with the second.
    mf = new Miniflare({
      workers: [
        {
          name: "a",
          modules: true,
          script,
          compatibilityDate: "2024-09-23",
          bindings,
          r2Buckets: ["AUDIT_BUCKET"],
          durableObjects: { SAFECLAW_STATE: "SafeClawState" },
        },
        {
          name: "b",
          modules: true,
          script,
          compatibilityDate: "2024-09-23",
          bindings,
          r2Buckets: ["AUDIT_BUCKET"],
          durableObjects: { SAFECLAW_STATE: { className: "SafeClawState", scriptName: "a" } },
        },
      ],
      log: undefined,
    });
    for (const name of ["a", "b"]) {
      const w = (await mf.getWorker(name)) as unknown as { fetch: (u: string, i: RequestInit) => Promise<Response> };
      workers.push(overFetch((path, init) => w.fetch(`http://safeclaw.test${path}`, init)));
    }
  }, 120_000);
  afterAll(async () => mf?.dispose());
  approvalConformance(() => workers[0]!);

  it("a rate limit holds across both isolates: the 61st request in the window is denied", async () => {
    await sixtyFirstDenied(workers);
  });
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
