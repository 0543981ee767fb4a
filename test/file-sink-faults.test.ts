import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Chain } from "../src/audit/chain.js";
import { decisionBody, type AuditRecord } from "../src/audit/record.js";
import { verifyLines } from "../src/audit/verify.js";
import { asLines } from "./audit-helpers.js";
import { portFromOutput } from "./moto.js";

/**
 * The file sink under real faults, with the server as a real process
 * (`safeclaw serve --audit <file>`): a disk that fills up (a 64 KiB tmpfs in a
 * private mount namespace, or, where user namespaces are not allowed,
 * RLIMIT_FSIZE with SIGXFSZ ignored, which gives EFBIG), a torn tail left by
 * a crash, kill -9 under load, and rotation by `maxBytes` set in the policy,
 * the environment and on the command line.
 */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const EXAMPLE = new URL("../examples/safeclaw.config.yaml", import.meta.url).pathname;
const SERVING = /serving .* on http:\/\/127\.0\.0\.1:(\d+)/;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

const serveArgs = (args: string[]) => [process.execPath, BIN, "serve", "--port", "0", "--policy", EXAMPLE, ...args];

async function startServer(command: string[], env: Record<string, string> = {}) {
  const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const port = await portFromOutput(child, SERVING, "safeclaw serve");
  const stop = async () => {
    child.kill("SIGTERM");
    return exited;
  };
  return { url: `http://127.0.0.1:${port}`, child, exited, stop, err: () => stderr };
}

const allowed = (i: number) => ({ action: "file.read", path: `/app/data/${i}.json` });
async function check(url: string, body: unknown): Promise<{ decision: string; error?: string }> {
  const r = await fetch(`${url}/v1/check`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await r.json()) as { decision: string; error?: string };
}

const cli = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, SAFECLAW_AUDIT_SINK: "" }, timeout: 30_000 });
const lines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "");

/** Whole batches only: ends with "\n", every line JSON, every run of records followed by its checkpoint, no seq twice, and it verifies. */
function expectWholeBatches(path: string) {
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n"), "the file ends mid-line: a torn batch").toBe(true);
  const parsed = lines(path).map((l) => JSON.parse(l) as { type: string; chain: string; seq: number; head?: string; hash?: string });
  expect(parsed.at(-1)!.type).toBe("checkpoint");
  const seen = new Set<string>();
  let last: { seq: number; hash?: string } | undefined;
  for (const p of parsed) {
    if (p.type === "checkpoint") {
      expect(p).toMatchObject({ seq: last!.seq, head: last!.hash }); // a checkpoint right after the batch it vouches for
      continue;
    }
    const key = `${p.chain}:${p.seq}`;
    expect(seen.has(key), `record ${key} appears twice`).toBe(false);
    seen.add(key);
    last = p;
  }
  const report = verifyLines(asLines(lines(path)));
  expect(report.problem).toBeUndefined();
  return parsed;
}

/**
 * A disk that fills up, for real. tmpfs: the server runs in its own mount
 * namespace (`unshare -rm`) on a 64 KiB tmpfs holding a 52 KiB filler file;
 * the test reaches the files through /proc/<pid>/root and frees space by
 * deleting the filler. rlimit: the soft file size limit is 12 KiB (`ulimit -S -f`: raising it again needs no privilege),
 * SIGXFSZ ignored, so the write fails with EFBIG; `prlimit` lifts it.
 */
interface FullDisk {
  mode: "tmpfs (ENOSPC)" | "RLIMIT_FSIZE (EFBIG)";
  command(dir: string, args: string[]): string[];
  view(pid: number, dir: string): string;
  free(pid: number, dir: string): void;
}

