// HTTP benchmark (loopback only, bounded in time): decisions per second, latency
// and server CPU of the Node server with audit off / stdout / file / a failing S3,
// each as a ratio to two Hono baselines measured in the same round with the same
// load generator: a bare hello-world, and a hello-world that reads and parses the
// same JSON body (the fair baseline: the decision server must read that body too).
//
// Interleaved rounds: every round runs every mode once, in an order rotated by one
// per round, so a slow stretch of the (shared) machine hits every mode alike; each
// mode is reported as the median and spread (min-max) over the rounds, and the
// ratios are taken per round (a mode against the baselines of its own round).
// Each measurement gets a fresh server process and a 1 s warm-up.
//
// Pinning: where `taskset` works and there are at least 2 CPUs, the server runs on
// the last CPU and this process (autocannon, the load generator) on the others, so
// the two do not compete for one core; the output says when it could not pin.
//
// Knobs: BENCH_HTTP_SECONDS (timed seconds per measurement, default 3),
// BENCH_HTTP_ROUNDS (default 5), BENCH_HTTP_MODES (comma list, default all),
// BENCH_HTTP_COMPARE=<an older build's dist/ directory>: every decision mode also
// runs on that build, as `<mode>@before`, in the same rounds (before and after, one run).
// Writes build/bench-http.json (shape at the bottom of this file).
import autocannon from "autocannon";
import { fork, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { requests } from "./http-requests.mjs";

const DURATION = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 5);
const WARMUP = 1;
const CONNECTIONS = 32;
const ALL_MODES = ["hello", "hello-json", "off", "stdout", "file", "s3-down"];
const COMPARE = process.env.BENCH_HTTP_COMPARE;
const SELECTED = process.env.BENCH_HTTP_MODES ? process.env.BENCH_HTTP_MODES.split(",") : ALL_MODES;
for (const m of SELECTED) if (!ALL_MODES.includes(m)) throw new Error(`unknown mode ${m} (known: ${ALL_MODES.join(", ")})`);
const MODES = COMPARE ? SELECTED.flatMap((m) => (m.startsWith("hello") ? [m] : [m, `${m}@before`])) : SELECTED;
if (!(DURATION > 0) || !(ROUNDS >= 1)) throw new Error("BENCH_HTTP_SECONDS and BENCH_HTTP_ROUNDS must be positive");

const target = new URL("./http-target.mjs", import.meta.url).pathname;

/** Server on the last CPU, load generator on the rest; undefined CPUs and a note when that is not possible. */
function pinning() {
  const cpus = availableParallelism();
  const probe = spawnSync("taskset", ["-V"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return { pinned: false, cpus, note: "not pinned: taskset is not available" };
  if (cpus < 2) return { pinned: false, cpus, note: `not pinned: ${cpus} CPU, server and load generator share it` };
  const server = String(cpus - 1);
  const load = cpus === 2 ? "0" : `0-${cpus - 2}`;
  // -a: every thread of this process (autocannon runs in it); threads started later inherit the mask.
  const self = spawnSync("taskset", ["-a", "-pc", load, String(process.pid)], { encoding: "utf8" });
  if (self.status !== 0) return { pinned: false, cpus, note: `not pinned: taskset failed (${(self.stderr || "").trim()})` };
  return { pinned: true, cpus, server, load, note: `server on CPU ${server}, load generator on CPU ${load}` };
}

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

const ask = (child, msg) =>
  new Promise((res) => {
    child.once("message", res);
    child.send(msg);
  });

async function measure(mode, pin) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "safeclaw-bench-"));
  // Under taskset the child is `taskset -c <cpu> node http-target.mjs ...`: taskset execs node, which keeps the IPC channel.
  const launch = pin.pinned ? { execPath: "taskset", execArgv: ["-c", pin.server, process.execPath] } : {};
  const [serverMode, build] = mode.split("@");
  const args = [serverMode, String(port), join(dir, "audit.log"), ...(build === "before" ? [COMPARE] : [])];
  const child = fork(target, args, { stdio: ["ignore", "ignore", "inherit", "ipc"], ...launch });
  try {
    await new Promise((r, j) => {
      child.once("message", r);
      child.once("exit", (code) => j(new Error(`${mode} server exited (${code}) before it was ready`)));
    });
    const url = `http://127.0.0.1:${port}`;
    await autocannon({ url, connections: CONNECTIONS, duration: WARMUP, requests });
    await ask(child, "start");
    const load0 = process.cpuUsage();
    const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests });
    const load = process.cpuUsage(load0);
    const s = await ask(child, "stop");
    const cpuMs = (s.cpuUserUs + s.cpuSystemUs) / 1000;
    const done = r.requests.total;
    return {
      mode,
      rps: r.requests.average,
      requests: done,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors, // autocannon counts timeouts among errors
      non2xx: r.non2xx,
      serverCpuMsPer1k: done > 0 ? +((cpuMs * 1000) / done).toFixed(3) : null,
      serverCpuPct: +((cpuMs * 1000 * 100) / s.wallUs).toFixed(1),
      loadCpuPct: +(((load.user + load.system) / 1000 / (r.duration * 1000)) * 100).toFixed(1),
      rssMiB: Math.round(s.rss / 2 ** 20),
      queued: s.queued,
    };
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs, digits) => {
  const f = (x) => +x.toFixed(digits);
  return { median: f(median(xs)), min: f(Math.min(...xs)), max: f(Math.max(...xs)) };
};

