import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import type { ApprovalSettings } from "../src/approval/approval-service.js";
import type { ApprovalView } from "../src/approval/approval-view.js";
import { Gatekeeper } from "../src/approval/gatekeeper.js";
import { MemoryStateStore } from "../src/approval/memory-state-store.js";
import { StateUnavailableError, type StateStore } from "../src/approval/state-store.js";
import { ApprovalWebhook } from "../src/approval/webhook.js";
import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { parseSigningKey } from "../src/audit/signing.js";
import { makeBundle } from "../src/engine/bundle.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import type { ApiToken } from "../src/http/bearer.js";
import { createApp } from "../src/http/create-app.js";
import { createLambdaHandler } from "../src/runtime/lambda/create-lambda-handler.js";
import { DynamoDbStateStore } from "../src/runtime/lambda/dynamodb-state-store.js";
import { dynamoDbConfig } from "../src/runtime/lambda/lambda-state.js";
import { listenOnFreePort, MOTO_AVAILABLE, useMoto } from "./moto.js";
import { appCaller } from "./app-caller.js";

/**
 * Second attack round on approvals (issue 15), after round one's fixes
 * (test/attack-approvals.test.ts): the identical retry that finds its
 * approval without naming it, the rule binding, direct Lambda events claiming
 * agents, the webhook and the trail. Each test marked "was open" below was a hole when written
 * (the fix suggested above it); each plain `it` an attack that is turned away.
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
- {id: ci-secrets, action: file.read, path: "/srv/secrets/**", agent: ci-bot, effect: allow}
- {id: limited, action: network.request, host: api.anthropic.com, effect: allow}
`;
const KEY = parseSigningKey("nWGxne/9WmC6hEr0kuwsxERJxWl7MV+0pChs2pMSh9o=");
const APPLY = { action: "shell.execute", command: "terraform apply" };
const PLAIN = { action: "network.request", url: "https://api.anthropic.com/v1/messages" };
const T0 = Date.parse("2026-12-02T10:00:00Z");
const SETTINGS: ApprovalSettings = { pendingTtlMs: 3_600_000, useTtlMs: 600_000, publicKeys: [], signingKey: KEY };

async function compiled() {
  const r = await loadPolicy([{ name: "p.yaml", text: POLICY }]);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

/** One deployment in process (as in round one): agent tokens `ci` (ci-bot) and `anon` (unnamed), approver `appr` (alice). */
async function deployment(opts: { state?: StateStore; clock?: { now: number }; onCreated?: (v: ApprovalView) => void } = {}) {
  const policy = await compiled();
  const clock = opts.clock ?? { now: T0 };
  const lines: string[] = [];
  const audit = new AuditLog({
    sink: createLineSink((l) => void lines.push(l)),
    chainId: "t",
    policy: policy.digest,
    clock: () => clock.now,
    log: () => undefined,
  });
  const state = opts.state ?? new MemoryStateStore();
  const gate = new Gatekeeper(policy, {
    state,
    settings: SETTINGS,
    audit,
    clock: () => clock.now,
    ...(opts.onCreated ? { onCreated: opts.onCreated } : {}),
  });
  const tokens: ApiToken[] = [{ token: "ci", agent: "ci-bot" }, { token: "anon" }];
  const app = createApp({
    engine: gate,
    audit,
    flushEachRequest: true,
    tokens,
    approvers: [{ token: "appr", agent: "alice" }],
    policy: { digest: policy.digest, rules: policy.rules.length, defaultAction: "deny", sources: ["p.yaml"] },
    log: () => undefined,
  });
  const call = appCaller(app);
  const check = (req: object, token = "ci") => call("POST", "/v1/check", req, token).then((a) => a.body);
  const decide = (id: string, decision = "approve") => call("POST", `/v1/approvals/${id}`, { decision }, "appr");
  const all = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  const records = () => all().filter((x) => x.type === "approval");
  return { check, decide, call, clock, all, records, state };
}

