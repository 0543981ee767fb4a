import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import type { ApprovalSettings } from "../src/approval/approval-service.js";
import { Gatekeeper } from "../src/approval/gatekeeper.js";
import { MemoryStateStore } from "../src/approval/memory-state-store.js";
import type { StateStore } from "../src/approval/state-store.js";
import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import type { AuditSink } from "../src/audit/sink.js";
import { parseSigningKey } from "../src/audit/signing.js";
import { makeBundle } from "../src/engine/bundle.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import type { ApiToken } from "../src/http/bearer.js";
import { createApp } from "../src/http/create-app.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { DynamoDbStateStore } from "../src/runtime/lambda/dynamodb-state-store.js";
import { dynamoDbConfig } from "../src/runtime/lambda/lambda-state.js";
import { MOTO_AVAILABLE, useMoto } from "./moto.js";
import { appCaller } from "./app-caller.js";

/**
 * Attacks on the approval round trip and the store-backed rate limits
 * (issue 15), by an attacker helper. Seven tests were holes when written
 * (marked "Was open" above them, with the fix that closed it; each test's
 * name says what the hole was, its assertions what must hold now); the rest
 * are attacks that were turned away from the start. All must stay so.
 */
const POLICY = `
version: 1
defaultAction: deny
rules:
- {id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny}
- id: ask-routine
  action: shell.execute
  command: "deploy*"
  context.session_id: "release-*"
  effect: require_approval
  reason: routine deploy from the release pipeline
- {id: ask-unknown, action: shell.execute, command: "deploy*", effect: require_approval, reason: "deploy from an unknown session: check who is behind it"}
- {id: approve-infra, action: shell.execute, command: "terraform apply*", effect: require_approval, reason: needs a human}
- id: limited
  action: network.request
  host: api.anthropic.com
  effect: allow
  rateLimit: {maxRequests: 60, window: 1 minute, per: agent}
`;
const KEY = parseSigningKey("nWGxne/9WmC6hEr0kuwsxERJxWl7MV+0pChs2pMSh9o=");
const APPLY = { action: "shell.execute", command: "terraform apply" };
const T0 = Date.parse("2026-12-02T10:00:00Z");
const SETTINGS: ApprovalSettings = { pendingTtlMs: 3_600_000, useTtlMs: 600_000, publicKeys: [], signingKey: KEY };

