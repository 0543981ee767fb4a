import { describe, expect, it } from "vitest";
import { Gatekeeper } from "../src/approval/gatekeeper.js";
import { MemoryStateStore } from "../src/approval/memory-state-store.js";
import { StateUnavailableError, type StateStore } from "../src/approval/state-store.js";
import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { parseSigningKey, type SigningKey } from "../src/audit/signing.js";
import { verifyLines } from "../src/audit/verify.js";
import { createApp } from "../src/http/create-app.js";
import { loadPolicy } from "../src/engine/load-policy.js";
import type { ApprovalSettings } from "../src/approval/approval-service.js";
import type { ApprovalView } from "../src/approval/approval-view.js";
import { asLines } from "./audit-helpers.js";
import { appCaller } from "./app-caller.js";

/**
 * The round trip in process, where the clock can be moved: expiry of pending
 * and approved approvals and of grants, grants carried to a deployment that
 * shares no store, a store that cannot answer, races on one approval, limits
 * shared through one store, and the audit trail of it all.
 */
const POLICY = `
version: 1
defaultAction: deny
rules:
- {id: no-destroy, action: shell.execute, command: "terraform destroy*", effect: deny}
- {id: approve-infra, action: shell.execute, command: "terraform apply*", effect: require_approval, reason: needs a human}
- id: limited
  action: network.request
  host: api.anthropic.com
  effect: allow
  rateLimit: {maxRequests: 60, window: 1 minute, per: agent}
- id: limited-ask
  action: network.request
  host: deploy.example.com
  effect: require_approval
  rateLimit: {maxRequests: 2, window: 1 minute, per: rule}
`;
const KEY = parseSigningKey("nWGxne/9WmC6hEr0kuwsxERJxWl7MV+0pChs2pMSh9o=");
const APPLY = { action: "shell.execute", command: "terraform apply", agent: "ci-bot" };

async function deployment(
  opts: {
    state?: StateStore;
    settings?: Partial<Omit<ApprovalSettings, "signingKey">> & { signingKey?: SigningKey | undefined };
    clock?: { now: number };
    onCreated?: (v: ApprovalView) => void;
  } = {},
) {
  const r = await loadPolicy([{ name: "p.yaml", text: POLICY }]);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const clock = opts.clock ?? { now: Date.parse("2026-12-02T10:00:00Z") };
  const lines: string[] = [];
  const audit = new AuditLog({
    sink: createLineSink((l) => void lines.push(l)),
    chainId: "t",
    policy: r.policy.digest,
    clock: () => clock.now,
    log: () => undefined,
  });
  const state = opts.state ?? new MemoryStateStore();
  const gate = new Gatekeeper(r.policy, {
    state,
    settings: settingsOf(opts.settings),
    audit,
    clock: () => clock.now,
    ...(opts.onCreated ? { onCreated: opts.onCreated } : {}),
  });
  const app = createApp({
    engine: gate,
    audit,
    flushEachRequest: true,
    approvers: [{ token: "appr", agent: "alice" }],
    policy: { digest: r.policy.digest, rules: r.policy.rules.length, defaultAction: "deny", sources: ["p.yaml"] },
    log: () => undefined,
  });
  const call = appCaller(app);
  const check = (req: object) => call("POST", "/v1/check", req).then((a) => a.body);
  const decide = (id: string, decision: string, reason?: string) => call("POST", `/v1/approvals/${id}`, { decision, ...(reason ? { reason } : {}) }, "appr");
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((x) => x.type === "approval");
  return { check, decide, call, clock, lines, records, state, gate };
}

function settingsOf(over: Partial<Omit<ApprovalSettings, "signingKey">> & { signingKey?: SigningKey | undefined } = {}): ApprovalSettings {
  const s: ApprovalSettings = { pendingTtlMs: 3_600_000, useTtlMs: 600_000, publicKeys: over.publicKeys ?? [] };
  const key = "signingKey" in over ? over.signingKey : KEY;
  if (key) s.signingKey = key;
  return s;
}