/** A webhook receiver on loopback that keeps each body; `hold` makes it answer only when `release` is called. */
async function receiver(opts: { hold?: boolean } = {}) {
  const bodies: string[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      bodies.push(body);
      if (opts.hold) held.push(res);
      else res.writeHead(200).end("ok");
    });
  });
  const port = await listenOnFreePort(server);
  open.push(server);
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    held,
    release: () => {
      for (const r of held.splice(0)) r.writeHead(200).end("ok");
    },
  };
}
const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

describe("the identical request after its approval, not naming it", () => {
  it("only what the identity leaves out (id, session and tool-use ids) may differ: any other difference asks anew", async () => {
    const d = await deployment();
    const base = { ...APPLY, context: { session_id: "s1", tool_use_id: "t1", ticket: "CHG-1" } };
    const id = (await d.check(base)).approval.id;
    await d.decide(id);
    for (const other of [
      { ...base, action: "shell:execute" }, // the same action to the engine, another spelling
      { ...base, context: { ...base.context, ticket: "CHG-2" } },
      { ...base, cwd: "/tmp" },
      { ...base, command: "terraform  apply" },
    ]) {
      const a = await d.check(other);
      expect(a.decision, JSON.stringify(other)).toBe("require_approval");
      expect(a.approval.id).not.toBe(id);
    }
    // another principal with the identical body: the unnamed token's request has no agent, a different identity
    expect((await d.check(base, "anon")).decision).toBe("require_approval");
    // the retry from a new session and tool call: allowed once, then asks again
    const retry = { ...base, id: "x", context: { session_id: "s2", tool_use_id: "t2", ticket: "CHG-1" } };
    expect(await d.check(retry)).toMatchObject({ decision: "allow", approval: { id, status: "used" } });
    expect(await d.check(retry)).toMatchObject({ decision: "require_approval" });
    expect((await d.check(retry)).approval.id).not.toBe(id);
  });

  // Was open; fixed by hashing the rule with the request (approval/request-hash.ts), so a request another rule asks for gets its own approval.
  it("a request another rule asks for (only context.session_id differs) is answered with the first rule's pending approval, not one of its own", async () => {
    const d = await deployment();
    const routine = await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "release-1" } });
    expect(routine).toMatchObject({ decision: "require_approval", rule: "ask-routine" });
    const unknown = await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "who-knows" } });
    expect(unknown.rule).toBe("ask-unknown");
    // the approver is never shown this request under its own rule: it waits on ask-routine's approval
    expect(unknown.approval.id).not.toBe(routine.approval.id);
  });

  it("the request another rule asks for cannot use the first rule's approval without naming it either", async () => {
    const d = await deployment();
    const routine = await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "release-1" } });
    await d.decide(routine.approval.id);
    const unknown = await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "who-knows" } });
    // its own approval, under its own rule (the request hash covers the rule that asks)
    expect(unknown).toMatchObject({ decision: "require_approval", rule: "ask-unknown", approval: { status: "pending" } });
    expect(unknown.approval.id).not.toBe(routine.approval.id);
    // and the approval stays for the request it was given to
    expect((await d.check({ action: "shell.execute", command: "deploy", context: { session_id: "release-9" } })).decision).toBe("allow");
  });

  it("the memory store: approved late in the pending hour, the identical request is allowed inside the use window", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    d.clock.now += 55 * 60_000;
    await d.decide(id);
    d.clock.now += 6 * 60_000; // past the pending hour, inside the 10 minutes of use
    expect(await d.check(APPLY)).toMatchObject({ decision: "allow", approval: { id } });
  });
});