async function compiled() {
  const r = await loadPolicy([{ name: "p.yaml", text: POLICY }]);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

/** One deployment in process: agent tokens `ci` (ci-bot) and `anon` (unnamed), approver token `appr` (alice). */
async function deployment(
  opts: { state?: StateStore; clock?: { now: number }; sink?: AuditSink; audit?: Partial<ConstructorParameters<typeof AuditLog>[0]> } = {},
) {
  const policy = await compiled();
  const clock = opts.clock ?? { now: T0 };
  const lines: string[] = [];
  const audit = new AuditLog({
    sink: opts.sink ?? createLineSink((l) => void lines.push(l)),
    chainId: "t",
    policy: policy.digest,
    clock: () => clock.now,
    log: () => undefined,
    ...opts.audit,
  });
  const state = opts.state ?? new MemoryStateStore();
  const gate = new Gatekeeper(policy, { state, settings: SETTINGS, audit, clock: () => clock.now });
  const tokens: ApiToken[] = [{ token: "ci", agent: "ci-bot" }, { token: "anon" }];
  const app = createApp({
    engine: gate,
    audit,
    flushEachRequest: opts.sink === undefined,
    tokens,
    approvers: [{ token: "appr", agent: "alice" }],
    policy: { digest: policy.digest, rules: policy.rules.length, defaultAction: "deny", sources: ["p.yaml"] },
    log: () => undefined,
  });
  const call = appCaller(app);
  const check = (req: object, token = "ci") => call("POST", "/v1/check", req, token).then((a) => a.body);
  const decide = (id: string, decision = "approve") => call("POST", `/v1/approvals/${id}`, { decision }, "appr");
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((x) => x.type === "approval");
  return { check, decide, call, clock, lines, records, audit, state };
}

describe("using one approval for a different request", () => {
  // Was open; fixed as suggested: bind the approval to the rule that asked (and grants too): in ApprovalService.useApproval refuse when `a.rule !== d.rule` (put `rule` in the grant claims).
  it("an approval asked under one rule is used where the policy asks under another (context.session_id is left out of the identity, yet rules can test it)", async () => {
    const d = await deployment();
    const routine = await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "release-42" } });
    expect(routine).toMatchObject({ decision: "require_approval", rule: "ask-routine" });
    const id = routine.approval.id;
    // the approver sees rule ask-routine, "routine deploy from the release pipeline", and approves
    expect((await d.call("GET", `/v1/approvals/${id}`, undefined, "appr")).body).toMatchObject({ rule: "ask-routine" });
    await d.decide(id);
    // the retry comes from a session the policy treats as unknown: another rule, another reason, the same approval
    const retry = await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "who-knows" }, approval: id });
    expect(retry.rule).toBe("ask-unknown");
    expect(retry).toMatchObject({ decision: "deny", error: "approval_invalid" });
  });

  // Was open; fixed as suggested: build requestIdentity's `out`/`ctx` (and Gatekeeper's `rest`, withoutTransport's `out`) with Object.create(null), so an own `__proto__` key is kept as data.
  it("`context.__proto__` (a key the policy can test, as context.__proto__.<key>) is dropped from the request identity: two requests share one approval", async () => {
    const d = await deployment();
    const asked = await d.check({ ...APPLY, context: JSON.parse('{"__proto__": {"change": "CHG-1 (staging)"}}') });
    expect(asked.decision).toBe("require_approval");
    // a second request, different in what the policy sees, joins the first one's pending approval
    const other = await d.call(
      "POST",
      "/v1/check",
      `{"action":"shell.execute","command":"terraform apply","context":{"__proto__":{"change":"none (prod)"}}}`,
      "ci",
    );
    expect(other.body.approval.id).not.toBe(asked.approval.id);
  });

  // Was open; fixed as suggested: Gatekeeper's namedApproval builds `rest` with Object.create(null) (an own `__proto__` stays a field, which the engine refuses), the same root cause as above.
  it("a top-level `__proto__`, refused as an unknown field in a plain request, is let through (as a prototype) when the request names an approval", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    await d.decide(id);
    const body = (extra: string) => `{"action":"shell.execute","command":"terraform apply","__proto__":{"command":"ls"}${extra}}`;
    expect((await d.call("POST", "/v1/check", body(""), "ci")).body).toMatchObject({ decision: "deny", error: "invalid_request" });
    const smuggled = await d.call("POST", "/v1/check", body(`,"approval":"${id}"`), "ci");
    expect(smuggled.body).toMatchObject({ decision: "deny", error: "invalid_request" });
  });

  it("a deny still denies: an approved compound command with a denied part, and spelling variants of the approved command", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    await d.decide(id);
    for (const command of ["terraform apply && terraform destroy", "terraform  apply", "terraform apply ", "TERRAFORM apply", "terraform\u00a0apply"]) {
      const r = await d.check({ ...APPLY, command, approval: id });
      expect(r.decision, command).toBe("deny");
    }
    // still usable by the identical request, once
    expect((await d.check({ ...APPLY, approval: id })).decision).toBe("allow");
    expect((await d.check({ ...APPLY, approval: id })).decision).toBe("deny");
  });
});

describe("using one approval twice", () => {
  it("two batch items naming one approval, or its id and its grant: one allow", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    const grant = (await d.decide(id)).body.grant as string;
    const batch = await d.call(
      "POST",
      "/v1/check/batch",
      [
        { ...APPLY, approval: id },
        { ...APPLY, approval: id },
        { ...APPLY, grant },
      ],
      "ci",
    );
    expect(batch.body.decisions.map((x: { decision: string }) => x.decision)).toEqual(["allow", "deny", "deny"]);
  });

  it("a grant re-encoded (non-canonical base64url tail, other key id) is still one use, and forged claims are refused", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    const grant = (await d.decide(id)).body.grant as string;
    const [pre, payload, sig] = grant.split(".") as [string, string, string];
    // 64 signature bytes: the last base64url character carries 2 bits, the other 4 are slack
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(sig.at(-1)!);
    const variant = `${pre}.${payload}.${sig.slice(0, -1)}${alphabet[last ^ 1]}`;
    const answers = await Promise.all([d.check({ ...APPLY, grant }), d.check({ ...APPLY, grant: variant })]);
    expect(answers.filter((a) => a.decision === "allow").length).toBeLessThanOrEqual(1);
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forge = (c: object) => `${pre}.${Buffer.from(JSON.stringify(c)).toString("base64url")}.${sig}`;
    const id2 = (await d.check({ ...APPLY, command: "terraform apply -x" })).approval.id;
    for (const c of [
      { ...claims, id: id2 },
      { ...claims, exp: claims.exp + 1 },
      { ...claims, exp: Math.floor(claims.exp / 1000) },
      { ...claims, kid: "other" },
    ]) {
      expect(await d.check({ ...APPLY, command: "terraform apply -x", grant: forge(c) })).toMatchObject({ decision: "deny", error: "grant_invalid" });
    }
  });

  it("a used approval is not brought back: not by expiry, a second decision, or a retry from the grant", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    const grant = (await d.decide(id)).body.grant as string;
    expect((await d.check({ ...APPLY, approval: id })).decision).toBe("allow");
    expect((await d.decide(id, "approve")).status).toBe(409);
    d.clock.now += 700_000;
    expect(await d.check({ ...APPLY, approval: id })).toMatchObject({ decision: "deny", error: "approval_invalid" });
    expect(await d.check({ ...APPLY, grant })).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect((await d.call("GET", `/v1/approvals/${id}`, undefined, "appr")).body.status).toBe("used");
  });
});

