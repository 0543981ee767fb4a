import { expect, it } from "vitest";
import { signGrant } from "../src/approval/grant.js";
import { APPROVAL_ID } from "../src/approval/state-store.js";
import { parseSigningKey } from "../src/audit/signing.js";

/**
 * One table for the approval round trip, run against every runtime through
 * its real front door (the Node server's socket, the Lambda handler with API
 * Gateway events, the Worker in workerd): the same steps must give the same
 * answers. The policy is examples/approvals-policy.yaml; agent `ci-bot` holds
 * AGENT, `alice` holds APPROVER, grants are signed with GRANT_KEY.
 */
export const AGENT = "agent-token-1";
export const OTHER_AGENT = "agent-token-2";
export const APPROVER = "approver-token-1";
export const GRANT_KEY = "nWGxne/9WmC6hEr0kuwsxERJxWl7MV+0pChs2pMSh9o=";
const FOREIGN_KEY = parseSigningKey("QFc7gBwn4ox4C2jUqYvu3X2pBvEVx1ZkF3MqZ2uzg1k=");

/** The settings every runtime is started with. */
export const APPROVAL_ENV: Record<string, string> = {
  SAFECLAW_API_TOKENS: `ci-bot:${AGENT},other-bot:${OTHER_AGENT}`,
  SAFECLAW_APPROVER_TOKENS: `alice:${APPROVER}`,
  SAFECLAW_APPROVAL_SIGNING_KEY: GRANT_KEY,
};

export interface Answer {
  status: number;
  body: Record<string, any>;
}

export type Send = (method: "GET" | "POST", path: string, token: string | undefined, body?: unknown) => Promise<Answer>;

const check = (send: Send, request: object, token = AGENT) => send("POST", "/v1/check", token, request);
const apply = (target: string) => ({ action: "shell:execute", command: `terraform apply -target=${target}` });