describe("expiry", () => {
  it("a pending approval nobody decides expires: the retry is denied, the API says expired, the trail records it once", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    d.clock.now += 3_600_000;
    const retry = await d.check({ ...APPLY, approval: id });
    expect(retry).toMatchObject({ decision: "deny", error: "approval_invalid" });
    expect(retry.reason).toContain("expired");
    expect((await d.call("GET", `/v1/approvals/${id}`, undefined, "appr")).body.status).toBe("expired");
    expect(await d.decide(id, "approve")).toMatchObject({ status: 409, body: { error: { code: "expired" } } });
    expect(d.records().filter((r) => r.event === "expired")).toHaveLength(1);
    // asking again makes a new approval
    const fresh = (await d.check(APPLY)).approval.id;
    expect(fresh).not.toBe(id);
  });

  it("an approved approval not used within the use window expires, and so does its grant", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    d.clock.now += 3_000_000; // approving late in the pending window still leaves the full use window
    const grant = (await d.decide(id, "approve")).body.grant;
    d.clock.now += 599_000;
    const other = await deployment({ clock: d.clock, settings: { signingKey: undefined, publicKeys: [KEY.publicKey] } });
    d.clock.now += 2_000;
    expect(await d.check({ ...APPLY, approval: id })).toMatchObject({ decision: "deny", error: "approval_invalid" });
    const late = await other.check({ ...APPLY, grant });
    expect(late).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect(late.reason).toContain("expired");
  });
});

describe("grants", () => {
  it("a deployment sharing no store accepts the grant with only the public key, once", async () => {
    const home = await deployment();
    const id = (await home.check(APPLY)).approval.id;
    const grant = (await home.decide(id, "approve")).body.grant;
    const away = await deployment({ clock: home.clock, settings: { signingKey: undefined, publicKeys: [KEY.publicKey] } });
    expect(await away.check(APPLY)).toMatchObject({ decision: "require_approval" });
    const used = await away.check({ ...APPLY, grant });
    expect(used).toMatchObject({ decision: "allow", approval: { id, status: "used", decidedBy: "alice" } });
    expect(await away.check({ ...APPLY, grant })).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect(away.records().filter((r) => r.event === "used")).toMatchObject([{ via: "grant", by: "alice", approval: id }]);
    // not another agent's: the request hash binds the agent
    const home2 = (await home.check({ ...APPLY, command: "terraform apply -x" })).approval.id;
    const g2 = (await home.decide(home2, "approve")).body.grant;
    expect(await away.check({ ...APPLY, command: "terraform apply -x", agent: "other", grant: g2 })).toMatchObject({
      decision: "deny",
      error: "grant_invalid",
    });
  });

  it("a deployment with no keys accepts no grants, and says so", async () => {
    const home = await deployment();
    const id = (await home.check(APPLY)).approval.id;
    const grant = (await home.decide(id, "approve")).body.grant;
    const bare = await deployment({ settings: { signingKey: undefined } });
    const d = await bare.check({ ...APPLY, grant });
    expect(d).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect(d.reason).toContain("accepts no grants");
    expect((await bare.decide((await bare.check(APPLY)).approval.id, "approve")).body.grant).toBeUndefined();
  });
});

describe("races and floods", () => {
  it("ten racing retries of one approved request: exactly one is allowed", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    await d.decide(id, "approve");
    const answers = await Promise.all(Array.from({ length: 10 }, () => d.check({ ...APPLY, approval: id })));
    expect(answers.filter((a) => a.decision === "allow")).toHaveLength(1);
  });

  it("the id and the grant of one approval together still allow one request", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    const grant = (await d.decide(id, "approve")).body.grant;
    const answers = await Promise.all([d.check({ ...APPLY, approval: id }), d.check({ ...APPLY, grant })]);
    expect(answers.filter((a) => a.decision === "allow")).toHaveLength(1);
  });

  it("a hundred identical asks make one approval, one record and one notification", async () => {
    const seen: ApprovalView[] = [];
    const d = await deployment({ onCreated: (v) => void seen.push(v) });
    const ids = new Set((await Promise.all(Array.from({ length: 100 }, () => d.check(APPLY)))).map((a) => a.approval.id));
    expect(ids.size).toBe(1);
    expect(d.records().filter((r) => r.event === "created")).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status: "pending", rule: "approve-infra", agent: "ci-bot" });
  });
});

