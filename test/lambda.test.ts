import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { verifyLines } from "../src/audit/verify.js";
import { parsePolicy } from "../src/policy/parse-policy.js";
import { makeBundle } from "../src/engine/bundle.js";
import { createLambdaHandler, isDirectEvent } from "../src/runtime/lambda/create-lambda-handler.js";
import { readS3Lines } from "../src/runtime/node/s3-read.js";
import { deadEndpoint, MOTO_AVAILABLE, useMoto } from "./moto.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/lambda/${name}`, import.meta.url), "utf8"));
const EXAMPLE = readFileSync(new URL("../examples/safeclaw.config.yaml", import.meta.url), "utf8");

async function exampleBundle() {
  const p = parsePolicy([{ name: "safeclaw.config.yaml", text: EXAMPLE }]);
  if (!p.ok) throw new Error("example policy");
  return makeBundle(p.ir, "2026-11-23T00:00:00.000Z");
}

describe("direct events are told apart from HTTP events", () => {
  it.each([
    [{ action: "file.read", path: "/x" }, true],
    [[{ action: "file.read", path: "/x" }], true],
    [{ requests: [] }, true],
    [fixture("apigw-rest-v1.json"), false],
    [fixture("apigw-http-v2.json"), false],
    [fixture("function-url.json"), false],
    [fixture("alb.json"), false],
    [{ action: "file.read", httpMethod: "POST" }, false],
    [null, true], // a direct invocation the engine refuses (the HTTP adapter would crash on it)
  ])("%#", (event, direct) => {
    expect(isDirectEvent(event)).toBe(direct);
  });
});

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("the Lambda handler with audit to a real S3-compatible server", () => {
  const moto = useMoto(["lambda-audit"]);

  const env = () => ({
    ...moto.env(),
    SAFECLAW_AUDIT_SINK: "s3://lambda-audit/trail",
    AWS_LAMBDA_FUNCTION_NAME: "safeclaw",
    AWS_LAMBDA_LOG_STREAM_NAME: "2026/11/23/[$LATEST]0123456789abcdef",
  });

  it("serves every event shape, and each invocation's batch is in S3 when the handler returns", async () => {
    const bundle = await exampleBundle();
    const handler = createLambdaHandler({ bundle, env: env(), log: () => undefined });
    const objects = async () => (await readS3Lines("lambda-audit", "trail", moto.env())).filter((l) => l.text.includes('"type":"checkpoint"')).length;

    const v1 = (await handler(fixture("apigw-rest-v1.json"), { awsRequestId: "a1" })) as {
      statusCode: number;
      body: string;
      headers?: Record<string, string>;
      multiValueHeaders?: Record<string, string[]>;
    };
    const v1Headers = v1.headers ?? Object.fromEntries(Object.entries(v1.multiValueHeaders ?? {}).map(([k, v]) => [k, v[0]]));
    expect(v1.statusCode).toBe(200);
    expect(JSON.parse(v1.body)).toMatchObject({ decision: "deny", rule: "rule-7-6c1c7c91", policy: bundle.digest });
    expect(v1Headers["x-safeclaw-policy"]).toBe(bundle.digest);
    expect(v1Headers["x-request-id"]).toBe("rest-v1-req");
    expect(await objects()).toBe(1);

    const v2 = (await handler(fixture("apigw-http-v2.json"), { awsRequestId: "a2" })) as { statusCode: number; body: string };
    expect(JSON.parse(v2.body)).toMatchObject({ decision: "allow", explain: expect.any(Array) });
    expect(await objects()).toBe(2);

    const url = (await handler(fixture("function-url.json"), { awsRequestId: "a3" })) as { statusCode: number; body: string };
    expect(JSON.parse(url.body).decisions.map((d: { decision: string }) => d.decision)).toEqual(["allow", "deny"]);
    expect(await objects()).toBe(3);

    const alb = (await handler(fixture("alb.json"), { awsRequestId: "a4" })) as { statusCode: number; body: string };
    expect(alb.statusCode).toBe(200);
    expect(JSON.parse(alb.body)).toMatchObject({ digest: bundle.digest, rules: 9 });

    const direct = await handler({ action: "env.read", key: "FLY_API_TOKEN" }, { awsRequestId: "a5" });
    expect(direct).toMatchObject({ decision: "deny", allowed: false });
    const many = await handler(
      [
        { action: "file.read", path: "/app/x" },
        { action: "shell.execute", command: "ls" },
      ],
      { awsRequestId: "a6" },
    );
    expect((many as Array<{ decision: string }>).map((d) => d.decision)).toEqual(["allow", "deny"]);
    expect(await objects()).toBe(5); // one batch per invocation that decided something (GET /v1/policy decides nothing)

    const lines = await readS3Lines("lambda-audit", "trail", moto.env());
    const report = verifyLines(lines);
    expect(report.ok).toBe(true);
    expect(report.chains[0]!.chain).toMatch(/^us-east-1-safeclaw-/);
    const ids = lines
      .map((l) => JSON.parse(l.text))
      .filter((r) => r.type === "decision")
      .map((r) => r.id);
    expect(ids).toHaveLength(7);
    expect(ids[0]).toBe("rest-v1-req");
    expect(ids.slice(-3)).toEqual(["a5#0", "a6#0", "a6#1"]);
  });

  it("bounds direct batches like the HTTP batch", async () => {
    const handler = createLambdaHandler({
      bundle: await exampleBundle(),
      env: { SAFECLAW_AUDIT_SINK: "s3://lambda-audit/bounded", ...moto.env() },
      log: () => undefined,
    });
    const out = (await handler(Array.from({ length: 101 }, () => ({ action: "file.read", path: "/app/x" })))) as Array<{ decision: string; error: string }>;
    expect(out).toHaveLength(101);
    expect(out.every((d) => d.decision === "deny" && d.error === "batch_too_large")).toBe(true);
  });

  it("denies when S3 is unreachable (onAuditFailure: deny)", async () => {
    const down = await deadEndpoint();
    try {
      const handler = createLambdaHandler({ bundle: await exampleBundle(), env: { ...env(), AWS_ENDPOINT_URL: down.url }, log: () => undefined });
      expect(await handler({ action: "file.read", path: "/app/x" })).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    } finally {
      await down.close();
    }
  }, 30_000);
});

describe("the bundled Lambda artifact", () => {
  it("is one ESM file that a fresh Node process imports and invokes directly", () => {
    const built = spawnSync(process.execPath, [new URL("../adapters/lambda/build.mjs", import.meta.url).pathname], { encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const script = `const t0 = performance.now(); const m = await import(${JSON.stringify(new URL("../build/lambda/index.mjs", import.meta.url).href)}); const d = await m.handler({ action: "network.request", url: "http://2852039166/" }, { awsRequestId: "cold" }); console.log(JSON.stringify({ d, ms: performance.now() - t0 }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, SAFECLAW_AUDIT_SINK: "stdout" } });
    expect(r.status, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(last.d).toMatchObject({ decision: "deny", rule: "rule-7-6c1c7c91" });
  });
});
