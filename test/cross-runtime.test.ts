import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyLines } from "../src/audit/verify.js";
import { createEngine } from "../src/engine/engine.js";
import { loadBundle } from "../src/engine/bundle.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { readS3Lines } from "../src/runtime/node/s3-read.js";
import { MOTO_AVAILABLE, portFromOutput, useMoto } from "./moto.js";

/**
 * One table of requests and expected decisions, run against the engine in
 * process, the Lambda handler, the Node server over a socket, and the Worker
 * built by wrangler running in workerd (Miniflare): same decisions, same digest.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const CASES: Array<{ note: string; request: unknown; decision: string; rule: string | null }> = JSON.parse(
  readFileSync(join(ROOT, "test/fixtures/conformance.json"), "utf8"),
);
const BUNDLE = JSON.parse(readFileSync(join(ROOT, "build/policy-bundle.json"), "utf8")); // written by the e2e global setup (test/setup/build-once.ts)

let workerDir: string;
let mf: Miniflare | undefined;
let server: ChildProcess | undefined;
let serverUrl = "";

beforeAll(async () => {
  // Build the Worker exactly as deployment does, offline.
  workerDir = mkdtempSync(join(tmpdir(), "safeclaw-worker-"));
  const w = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", workerDir, "-c", join(ROOT, "adapters/workers/wrangler.toml")],
    { encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
  );
  if (w.status !== 0) throw new Error(`wrangler build failed: ${w.stderr}\n${w.stdout}`);
  mf = new Miniflare({
    modules: true,
    modulesRoot: workerDir,
    scriptPath: join(workerDir, "worker.js"),
    compatibilityDate: "2024-09-23",
    bindings: { SAFECLAW_AUDIT_SINK: "r2://trail" },
    r2Buckets: ["AUDIT_BUCKET"],
  });
  server = spawn(
    process.execPath,
    [join(ROOT, "bin/safeclaw.js"), "serve", "--bundle", join(ROOT, "build/policy-bundle.json"), "--port", "0", "--audit", join(workerDir, "node-audit.log")],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, SAFECLAW_AUDIT_SINK: "" } },
  );
  const port = await portFromOutput(server, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve");
  serverUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  server?.kill("SIGTERM");
});

const post = (fetcher: (url: string, init: RequestInit) => Promise<Response>, base: string, body: unknown) =>
  fetcher(`${base}/v1/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    policy: r.headers.get("x-safeclaw-policy"),
    body: (await r.json()) as { decision: string; rule: string | null; policy: string },
  }));

describe("the same decisions and digest in every runtime", async () => {
  const { policy } = await loadBundle(BUNDLE);
  const engine = createEngine(policy);
  const lambda = createLambdaHandler({ bundle: BUNDLE, env: { SAFECLAW_AUDIT_SINK: "stdout" }, log: () => undefined });

  it.each(CASES)("$note", async ({ request, decision, rule }) => {
    const inProcess = engine.check(request);
    const viaLambda = (await lambda(request)) as { decision: string; rule: string | null; policy: string };
    const viaNode = await post(fetch, serverUrl, request);
    const viaWorker = await post((u, i) => mf!.dispatchFetch(u, i as never) as unknown as Promise<Response>, "http://safeclaw.test", request);
    for (const d of [inProcess, viaLambda, viaNode.body, viaWorker.body]) {
      expect(d).toMatchObject({ decision, rule, policy: BUNDLE.digest });
    }
    expect(viaNode.policy).toBe(BUNDLE.digest);
    expect(viaWorker.policy).toBe(BUNDLE.digest);
  });

  it("the Worker's audit reached its R2 binding, one object per request, and verifies", async () => {
    interface R2Handle {
      list(o: { prefix: string }): Promise<{ objects: Array<{ key: string }> }>;
      get(key: string): Promise<{ text(): Promise<string> } | null>;
    }
    const bucket = (await mf!.getR2Bucket("AUDIT_BUCKET")) as unknown as R2Handle;
    const listed = await bucket.list({ prefix: "trail/" });
    expect(listed.objects.length).toBe(CASES.length);
    const lines = [];
    for (const o of listed.objects.sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const text = await (await bucket.get(o.key))!.text();
      lines.push(
        ...text
          .trim()
          .split("\n")
          .map((t: string, i: number) => ({ text: t, where: `${o.key}:${i + 1}` })),
      );
    }
    const report = verifyLines(lines);
    expect(report.ok).toBe(true);
    expect(report.chains[0]!.records).toBe(CASES.length + 1);
  });
});

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("the Worker's S3 sink (aws4fetch) from inside workerd", () => {
  const moto = useMoto(["worker-audit"]);

  it("writes signed PUTs that land as verifiable batch objects; fails closed when S3 is down", async () => {
    const bindings = {
      SAFECLAW_AUDIT_SINK: "s3://worker-audit/w",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: moto.endpoint,
    };
    const s3mf = new Miniflare({ modules: true, modulesRoot: workerDir, scriptPath: join(workerDir, "worker.js"), compatibilityDate: "2024-09-23", bindings });
    try {
      const r = await post((u, i) => s3mf.dispatchFetch(u, i as never) as unknown as Promise<Response>, "http://safeclaw.test", {
        action: "file.read",
        path: "/app/a",
      });
      expect(r.body.decision).toBe("allow");
      const report = verifyLines(await readS3Lines("worker-audit", "w", moto.env()));
      expect(report.ok).toBe(true);
      expect(report.chains[0]!.records).toBe(2);
      await moto.stop();
      const down = await post((u, i) => s3mf.dispatchFetch(u, i as never) as unknown as Promise<Response>, "http://safeclaw.test", {
        action: "file.read",
        path: "/app/b",
      });
      expect(down.body).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    } finally {
      await s3mf.dispose();
    }
  }, 60_000);
});
