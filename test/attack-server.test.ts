import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { portFromOutput } from "./moto.js";

/**
 * Attacks on the audit trail's fault handling with the Node server as a real
 * process: signals, the shutdown spill, the audit file under the server's
 * feet. Each test is one way to get an answer out whose record ends up
 * nowhere, or to make a shutdown outlast its bound.
 */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const POLICY = new URL("../examples/safeclaw.config.yaml", import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A sink that fails every write: a file in a directory that does not exist (ENOENT at open). */
const deadFile = () => join(mkdtempSync(join(tmpdir(), "safeclaw-atk-")), "missing", "audit.jsonl");
const QUICK = { SAFECLAW_SHUTDOWN_WAIT_MS: "1000", SAFECLAW_AUDIT_TIMEOUT_MS: "200" };

async function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, "serve", "--policy", POLICY, "--port", "0", ...args], {
    env: { ...process.env, SAFECLAW_AUDIT_SINK: "", SAFECLAW_API_TOKENS: "", SAFECLAW_AUDIT_SPILL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.resume();
  // stdio closed too: everything the process wrote to stderr has been read
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const port = await portFromOutput(child, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve");
  return { url: `http://127.0.0.1:${port}`, child, exited, err: () => stderr };
}

const allowed = (i: number) => ({ action: "file.read", path: `/app/data/${i}.json` });
async function check(url: string, body: unknown): Promise<{ decision: string; error?: string; audit?: { chain: string; seq: number; durable?: boolean } }> {
  const r = await fetch(`${url}/v1/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await r.json()) as { decision: string; audit?: { chain: string; seq: number; durable?: boolean } };
}

/** The audit records (not checkpoints) among the lines of `text`. */
const records = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith('{"'))
    .map((l) => JSON.parse(l) as { type: string; chain: string; seq: number })
    .filter((r) => r.type !== "checkpoint" && typeof r.seq === "number");
const seqs = (text: string) => records(text).map((r) => r.seq);
const verify = (input: string) => spawnSync(process.execPath, [BIN, "audit", "verify", "-"], { input, encoding: "utf8" });

/** Resolves with the exit, or with "still running" after `ms` (then kills it): a shutdown that outlives its bound. */
async function exitWithin(s: Awaited<ReturnType<typeof serve>>, ms: number) {
  const timer = new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), ms));
  const r = await Promise.race([s.exited, timer]);
  if (r === "still running") s.child.kill("SIGKILL");
  return r;
}

describe("signals during the shutdown wait", () => {
  it("a second SIGTERM (Ctrl-C twice, a supervisor that repeats it) still spills and exits 1: no answered seq is lost", async () => {
    const spill = join(mkdtempSync(join(tmpdir(), "safeclaw-atk-spill-")), "undelivered.jsonl");
    const s = await serve(["--audit", deadFile()], { ...QUICK, SAFECLAW_SHUTDOWN_WAIT_MS: "3000", SAFECLAW_AUDIT_SPILL: spill });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await check(s.url, allowed(i)));
    expect(answers.map((a) => [a.decision, a.audit?.durable])).toEqual(Array(3).fill(["deny", false]));
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300)); // inside the 3 s wait
    s.child.kill("SIGTERM");
    const exit = await exitWithin(s, 15_000);
    // Before the fix the second signal met no listener (process.once) and killed the process: no spill, exit by signal.
    expect(exit).toEqual({ code: 1, signal: null });
    expect(existsSync(spill)).toBe(true);
    expect(seqs(readFileSync(spill, "utf8"))).toEqual([1, 2, 3, 4]);
    for (const a of answers) expect(seqs(readFileSync(spill, "utf8"))).toContain(a.audit!.seq);
  });
});

describe("the shutdown spill", () => {
  it("a large spill to stderr (a pipe, as under Kubernetes, systemd, docker) arrives whole before the exit", async () => {
    const s = await serve(["--audit", deadFile()], { ...QUICK });
    // 2,000 denied decisions in 20 batch requests: about 1 MB of NDJSON, far more than a pipe holds (64 KiB)
    const batch = Array.from({ length: 100 }, (_, i) => ({ action: "file.read", path: `/app/${"x".repeat(300)}/${i}` }));
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${s.url}/v1/check/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
      expect(r.status).toBe(200);
    }
    s.child.kill("SIGTERM");
    expect(await exitWithin(s, 15_000)).toEqual({ code: 1, signal: null });
    // Before the fix process.exit() ran while most of the spill still sat in the stream's buffer (stderr pipes are asynchronous on Linux).
    expect(s.err()).toMatch(/exiting 1: 2001 audit records were not delivered/);
    expect(seqs(s.err())).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
    const v = verify(s.err());
    expect(v.stdout).toContain("intact: 1 chain, 2001 records");
  }, 30_000);

  it("SAFECLAW_AUDIT_SPILL naming a FIFO nobody reads does not hang the shutdown past its bound: the records go to stderr", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-atk-fifo-"));
    const fifo = join(dir, "spill");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const s = await serve(["--audit", deadFile()], { ...QUICK, SAFECLAW_AUDIT_SPILL: fifo });
    expect(await check(s.url, allowed(1))).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    s.child.kill("SIGTERM");
    // bound: 1 s wait + 1.5 s backstop; generous margin, not a speed claim. Before the fix openSync() blocked the
    // event loop forever (a FIFO opens only once a reader does), so the backstop timer could never fire.
    const exit = await exitWithin(s, 10_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(s.err()).toContain(`appending them to ${fifo} failed`);
    expect(seqs(s.err())).toEqual([1, 2]);
  });
});

describe("the audit file under a running server", () => {
  it.each([
    ["deleted (rm, or an agent allowed to delete files there)", (file: string) => rmSync(file)],
    ["renamed (logrotate without copytruncate)", (file: string) => renameSync(file, file + ".1")],
  ])("%s: the next allow's record is in a file at the audit path, not in an inode nobody can find", async (_what, move) => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-atk-moved-"));
    const file = join(dir, "audit.jsonl");
    // the default write deadline: a healthy disk on a busy machine can take longer than QUICK's 200 ms to fsync
    const s = await serve(["--audit", file], { SAFECLAW_SHUTDOWN_WAIT_MS: "1000" });
    const before = await check(s.url, allowed(1));
    expect(before, JSON.stringify(before)).toMatchObject({ decision: "allow" });
    move(file);
    const after = await check(s.url, allowed(2));
    if (after.decision === "allow") {
      // Before the fix: allowed, /ready 200, exit 0, and the record fsynced into the old inode; nothing at the path.
      expect(existsSync(file), "an allow whose record is in no file at the audit path").toBe(true);
      expect(seqs(readFileSync(file, "utf8"))).toContain(after.audit!.seq);
    } else expect(after).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    s.child.kill("SIGTERM");
    expect(await exitWithin(s, 15_000)).toEqual({ code: 0, signal: null });
    expect(s.err()).toContain(`${file} was moved or deleted while it was being written`);
  });
});

describe("a slow client during the shutdown wait", () => {
  /*
   * Found by this attack: a client still sending its body when SIGTERM came held its
   * connection for the whole SAFECLAW_SHUTDOWN_WAIT_MS; the audit log was then closed
   * with 0 ms left and gave up without a write to a healthy sink: the queue was
   * spilled, the server exited 1, and the cut request's body_incomplete refusal was
   * chained after the spill, in neither. Now connections get the first half of the
   * wait, the cut handlers record their refusals, and the trail gets the rest.
   */
  it("one dribbling client makes a clean shutdown of a healthy file sink exit 0 with its refusal in the trail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-atk-slow-"));
    const file = join(dir, "audit.jsonl");
    const s = await serve(["--audit", file], { SAFECLAW_SHUTDOWN_WAIT_MS: "800" });
    const port = Number(new URL(s.url).port);
    const sock = connect(port, "127.0.0.1");
    sock.on("error", () => undefined);
    sock.write("POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill("SIGTERM");
    const exit = await exitWithin(s, 15_000);
    sock.destroy();
    expect(exit).toEqual({ code: 0, signal: null }); // today: 1, the chain-start spilled to stderr
    expect(existsSync(file)).toBe(true); // today: never written
    expect(records(readFileSync(file, "utf8"))).toMatchObject([{ type: "chain-start" }, { type: "decision", error: "body_incomplete" }]);
  });
});