describe("principals", () => {
  it("an approver token is not an agent token, an agent token cannot decide by any spelling of the route", async () => {
    const d = await deployment();
    expect((await d.call("POST", "/v1/check", APPLY, "appr")).status).toBe(401);
    const id = (await d.check(APPLY)).approval.id;
    for (const path of [
      `/v1/approvals/${id}`,
      `/v1/approvals/${id}/`,
      `/v1/approvals/${encodeURIComponent(id).replace("a", "%61")}`,
      `/V1/approvals/${id}`,
      `/v1//approvals/${id}`,
    ]) {
      for (const token of ["ci", "anon"]) {
        const r = await d.call("POST", path, { decision: "approve" }, token);
        expect(r.status, `${path} ${token}`).toBeGreaterThanOrEqual(400);
      }
    }
    expect((await d.call("GET", `/v1/approvals/${id}`, undefined, "appr")).body.status).toBe("pending");
  });

  // Was open; fixed as suggested: in approval-routes GET /v1/approvals/:id, an agent principal without a name gets 404 for an approval whose `agent` is a named token's (pass create-app's `owned` set in).
  it("an unnamed agent token reads a named agent's approval, grant included", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY, "ci")).approval.id;
    await d.decide(id);
    const seen = await d.call("GET", `/v1/approvals/${id}`, undefined, "anon");
    expect(seen.body.grant).toBeUndefined();
    expect(seen.status).toBe(404);
  });

  it("an unnamed token cannot use a named agent's approval, by id or grant, with or without claiming the name", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY, "ci")).approval.id;
    const grant = (await d.decide(id)).body.grant as string;
    expect((await d.call("POST", "/v1/check", { ...APPLY, agent: "ci-bot", approval: id }, "anon")).status).toBe(403);
    expect((await d.check({ ...APPLY, approval: id }, "anon")).decision).toBe("deny");
    expect((await d.check({ ...APPLY, grant }, "anon")).decision).toBe("deny");
    expect((await d.check({ ...APPLY, approval: id }, "ci")).decision).toBe("allow");
  });
});

describe("the Lambda handler's direct invocations", () => {
  async function handler() {
    const bundle = await makeBundle((await compiled()).ir, "2026-12-02T00:00:00.000Z");
    const env = { SAFECLAW_API_TOKENS: "ci-bot:agent-secret", SAFECLAW_APPROVER_TOKENS: "alice:approver-secret", SAFECLAW_AUDIT_SINK: "" };
    return createLambdaHandler({ bundle, env, log: () => undefined, state: new MemoryStateStore() });
  }

  // Was open; fixed as suggested: create-lambda-handler's direct path applies create-app's `owned` rule (a body `agent` naming a token's agent is refused, agent_mismatch), as a bare token's request is.
  it("a direct event claims the agent of a named token (over HTTP a bare token is refused with 403 for that)", async () => {
    const h = await handler();
    const d = (await h({ ...APPLY, agent: "ci-bot" })) as Record<string, unknown>;
    expect(d).toMatchObject({ decision: "deny", error: "agent_mismatch" });
  });

  it("malformed direct events are denied, never an allow or a crash", async () => {
    const h = await handler();
    for (const e of [
      null,
      "x",
      7,
      [],
      [null],
      { requests: "no" },
      { approval: 5 },
      { ...APPLY, approval: ["apr_x"] },
      { ...APPLY, grant: "sc1.." },
      { ...APPLY, approval: "x", grant: "y" },
    ]) {
      const out = await h(e);
      for (const d of Array.isArray(out) ? out : [out]) expect((d as { decision: string }).decision, JSON.stringify(e)).toBe("deny");
    }
  });
});

