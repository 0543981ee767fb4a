import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ApprovalView } from "../src/approval/approval-view.js";
import { Gatekeeper } from "../src/approval/gatekeeper.js";
import { MemoryStateStore } from "../src/approval/memory-state-store.js";
import { createApp } from "../src/http/create-app.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import { ApprovalWebhook, approvalText, parseWebhookSettings, WebhookSettingsError } from "../src/approval/webhook.js";

const SECRET = "whsec-0123456789abcdef";
const VIEW: ApprovalView = {
  id: "apr_0123456789abcdefghjkmnpqrs",
  status: "pending",
  request: { action: "shell.execute", command: "terraform apply <!channel>", agent: "ci-bot" },
  rule: "approve-infra",
  reason: "infrastructure changes need a human",
  agent: "ci-bot",
  action: "shell.execute",
  policy: "sha256:abc",
  createdAt: "2026-05-01T10:00:00.000Z",
  expiresAt: "2026-05-01T10:15:00.000Z",
};

interface Delivery {
  headers: IncomingMessage["headers"];
  body: string;
  signatureOk: boolean;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A receiver as a user would write one: verifies the HMAC over "<timestamp>.<raw body>" with node:crypto, rejects old timestamps. */
async function receiver(answer: (n: number, res: ServerResponse) => void): Promise<{ url: string; got: Delivery[] }> {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const ts = String(req.headers["x-safeclaw-timestamp"] ?? "");
      const sig = String(req.headers["x-safeclaw-signature"] ?? "");
      const fresh = /^\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
      const want = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex")}`);
      const signatureOk = fresh && sig.length === want.length && timingSafeEqual(Buffer.from(sig), want);
      got.push({ headers: req.headers, body, signatureOk });
      answer(got.length, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-path`, got };
}

const status = (code: number) => (_n: number, res: ServerResponse) => res.writeHead(code).end("x");

describe("ApprovalWebhook", () => {
  it("signs each attempt, retries two 503s with backoff, and delivers the third", async () => {
    const r = await receiver((n, res) => res.writeHead(n <= 2 ? 503 : 200).end("ok"));
    const logs: string[] = [];
    const waits: number[] = [];
    const hook = new ApprovalWebhook({
      url: r.url,
      secret: SECRET,
      log: (l) => logs.push(l),
      baseDelayMs: 20,
      random: () => 0.5,
      sleep: (ms) => (waits.push(ms), new Promise((ok) => setTimeout(ok, ms))),
    });
    await hook.notify(VIEW);
    expect(r.got).toHaveLength(3);
    expect(r.got.every((d) => d.signatureOk)).toBe(true);
    expect(r.got[0]!.headers["content-type"]).toBe("application/json");
    // base 20 ms, doubled each retry, jitter 0.5 of the upper half: 15 then 30.
    expect(waits).toEqual([15, 30]);
    const body = JSON.parse(r.got[2]!.body);
    expect(body.approval).toEqual(VIEW);
    expect(body.text).toContain(VIEW.id);
    expect(body.text).toContain(`safeclaw approvals approve ${VIEW.id}`);
    expect(logs).toEqual([]);
  });

  it("a body changed in transit, or an old timestamp, fails the receiver's check", async () => {
    const r = await receiver(status(200));
    await new ApprovalWebhook({ url: r.url, secret: "another-secret-of-16+", log: () => undefined }).notify(VIEW);
    expect(r.got[0]!.signatureOk).toBe(false);
    const ts = "1000000000";
    const body = JSON.stringify({ text: "x", approval: VIEW });
    const sig = `sha256=${createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex")}`;
    await fetch(r.url, { method: "POST", headers: { "x-safeclaw-timestamp": ts, "x-safeclaw-signature": sig }, body });
    expect(r.got[1]!.signatureOk).toBe(false);
  });

  it("sends no signature header without a secret", async () => {
    const r = await receiver(status(204));
    await new ApprovalWebhook({ url: r.url, log: () => undefined }).notify(VIEW);
    expect(r.got[0]!.headers["x-safeclaw-signature"]).toBeUndefined();
    expect(r.got[0]!.headers["x-safeclaw-timestamp"]).toMatch(/^\d+$/);
  });

  it("does not retry a 400, and logs it by origin (never the path or the secret)", async () => {
    const r = await receiver(status(400));
    const logs: string[] = [];
    await new ApprovalWebhook({ url: r.url, secret: SECRET, log: (l) => logs.push(l), baseDelayMs: 1 }).notify(VIEW);
    expect(r.got).toHaveLength(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain("HTTP 400");
    expect(logs[0]).toContain(VIEW.id);
    expect(logs.join()).not.toContain("secret-path");
    expect(logs.join()).not.toContain(SECRET);
  });

  it("retries 429, and gives up after maxAttempts with a log line", async () => {
    const r = await receiver(status(429));
    const logs: string[] = [];
    await new ApprovalWebhook({ url: r.url, log: (l) => logs.push(l), baseDelayMs: 1, maxAttempts: 3 }).notify(VIEW);
    expect(r.got).toHaveLength(3);
    expect(logs).toEqual([expect.stringMatching(/not delivered after 3 attempts \(last: HTTP 429\)/)]);
  });

  it("an attempt that gets no answer within timeoutMs is abandoned and retried", async () => {
    // The first request is never answered; the second is.
    const r = await receiver((n, res) => (n === 1 ? undefined : res.writeHead(200).end()));
    const logs: string[] = [];
    const t0 = Date.now();
    await new ApprovalWebhook({ url: r.url, log: (l) => logs.push(l), baseDelayMs: 1, timeoutMs: 200 }).notify(VIEW);
    expect(r.got).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(logs).toEqual([]);
    const never = await receiver(() => undefined);
    await new ApprovalWebhook({ url: never.url, log: (l) => logs.push(l), baseDelayMs: 1, timeoutMs: 100, maxAttempts: 2 }).notify(VIEW);
    expect(logs).toEqual([expect.stringContaining("no answer within 100 ms")]);
  });

  it("a network error (nothing listening) is retried and never rejects", async () => {
    const r = await receiver(status(200));
    servers.splice(0).forEach((s) => s.close());
    const logs: string[] = [];
    await expect(new ApprovalWebhook({ url: r.url, log: (l) => logs.push(l), baseDelayMs: 1, maxAttempts: 2 }).notify(VIEW)).resolves.toBeUndefined();
    expect(logs).toEqual([expect.stringMatching(/not delivered after 2 attempts \(last: network error/)]);
  });

  it("notify returns before delivery, and past maxInFlight drops with a log line", async () => {
    const held: ServerResponse[] = [];
    const r = await receiver((_n, res) => held.push(res));
    const logs: string[] = [];
    const hook = new ApprovalWebhook({ url: r.url, log: (l) => logs.push(l), maxInFlight: 2, timeoutMs: 5000 });
    let settled = 0;
    const ps = [hook.notify(VIEW), hook.notify({ ...VIEW, id: "apr_1123456789abcdefghjkmnpqrs" })].map((p) => p.then(() => settled++));
    expect(settled).toBe(0);
    await hook.notify({ ...VIEW, id: "apr_2223456789abcdefghjkmnpqrs" }); // dropped: settles at once
    expect(logs).toEqual([expect.stringMatching(/2 notifications already in flight; dropped the one for apr_2223/)]);
    while (held.length < 2) await new Promise((ok) => setTimeout(ok, 5));
    for (const res of held) res.writeHead(200).end();
    await Promise.all(ps);
    await hook.idle();
    expect(settled).toBe(2);
    expect(r.got).toHaveLength(2);
  });

  it("a fetch that throws synchronously is a network error too, and a 3xx is not followed", async () => {
    const logs: string[] = [];
    const boom = (() => {
      throw new Error("boom");
    }) as unknown as typeof fetch;
    await new ApprovalWebhook({ url: "https://example.invalid/x", fetch: boom, log: (l) => logs.push(l), baseDelayMs: 1, maxAttempts: 2 }).notify(VIEW);
    expect(logs).toEqual([expect.stringContaining("network error: boom")]);
    const r = await receiver((_n, res) => res.writeHead(302, { location: "http://127.0.0.1:1/" }).end());
    await new ApprovalWebhook({ url: r.url, log: (l) => logs.push(l) }).notify(VIEW);
    expect(r.got).toHaveLength(1);
    expect(logs[1]).toContain("HTTP 302");
  });
});

describe("approvalText", () => {
  it("says who asks for what, the rule, reason, id, expiry and the approve lines; a request cannot ping a Slack channel", () => {
    const t = approvalText(VIEW, "https://safeclaw.example.com/");
    expect(t).toContain("agent `ci-bot` asks to `shell.execute` `terraform apply &lt;!channel&gt;` (rule `approve-infra`)");
    expect(t).toContain("infrastructure changes need a human");
    expect(t).toContain(`Approval \`${VIEW.id}\` is pending until 2026-05-01T10:15:00.000Z`);
    expect(t).toContain(`curl -X POST https://safeclaw.example.com/v1/approvals/${VIEW.id}`);
    expect(t).not.toContain("<!channel>");
    expect(t).not.toContain("\n");
    expect(approvalText({ ...VIEW, request: { action: "shell.execute", command: "echo a\nrm -rf /" } })).toContain("echo a\\nrm -rf /");
    expect(approvalText(VIEW)).toContain("$SAFECLAW_ENDPOINT/v1/approvals/");
  });

  it("a decided approval says by whom", () => {
    const t = approvalText({ ...VIEW, status: "rejected", decidedBy: "alice", decisionReason: "not on a Friday" });
    expect(t).toContain("is rejected by `alice`: not on a Friday");
  });
});

describe("parseWebhookSettings", () => {
  it("accepts https, and http only to loopback", () => {
    expect(parseWebhookSettings(undefined, undefined)).toBeUndefined();
    expect(parseWebhookSettings("", "")).toBeUndefined();
    expect(parseWebhookSettings("https://hooks.slack.com/services/T/B/X", undefined)).toEqual({ url: "https://hooks.slack.com/services/T/B/X" });
    expect(parseWebhookSettings("http://127.0.0.1:8080/h", SECRET)).toEqual({ url: "http://127.0.0.1:8080/h", secret: SECRET });
    expect(parseWebhookSettings("http://localhost/h", undefined)).toBeDefined();
    expect(parseWebhookSettings("http://[::1]:9/h", undefined)).toBeDefined();
    for (const bad of ["http://hooks.example.com/h", "ftp://127.0.0.1/", "not a url", "http://127.0.0.1.example.com/"])
      expect(() => parseWebhookSettings(bad, undefined)).toThrow(WebhookSettingsError);
  });

  it("a secret needs a URL and 16 characters, and is never in the message", () => {
    expect(() => parseWebhookSettings("", SECRET)).toThrow(/SECRET is set but SAFECLAW_APPROVAL_WEBHOOK is not/);
    expect(() => parseWebhookSettings("https://h.example/x", "short-s3cret")).toThrow(/shorter than 16/);
    try {
      parseWebhookSettings("https://h.example/x", "short-s3cret");
    } catch (e) {
      expect((e as Error).message).not.toContain("short-s3cret");
    }
  });
});

describe("the webhook on the real approval service", () => {
  const POLICY = `
version: 1
defaultAction: deny
rules:
- {id: approve-infra, action: shell.execute, command: "terraform apply*", effect: require_approval, reason: needs a human}
`;
  async function app(onCreated: (v: ApprovalView) => void) {
    const r = await loadPolicy([{ name: "p.yaml", text: POLICY }]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const gate = new Gatekeeper(r.policy, { state: new MemoryStateStore(), onCreated });
    const a = createApp({
      engine: gate,
      policy: { digest: r.policy.digest, rules: r.policy.rules.length, defaultAction: "deny", sources: ["p.yaml"] },
      log: () => undefined,
    });
    return (body: object) =>
      Promise.resolve(a.request("/v1/check", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).then((x) =>
        x.json(),
      );
  }
  const APPLY = { action: "shell.execute", command: "terraform apply", agent: "ci-bot" };

  it("a new approval is delivered signed, once per pending request, as the API shows it", async () => {
    const r = await receiver(status(200));
    const hook = new ApprovalWebhook({ url: r.url, secret: SECRET, log: () => undefined });
    const check = await app((v) => void hook.notify(v));
    const d = await check(APPLY);
    await check(APPLY); // the same request while pending: the same approval, no second notification
    await hook.idle();
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.signatureOk).toBe(true);
    const body = JSON.parse(r.got[0]!.body);
    expect(body.approval).toMatchObject({ id: d.approval.id, status: "pending", agent: "ci-bot", rule: "approve-infra", expiresAt: d.approval.expiresAt });
    expect(body.text).toContain(`safeclaw approvals approve ${d.approval.id}`);
    expect(body.text).toContain("`terraform apply`");
  });

  it("a webhook that never answers does not hold the decision up", async () => {
    const r = await receiver(() => undefined);
    const hook = new ApprovalWebhook({ url: r.url, log: () => undefined, timeoutMs: 60_000, maxAttempts: 1 });
    const check = await app((v) => void hook.notify(v));
    const d = await check(APPLY);
    expect(d).toMatchObject({ decision: "require_approval", approval: { status: "pending" } });
    while (r.got.length === 0) await new Promise((ok) => setTimeout(ok, 5));
    // the decision is answered while its notification is still waiting for the receiver
    let settled = false;
    void hook.idle().then(() => (settled = true));
    await new Promise((ok) => setTimeout(ok, 50));
    expect(settled).toBe(false);
  });
});