describe("the Lambda handler's direct invocations and agent spellings", () => {
  async function handler() {
    const bundle = await makeBundle((await compiled()).ir, "2026-12-02T00:00:00.000Z");
    const env = { SAFECLAW_API_TOKENS: "ci-bot:agent-secret", SAFECLAW_APPROVER_TOKENS: "alice:approver-secret", SAFECLAW_AUDIT_SINK: "" };
    return createLambdaHandler({ bundle, env, log: () => undefined, state: new MemoryStateStore() });
  }

  it("spellings of a named agent the check lets through are other agents to the engine too: none reads as ci-bot", async () => {
    const h = await handler();
    const secret = { action: "file.read", path: "/srv/secrets/db" };
    for (const agent of ["CI-BOT", "Ci-bot", " ci-bot", "ci-bot ", "ci\u200b-bot", "ci\u2010bot", "\uff43\uff49-bot", "ci-bot\u0000", "ci-bo\u0301t"]) {
      const d = (await h({ ...secret, agent })) as Record<string, unknown>;
      expect(d.decision, JSON.stringify(agent)).toBe("deny");
    }
    // batch forms: an outer agent is no agent, an item's claim is refused, in an array and in {requests}
    const outer = (await h({ requests: [secret], agent: "ci-bot" })) as Array<Record<string, unknown>>;
    expect(outer[0]!.decision).toBe("deny");
    for (const e of [[{ ...secret, agent: "ci-bot" }], { requests: [PLAIN, { ...secret, agent: "ci-bot" }] }]) {
      const out = (await h(e)) as Array<Record<string, unknown>>;
      expect(out.map((x) => x.decision)).toContain("deny");
      expect(out.find((x) => x.error === "agent_mismatch")).toBeDefined();
    }
  });

  it("a direct event cannot pick up the named agent's approval by leaving the agent out or spelling it otherwise", async () => {
    const h = await handler();
    const http = async (body: unknown, token: string, path = "/v1/check") => {
      const res = (await h({
        version: "2.0",
        routeKey: "$default",
        rawPath: path,
        rawQueryString: "",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, host: "x.test" },
        requestContext: { http: { method: "POST", path, sourceIp: "198.51.100.7", protocol: "HTTP/1.1", userAgent: "t" }, requestId: "r", stage: "$default" },
        isBase64Encoded: false,
        body: JSON.stringify(body),
      })) as { body: string };
      return JSON.parse(res.body) as Record<string, any>;
    };
    const id = (await http(APPLY, "agent-secret")).approval.id as string;
    await http({ decision: "approve" }, "approver-secret", `/v1/approvals/${id}`);
    for (const e of [
      APPLY,
      { ...APPLY, agent: "CI-BOT" },
      { ...APPLY, agent: "ci-bot\u200b" },
      { ...APPLY, approval: id },
      { ...APPLY, agent: "CI-BOT", approval: id },
    ]) {
      const d = (await h(e)) as Record<string, unknown>;
      expect(d.decision, JSON.stringify(e)).not.toBe("allow");
    }
    // still there for ci-bot
    expect((await http(APPLY, "agent-secret")).decision).toBe("allow");
  });
});