const pin = pinning();
const startedAt = new Date().toISOString();
const load0 = loadavg()[0];
console.error(`HTTP bench: ${MODES.length} modes x ${ROUNDS} rounds x (${WARMUP} s warm-up + ${DURATION} s), ${CONNECTIONS} connections; ${pin.note}`);
const rounds = [];
for (let i = 0; i < ROUNDS; i++) {
  const order = MODES.map((_, k) => MODES[(k + i) % MODES.length]);
  const results = [];
  for (const mode of order) results.push(await measure(mode, pin));
  const base = (m) => results.find((r) => r.mode === m);
  for (const r of results) {
    if (base("hello")) r.vsHello = +(r.rps / base("hello").rps).toFixed(3);
    if (base("hello-json")) r.vsHelloJson = +(r.rps / base("hello-json").rps).toFixed(3);
    // The same comparison by server CPU per request (hello-json's CPU-ms per 1k over this mode's): what the req/s ratio
    // would be if both servers were held back by their own core only, which a shared machine does not always allow.
    if (base("hello-json")?.serverCpuMsPer1k && r.serverCpuMsPer1k) r.cpuVsHelloJson = +(base("hello-json").serverCpuMsPer1k / r.serverCpuMsPer1k).toFixed(3);
  }
  rounds.push({ round: i + 1, order, loadavg1: +loadavg()[0].toFixed(2), results });
  console.error(`round ${i + 1}/${ROUNDS}: ${results.map((r) => `${r.mode} ${Math.round(r.rps)}`).join(", ")}`);
}

const summary = MODES.map((mode) => {
  const rs = rounds.map((rd) => rd.results.find((r) => r.mode === mode));
  const pick = (k, digits) =>
    rs.every((r) => typeof r[k] === "number")
      ? spread(
          rs.map((r) => r[k]),
          digits,
        )
      : null;
  return {
    mode,
    rps: pick("rps", 0),
    vsHello: pick("vsHello", 3),
    vsHelloJson: pick("vsHelloJson", 3),
    cpuVsHelloJson: pick("cpuVsHelloJson", 3),
    p50: pick("p50", 2),
    p99: pick("p99", 2),
    serverCpuMsPer1k: pick("serverCpuMsPer1k", 3),
    serverCpuPct: pick("serverCpuPct", 1),
    loadCpuPct: pick("loadCpuPct", 1),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    rssMiB: Math.max(...rs.map((r) => r.rssMiB)),
    queued: Math.max(...rs.map((r) => r.queued)),
  };
});

const f0 = (x) => Math.round(x).toLocaleString("en-US");
const sp = (s, f = (x) => x.toFixed(2)) => (s ? `${f(s.median)} (${f(s.min)}-${f(s.max)})` : "-");
console.log(`\nHTTP, loopback, autocannon, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION} s per mode; ${pin.note}.`);
console.log("Median over rounds (min-max); ratios per round against the baselines of the same round.\n");
console.log(
  "| server | req/s | vs hello-json | vs hello | p50 / p99 (ms) | server CPU-ms per 1k req | CPU per req: hello-json / this | server CPU (% of a core) | load generator CPU (%) | errors + non-2xx | RSS at end (MiB) | queued at end |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const s of summary) {
  console.log(
    `| ${s.mode} | ${sp(s.rps, f0)} | ${sp(s.vsHelloJson)} | ${sp(s.vsHello)} | ${s.p50.median} / ${s.p99.median} | ${sp(s.serverCpuMsPer1k, (x) => x.toFixed(1))} | ${sp(s.cpuVsHelloJson)} | ${sp(s.serverCpuPct, (x) => x.toFixed(0))} | ${sp(s.loadCpuPct, (x) => x.toFixed(0))} | ${s.errors + s.non2xx} | ${s.rssMiB} | ${s.queued} |`,
  );
}

mkdirSync(new URL("../../build/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("../../build/bench-http.json", import.meta.url),
  JSON.stringify(
    {
      date: startedAt,
      node: process.version,
      connections: CONNECTIONS,
      seconds: DURATION,
      warmupSeconds: WARMUP,
      roundCount: ROUNDS,
      ...(COMPARE ? { compare: COMPARE } : {}),
      pinning: pin,
      loadavg1: { start: +load0.toFixed(2), end: +loadavg()[0].toFixed(2) },
      rounds,
      summary,
      // The one-row-per-mode table earlier reports read: medians over the rounds (ratio: vs hello).
      rows: summary.map((s) => ({
        mode: s.mode,
        rps: s.rps.median,
        p50: s.p50.median,
        p99: s.p99.median,
        ratio: s.vsHello ? s.vsHello.median : null,
        ratioJson: s.vsHelloJson ? s.vsHelloJson.median : null,
        errors: s.errors + s.non2xx,
        rssMiB: s.rssMiB,
        queued: s.queued,
      })),
    },
    null,
    2,
  ),
);

/*
 * build/bench-http.json:
 * { date, node, connections, seconds, warmupSeconds, roundCount, compare? (the older dist/ of the `@before` modes),
 *   pinning: { pinned, cpus, server?, load?, note },
 *   loadavg1: { start, end },
 *   rounds: [ { round, order: [mode...], loadavg1,
 *               results: [ { mode, rps, requests, p50, p99, errors, non2xx, serverCpuMsPer1k,
 *                            serverCpuPct, loadCpuPct, rssMiB, queued, vsHello, vsHelloJson, cpuVsHelloJson } ] } ],
 *   summary: [ { mode, rps, vsHello, vsHelloJson, cpuVsHelloJson, p50, p99, serverCpuMsPer1k, serverCpuPct, loadCpuPct
 *                (each { median, min, max } over the rounds, or null), errors, non2xx, rssMiB, queued } ],
 *   rows: [ { mode, rps, p50, p99, ratio, ratioJson, errors, rssMiB, queued } ]  (medians) }
 */