describe("rate limits", () => {
  it("a hundred concurrent requests against a limit of 60 in one store: exactly 60 are allowed", async () => {
    const state = new MemoryStateStore();
    const a = await deployment({ state });
    const b = await deployment({ state, clock: a.clock });
    const req = { action: "network.request", url: "https://api.anthropic.com/v1/messages" };
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).check(req)));
    expect(answers.filter((x) => x.decision === "allow")).toHaveLength(60);
    // a named token's budget is not refreshed by spelling the agent differently in the body (refused) or leaving it out
    expect((await a.call("POST", "/v1/check", { ...req, agent: "CI-BOT" }, "ci")).status).toBe(403);
    expect((await a.check({ ...req, agent: "ci-bot" })).decision).toBe("deny");
  });

  it("a store whose hit throws something unexpected denies (500), never allows", async () => {
    const base = new MemoryStateStore();
    const odd = Object.assign(Object.create(base) as MemoryStateStore, { hit: () => Promise.reject(new TypeError("boom")) });
    const d = await deployment({ state: odd });
    const r = await d.call("POST", "/v1/check", { action: "network.request", url: "https://api.anthropic.com/" }, "ci");
    expect(r.body.decision).toBe("deny");
  });
});

describe("the trail", () => {
  // Was open; fixed as suggested: ApprovalService.decide records first and refuses (503 audit_unavailable, no transition) when the record cannot be queued, as a decision is refused.
  it("an approval decided while the audit queue is full answers 200 and leaves no `approved` record; its later use is recorded without it", async () => {
    let broken = false;
    const lines: string[] = [];
    const line = createLineSink((l) => void lines.push(l));
    const sink: AuditSink = { name: "switch", write: (b, o) => (broken ? Promise.reject(new Error("sink down")) : line.write(b, o)) };
    const d = await deployment({ sink, audit: { maxPending: 4, groupCommit: true, retryMinMs: 1, retryMaxMs: 5, writeTimeoutMs: 100 } });
    const id = (await d.check(APPLY)).approval.id;
    await d.audit.flush();
    broken = true;
    // other traffic during the outage fills the queue
    for (let i = 0; i < 6; i++) await d.check({ action: "network.request", url: "https://api.anthropic.com/" });
    const approved = await d.decide(id);
    broken = false;
    for (let i = 0; i < 50 && d.audit.failing; i++) await new Promise((r) => setTimeout(r, 10));
    const used = await d.check({ ...APPLY, approval: id });
    await d.audit.flush();
    const events = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x.type === "approval")
      .map((x) => x.event);
    // what the API answered and what the trail holds must agree
    if (approved.status === 200) expect(events).toContain("approved");
    expect(used.decision === "allow" ? events : ["approved"]).toContain("approved");
  });
});

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("the DynamoDB store (moto_server)", () => {
  const moto = useMoto([]);

  async function table(): Promise<string> {
    const TableName = `attack-15-${process.pid}-${Date.now()}`;
    await new DynamoDBClient(dynamoDbConfig(moto.env())).send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    return TableName;
  }

  // Was open; fixed as suggested: add "expiresAt" to CHANGING in src/runtime/lambda/dynamodb-items.ts (the approve transition moves it; the store drops the change). test/state-store-dynamodb.test.ts fails on it today.
  it("an approval approved a minute after it was asked stays usable for the rest of the pending hour, not the 10-minute use window", async () => {
    const state = new DynamoDbStateStore({ table: await table(), config: dynamoDbConfig(moto.env()) });
    const d = await deployment({ state });
    const id = (await d.check(APPLY)).approval.id;
    d.clock.now += 60_000;
    const approved = await d.decide(id);
    d.clock.now += 30 * 60_000; // 30 minutes after the approval: 20 minutes past its use window
    expect(await d.check({ ...APPLY, approval: id })).toMatchObject({ decision: "deny", error: "approval_invalid" });
    // (the view says why: expiresAt is still createdAt + 1 h, where the memory store says decidedAt + 10 min)
    expect(Date.parse(approved.body.expiresAt)).toBe(T0 + 60_000 + 600_000);
  }, 30_000);

  it("racing uses of one approval across two stores on the table: one allow", async () => {
    const t = await table();
    const [s1, s2] = [0, 1].map(() => new DynamoDbStateStore({ table: t, config: dynamoDbConfig(moto.env()) }));
    const a = await deployment({ state: s1! });
    const b = await deployment({ state: s2!, clock: a.clock });
    const id = (await a.check(APPLY)).approval.id;
    const grant = (await b.decide(id)).body.grant as string;
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => (i % 2 ? a : b).check({ ...APPLY, approval: id })),
      a.check({ ...APPLY, grant }),
      b.check({ ...APPLY, grant }),
    ]);
    expect(answers.filter((x) => x.decision === "allow")).toHaveLength(1);
  }, 30_000);
});
