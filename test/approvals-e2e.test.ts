import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denialMessage, Gate } from "../src/index.js";
import { portFromOutput } from "./moto.js";

/**
 * The approval clients against the real server: `safeclaw serve` as a
 * process, `safeclaw approvals` as a process, the SDK's remote Gate. The
 * whole round trip: ask, list, show, approve (waitForApproval sees it),
 * retry with the id (allowed once), reject, decide twice.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/safeclaw.js");
const ENV = { SAFECLAW_API_TOKENS: "ci-bot:agent-token-123", SAFECLAW_APPROVER_TOKENS: "alice:alice-token-123,anon-token-123" };
const APPLY = { action: "shell.execute", command: "terraform apply -auto-approve", agent: "ci-bot" };

let server: ChildProcess | undefined;
let base = "";
let serverErr = "";

beforeAll(async () => {
  server = spawn(process.execPath, [BIN, "serve", "--policy", join(ROOT, "examples/approvals-policy.yaml"), "--port", "0", "--audit", "stdout"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...ENV },
  });
  server.stderr!.on("data", (d) => (serverErr += d));
  base = `http://127.0.0.1:${await portFromOutput(server, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve")}`;
}, 60_000);
afterAll(() => void server?.kill("SIGTERM"));

/** The CLI as a process, without blocking this one (waitForApproval polls meanwhile). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, "approvals", ...args], {
      env: { ...process.env, SAFECLAW_ENDPOINT: base, SAFECLAW_APPROVER_TOKEN: "alice-token-123", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("exit", (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

describe("approval clients against `safeclaw serve`", () => {
  it("ask → list → show → approve (waitForApproval sees it) → the retry with the id is allowed once", async () => {
    const gate = new Gate({ endpoint: base, token: "agent-token-123" });
    const asked = await gate.check(APPLY);
    expect(asked).toMatchObject({ decision: "require_approval", rule: "approve-infra", approval: { status: "pending" } });
    const id = asked.approval!.id;
    expect(denialMessage(asked)).toContain(`safeclaw approvals approve ${id}`);
    expect(denialMessage(asked)).toContain(`"approval": "${id}"`);

    const list = await cli(["list", "--status", "pending"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+pending\\s+ci-bot\\s+shell.execute\\s+terraform apply -auto-approve\\s+approve-infra\\s+\\d+s$`, "m"));
    const show = await cli(["show", id, "--json"]);
    expect(JSON.parse(show.stdout)).toMatchObject({ id, status: "pending", agent: "ci-bot", request: { command: "terraform apply -auto-approve" } });

    const waiting = gate.waitForApproval(id, { timeoutMs: 15_000, intervalMs: 100 });
    const approve = await cli(["approve", id, "--reason", "change window"]);
    expect(approve).toMatchObject({ code: 0, stdout: expect.stringContaining(`${id} approved by alice`) });
    expect(await waiting).toMatchObject({ id, status: "approved", decidedBy: "alice", decisionReason: "change window" });

    expect(await gate.check({ ...APPLY, approval: id })).toMatchObject({ decision: "allow", reason: expect.stringContaining("approved by alice") });
    const again = await gate.check({ ...APPLY, approval: id });
    expect(again).toMatchObject({ decision: "deny", error: "approval_invalid" });
    expect(denialMessage(again)).toContain(`Approval ${id} is used`);

    const twice = await cli(["reject", id, "--reason", "too late"], { SAFECLAW_APPROVER_TOKEN: "anon-token-123" });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/HTTP 409 already_decided/);
    expect(twice.stderr).toContain("by alice");
  });

  it("reject: the retry is denied with the approver's reason; waitForApproval returns the rejection", async () => {
    const gate = new Gate({ endpoint: base, token: "agent-token-123" });
    const asked = await gate.check({ ...APPLY, command: "terraform apply -target=module.db" });
    const id = asked.approval!.id;
    const rej = await cli(["reject", id, "--reason", "not on a Friday", "--by", "carol"], { SAFECLAW_APPROVER_TOKEN: "anon-token-123" });
    expect(rej).toMatchObject({ code: 0, stdout: `${id} rejected by carol` });
    expect(await gate.waitForApproval(id, { timeoutMs: 1000 })).toMatchObject({ status: "rejected", decidedBy: "carol" });
    const retry = await gate.check({ ...APPLY, command: "terraform apply -target=module.db", approval: id });
    expect(retry).toMatchObject({ decision: "deny", reason: expect.stringContaining("not on a Friday") });
  });

  it("exit codes against the real API: agent token 1 (403), bad token 1 (401), unknown id 1 (404), malformed id 64; the token is never printed", async () => {
    const agent = await cli(["list"], { SAFECLAW_APPROVER_TOKEN: "agent-token-123" });
    expect(agent).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 403") });
    const bad = await cli(["list"], { SAFECLAW_APPROVER_TOKEN: "not-a-token-456" });
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 401") });
    expect(bad.stderr + bad.stdout).not.toContain("not-a-token-456");
    const unknown = await cli(["show", `apr_${"0".repeat(26)}`]);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 404") });
    expect(await cli(["approve", "apr_nope"])).toMatchObject({ code: 64 });
    expect(serverErr).not.toMatch(/unexpected error/i);
  });
});
