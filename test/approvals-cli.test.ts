import { afterEach, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { age } from "../src/cli/approvals.js";
import { contractServer, view, type ContractServer } from "./approvals-contract-server.js";

// `safeclaw approvals` in process against the documented contract; test/approvals-e2e.test.ts runs it against the real server.
let server: ContractServer | undefined;
afterEach(() => server?.close());

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["approvals", ...args], { stdout: (s) => out.push(s), stderr: (s) => err.push(s), cwd: "/" }, env);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

const ID = view(1).id;

describe("safeclaw approvals", () => {
  it("list prints a table newest first, with the target, rule and age; the token goes only into the header", async () => {
    server = await contractServer([view(1), view(2, { status: "approved", decidedBy: "bob" }), view(3, { agent: "ops\u001b[31mred" })]);
    const r = await run(["list"], { SAFECLAW_ENDPOINT: server.url, SAFECLAW_APPROVER_TOKEN: "alice-token" });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+AGENT\s+ACTION\s+TARGET\s+RULE\s+AGE$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${view(1).id}\\s+pending\\s+ci-bot\\s+shell.execute\\s+terraform apply -target=mod.1\\s+approve-infra\\s+2m$`));
    expect(lines[2]).toContain("approved");
    // A control character from the server is shown escaped, never sent to the terminal.
    expect(lines[3]).toContain("ops\\u001b[31mred");
    expect(r.stdout).not.toContain("\u001b");
    expect(server.seen[0]).toMatchObject({ method: "GET", url: "/v1/approvals?limit=50", auth: "Bearer alice-token" });
    expect(r.stdout + r.stderr).not.toContain("alice-token");
  });

  it("list --status --limit follows pages up to the limit, and says when there are more", async () => {
    server = await contractServer(Array.from({ length: 130 }, (_, i) => view(i)));
    const r = await run(["list", "--status", "pending", "--limit", "120", "--endpoint", server.url, "--token", "anon-token"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toHaveLength(121);
    expect(server.seen.map((s) => s.url)).toEqual(["/v1/approvals?status=pending&limit=100", `/v1/approvals?status=pending&limit=20&cursor=${view(99).id}`]);
    expect(r.stderr).toContain("more than 120");
    const j = await run(["list", "--json", "--limit", "3", "--endpoint", server.url, "--token", "anon-token"]);
    expect(JSON.parse(j.stdout).approvals.map((a: { id: string }) => a.id)).toEqual([view(0).id, view(1).id, view(2).id]);
    expect((await run(["list", "--status", "done", "--endpoint", server.url])).code).toBe(64);
    expect((await run(["list", "--limit", "0", "--endpoint", server.url])).code).toBe(64);
    expect((await run(["list", "--limit", "1001", "--endpoint", server.url])).code).toBe(64);
  });

  it("an empty list says so", async () => {
    server = await contractServer([]);
    expect(await run(["list", "--endpoint", server.url, "--token", "alice-token"])).toMatchObject({ code: 0, stdout: "no approvals" });
  });

  it("show prints every field and the request; --json prints the view", async () => {
    server = await contractServer([view(1)]);
    const env = { SAFECLAW_ENDPOINT: server.url, SAFECLAW_APPROVER_TOKEN: "alice-token" };
    const r = await run(["show", ID], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^id:\s+apr_0{25}1$/m);
    expect(r.stdout).toMatch(/^reason:\s+infrastructure changes need a human$/m);
    expect(r.stdout).toContain('"command": "terraform apply -target=mod.1"');
    expect(JSON.parse((await run(["show", ID, "--json"], env)).stdout)).toEqual(view(1, { createdAt: expect.any(String), expiresAt: expect.any(String) }));
  });

  it("approve and reject send the decision; a second decision exits 1 saying who decided first", async () => {
    server = await contractServer([view(1), view(2)]);
    const env = { SAFECLAW_ENDPOINT: server.url, SAFECLAW_APPROVER_TOKEN: "alice-token" };
    const ok = await run(["approve", ID, "--reason", "change window"], env);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain(`${ID} approved by alice; the agent's retry with "approval": "${ID}" is allowed once`);
    expect(JSON.parse(server.seen.at(-1)!.body)).toEqual({ decision: "approve", reason: "change window" });
    const again = await run(["reject", ID, "--reason", "no"], { ...env, SAFECLAW_APPROVER_TOKEN: "anon-token" });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HTTP 409 already_decided: .*: apr_0+1 was already approved by alice at \d{4}-/);
    const rej = await run(["reject", view(2).id, "--reason", "not now", "--by", "carol"], { ...env, SAFECLAW_APPROVER_TOKEN: "anon-token" });
    expect(rej).toMatchObject({ code: 0, stdout: `${view(2).id} rejected by carol` });
  });

  it("an expired approval, a forbidden `by`, an agent token and a bad token exit 1 naming status and code", async () => {
    server = await contractServer([view(1, { status: "expired" }), view(2)]);
    const env = { SAFECLAW_ENDPOINT: server.url, SAFECLAW_APPROVER_TOKEN: "alice-token" };
    const exp = await run(["approve", ID], env);
    expect(exp).toMatchObject({ code: 1, stderr: expect.stringMatching(/HTTP 409 expired: .*expired at/) });
    const by = await run(["approve", view(2).id, "--by", "mallory"], env);
    expect(by).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 403 forbidden: this token is alice's") });
    const agent = await run(["list"], { ...env, SAFECLAW_APPROVER_TOKEN: "agent-token" });
    expect(agent).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 403 forbidden") });
    expect(agent.stderr).toContain("use an approver token");
    const bad = await run(["show", ID], { ...env, SAFECLAW_APPROVER_TOKEN: "wrong-secret-token" });
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 401 unauthorized") });
    expect(bad.stderr).not.toContain("wrong-secret-token");
    const missing = await run(["show", `apr_${"z".repeat(26)}`], env);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 404 not_found") });
  });

  it("usage errors exit 64 before anything is sent", async () => {
    server = await contractServer([view(1)]);
    const env = { SAFECLAW_ENDPOINT: server.url, SAFECLAW_APPROVER_TOKEN: "alice-token" };
    expect(await run(["approve", "apr_short"], env)).toMatchObject({ code: 64, stderr: expect.stringContaining("is not an approval id") });
    expect(await run(["approve", ID.toUpperCase()], env)).toMatchObject({ code: 64 });
    expect(await run(["show"], env)).toMatchObject({ code: 64, stderr: expect.stringContaining("give one approval id") });
    expect(await run(["reject", ID], env)).toMatchObject({ code: 64, stderr: expect.stringContaining("--reason") });
    expect(await run(["reject", ID, "--reason", "  "], env)).toMatchObject({ code: 64 });
    expect(await run(["approve", ID, "--bogus"], env)).toMatchObject({ code: 64, stderr: expect.stringContaining("bogus") });
    expect(await run(["list", "--reason", "x"], env)).toMatchObject({ code: 64 });
    expect(await run(["frob"], env)).toMatchObject({ code: 64, stderr: expect.stringContaining("unknown subcommand") });
    expect(await run(["list"], {})).toMatchObject({ code: 64, stderr: expect.stringContaining("SAFECLAW_ENDPOINT") });
    expect(await run(["list", "--endpoint", "ftp://x"], {})).toMatchObject({ code: 64 });
    expect(server.seen).toEqual([]);
  });

  it("an endpoint that is not there, or not the approvals API, exits 1", async () => {
    const gone = await run(["list", "--endpoint", "http://127.0.0.1:1", "--token", "t"]);
    expect(gone).toMatchObject({ code: 1, stderr: expect.stringContaining("http://127.0.0.1:1: unreachable") });
    server = await contractServer([]);
    const r = await run(["show", ID, "--endpoint", `${server.url}/nowhere`, "--token", "alice-token"]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 404") });
  });

  it("has help in the house style, listed in safeclaw --help", async () => {
    const h = await run(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: safeclaw approvals <list\|show\|approve\|reject>/);
    let top = "";
    await main(["--help"], { stdout: (s) => void (top = s), stderr: () => undefined, cwd: "/" }, {});
    expect(top).toContain("approvals list|show|approve|reject");
  });

  it("age reads in the largest unit", () => {
    expect([age(5_000), age(125_000), age(3 * 3600_000), age(50 * 3600_000), age(NaN)]).toEqual(["5s", "2m", "3h", "2d", "?"]);
  });
});
