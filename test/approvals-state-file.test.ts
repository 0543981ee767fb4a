import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AGENT, APPROVAL_ENV, APPROVER } from "./approval-conformance.js";
import { portFromOutput } from "./moto.js";

/**
 * The Node server with SAFECLAW_STATE_FILE: approvals and single-use marks
 * survive a restart (a real process, stopped and started again on the same
 * file), and a file that cannot be read back stops the server instead of
 * starting empty (which would forget which grants were used).
 */
const ROOT = new URL("../", import.meta.url).pathname;
const POLICY_FILE = join(ROOT, "examples/approvals-policy.yaml");
const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill("SIGKILL");
});

async function start(stateFile: string): Promise<string> {
  const p = spawn(process.execPath, [join(ROOT, "bin/safeclaw.js"), "serve", "--policy", POLICY_FILE, "--port", "0", "--audit", "stdout"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...APPROVAL_ENV, SAFECLAW_STATE_FILE: stateFile },
  });
  running.push(p);
  return `http://127.0.0.1:${await portFromOutput(p, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve")}`;
}

const post = async (base: string, path: string, token: string, body: unknown) => {
  const r = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await r.json()) as Record<string, any>;
};

const APPLY = { action: "shell:execute", command: "terraform apply -target=restart" };

describe("approvals kept in SAFECLAW_STATE_FILE across a restart", () => {
  it("an approval made before a crash is used after it, once; its grant's mark survives too", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "safeclaw-state-")), "state.json");
    let base = await start(file);
    const id = (await post(base, "/v1/check", AGENT, APPLY)).approval.id as string;
    const approved = await post(base, `/v1/approvals/${id}`, APPROVER, { decision: "approve" });
    expect(approved.status).toBe("approved");
    running.pop()!.kill("SIGKILL"); // no shutdown path: what is on disk is what was written before each answer
    base = await start(file);
    expect(await post(base, "/v1/check", AGENT, { ...APPLY, approval: id })).toMatchObject({ decision: "allow" });
    running.pop()!.kill("SIGKILL");
    base = await start(file);
    expect(await post(base, "/v1/check", AGENT, { ...APPLY, approval: id })).toMatchObject({ decision: "deny", error: "approval_invalid" });
    expect(await post(base, "/v1/check", AGENT, { ...APPLY, grant: approved.grant })).toMatchObject({ decision: "deny", error: "grant_invalid" });
  }, 60_000);

  it("a state file that cannot be read back stops the server, naming it", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "safeclaw-state-")), "state.json");
    writeFileSync(file, "{not json");
    const p = spawn(process.execPath, [join(ROOT, "bin/safeclaw.js"), "serve", "--policy", POLICY_FILE, "--port", "0"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "", SAFECLAW_STATE_FILE: file },
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((done) => p.once("exit", done));
    expect(code).not.toBe(0);
    expect(err).toContain("SAFECLAW_STATE_FILE");
    expect(err).toContain("cannot be read back");
  });
});
