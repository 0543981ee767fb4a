import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle } from "../src/engine/bundle.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { AGENT, APPROVAL_ENV } from "./approval-conformance.js";
import { listenOnFreePort, portFromOutput } from "./moto.js";

/**
 * The approval webhook as each runtime configures it from its environment
 * (SAFECLAW_APPROVAL_WEBHOOK, SAFECLAW_APPROVAL_WEBHOOK_SECRET): a new
 * approval is announced once, signed; asking again is not announced again.
 * The receiver is a real HTTP server checking the HMAC with node:crypto.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const POLICY_FILE = join(ROOT, "examples/approvals-policy.yaml");
const SECRET = "webhook-secret-0123456789";

interface Delivery {
  verified: boolean;
  body: { text: string; approval: { id: string; status: string; agent?: string } };
}

let receiver: Server;
let url = "";
const deliveries: Delivery[] = [];

beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const ts = String(req.headers["x-safeclaw-timestamp"] ?? "");
      const want = `sha256=${createHmac("sha256", SECRET).update(`${ts}.${raw}`).digest("hex")}`;
      deliveries.push({ verified: req.headers["x-safeclaw-signature"] === want, body: JSON.parse(raw) as Delivery["body"] });
      res.writeHead(200).end("ok");
    });
  });
  url = `http://127.0.0.1:${await listenOnFreePort(receiver)}/hook`;
});
afterAll(() => new Promise<void>((done) => receiver.close(() => done())));

const WEBHOOK_ENV = () => ({ SAFECLAW_APPROVAL_WEBHOOK: url, SAFECLAW_APPROVAL_WEBHOOK_SECRET: SECRET });

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe("the Node server announces new approvals", () => {
  let server: ChildProcess | undefined;
  let base = "";
  beforeAll(async () => {
    server = spawn(process.execPath, [join(ROOT, "bin/safeclaw.js"), "serve", "--policy", POLICY_FILE, "--port", "0", "--audit", "stdout"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...APPROVAL_ENV, ...WEBHOOK_ENV() },
    });
    base = `http://127.0.0.1:${await portFromOutput(server, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve")}`;
  }, 60_000);
  afterAll(() => void server?.kill("SIGTERM"));

  it("once per approval, signed, with the approval and a line an approver can act on", async () => {
    const ask = () =>
      fetch(`${base}/v1/check`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${AGENT}` },
        body: JSON.stringify({ action: "shell:execute", command: "terraform apply -target=node-hook" }),
      }).then((r) => r.json() as Promise<{ approval: { id: string } }>);
    const before = deliveries.length;
    const id = (await ask()).approval.id;
    await ask();
    await until(() => deliveries.length > before);
    await new Promise((r) => setTimeout(r, 200));
    const mine = deliveries.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ verified: true, body: { approval: { id, status: "pending", agent: "ci-bot" } } });
    expect(mine[0]!.body.text).toContain(`safeclaw approvals approve ${id}`);
  });

  it("a bad webhook setting stops the server with a message naming it", async () => {
    const bad = spawn(process.execPath, [join(ROOT, "bin/safeclaw.js"), "serve", "--policy", POLICY_FILE, "--port", "0"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "", SAFECLAW_APPROVAL_WEBHOOK: "http://hooks.example.com/x" },
    });
    let err = "";
    bad.stderr.on("data", (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((done) => bad.once("exit", done));
    expect(code).not.toBe(0);
    expect(err).toContain("SAFECLAW_APPROVAL_WEBHOOK must be an https:// URL");
  });
});

describe("the Lambda handler announces new approvals before the invocation returns", () => {
  it("the notification has arrived when the handler's answer does", async () => {
    const r = await loadPolicy([{ name: POLICY_FILE, text: readFileSync(POLICY_FILE, "utf8") }]);
    if (!r.ok) throw new Error("policy invalid");
    const handler = createLambdaHandler({
      bundle: await makeBundle(r.policy.ir, "2026-12-02T00:00:00.000Z"),
      env: { ...APPROVAL_ENV, ...WEBHOOK_ENV(), SAFECLAW_API_TOKENS: "", SAFECLAW_AUDIT_SINK: "stdout" },
      log: () => undefined,
    });
    const before = deliveries.length;
    const d = (await handler({ action: "shell:execute", command: "terraform apply -target=lambda-hook", agent: "direct-bot" })) as { approval: { id: string } };
    const mine = deliveries.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ verified: true, body: { approval: { id: d.approval.id, status: "pending", agent: "direct-bot" } } });
  });
});