export function approvalConformance(send: () => Send): void {
  it("require_approval creates one pending approval per request; asking again returns it", async () => {
    const s = send();
    const first = await check(s, apply("a1"));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ decision: "require_approval", allowed: false, rule: "approve-infra", approval: { status: "pending" } });
    expect(first.body.approval.id).toMatch(APPROVAL_ID);
    expect(Date.parse(first.body.approval.expiresAt)).toBeGreaterThan(Date.now());
    const again = await check(s, { ...apply("a1"), id: "retry-1", context: { session_id: "other", tool_use_id: "t2" } });
    expect(again.body.approval.id).toBe(first.body.approval.id);
    const other = await check(s, apply("a2"));
    expect(other.body.approval.id).not.toBe(first.body.approval.id);
    const otherAgent = await check(s, apply("a1"), OTHER_AGENT);
    expect(otherAgent.body.approval.id).not.toBe(first.body.approval.id);
  });

  it("agents cannot list or decide; approvers list newest first", async () => {
    const s = send();
    const id = (await check(s, apply("b1"))).body.approval.id;
    expect(await s("GET", "/v1/approvals", AGENT)).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    expect(await s("POST", `/v1/approvals/${id}`, AGENT, { decision: "approve" })).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    expect((await s("GET", "/v1/approvals", undefined)).status).toBe(401);
    expect((await s("GET", "/v1/approvals", "wrong-token")).status).toBe(401);
    const newer = (await check(s, apply("b2"))).body.approval.id;
    const list = await s("GET", "/v1/approvals?status=pending&limit=2", APPROVER);
    expect(list.status).toBe(200);
    expect(list.body.approvals.map((a: { id: string }) => a.id)).toEqual([newer, id]);
    expect(list.body.approvals[1]).toMatchObject({ status: "pending", agent: "ci-bot", rule: "approve-infra", request: apply("b1") });
    expect(await s("GET", "/v1/approvals?status=nope", APPROVER)).toMatchObject({ status: 400, body: { error: { field: "status" } } });
    expect(await s("GET", "/v1/approvals?limit=1000", APPROVER)).toMatchObject({ status: 400, body: { error: { field: "limit" } } });
    expect(await s("GET", "/v1/approvals?cursor=garbage", APPROVER)).toMatchObject({ status: 400, body: { error: { field: "cursor" } } });
  });

  it("an agent reads its own approval, not another agent's; bad and unknown ids are named", async () => {
    const s = send();
    const id = (await check(s, apply("c1"))).body.approval.id;
    expect(await s("GET", `/v1/approvals/${id}`, AGENT)).toMatchObject({ status: 200, body: { id, status: "pending" } });
    expect(await s("GET", `/v1/approvals/${id}`, OTHER_AGENT)).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await s("GET", "/v1/approvals/not-an-id", APPROVER)).toMatchObject({ status: 400, body: { error: { code: "bad_id" } } });
    expect(await s("GET", `/v1/approvals/apr_${"0".repeat(26)}`, APPROVER)).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "maybe" })).toMatchObject({ status: 400, body: { error: { field: "decision" } } });
    expect(await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "approve", extra: 1 })).toMatchObject({
      status: 400,
      body: { error: { field: "extra" } },
    });
    expect(await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "approve", by: "mallory" })).toMatchObject({
      status: 403,
      body: { error: { code: "approver_mismatch" } },
    });
  });

  it("approved: the identical retry is allowed once; a different request, another agent or a second use is denied", async () => {
    const s = send();
    const id = (await check(s, apply("d1"))).body.approval.id;
    expect((await check(s, { ...apply("d1"), approval: id })).body).toMatchObject({ decision: "require_approval", approval: { id, status: "pending" } });
    const ok = await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "approve", reason: "change ticket 42" });
    expect(ok).toMatchObject({ status: 200, body: { id, status: "approved", decidedBy: "alice", decisionReason: "change ticket 42" } });
    expect(ok.body.grant).toMatch(/^sc1\./);
    const twice = await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "reject" });
    expect(twice).toMatchObject({ status: 409, body: { error: { code: "already_decided" }, approval: { status: "approved" } } });
    expect((await check(s, { ...apply("d2"), approval: id })).body).toMatchObject({ decision: "deny", error: "approval_invalid" });
    expect((await check(s, { ...apply("d1"), approval: id }, OTHER_AGENT)).body).toMatchObject({ decision: "deny", error: "approval_invalid" });
    // a deny rule is not bypassed by an approval
    expect((await check(s, { action: "shell:execute", command: "terraform destroy", approval: id })).body).toMatchObject({
      decision: "deny",
      rule: "no-destroy",
    });
    const used = await check(s, { ...apply("d1"), approval: id });
    expect(used.body).toMatchObject({ decision: "allow", allowed: true, rule: "approve-infra", approval: { id, status: "used", decidedBy: "alice" } });
    expect(used.body.reason).toContain("approved by alice");
    expect((await check(s, { ...apply("d1"), approval: id })).body).toMatchObject({ decision: "deny", error: "approval_invalid" });
    expect((await check(s, { ...apply("d1"), grant: ok.body.grant })).body).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect((await s("GET", `/v1/approvals/${id}`, AGENT)).body).toMatchObject({ status: "used" });
  });

  it("the identical request after its approval, not naming it (as the Claude Code hook retries), is allowed once", async () => {
    const s = send();
    const id = (await check(s, apply("h1"))).body.approval.id;
    await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "approve" });
    const used = await check(s, { ...apply("h1"), context: { tool_use_id: "toolu_2" } });
    expect(used.body).toMatchObject({ decision: "allow", approval: { id, status: "used" } });
    const next = await check(s, apply("h1"));
    expect(next.body).toMatchObject({ decision: "require_approval", approval: { status: "pending" } });
    expect(next.body.approval.id).not.toBe(id);
    // another agent's identical command does not find it
    expect((await check(s, apply("h1"), OTHER_AGENT)).body.decision).toBe("require_approval");
  });

  it("rejected: the retry is denied with the approver's reason", async () => {
    const s = send();
    const id = (await check(s, apply("e1"))).body.approval.id;
    expect((await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "reject", reason: "not during the freeze" })).body).toMatchObject({
      status: "rejected",
    });
    const d = await check(s, { ...apply("e1"), approval: id });
    expect(d.body).toMatchObject({ decision: "deny", rule: "approve-infra" });
    expect(d.body.reason).toContain("not during the freeze");
  });

  it("a grant allows the approved request once; a forged, foreign-key or other-request grant is denied", async () => {
    const s = send();
    const id = (await check(s, apply("f1"))).body.approval.id;
    const grant = (await s("POST", `/v1/approvals/${id}`, APPROVER, { decision: "approve" })).body.grant as string;
    expect((await check(s, { ...apply("f2"), grant })).body).toMatchObject({ decision: "deny", error: "grant_invalid" });
    const [p, payload, sig] = grant.split(".");
    const flipped = `${p}.${payload}.${sig!.startsWith("A") ? "B" : "A"}${sig!.slice(1)}`;
    expect((await check(s, { ...apply("f1"), grant: flipped })).body).toMatchObject({ decision: "deny", error: "grant_invalid" });
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const foreign = signGrant({ id: claims.id, h: claims.h, r: claims.r, by: "mallory", exp: claims.exp }, FOREIGN_KEY);
    expect((await check(s, { ...apply("f1"), grant: foreign })).body.reason).toContain("does not accept");
    expect((await check(s, { ...apply("f1"), grant: "sc1.garbage" })).body).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect((await check(s, { ...apply("f1"), grant })).body).toMatchObject({ decision: "allow", approval: { id, status: "used" } });
    expect((await check(s, { ...apply("f1"), grant })).body).toMatchObject({ decision: "deny", error: "grant_invalid" });
    expect((await check(s, { ...apply("f1"), approval: id })).body).toMatchObject({ decision: "deny", error: "approval_invalid" });
  });

  it("a malformed approval field is a 400 naming it; an unknown approval id is a deny naming it", async () => {
    const s = send();
    expect(await check(s, { ...apply("g1"), approval: 42 })).toMatchObject({ status: 400, body: { decision: "deny", field: "approval" } });
    expect(await check(s, { ...apply("g1"), approval: "x", grant: "y" })).toMatchObject({ status: 400, body: { decision: "deny" } });
    const unknown = await check(s, { ...apply("g1"), approval: `apr_${"1".repeat(26)}` });
    expect(unknown).toMatchObject({ status: 200, body: { decision: "deny", error: "approval_invalid" } });
    expect(unknown.body.reason).toContain("not known");
    expect((await check(s, { ...apply("g1"), approval: "apr_short" })).body).toMatchObject({ decision: "deny", error: "approval_invalid" });
  });
}
