// npm run bench:verify [-- 2GB] [--stdin] [--reuse]: `safeclaw audit verify` on a multi-GB trail.
//
// Writes a trail of real chained records (dist's Chain: the same hashing as the
// writer), batches of 64 records each followed by its checkpoint, a new chain
// (naming the one before) every million records, then runs the real CLI on it
// (`node bin/safeclaw.js audit verify <file>`, or `-` with the file piped to stdin)
// and reports records/s, MB/s and the verifier's peak RSS (from
// process.resourceUsage() in the verifying process itself). Not part of npm test.
import { spawn } from "node:child_process";
import { createReadStream, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const args = process.argv.slice(2);
const sizeArg = args.find((a) => !a.startsWith("--")) ?? "2GB";
const useStdin = args.includes("--stdin");
const reuse = args.includes("--reuse");

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(s);
  if (!m) throw new Error(`size \`${s}\`: give e.g. 2GB, 500MB`);
  return Math.round(Number(m[1]) * { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[(m[2] ?? "B").toUpperCase()]);
}

const target = parseSize(sizeArg);
const dir = join(tmpdir(), "safeclaw-verify-bench");
mkdirSync(dir, { recursive: true });
const file = join(dir, `audit-${sizeArg}.jsonl`);

const { Chain } = await import(join(ROOT, "dist/audit/chain.js"));

function generate() {
  const fd = openSync(file, "w");
  const policy = "sha256:" + "ab".repeat(32);
  let bytes = 0;
  let records = 0;
  let lines = 0;
  let buf = [];
  let bufBytes = 0;
  const flush = () => {
    const data = buf.join("");
    writeSync(fd, data);
    buf = [];
    bufBytes = 0;
  };
  const put = (o) => {
    const line = JSON.stringify(o) + "\n";
    buf.push(line);
    bufBytes += line.length;
    bytes += line.length;
    lines++;
    if (bufBytes > 8 << 20) flush();
  };
  let t = Date.parse("2026-12-02T00:00:00Z");
  let previous;
  let chainNo = 0;
  while (bytes < target) {
    const chain = new Chain(`bench-${chainNo++}`, () => (t += 3));
    const start = chain.append({ type: "chain-start", instance: { runtime: "bench", host: "bench-host" }, policy, ...(previous ? { previous } : {}) });
    put(start);
    records++;
    let pending = [start];
    for (let i = 0; i < 1_000_000 && bytes < target; i++) {
      const deny = i % 4 === 0;
      const r = chain.append({
        type: "decision",
        decision: deny ? "deny" : "allow",
        rule: deny ? null : `read-app-${i % 17}`,
        reason: deny ? "no rule matched (deny by default)" : `rule read-app-${i % 17} (allow)`,
        policy,
        id: `req-${chainNo}-${i}`,
        action: "file.read",
        target: { path: `/app/src/module-${i % 1000}/file-${i}.ts`, cwd: "/app" },
        agent: "claude-code",
        context: { session_id: "5f0c8a52-6d0e-4b8e-9f4e-2b9d0a6c1e77", tool_use_id: `toolu_${i.toString(36)}` },
      });
      put(r);
      records++;
      pending.push(r);
      if (pending.length === 64) {
        put({ v: 1, type: "checkpoint", chain: chain.id, seq: r.seq, head: r.hash, time: r.time });
        pending = [];
      }
    }
    const last = chain.last;
    if (pending.length) put({ v: 1, type: "checkpoint", chain: chain.id, seq: last.seq, head: last.hash, time: new Date(t).toISOString() });
    previous = { chain: chain.id, seq: last.seq, hash: last.hash };
  }
  flush();
  closeSync(fd);
  return { records, lines, chains: chainNo };
}

let shape;
const started = Date.now();
if (reuse && existsSync(file) && existsSync(file + ".json")) shape = JSON.parse((await import("node:fs")).readFileSync(file + ".json", "utf8"));
else {
  shape = generate();
  writeFileSync(file + ".json", JSON.stringify(shape));
  console.error(
    `wrote ${file}: ${(statSync(file).size / 1e6).toFixed(0)} MB, ${shape.records} records, ${shape.chains} chains in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
const size = statSync(file).size;

// The verifying process reports its own peak RSS when it exits.
const probe = join(dir, "rss-probe.mjs");
writeFileSync(
  probe,
  'import { writeSync } from "node:fs";\nprocess.on("exit", () => writeSync(2, `\\nSAFECLAW_BENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\\n`));\n',
);

const t0 = process.hrtime.bigint();
const child = spawn(process.execPath, ["--import", probe, join(ROOT, "bin/safeclaw.js"), "audit", "verify", useStdin ? "-" : file], {
  stdio: [useStdin ? "pipe" : "ignore", "pipe", "pipe"],
});
if (useStdin) createReadStream(file).pipe(child.stdin);
let stdout = "";
let stderr = "";
child.stdout.on("data", (d) => (stdout += d));
child.stderr.on("data", (d) => (stderr += d));
const code = await new Promise((resolve) => child.on("close", resolve));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const maxRssKb = Number(/SAFECLAW_BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);

const result = {
  source: useStdin ? "stdin" : "file",
  bytes: size,
  records: shape.records,
  lines: shape.lines,
  chains: shape.chains,
  exit: code,
  seconds: Number(seconds.toFixed(1)),
  recordsPerSecond: Math.round(shape.records / seconds),
  mbPerSecond: Number((size / 1e6 / seconds).toFixed(1)),
  peakRssMb: Number((maxRssKb / 1024).toFixed(0)),
  node: process.version,
};
console.log(stdout.trim().split("\n").slice(-1)[0]);
if (code !== 0) console.error(stderr.trim());
console.log(JSON.stringify(result));
if (code !== 0) process.exitCode = 1;