describe("a store that cannot answer", () => {
  const broken: StateStore = {
    kind: "broken",
    createApproval: () => Promise.reject(new StateUnavailableError("connection refused")),
    getApproval: () => Promise.reject(new StateUnavailableError("connection refused")),
    listApprovals: () => Promise.reject(new StateUnavailableError("connection refused")),
    transition: () => Promise.reject(new StateUnavailableError("connection refused")),
    markOnce: () => Promise.reject(new StateUnavailableError("connection refused")),
    hit: () => Promise.reject(new StateUnavailableError("connection refused")),
  };

  it("fails closed: approvals and store-backed limits are denied with state_unavailable, the API answers 503", async () => {
    const d = await deployment({ state: broken });
    expect(await d.check(APPLY)).toMatchObject({ decision: "deny", error: "state_unavailable" });
    expect(await d.check({ ...APPLY, approval: `apr_${"2".repeat(26)}` })).toMatchObject({ decision: "deny", error: "state_unavailable" });
    const limited = await d.check({ action: "network.request", url: "https://api.anthropic.com/v1/messages", agent: "ci-bot" });
    expect(limited).toMatchObject({ decision: "deny", error: "state_unavailable", rule: "limited" });
    expect((await d.call("GET", "/v1/approvals", undefined, "appr")).status).toBe(503);
    expect((await d.decide(`apr_${"3".repeat(26)}`, "approve")).status).toBe(503);
    // what needs no state is decided as before
    expect(await d.check({ action: "shell.execute", command: "terraform destroy", agent: "ci-bot" })).toMatchObject({ decision: "deny", rule: "no-destroy" });
  });
});

describe("rate limits in the store", () => {
  it("two deployments sharing one store share the limit: the 61st request in the window is denied", async () => {
    const state = new MemoryStateStore();
    const clock = { now: Date.parse("2026-12-02T10:00:00Z") };
    const a = await deployment({ state, clock });
    const b = await deployment({ state, clock });
    const req = { action: "network.request", url: "https://api.anthropic.com/v1/messages", agent: "ci-bot" };
    const answers: string[] = [];
    for (let i = 0; i < 61; i++) answers.push((await (i % 2 ? a : b).check(req)).decision);
    expect(answers.slice(0, 60).every((x) => x === "allow")).toBe(true);
    const last = await a.check(req);
    expect(answers[60]).toBe("deny");
    expect(last.reason).toContain("rate limit of rule limited exceeded");
    // another agent has its own budget; a minute later the window has moved
    expect((await b.check({ ...req, agent: "other" })).decision).toBe("allow");
    clock.now += 60_000;
    expect((await a.check(req)).decision).toBe("allow");
  });

  it("a require_approval rule's limit counts the asks, and a used-up limit denies before any approval", async () => {
    const d = await deployment();
    const req = { action: "network.request", url: "https://deploy.example.com/", agent: "ci-bot" };
    expect((await d.check(req)).decision).toBe("require_approval");
    expect((await d.check(req)).decision).toBe("require_approval");
    expect(await d.check(req)).toMatchObject({ decision: "deny", rule: "limited-ask" });
  });

  it("a request the policy denies does not use up the budget", async () => {
    const d = await deployment();
    for (let i = 0; i < 70; i++) await d.check({ action: "shell.execute", command: "terraform destroy", agent: "ci-bot" });
    expect((await d.check({ action: "network.request", url: "https://api.anthropic.com/", agent: "ci-bot" })).decision).toBe("allow");
  });
});

describe("the trail", () => {
  it("every step is a record in the chain, in order, and the chain verifies", async () => {
    const d = await deployment();
    const id = (await d.check(APPLY)).approval.id;
    await d.call("POST", `/v1/approvals/${id}`, { decision: "approve", reason: "ok" }, "appr");
    await d.call("POST", `/v1/approvals/${id}`, { decision: "reject" }, "appr");
    await d.check({ ...APPLY, approval: id });
    const r2 = (await d.check({ ...APPLY, command: "terraform apply -y" })).approval.id;
    await d.decide(r2, "reject", "freeze");
    expect(d.records().map((r) => [r.event, r.by])).toEqual([
      ["created", undefined],
      ["approved", "alice"],
      ["refused", "alice"],
      ["used", "alice"],
      ["created", undefined],
      ["rejected", "alice"],
    ]);
    const report = verifyLines(asLines(d.lines));
    expect(report.ok).toBe(true);
  });
});