function fullDisk(): FullDisk {
  const probe = mkdtempSync(join(tmpdir(), "safeclaw-tmpfs-probe-"));
  // SAFECLAW_TEST_FULL_DISK=rlimit runs the fallback where tmpfs works too (to check both).
  const tmpfs =
    process.env.SAFECLAW_TEST_FULL_DISK !== "rlimit" && spawnSync("unshare", ["-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', probe]).status === 0;
  rmSync(probe, { recursive: true, force: true });
  if (tmpfs) {
    return {
      mode: "tmpfs (ENOSPC)",
      command: (dir, args) => [
        "unshare",
        "-rm",
        "sh",
        "-c",
        'mount -t tmpfs -o size=64k tmpfs "$0" && dd if=/dev/zero of="$0/filler" bs=1k count=52 2>/dev/null && exec "$@"',
        dir,
        ...serveArgs(args),
      ],
      view: (pid, dir) => `/proc/${pid}/root${dir}`,
      free: (pid, dir) => rmSync(`/proc/${pid}/root${dir}/filler`),
    };
  }
  return {
    mode: "RLIMIT_FSIZE (EFBIG)",
    command: (_dir, args) => ["bash", "-c", `ulimit -S -f 12; trap '' XFSZ; exec "$@"`, "bash", ...serveArgs(args)],
    view: (_pid, dir) => dir,
    free: (pid) => {
      const r = spawnSync("prlimit", ["--pid", String(pid), "--fsize=unlimited:unlimited"], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`prlimit: ${r.stderr}`);
    },
  };
}

describe("the file sink when the disk fills up (the server as a real process)", () => {
  const disk = fullDisk();
  it(`allows are denied while full, no batch is torn or doubled, and the trail continues once there is space: ${disk.mode}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-full-"));
    const s = await startServer(disk.command(dir, ["--audit", join(dir, "audit.jsonl")]));
    const file = join(disk.view(s.child.pid!, dir), "audit.jsonl");
    // Fill the disk with real traffic: allowed until the audit file can grow no more.
    let first: number | undefined;
    for (let i = 0; i < 400 && first === undefined; i++) {
      const a = await check(s.url, allowed(i));
      if (a.decision !== "allow") first = i;
    }
    expect(first, "the disk never filled").toBeDefined();
    expect(first!).toBeGreaterThan(3);
    // While full: every request, one by one and in a burst, is denied for want of a record.
    const whileFull = [await check(s.url, allowed(1000)), ...(await Promise.all(Array.from({ length: 20 }, (_, i) => check(s.url, allowed(2000 + i)))))];
    for (const a of whileFull) expect(a).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    const full = expectWholeBatches(file);
    expect(s.err()).toMatch(
      disk.mode.startsWith("tmpfs") ? /ENOSPC: no space left on device while writing records \d+-\d+/ : /EFBIG: file too large while writing records \d+-\d+/,
    );
    expect((await fetch(`${s.url}/ready`)).status).toBe(503);
    // Space again: with no traffic at all, the background retry writes what was kept and the trail says what happened.
    disk.free(s.child.pid!, dir);
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${s.url}/ready`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${s.url}/ready`)).status).toBe(200);
    const recovered = expectWholeBatches(file);
    expect(recovered.length).toBeGreaterThan(full.length);
    expect(await check(s.url, allowed(3000))).toMatchObject({ decision: "allow" });
    const after = expectWholeBatches(file);
    expect(after.length).toBeGreaterThan(full.length);
    const notice = after.find((r) => r.type === "notice") as unknown as { notice: string; seqs: [number, number]; message: string };
    expect(notice).toMatchObject({ notice: "audit-write-failed" });
    expect(notice.message).toMatch(disk.mode.startsWith("tmpfs") ? /ENOSPC/ : /EFBIG/);
    const v = cli(["audit", "verify", file]);
    expect(v.stdout + v.stderr).toMatch(/intact: 1 chain/);
    expect(v.status).toBe(0);
    expect(await s.stop()).toBe(0);
  });
});

describe("a torn tail on a disk that is still full (tmpfs only: the files are gone with the namespace, so the shell inside reports them)", () => {
  const tmpfs = fullDisk().mode.startsWith("tmpfs");
  // Runs only where a tmpfs can be mounted (unshare -rm): the RLIMIT_FSIZE fallback cannot make a full disk that also holds a torn tail; the fallback run says which mode ran in the other tests' titles.
  it.runIf(tmpfs)("the server refuses to start, says why, and leaves the file as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-full-torn-"));
    const seed = join(mkdtempSync(join(tmpdir(), "safeclaw-seed-")), "audit.jsonl");
    const trail = tornBatch({ chain: "x", seq: 1, hash: "0".repeat(64) });
    writeFileSync(seed, trail);
    const script =
      'mount -t tmpfs -o size=64k tmpfs "$0" && cp "$1" "$0/audit.jsonl" && { dd if=/dev/zero of="$0/filler" bs=1k count=100 2>/dev/null; true; } && shift && ' +
      '"$@"; echo "exit=$?"; echo "size=$(wc -c < "$0/audit.jsonl")"; ls "$0"';
    const r = spawnSync("unshare", ["-rm", "sh", "-c", script, dir, seed, ...serveArgs(["--audit", join(dir, "audit.jsonl")])], {
      encoding: "utf8",
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "" },
      timeout: 30_000,
    });
    expect(r.stderr).toMatch(
      /ends with a torn batch \(bytes \[0, \d+\)\) that could not be moved to .*audit\.jsonl\.torn-\d{8}T\d{9}Z: ENOSPC: no space left on device; the file is left as it is/,
    );
    expect(r.stdout).toContain("exit=1");
    expect(r.stdout).toContain(`size=${Buffer.byteLength(trail)}`);
    expect(r.stdout.split("\n").filter((l) => l.includes(".torn-"))).toEqual([]); // the half copy was removed
  });
});

/** Records of a chain that never got its checkpoint, the last one cut mid-JSON, no "\n": what kill -9 mid-batch leaves. */
function tornBatch(previous: { chain: string; seq: number; hash: string }): string {
  let t = Date.now();
  const chain = new Chain("node--killed-20261202T013000000Z", () => t++);
  const records: AuditRecord[] = [chain.append({ type: "chain-start", instance: { runtime: "node" }, policy: "sha256:" + "b".repeat(64), previous })];
  for (let i = 0; i < 3; i++)
    records.push(
      chain.append(
        decisionBody(allowed(i), { decision: "allow", allowed: true, rule: "r", reason: "ok", policy: "sha256:" + "b".repeat(64), action: "file.read" }),
      ),
    );
  const text = records.map((r) => JSON.stringify(r)).join("\n");
  return text.slice(0, text.length - 40);
}

describe("a torn tail at start-up (the server as a real process)", () => {
  it("a partial batch after a real trail is moved to <file>.torn-*, the notice names its bytes, and the trail verifies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-torn-"));
    const file = join(dir, "audit.jsonl");
    const s1 = await startServer(serveArgs(["--audit", file]));
    for (let i = 0; i < 5; i++) await check(s1.url, allowed(i));
    expect(await s1.stop()).toBe(0);
    const head = JSON.parse(lines(file).at(-2)!) as { chain: string; seq: number; hash: string };
    const whole = statSync(file).size;
    const torn = tornBatch({ chain: head.chain, seq: head.seq, hash: head.hash });
    appendFileSync(file, torn);
    const end = statSync(file).size;

    const s2 = await startServer(serveArgs(["--audit", file]));
    expect(s2.err()).toContain(`bytes [${whole}, ${end}) of ${file} were not a whole batch (3 complete record lines without their checkpoint`);
    expect(await check(s2.url, allowed(9))).toMatchObject({ decision: "allow" });
    expect(await s2.stop()).toBe(0);

    const quarantined = readdirSync(dir).filter((n) => n.startsWith("audit.jsonl.torn-"));
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatch(/^audit\.jsonl\.torn-\d{8}T\d{9}Z$/);
    expect(readFileSync(join(dir, quarantined[0]!), "utf8")).toBe(torn);
    const trail = expectWholeBatches(file) as unknown as Array<Record<string, unknown>>;
    const [start1, start2] = trail.filter((r) => r.type === "chain-start");
    expect(start2).toMatchObject({ previous: { chain: head.chain, seq: head.seq, hash: head.hash } });
    const notice = trail.find((r) => r.type === "notice");
    expect(notice).toMatchObject({
      notice: "torn-tail-quarantined",
      file,
      bytes: [whole, end],
      movedTo: join(dir, quarantined[0]!),
      seq: 2,
      chain: start2!.chain,
    });
    expect(notice!.message).toContain("chain node--killed-20261202T013000000Z seq 1-3");
    expect(start1!.chain).toBe(head.chain);
    const v = cli(["audit", "verify", file]);
    expect(v.stdout).toMatch(/intact: 2 chains/);
    expect(v.status).toBe(0);
  });

  it("kill -9 of a server under load, then a restart: the trail verifies (with any partial batch quarantined)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-kill9-"));
    const file = join(dir, "audit.jsonl");
    const s1 = await startServer(serveArgs(["--audit", file]));
    let stop = false;
    let answered = 0;
    const load = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        await check(s1.url, allowed(w * 100_000 + i)).then(
          () => answered++,
          () => undefined,
        );
      }
    });
    while (!existsSync(file) || statSync(file).size < 64 * 1024) await new Promise((r) => setTimeout(r, 20));
    s1.child.kill("SIGKILL");
    await s1.exited;
    stop = true;
    await Promise.all(load);
    expect(answered).toBeGreaterThan(20);

    const s2 = await startServer(serveArgs(["--audit", file]));
    expect(await check(s2.url, allowed(1))).toMatchObject({ decision: "allow" });
    expect(await s2.stop()).toBe(0);
    const trail = expectWholeBatches(file) as unknown as Array<Record<string, unknown>>;
    const quarantined = readdirSync(dir).filter((n) => n.includes(".torn-"));
    // kill -9 rarely lands inside a batch's write (one write call per batch): either outcome is checked
    if (quarantined.length > 0) expect(trail.find((r) => r.type === "notice")).toMatchObject({ notice: "torn-tail-quarantined" });
    else expect(trail.some((r) => r.type === "notice")).toBe(false);
    const v = cli(["audit", "verify", file]);
    expect(v.stdout).toMatch(/intact: 2 chains/);
    expect(v.status).toBe(0);
  });
});

describe("maxBytes rotation, configured (the server as a real process)", () => {
  /** Runs the server with `args`/`env`, sends `n` requests (one batch each), stops it; returns the rotated files' sizes. */
  async function rotate(dir: string, args: string[], env: Record<string, string>, n: number): Promise<number[]> {
    const s = await startServer(serveArgs(args), env);
    for (let i = 0; i < n; i++) expect(await check(s.url, allowed(i))).toMatchObject({ decision: "allow" });
    expect(await s.stop()).toBe(0);
    return readdirSync(dir)
      .filter((n) => /^audit\.jsonl\.\d{8}T\d{9}Z(-\d+)?$/.test(n))
      .map((n) => statSync(join(dir, n)).size);
  }

  const policyWith = (dir: string, maxBytes: number) => {
    const path = join(dir, "policy.yaml");
    writeFileSync(path, readFileSync(EXAMPLE, "utf8") + `audit:\n  sink: file\n  path: ${join(dir, "audit.jsonl")}\n  maxBytes: ${maxBytes}\n`);
    return path;
  };

  // Each request's batch is well under 2 KiB, so a rotated file is at least maxBytes and less than maxBytes + 2 KiB.
  const cases: Array<[string, (dir: string) => { args: string[]; env: Record<string, string> }, number]> = [
    ["the policy's audit.maxBytes", (dir) => ({ args: ["--policy", policyWith(dir, 4096)], env: {} }), 4096],
    ["SAFECLAW_AUDIT_MAX_BYTES beats the policy", (dir) => ({ args: ["--policy", policyWith(dir, 4096)], env: { SAFECLAW_AUDIT_MAX_BYTES: "6144" } }), 6144],
    [
      "--audit-max-bytes beats both",
      (dir) => ({ args: ["--policy", policyWith(dir, 4096), "--audit-max-bytes", "8192"], env: { SAFECLAW_AUDIT_MAX_BYTES: "6144" } }),
      8192,
    ],
  ];
  it.each(cases)("%s: 3+ rotations, each file at least maxBytes and one batch more at most; verify reads them oldest first", async (_name, setup, maxBytes) => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-rotate-"));
    const { args, env } = setup(dir);
    const sizes = await rotate(dir, args, env, Math.ceil((4 * maxBytes) / 500));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(maxBytes);
      expect(size).toBeLessThan(maxBytes + 2048);
    }
    const v = cli(["audit", "verify", join(dir, "audit.jsonl")]);
    expect(v.stdout).toMatch(/intact: 1 chain/);
    expect(v.status).toBe(0);
    // Deleting a middle rotation is a gap verify reports, not a quiet shortening.
    const rotated = readdirSync(dir)
      .filter((n) => /^audit\.jsonl\.\d/.test(n))
      .sort();
    rmSync(join(dir, rotated[1]!));
    expect(cli(["audit", "verify", join(dir, "audit.jsonl")]).status).toBe(1);
  });

  it.each([["12"], ["10MiB"], ["-1"]])("--audit-max-bytes %s is refused before anything starts", (value) => {
    const r = cli(["serve", "--port", "0", "--policy", EXAMPLE, "--audit", join(tmpdir(), "never.jsonl"), `--audit-max-bytes=${value}`]);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain(`safeclaw serve: --audit-max-bytes \`${value}\` is not a whole number of bytes of at least 4096`);
  });

  it("a bad audit.maxBytes in the policy is refused with file:line:col", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-rotate-"));
    const path = join(dir, "policy.yaml");
    writeFileSync(path, "version: 1\nrules: []\naudit:\n  sink: file\n  path: /tmp/x.jsonl\n  maxBytes: 100\n");
    const r = cli(["validate", path]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${path}:6:13`);
    expect(r.stdout + r.stderr).toContain("`audit.maxBytes` must be a whole number of bytes, at least 4096");
  });
});