describe("the webhook", () => {
  // Was open; fixed: in ApprovalWebhook.deliver, pass the text and the view's request through audit/redact.ts (as the trail does) before they leave for the receiver.
  it("a secret in the command, which the trail redacts, is posted in clear to the webhook (a Slack channel)", async () => {
    const r = await receiver();
    const hook = new ApprovalWebhook({ url: r.url, log: () => undefined });
    const d = await deployment({ onCreated: (v) => void hook.notify(v) });
    const secret = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
    const asked = await d.check({ action: "shell.execute", command: `terraform apply -var "api_key=${secret}"` });
    expect(asked.decision).toBe("require_approval");
    await hook.idle();
    // the trail holds it redacted ...
    expect(d.all().some((x) => JSON.stringify(x).includes(secret))).toBe(false);
    expect(r.bodies).toHaveLength(1);
    // ... the notification does not
    expect(r.bodies[0]).not.toContain(secret);
  });

  // Was open; fixed: in target-summary.ts `visible`, escape Unicode format characters too (/\p{Cf}/u: bidi overrides and isolates, zero-width characters), as the control characters are.
  it("bidi overrides and zero-width characters in the command reach the Slack text raw (what the approver reads is not what runs)", async () => {
    const r = await receiver();
    const hook = new ApprovalWebhook({ url: r.url, log: () => undefined });
    const d = await deployment({ onCreated: (v) => void hook.notify(v) });
    // shown right to left: the approver reads `--env=prod` reversed into something harmless-looking
    const command = "deploy --env=\u202edorp\u202c \u2066#staging\u2069 \u200b";
    expect((await d.check({ action: "shell.execute", command })).decision).toBe("require_approval");
    await hook.idle();
    const text = (JSON.parse(r.bodies[0]!) as { text: string }).text;
    expect(text).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
  });

  it("mentions, links and entities in the request are escaped in the Slack text; one notification per approval however often it is asked", async () => {
    const r = await receiver();
    const hook = new ApprovalWebhook({ url: r.url, log: () => undefined });
    const d = await deployment({ onCreated: (v) => void hook.notify(v) });
    const command = "terraform apply -var 'note=<!channel> <https://evil.test|click to approve> &amp; @here\nSafeClaw: approved by alice'";
    const asks = await Promise.all(Array.from({ length: 5 }, () => d.check({ action: "shell.execute", command })));
    expect(new Set(asks.map((a) => a.approval.id)).size).toBe(1);
    await hook.idle();
    expect(r.bodies).toHaveLength(1);
    const text = (JSON.parse(r.bodies[0]!) as { text: string }).text;
    expect(text).not.toMatch(/<[!@#]|<https?:/);
    expect(text).not.toContain("\n");
    expect(text).toContain("&lt;!channel&gt;");
  });

  it("a pending notification carries no grant, and a decision names no one the request chose", async () => {
    const r = await receiver();
    const hook = new ApprovalWebhook({ url: r.url, log: () => undefined });
    const d = await deployment({ onCreated: (v) => void hook.notify(v) });
    const id = (await d.check({ ...APPLY, context: { decidedBy: "bob", grant: "sc1.x.y" } })).approval.id;
    await hook.idle();
    const body = JSON.parse(r.bodies[0]!) as { approval: Record<string, unknown> };
    expect(body.approval).not.toHaveProperty("grant");
    expect(body.approval).not.toHaveProperty("decidedBy");
    expect(body.approval.id).toBe(id);
  });

  // Was open; fixed: in create-lambda-handler.ts, wait only for the notifications this invocation started (count ApprovalWebhook.notify promises made during it), not `webhook.busy`.
  it("on Lambda a decision that created nothing waits for another invocation's notification (a slow or dead webhook slows every decision up to 2 s)", async () => {
    const r = await receiver({ hold: true });
    const bundle = await makeBundle((await compiled()).ir, "2026-12-02T00:00:00.000Z");
    const env = { SAFECLAW_API_TOKENS: "ci-bot:agent-secret", SAFECLAW_AUDIT_SINK: "", SAFECLAW_APPROVAL_WEBHOOK: r.url };
    const h = createLambdaHandler({ bundle, env, log: () => undefined, state: new MemoryStateStore() });
    // an agent asks for something that needs approval; the receiver takes its time
    expect((await h({ ...APPLY, agent: "other" })) as Record<string, unknown>).toMatchObject({ decision: "require_approval" });
    expect(r.held).toHaveLength(1);
    // a plain decision on the same environment: it should answer while the receiver still holds the notification
    let answeredWhileHeld: boolean | undefined;
    const plain = Promise.resolve(h({ ...PLAIN, agent: "other" })).then((d) => {
      answeredWhileHeld = r.held.length === 1;
      return d;
    });
    const releaseLater = setTimeout(() => r.release(), 1500); // before the handler's own 2 s bound
    expect(await plain).toMatchObject({ decision: "allow" });
    clearTimeout(releaseLater);
    r.release();
    expect(answeredWhileHeld).toBe(true);
  }, 15_000);
});

describe("the trail", () => {
  it("an `approved` record for a decision the store could not take (503 state_unavailable) is followed by a `refused` record", async () => {
    const base = new MemoryStateStore();
    let down = false;
    const flaky = Object.assign(Object.create(base) as MemoryStateStore, {
      transition: (...a: Parameters<MemoryStateStore["transition"]>) =>
        down ? Promise.reject(new StateUnavailableError("table unreachable")) : base.transition(...a),
    });
    const d = await deployment({ state: flaky });
    const id = (await d.check(APPLY)).approval.id;
    down = true;
    expect((await d.decide(id)).status).toBe(503);
    down = false;
    expect((await d.call("GET", `/v1/approvals/${id}`, undefined, "appr")).body.status).toBe("pending");
    const events = d.records().map((x) => x.event as string);
    // the trail may say "approved" only if something after it says it did not take effect
    expect(events.includes("approved") ? events.slice(events.indexOf("approved") + 1) : ["refused"]).toContain("refused");
  });
});

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("the DynamoDB store (moto_server)", () => {
  const moto = useMoto([]);

  async function table(): Promise<string> {
    const TableName = `attack-15b-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
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

  // Was open; fixed: in DynamoDbStateStore, move the pointer's `pexp` (and `ttl`) to the new expiresAt when an approval is approved (or treat a pointer whose approval is approved and unexpired as live whatever pexp says).
  it("approved late in the pending hour, the identical request gets a new pending approval once the pointer's pexp passes, inside the use window (memory allows it)", async () => {
    const state = new DynamoDbStateStore({ table: await table(), config: dynamoDbConfig(moto.env()) });
    const d = await deployment({ state });
    const id = (await d.check(APPLY)).approval.id;
    d.clock.now += 55 * 60_000;
    expect((await d.decide(id)).status).toBe(200);
    d.clock.now += 6 * 60_000; // past pexp (createdAt + 1 h), 6 of the 10 minutes of use gone
    expect(await d.check(APPLY)).toMatchObject({ decision: "allow", approval: { id } });
  }, 30_000);

  it("racing the identical retry, the named retry and the grant across two stores on one table: one allow, one `used` record", async () => {
    const t = await table();
    const [s1, s2] = [0, 1].map(() => new DynamoDbStateStore({ table: t, config: dynamoDbConfig(moto.env()) }));
    const a = await deployment({ state: s1! });
    const b = await deployment({ state: s2!, clock: a.clock });
    const id = (await a.check(APPLY)).approval.id;
    const grant = (await b.decide(id)).body.grant as string;
    const answers = await Promise.all([
      a.check(APPLY),
      b.check(APPLY),
      a.check({ ...APPLY, approval: id }),
      b.check({ ...APPLY, approval: id }),
      a.check({ ...APPLY, grant }),
      b.check({ ...APPLY, grant }),
      a.check({ ...APPLY, context: { session_id: "s9" } }),
    ]);
    expect(answers.filter((x) => x.decision === "allow")).toHaveLength(1);
    const used = [...a.records(), ...b.records()].filter((x) => x.event === "used");
    expect(used).toHaveLength(1);
  }, 30_000);

  it("many identical first asks across two stores: one approval, one `created` record, one notification", async () => {
    const t = await table();
    const created: string[] = [];
    const [s1, s2] = [0, 1].map(() => new DynamoDbStateStore({ table: t, config: dynamoDbConfig(moto.env()) }));
    const a = await deployment({ state: s1!, onCreated: (v) => void created.push(v.id) });
    const b = await deployment({ state: s2!, clock: a.clock, onCreated: (v) => void created.push(v.id) });
    const asks = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).check(APPLY)));
    expect(new Set(asks.map((x) => x.approval?.id)).size).toBe(1);
    expect(created).toHaveLength(1);
    expect([...a.records(), ...b.records()].filter((x) => x.event === "created")).toHaveLength(1);
  }, 30_000);

  // Was open; fixed: in DynamoDbStateStore.createApproval, when the pointer read back names `stored.id` (our own write, its answer lost and retried by the SDK), return created: true.
  it("a pointer write whose answer is lost and retried by the SDK creates the approval without a `created` record or a notification", async () => {
    const client = new DynamoDBClient(dynamoDbConfig(moto.env()));
    let lose = true;
    // What the SDK's retry does after a timeout on a request that did reach the table: the same PutItem again.
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        const input = args.input as { Item?: { pk?: { S?: string } } };
        if (lose && ctx.commandName === "PutItemCommand" && input.Item?.pk?.S?.startsWith("pending#")) {
          lose = false;
          await next(args);
        }
        return next(args);
      },
      { step: "initialize", name: "lose-first-answer" },
    );
    const created: string[] = [];
    const d = await deployment({ state: new DynamoDbStateStore({ table: await table(), client }), onCreated: (v) => void created.push(v.id) });
    const asked = await d.check(APPLY);
    expect(asked.decision).toBe("require_approval");
    expect(lose).toBe(false);
    expect(d.records().filter((x) => x.event === "created")).toHaveLength(1);
    expect(created).toEqual([asked.approval.id]);
  }, 30_000);
});
